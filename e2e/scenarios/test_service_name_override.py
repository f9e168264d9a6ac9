"""`application-networking.k8s.aws/service-name-override`: a valid override names the Lattice service;
an invalid one builds nothing and says why in status and in a Warning event."""

from __future__ import annotations

from typing import Any

from e2e.harness.controller import ControllerProcess
from e2e.scenarios.support import (
    AN,
    DEFAULT_NETWORK,
    Scenario,
    backend,
    events,
    eventually,
    forward_tg_ids,
    gateway,
    http_route,
    non_default_rules,
    parent,
    parent_conditions,
    pod_ips,
    scenario,
    wait_value,
)

__all__ = ["scenario"]

OVERRIDE = f"{AN}/service-name-override"


def test_service_name_override_valid_and_invalid(scenario: Scenario, controller: ControllerProcess) -> None:
    s = scenario
    ns = s.namespace("override")
    s.apply(
        gateway(ns),
        backend(ns, "named", replicas=2),
        http_route(ns, "good", [parent()], [("named", 1)], annotations={OVERRIDE: "custom-service-name"}),
        http_route(ns, "bad", [parent()], [("named", 1)], annotations={OVERRIDE: "INVALID-UPPERCASE"}),
    )
    pods = wait_value(lambda: pod_ips(s.plane, ns, "app=named"), lambda ips: len(ips) == 2, what="pods")

    def converged() -> dict[str, Any] | None:
        view = s.view()
        service = view.service("custom-service-name")
        if not service or [(a["serviceNetworkName"], a["status"]) for a in service["associations"]] != [
            (DEFAULT_NETWORK, "ACTIVE")
        ]:
            return None
        rules = non_default_rules(service)
        if len(rules) != 1:
            return None
        (tg_id,) = forward_tg_ids(rules[0])
        tg = view.target_group_by_id(tg_id)
        if not tg or {t["id"] for t in tg["targets"]} != pods:
            return None
        return {"service": service, "tg": tg}

    found = eventually(converged, what="custom-service-name with association, rule, TG and targets")
    assert found["tg"]["tags"][f"{AN}/RouteName"] == "good"
    assert found["service"]["dnsEntry"]["domainName"].startswith("custom-service-name")
    route = s.route(ns, "good") or {}
    assert route["metadata"]["annotations"][f"{AN}/lattice-service-arn"] == found["service"]["arn"]

    def rejected() -> tuple[str, str, str] | None:
        conditions = parent_conditions(s.route(ns, "bad"))
        return conditions[0]["Accepted"] if conditions and "Accepted" in conditions[0] else None

    _, reason, message = wait_value(rejected, lambda a: a is not None and a[0] == "False", what="bad")
    assert "INVALID-UPPERCASE" in message, (reason, message)
    assert "service name override" in message, (reason, message)
    eventually(
        lambda: [
            e
            for e in events(s.plane, ns, "bad")
            if e["type"] == "Warning"
            and e["reason"] == "FailedBuildModel"
            and "invalid service name override" in e["message"]
        ],
        what="FailedBuildModel event",
        timeout=30,
    )
    controller.wait_quiet()  # a late reconcile of `bad` must not have built anything either
    view = s.view()
    mine = [svc["name"] for svc in view.services if svc["tags"].get(f"{AN}/RouteNamespace") == ns]
    assert mine == ["custom-service-name"]
    assert view.service(f"bad-{ns}") is None
    assert [
        tg["tags"].get(f"{AN}/RouteName")
        for tg in view.target_groups
        if tg["tags"].get(f"{AN}/RouteNamespace") == ns
    ] == ["good"]
