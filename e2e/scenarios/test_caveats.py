"""Accepted with a caveat: a rule with the same match as an earlier one is ignored (no target group,
no targets for its backends), a rule whose backends all weigh 0 forwards nothing, and only the
first of several hostnames becomes the service's custom domain — each said in the `Accepted`
message and in an `AcceptedWithCaveat` Warning event (not `FailedBuildModel`: the route deploys)."""

from __future__ import annotations

from typing import Any

from e2e.harness.controller import ControllerProcess
from e2e.scenarios.support import (
    AN,
    Scenario,
    backend,
    events,
    eventually,
    gateway,
    parent,
    parent_conditions,
    scenario,
    wait_value,
)

__all__ = ["scenario"]


def _rule(path: str, name: str, weight: int = 1) -> dict[str, Any]:
    return {
        "matches": [{"path": {"type": "PathPrefix", "value": path}}],
        "backendRefs": [{"name": name, "kind": "Service", "port": 80, "weight": weight}],
    }


def test_caveats_are_reported_and_ignored_rules_build_nothing(
    scenario: Scenario, controller: ControllerProcess
) -> None:
    s = scenario
    ns = s.namespace("caveat")
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "shop", "namespace": ns},
        "spec": {
            "parentRefs": [parent()],
            "hostnames": [f"a.{ns}.example.com", f"b.{ns}.example.com"],
            "rules": [_rule("/a", "web"), _rule("/a", "other"), _rule("/z", "web", weight=0)],
        },
    }
    s.apply(gateway(ns), backend(ns, "web", replicas=1), backend(ns, "other", replicas=1), route)
    _, _, message = wait_value(
        lambda: (parent_conditions(s.route(ns, "shop")) or [{}])[0].get("Accepted"),
        lambda c: c is not None and c[0] == "True" and bool(c[2]),
        what="Accepted=True with the caveats",
    )
    assert "spec.rules[1] has the same match as spec.rules[0]; it is ignored" in message, message
    assert "spec.rules[2]: every backendRef has weight 0" in message, message
    assert f"a.{ns}.example.com is used and b.{ns}.example.com ignored" in message, message
    eventually(
        lambda: [e for e in events(s.plane, ns, "shop") if e["reason"] == "AcceptedWithCaveat"],
        what="AcceptedWithCaveat events",
    )

    def deployed() -> dict[str, Any] | None:
        service = s.view().service(f"shop-{ns}")
        return service if service and service["associations"] else None

    service = eventually(deployed, what="service deployed")
    assert service["customDomainName"] == f"a.{ns}.example.com"
    names = [
        tg["tags"].get(f"{AN}/ServiceName")
        for tg in s.view().target_groups
        if tg["tags"].get(f"{AN}/RouteNamespace") == ns
    ]
    assert names == ["web"], names
    assert not [e for e in events(s.plane, ns, "shop") if e["reason"] == "FailedBuildModel"]
