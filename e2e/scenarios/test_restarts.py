"""Crash restarts: a controller killed with SIGKILL in the middle of creating, then of deleting, a
route's Lattice resources is replaced by a new one that converges without duplicates or leftovers."""

from __future__ import annotations

from typing import Any

from e2e.harness.controller import MANAGED_BY
from e2e.harness.lattice_view import LatticeView
from e2e.scenarios.support import (
    AN,
    Scenario,
    backend,
    eventually,
    forward_tg_ids,
    gateway,
    get_json,
    http_route,
    non_default_rules,
    parent,
    scenario,
    wait_value,
)

__all__ = ["scenario"]


def _ours(view: LatticeView, ns: str) -> dict[str, Any]:
    """Counts of everything the route `web` in `ns` owns."""
    name = f"web-{ns}"
    services = [svc for svc in view.services if svc["name"] == name]
    tgs = [tg for tg in view.target_groups if tg["tags"].get(f"{AN}/RouteNamespace") == ns]
    out: dict[str, Any] = {
        "services": len(services),
        "target groups": sorted(tg["tags"].get(f"{AN}/ServiceName", "") for tg in tgs),
    }
    if len(services) == 1:
        service = services[0]
        out["listeners"] = [(lst["protocol"], lst["port"]) for lst in service["listeners"]]
        rules = non_default_rules(service)
        out["rules"] = len(rules)
        out["associations"] = [(a["serviceNetworkName"], a["status"]) for a in service["associations"]]
        used = {i for rule in rules for i in forward_tg_ids(rule)}
        out["unused target groups"] = sorted(tg["id"] for tg in tgs if tg["id"] not in used)
    return out


CONVERGED = {
    "services": 1,
    "target groups": ["blue", "green"],
    "listeners": [("HTTP", 80)],
    "rules": 1,
    "associations": [("app-network", "ACTIVE")],
    "unused target groups": [],
}


def _kill_when(s: Scenario, operation: str, controller: Any) -> None:
    eventually(
        lambda: s.fake.admin.counters().get(operation, 0) >= 1, timeout=60, interval=0.1, what=operation
    )
    controller.kill()


def test_kill_mid_create_and_mid_delete(scenario: Scenario) -> None:
    s = scenario
    ns = s.namespace("crash")
    admin = s.fake.admin

    # Mid-create: the service, target groups and association exist, the listener call is in flight.
    first = s.start_controller()
    admin.set_latency(2.0, operation="vpc-lattice:CreateListener")
    s.apply(
        gateway(ns),
        backend(ns, "blue"),
        backend(ns, "green"),
        http_route(ns, "web", [parent()], [("blue", 50), ("green", 50)]),
    )
    _kill_when(s, "vpc-lattice:CreateListener", first)
    at_kill = _ours(s.view(), ns)
    admin.clear_faults()
    print(f"killed mid-create with {at_kill}")
    admin.reset_counters()
    s.start_controller()
    wait_value(lambda: _ours(s.view(), ns), lambda got: got == CONVERGED, what="converged after restart")
    counters = admin.counters()
    if at_kill["services"] == 1:  # found again, not created a second time
        assert counters.get("vpc-lattice:CreateService", 0) == 0, counters

    # Mid-delete: associations are gone or going, the listener delete is in flight.
    admin.set_latency(2.0, operation="vpc-lattice:DeleteListener")
    admin.reset_counters()
    out = s.plane.kubectl("delete", "httproute", "web", "-n", ns, "--wait=false")
    assert out.returncode == 0, out.stderr
    _kill_when(s, "vpc-lattice:DeleteListener", s.controllers[-1])
    print(f"killed mid-delete with {_ours(s.view(), ns)}")
    admin.clear_faults()
    s.start_controller()
    eventually(lambda: get_json(s.plane, "httproute", ns, "web") is None, timeout=60, what="route finalized")
    eventually(
        lambda: (
            not s.view().managed(MANAGED_BY) and _ours(s.view(), ns) == {"services": 0, "target groups": []}
        ),
        timeout=60,
        what="nothing with our ManagedBy left",
    )
