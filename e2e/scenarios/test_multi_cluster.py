"""Two clusters for real: two control planes and two controller processes (different CLUSTER_NAME and
CLUSTER_VPC_ID) against one fake AWS account (docs/multi-cluster.md).

Cluster A (the session's plane, with pods) exports ``checkout-v2``; cluster B (a second etcd +
kube-apiserver started here, EndpointSlices written by the test) routes 25 % to its local ``checkout``
and 75 % to the ServiceImport ``checkout-v2``. The route is created first: its import's share answers
5xx until A's export exists, then moves to A's target group. Deleting the export in A makes B's route
report it and drop it from the rule; only then A deletes its group and lets the export go. Neither
controller writes to what the other owns. The timeline and call counts are printed (``-s``).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.controlplane.plane import ControlPlane
from e2e.harness.controller import ACCOUNT_ID, controller_env, start_controller
from e2e.scenarios.support import (
    AN,
    DEFAULT_NETWORK,
    Scenario,
    backend,
    forwards,
    gateway,
    get_json,
    kube,
    lattice,
    manifest_path,
    parent,
    rules_of,
    scenario,
    stop_and_check,
    tags_of,
    to_yaml,
    wait_value,
    writes,
)
from e2e.scenarios.support import apply as kubectl_apply
from e2e.scenarios.support import namespace as namespace_manifest

__all__ = ["scenario"]

VPC_A = "vpc-0aaaaaaaaaaaaaaa1"
VPC_B = "vpc-0bbbbbbbbbbbbbbb2"
EXPORT = "checkout-v2"
FEDERATED = {f"{AN}/federation": "amazon-vpc-lattice"}


@pytest.fixture
def second_plane() -> Iterator[ControlPlane]:
    """Cluster B: etcd + kube-apiserver with the Gateway API and project CRDs (no pods: the test writes
    the EndpointSlices a workload would get)."""
    directory = Path(tempfile.mkdtemp(prefix="lc-controlplane-b-"))
    began = time.monotonic()
    plane = ControlPlane.start(directory)
    print(f"\ncluster B's control plane started in {time.monotonic() - began:.1f} s")
    try:
        yield plane
    finally:
        plane.stop()
        shutil.rmtree(directory, ignore_errors=True)


def endpoint_slice(ns: str, service: str, *ips: str) -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service}-1",
            "namespace": ns,
            "labels": {"kubernetes.io/service-name": service},
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8090}],
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
    }


def importing_route(ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "checkout", "namespace": ns},
        "spec": {
            "parentRefs": [parent()],
            "rules": [
                {
                    "backendRefs": [
                        {"name": "checkout", "kind": "Service", "port": 80, "weight": 25},
                        {"name": EXPORT, "kind": "ServiceImport", "group": AN, "weight": 75},
                    ]
                }
            ],
        },
    }


def resolved_refs(route: dict[str, Any] | None) -> tuple[str, str, str]:
    for entry in ((route or {}).get("status") or {}).get("parents") or []:
        for c in entry.get("conditions") or []:
            if c["type"] == "ResolvedRefs":
                return c["status"], c["reason"], c.get("message", "")
    return "", "", ""


def export_groups(s: Scenario) -> list[dict[str, Any]]:
    return [
        tg
        for tg in s.view().target_groups
        if tg["tags"].get(f"{AN}/SourceTypeKey") == "ServiceExport"
        and tg["tags"].get(f"{AN}/ServiceName") == EXPORT
    ]


def test_export_in_a_imported_by_b_then_withdrawn(scenario: Scenario, second_plane: ControlPlane) -> None:
    s = scenario
    b_plane = second_plane
    began = time.monotonic()
    kube(b_plane, "apply", "-f", str(manifest_path("manifests/gatewayclass.yaml")))
    # Both controllers start together (each waits for its caches).
    a_env = controller_env(
        s.aws_env, DEFAULT_SERVICE_NETWORK=DEFAULT_NETWORK, CLUSTER_NAME="cluster-a", CLUSTER_VPC_ID=VPC_A
    )
    b_env = controller_env(
        s.aws_env, DEFAULT_SERVICE_NETWORK=DEFAULT_NETWORK, CLUSTER_NAME="cluster-b", CLUSTER_VPC_ID=VPC_B
    )
    a_controller = start_controller(s.plane, a_env, wait_ready=False)
    s.controllers.append(a_controller)
    b_controller = start_controller(b_plane, b_env, wait_ready=False)
    try:
        a_controller.wait_ready()
        b_controller.wait_ready()
        ns = s.namespace("mc")  # the export's and the import's namespace must be the same
        kubectl_apply(
            b_plane,
            to_yaml(
                namespace_manifest(ns),
                gateway(ns),
                backend(ns, "checkout"),
                endpoint_slice(ns, "checkout", "10.9.0.1", "10.9.0.2"),
                {
                    "apiVersion": f"{AN}/v1alpha1",
                    "kind": "ServiceImport",
                    "metadata": {
                        "name": EXPORT,
                        "namespace": ns,
                        "annotations": {f"{AN}/aws-eks-cluster-name": "cluster-a"},
                    },
                    "spec": {"type": "ClusterSetIP", "ports": [{"port": 80, "protocol": "TCP"}]},
                },
                importing_route(ns),
            ),
        )
        service_name = f"checkout-{ns}"
        # No export yet: the import's share goes to the 5xx group, ResolvedRefs says so.
        wait_value(
            lambda: resolved_refs(get_json(b_plane, "httproute", ns, "checkout")),
            lambda c: c[:2] == ("False", "BackendNotFound") and EXPORT in c[2],
            timeout=90,
            what="B's route reporting the missing export",
        )
        setup_seconds = time.monotonic() - began

        # A exports checkout-v2 (two kwok pods).
        s.fake.admin.reset_counters()
        exported_at = time.monotonic()
        s.apply(
            backend(ns, EXPORT, replicas=2),
            {
                "apiVersion": f"{AN}/v1alpha1",
                "kind": "ServiceExport",
                "metadata": {"name": EXPORT, "namespace": ns, "annotations": FEDERATED},
            },
        )

        def exported_ready(groups: list[dict[str, Any]]) -> bool:
            return (
                len(groups) == 1
                and len([t for t in groups[0]["targets"] if t.get("status") != "DRAINING"]) == 2
            )

        [group] = wait_value(
            lambda: export_groups(s), exported_ready, timeout=90, what="A's export target group"
        )
        export_seconds = time.monotonic() - exported_at
        assert group["tags"][f"{AN}/ClusterName"] == "cluster-a"
        assert group["tags"][f"{AN}/ManagedBy"] == f"{ACCOUNT_ID}/cluster-a/{VPC_A}"
        assert group["vpcIdentifier"] == VPC_A

        def b_forwards_to_a(_: Any) -> bool:
            rules = rules_of(lattice(s.fake), service_name)
            if not rules:
                return False
            return forwards(lattice(s.fake), rules[0]) == {f"{ns}/checkout": 25, f"{ns}/{EXPORT}": 75} and (
                resolved_refs(get_json(b_plane, "httproute", ns, "checkout"))[:2] == ("True", "ResolvedRefs")
            )

        wait_value(lambda: None, b_forwards_to_a, timeout=90, what="B's rule forwarding 75 to A's export")
        programmed_seconds = time.monotonic() - exported_at
        create_writes = writes(s.fake.admin.counters())

        # Idle: B looks again (reads), nobody writes.
        s.fake.admin.reset_counters()
        wait_value(
            lambda: s.fake.admin.counters().get("vpc-lattice:ListTargetGroups", 0),
            lambda n: n >= 1,
            timeout=90,
            what="B re-checking its import",
        )
        assert writes(s.fake.admin.counters()) == {}
        recheck_seconds = time.monotonic() - exported_at - programmed_seconds

        b_groups_before = {
            tg["id"]: tags_of(s.client, tg["arn"])
            for tg in s.view().target_groups
            if tg["vpcIdentifier"] == VPC_B
        }
        # A deletes its export: B drops it from its rule and says so; then A's group goes.
        withdrawn_at = time.monotonic()
        kube(s.plane, "delete", "serviceexport", EXPORT, "-n", ns, "--wait=false")

        def b_dropped(_: Any) -> bool:
            rules = rules_of(lattice(s.fake), service_name)
            status = resolved_refs(get_json(b_plane, "httproute", ns, "checkout"))
            return (
                bool(rules)
                and f"{ns}/{EXPORT}" not in forwards(lattice(s.fake), rules[0])
                and status[:2] == ("False", "BackendNotFound")
                and EXPORT in status[2]
            )

        wait_value(lambda: None, b_dropped, timeout=120, what="B's route dropping the withdrawn export")
        dropped_seconds = time.monotonic() - withdrawn_at
        wait_value(lambda: export_groups(s), lambda g: g == [], timeout=120, what="A deleting its group")
        wait_value(
            lambda: get_json(s.plane, "serviceexport", ns, EXPORT),
            lambda obj: obj is None,
            timeout=60,
            what="the export's finalizer removed",
        )
        deleted_seconds = time.monotonic() - withdrawn_at

        # A touched nothing of B's: B's target groups are all there with B's tags only.
        b_groups_after = {
            tg["id"]: tags_of(s.client, tg["arn"])
            for tg in s.view().target_groups
            if tg["vpcIdentifier"] == VPC_B
        }
        assert b_groups_after == b_groups_before
        assert all(tags[f"{AN}/ClusterName"] == "cluster-b" for tags in b_groups_after.values())
        service = s.view().service(service_name)
        assert service is not None
        assert tags_of(s.client, service["arn"])[f"{AN}/ManagedBy"] == f"{ACCOUNT_ID}/cluster-b/{VPC_B}"

        print(
            f"\ntwo clusters: setup {setup_seconds:.1f} s; export → A's group with 2 targets "
            f"{export_seconds:.1f} s; export → B's route forwarding to it {programmed_seconds:.1f} s; "
            f"writes meanwhile {create_writes}; B's idle re-check (0 writes) after {recheck_seconds:.1f} s; "
            f"export deleted → B's rule without it {dropped_seconds:.1f} s, A's group deleted and the export "
            f"gone {deleted_seconds:.1f} s"
        )

        # B cleans up its route before its controller stops (A's Scenario.close handles A).
        kube(b_plane, "delete", "httproute", "checkout", "-n", ns, "--wait=false")
        wait_value(
            lambda: get_json(b_plane, "httproute", ns, "checkout"),
            lambda obj: obj is None,
            timeout=60,
            what="B's route deleted",
        )
    finally:
        stop_and_check(b_controller)
