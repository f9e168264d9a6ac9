"""Drift: with RECONCILE_DEFAULT_RESYNC_SECONDS=60 a resync with nothing changed writes nothing (AWS
or Kubernetes), and one resync restores what was changed out of band: a deleted rule, an edited rule
action, a deregistered target, a deleted listener, a deleted unused target group, a deleted service."""

from __future__ import annotations

import time
from typing import Any

from e2e.harness.controller import ControllerProcess
from e2e.harness.lattice_view import LatticeView
from e2e.scenarios.support import (
    AN,
    Scenario,
    backend,
    events,
    eventually,
    gateway,
    get_json,
    http_route,
    non_default_rules,
    parent,
    pod_ips,
    scenario,
    wait_value,
    writes,
)

__all__ = ["scenario"]

ROUTES = ("r1", "r2", "r3")


def _tg_key(tg: dict[str, Any]) -> tuple[str, str]:
    return tg["tags"].get(f"{AN}/RouteName", ""), tg["tags"].get(f"{AN}/ServiceName", "")


def _shape(view: LatticeView, ns: str) -> dict[str, Any]:
    """What the routes of `ns` look like in Lattice, without ids (a recreated service gets new ones)."""
    out: dict[str, Any] = {}
    tgs = [tg for tg in view.target_groups if tg["tags"].get(f"{AN}/RouteNamespace") == ns]
    keys = [_tg_key(tg) for tg in tgs]
    out["target groups"] = sorted(keys)
    out["duplicate target groups"] = len(keys) != len(set(keys))
    out["targets"] = {
        f"{r}/{s}": sorted(t["id"] for t in tg["targets"] if t.get("status") != "DRAINING")
        for tg in tgs
        for r, s in [_tg_key(tg)]
    }
    for route in ROUTES:
        service = view.service(f"{route}-{ns}")
        if service is None:
            out[route] = None
            continue
        rules = {}
        for rule in non_default_rules(service):
            path = rule["match"]["httpMatch"]["pathMatch"]["match"].get("prefix")
            rules[path] = sorted(
                (
                    _tg_key(
                        view.target_group_by_id(f["targetGroupIdentifier"].rsplit("/", 1)[-1]) or {"tags": {}}
                    ),
                    f["weight"],
                )
                for f in rule["action"].get("forward", {}).get("targetGroups", [])
            )
        out[route] = {
            "listeners": sorted((lst["protocol"], lst["port"]) for lst in service["listeners"]),
            "rules": rules,
            "associations": sorted((a["serviceNetworkName"], a["status"]) for a in service["associations"]),
        }
    return out


def _kube_versions(s: Scenario, ns: str) -> dict[str, str]:
    objects = [("gateway", "app-network"), *(("httproute", r) for r in ROUTES)]
    return {
        f"{kind}/{name}": (get_json(s.plane, kind, ns, name) or {})["metadata"]["resourceVersion"]
        for kind, name in objects
    }


def _event_counts(s: Scenario, ns: str) -> dict[str, int]:
    return {e["metadata"]["name"]: int(e.get("count") or 1) for e in events(s.plane, ns)}


def _reads_of_services(s: Scenario) -> int:
    return s.fake.admin.counters().get("vpc-lattice:ListServices", 0)


def test_drift_restored_in_one_resync_and_idle_resync_writes_nothing(
    scenario: Scenario, controller: ControllerProcess
) -> None:
    s = scenario
    started = time.monotonic()
    ns = s.namespace("drift")
    s.apply(
        gateway(ns),
        backend(ns, "a", replicas=1),
        backend(ns, "b"),
        backend(ns, "c"),
        http_route(ns, "r1", [parent()], [("a", 1)], path="/a", more_rules=[("/b", [("a", 50), ("b", 50)])]),
        http_route(ns, "r2", [parent()], [("c", 1)]),
        http_route(ns, "r3", [parent()], [("c", 1)]),
    )
    pods = wait_value(lambda: pod_ips(s.plane, ns, "app=a"), lambda ips: len(ips) == 1, what="pod of a")

    def converged(shape: dict[str, Any]) -> bool:
        return (
            all(shape[r] and shape[r]["associations"] == [("app-network", "ACTIVE")] for r in ROUTES)
            and len(shape["r1"]["rules"]) == 2
            and shape["targets"].get("r1/a") == sorted(pods)
            and not shape["duplicate target groups"]
        )

    good = wait_value(lambda: _shape(s.view(), ns), converged, what="routes converged")
    assert good["r1"]["rules"]["/b"] == [(("r1", "a"), 50), (("r1", "b"), 50)]
    assert good["target groups"] == [("r1", "a"), ("r1", "b"), ("r2", "c"), ("r3", "c")]

    # 1. An idle resync: only reads, and no Kubernetes write or event. Wait for quiet first (no AWS
    # call for longer than a retry interval) so the next listing can only come from the resync.
    controller.wait_quiet(quiet_seconds=12)
    versions, event_counts = _kube_versions(s, ns), _event_counts(s, ns)
    s.fake.admin.reset_counters()
    resync_started = controller.activity()
    eventually(
        lambda: _reads_of_services(s) > 0,
        timeout=max(10.0, 95 - (time.monotonic() - started)),
        interval=1,
        what="a resync cycle listing services",
    )
    controller.wait_quiet(after=resync_started)  # the cycle's reconciles have finished
    counters = s.fake.admin.counters()
    print(f"idle resync calls: {counters}")
    assert writes(counters) == {}, counters
    assert _kube_versions(s, ns) == versions
    assert _event_counts(s, ns) == event_counts
    assert _shape(s.view(), ns) == good

    # 2. Out-of-band changes, all restored by the next resync.
    c, view = s.client, s.view()
    r1, r2, r3 = (view.service(f"{r}-{ns}") or {} for r in ROUTES)
    listener1 = r1["listeners"][0]
    rules = {r["match"]["httpMatch"]["pathMatch"]["match"]["prefix"]: r for r in non_default_rules(r1)}
    c.delete_rule(
        serviceIdentifier=r1["id"], listenerIdentifier=listener1["id"], ruleIdentifier=rules["/a"]["id"]
    )
    edited = rules["/b"]["action"]["forward"]["targetGroups"]
    c.update_rule(
        serviceIdentifier=r1["id"],
        listenerIdentifier=listener1["id"],
        ruleIdentifier=rules["/b"]["id"],
        action={"forward": {"targetGroups": [{**edited[0], "weight": 90}, {**edited[1], "weight": 10}]}},
    )
    tg_a = next(tg for tg in view.target_groups if _tg_key(tg) == ("r1", "a"))
    c.deregister_targets(
        targetGroupIdentifier=tg_a["id"],
        targets=[{"id": t["id"], "port": t["port"]} for t in tg_a["targets"]],
    )
    c.delete_listener(serviceIdentifier=r2["id"], listenerIdentifier=r2["listeners"][0]["id"])
    tg_r2 = next(tg for tg in view.target_groups if _tg_key(tg) == ("r2", "c"))
    c.delete_target_group(targetGroupIdentifier=tg_r2["id"])  # unused once its listener is gone
    for association in r3["associations"]:
        c.delete_service_network_service_association(
            serviceNetworkServiceAssociationIdentifier=association["id"]
        )
    c.delete_service(serviceIdentifier=r3["id"])

    drifted = _shape(s.view(), ns)
    assert drifted["r3"] is None
    assert drifted["r2"]["listeners"] == []
    assert list(drifted["r1"]["rules"]) == ["/b"]
    changed_at = time.monotonic()
    restored = wait_value(
        lambda: _shape(s.view(), ns), lambda shape: shape == good, timeout=90, what="restored"
    )
    elapsed = time.monotonic() - changed_at
    print(f"drift restored {elapsed:.0f} s after the out-of-band changes")
    assert restored == good
    new_r3 = s.view().service(f"r3-{ns}") or {}
    assert new_r3["id"] != r3["id"]  # a recreated service gets a new id
    eventually(
        lambda: (
            (get_json(s.plane, "httproute", ns, "r3") or {})["metadata"]["annotations"].get(
                f"{AN}/lattice-service-arn"
            )
            == new_r3["arn"]
        ),
        timeout=15,
        what="route r3 annotated with the new service ARN",
    )
