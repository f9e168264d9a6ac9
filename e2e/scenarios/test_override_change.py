"""Changing `service-name-override` on a deployed route: the new service is created and, once it
serves, the former one (still tagged with the route) is deleted with its association and listener;
deleting the route then leaves no service and no target group of it behind."""

from __future__ import annotations

from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.harness.controller import ControllerProcess
from e2e.scenarios.support import (
    AN,
    DEFAULT_NETWORK,
    Scenario,
    annotate,
    backend,
    eventually,
    gateway,
    http_route,
    kube,
    non_default_rules,
    parent,
    scenario,
    wait_deleted,
)

__all__ = ["scenario"]


def _serving(s: Scenario, name: str) -> dict[str, Any] | None:
    service = s.view().service(name)
    if service is None or [(a["serviceNetworkName"], a["status"]) for a in service["associations"]] != [
        (DEFAULT_NETWORK, "ACTIVE")
    ]:
        return None
    return service if len(non_default_rules(service)) == 1 else None


def _of_route(s: Scenario, ns: str) -> dict[str, list[str]]:
    view = s.view()
    return {
        "services": [svc["name"] for svc in view.services if svc["tags"].get(f"{AN}/RouteNamespace") == ns],
        "target_groups": [
            tg["name"] for tg in view.target_groups if tg["tags"].get(f"{AN}/RouteNamespace") == ns
        ],
    }


def test_changed_override_replaces_the_service_and_deletion_leaves_nothing(
    scenario: Scenario, controller: ControllerProcess
) -> None:
    s = scenario
    plane: ControlPlane = s.plane
    ns = s.namespace("rename")
    s.apply(gateway(ns), backend(ns, "web", replicas=1), http_route(ns, "shop", [parent()], [("web", 1)]))
    old = eventually(lambda: _serving(s, f"shop-{ns}"), what="the route's first service serving")

    new_name = f"renamed-{ns}"
    annotate(plane, "httproute", ns, "shop", service_name_override=new_name)

    def replaced() -> dict[str, Any] | None:
        mine = _of_route(s, ns)
        if mine["services"] != [new_name]:
            return None
        return _serving(s, new_name)

    new = eventually(replaced, what="the new service serving and the former one deleted", timeout=120)
    assert new["arn"] != old["arn"]
    assert s.view().service(f"shop-{ns}") is None

    kube(plane, "delete", "httproute", "-n", ns, "shop", "--wait=false")
    wait_deleted(plane, "httproute", ns, "shop", timeout=120)
    eventually(
        lambda: _of_route(s, ns) == {"services": [], "target_groups": []},
        what="no service and no target group of the route left",
        timeout=90,
    )
