"""The workloads tier: kube-controller-manager, kwok, the Python binder and one fake Node.

Together they make a Deployment produce Pods that are bound, get IPs and Ready conditions (kwok), and
appear in EndpointSlices (KCM). No container ever runs: pod IPs are fake addresses from POD_CIDR and must
never be dialled.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from e2e.controlplane import kwok_stages, processes
from e2e.controlplane.assets import resolve
from e2e.controlplane.pki import PkiFiles
from e2e.controlplane.rest import ApiError, RestClient

if TYPE_CHECKING:
    from e2e.controlplane.plane import ControlPlane

BINARIES = ("kube-controller-manager", "kwok")
NODE_NAME = "kwok-node-0"
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"
WORKLOADS_TIMEOUT = 120.0  # seconds on an idle 2-core machine; scaled with the load
REPO_ROOT = Path(__file__).resolve().parents[2]


def fake_node(name: str = NODE_NAME) -> dict[str, Any]:
    """A Node that kwok manages (selected by annotation); roomy enough for any test."""
    capacity = {"cpu": "64", "memory": "256Gi", "pods": "500"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {KWOK_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
                "topology.kubernetes.io/zone": "us-west-2a",
            },
        },
        "spec": {},
        "status": {"allocatable": capacity, "capacity": capacity},
    }


def _kcm_argv(plane: ControlPlane, binary: str) -> list[str]:
    f = PkiFiles.in_dir(plane.dir)
    kc = str(plane.kubeconfig)
    from e2e.controlplane.plane import POD_CIDR, SERVICE_CIDR

    return [
        binary,
        f"--kubeconfig={kc}",
        f"--authentication-kubeconfig={kc}",
        f"--authorization-kubeconfig={kc}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--secure-port={plane.ports['kcm']}",
        f"--service-account-private-key-file={f.sa_key}",
        f"--root-ca-file={f.ca_crt}",
        "--use-service-account-credentials=false",
        f"--cluster-cidr={POD_CIDR}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--allocate-node-cidrs=false",
        "--kube-api-qps=200",
        "--kube-api-burst=400",
        "--profiling=false",
    ]


def _kwok_argv(plane: ControlPlane, binary: str, stages: str) -> list[str]:
    from e2e.controlplane.plane import POD_CIDR

    return [
        binary,
        f"--kubeconfig={plane.kubeconfig}",
        f"--config={stages}",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}=fake",
        f"--cidr={POD_CIDR}",
        "--node-ip=127.0.0.1",
        "--node-lease-duration-seconds=40",
        f"--server-address=127.0.0.1:{plane.ports['kwok']}",
    ]


def _binder_argv(plane: ControlPlane) -> list[str]:
    return [
        sys.executable,
        "-m",
        "e2e.controlplane.binder",
        f"--kubeconfig={plane.kubeconfig}",
        f"--node={NODE_NAME}",
    ]


def _node_ready(node: dict[str, Any]) -> bool:
    conds = node.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conds)


def ensure(plane: ControlPlane) -> None:
    """Start whatever part of the tier is not running, create the Node, wait until all is usable.

    On failure the processes started here are stopped again (the apiserver tier keeps running).
    """
    client = plane.rest()
    if not plane.procs:
        # Attached to a cluster without a state file (a plane someone else runs, a kind cluster):
        # usable when some node is Ready.
        nodes = client.get("/api/v1/nodes").get("items", [])
        if not any(_node_ready(node) for node in nodes):
            raise RuntimeError(
                f"attached cluster has no Ready node; start the plane with `up --workloads` ({NODE_NAME})"
            )
        return
    started: list[str] = []
    try:
        _start_and_wait(plane, client, started)
    except BaseException:
        with processes.signals_deferred(drop=True):
            for name in reversed(started):
                if name in plane.procs and processes.stop(plane.procs[name]):
                    del plane.procs[name]
                    plane._save()
        raise


def _start_and_wait(plane: ControlPlane, client: RestClient, started: list[str]) -> None:
    assets = None
    for name in ("kube-controller-manager", "kwok", "binder"):
        if name in plane.procs and processes.is_ours(plane.procs[name]):
            continue
        if name != "binder" and assets is None:
            assets = resolve(BINARIES)
            for b in BINARIES:
                plane.assets_dir[b] = str(assets.binary(b))
            if assets.kwok_stages is None:
                raise RuntimeError("kwok-stages.yaml not found next to the kwok binary or in the build cache")
            # kwok's stages, with readiness gates holding Pods back as the kubelet does.
            plane.assets_dir["kwok-stages"] = str(kwok_stages.write_stages(assets.kwok_stages, plane.dir))
        if name == "kube-controller-manager":
            plane.ports["kcm"] = processes.free_port()
            plane._spawn(name, _kcm_argv(plane, plane.assets_dir[name]))
        elif name == "kwok":
            plane.ports["kwok"] = processes.free_port()
            plane._spawn(name, _kwok_argv(plane, plane.assets_dir["kwok"], plane.assets_dir["kwok-stages"]))
        else:
            pythonpath = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
            plane._spawn(name, _binder_argv(plane), env={"PYTHONPATH": pythonpath})
        started.append(name)
    try:
        client.create("/api/v1/nodes", fake_node(), exist_ok=True)
    except ApiError as exc:
        raise RuntimeError(f"cannot create the fake node: {exc}") from exc

    def ready_node() -> bool:
        return _node_ready(client.get(f"/api/v1/nodes/{NODE_NAME}"))

    def default_service_account() -> bool:
        client.get("/api/v1/namespaces/default/serviceaccounts/default")
        return True

    plane._wait("kwok marks the fake node Ready", ready_node, plane.procs["kwok"], WORKLOADS_TIMEOUT)
    plane._wait(
        "KCM creates the default ServiceAccount",
        default_service_account,
        plane.procs["kube-controller-manager"],
        WORKLOADS_TIMEOUT,
    )
    if not processes.is_ours(plane.procs["binder"]):
        raise RuntimeError(processes.describe_failure(plane.procs["binder"]))
