"""The seed use case: checkout v1 (25%) and checkout-v2 in another namespace (75%) behind one route."""

from __future__ import annotations

import uuid
from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import MANAGED_BY, ControllerProcess
from e2e.harness.lattice_view import LatticeView
from e2e.scenarios.support import (
    ab_manifest,
    apply,
    eventually,
    manifest_path,
    pod_ips,
    wait_value,
)


def _weights(view: LatticeView, service_name: str) -> dict[str, int] | None:
    service = view.service(service_name)
    if not service or not service["listeners"]:
        return None
    rules = [r for r in service["listeners"][0]["rules"] if not r.get("isDefault")]
    if len(rules) != 1:
        return None
    out: dict[str, int] = {}
    for tg in rules[0]["action"].get("forward", {}).get("targetGroups", []):
        found = view.target_group_by_id(tg["targetGroupIdentifier"].rsplit("/", 1)[-1])
        if found:
            out[found["tags"]["application-networking.k8s.aws/ServiceName"]] = tg["weight"]
    return out


def _targets(view: LatticeView, service: str) -> set[str]:
    return {
        t["id"]
        for tg in view.target_groups
        if tg["tags"].get("application-networking.k8s.aws/ServiceName") == service
        for t in tg["targets"]
        if t.get("status") != "DRAINING"
    }


def _route_weights(plane: ControlPlane, ns: str, v1: int, v2: int) -> None:
    patch = (
        f'[{{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":{v1}}},'
        f'{{"op":"replace","path":"/spec/rules/0/backendRefs/1/weight","value":{v2}}}]'
    )
    out = plane.kubectl("patch", "httproute", "checkout", "-n", ns, "--type=json", "-p", patch)
    assert out.returncode == 0, out.stderr


def test_ab_weighted_route_lifecycle(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns1 = f"store-{uuid.uuid4().hex[:6]}"
    ns2 = f"{ns1}-v2"
    service_name = f"checkout-{ns1}"
    assert workloads.kubectl("apply", "-f", str(manifest_path("manifests/gatewayclass.yaml"))).returncode == 0
    apply(workloads, ab_manifest(ns1, ns2))

    def read() -> LatticeView:
        return LatticeView.read(fake_aws.endpoint)

    view = wait_value(
        read, lambda v: _weights(v, service_name) == {"checkout": 25, "checkout-v2": 75}, what="25/75"
    )
    service: dict[str, Any] = view.service(service_name) or {}
    assert [(lst["protocol"], lst["port"]) for lst in service["listeners"]] == [("HTTP", 80)]

    def associated() -> bool:
        found = read().service(service_name) or {}
        return [a["serviceNetworkName"] for a in found.get("associations", [])] == ["app-network"]

    eventually(associated, what="association with app-network")

    v1_ips = wait_value(
        lambda: pod_ips(workloads, ns1, "app=checkout"), lambda ips: len(ips) == 2, what="v1 pods"
    )
    v2_ips = wait_value(
        lambda: pod_ips(workloads, ns2, "app=checkout"), lambda ips: len(ips) == 2, what="v2 pods"
    )
    eventually(
        lambda: _targets(read(), "checkout") == v1_ips and _targets(read(), "checkout-v2") == v2_ips,
        what="pod IPs registered",
    )

    _route_weights(workloads, ns1, 0, 100)
    eventually(
        lambda: _weights(read(), service_name) == {"checkout": 0, "checkout-v2": 100}, what="shift to 0/100"
    )
    _route_weights(workloads, ns1, 25, 75)
    eventually(
        lambda: _weights(read(), service_name) == {"checkout": 25, "checkout-v2": 75}, what="back to 25/75"
    )

    assert workloads.kubectl("scale", "deployment/checkout", "-n", ns1, "--replicas=3").returncode == 0
    v1_ips = wait_value(
        lambda: pod_ips(workloads, ns1, "app=checkout"), lambda ips: len(ips) == 3, what="3 pods"
    )
    eventually(lambda: _targets(read(), "checkout") == v1_ips, what="targets follow scale-up")
    assert workloads.kubectl("scale", "deployment/checkout-v2", "-n", ns2, "--replicas=1").returncode == 0
    eventually(lambda: len(_targets(read(), "checkout-v2")) == 1, what="targets follow scale-down")

    out = workloads.kubectl("delete", "-f", "-", "--wait=false", input=ab_manifest(ns1, ns2))
    assert out.returncode == 0, out.stderr
    eventually(lambda: not read().managed(MANAGED_BY), timeout=120, what="no ManagedBy-tagged resource left")
