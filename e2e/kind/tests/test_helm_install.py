"""The chart installed the way users install it (`helm install`), in a namespace of its own under Pod Security
`restricted`, in place of the kustomize install (whose Deployment sits at 0 replicas between tests): both
replicas Ready with one Lease holder, the A/B example converged through it, and `helm uninstall` leaving
nothing of the release behind.

The chart and `manifests/` make the same cluster-scoped RBAC under the same names (the reference's names), and
Helm adopts no object it did not make: the kustomize install's ClusterRole and ClusterRoleBinding are set
aside for the test and put back after it. The project's CRDs and the GatewayClass stay the kustomize
install's (`crds.install=false`, `gatewayClass.create=false`).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import controller_env
from e2e.kind.cluster import CONTROLLER_DEPLOYMENT, CONTROLLER_NAMESPACE, REPO_ROOT, KindCluster
from e2e.kind.incluster import InClusterController, pod_env
from e2e.kind.tests.test_incluster import ab_route, delete_route
from e2e.scenarios.support import eventually

RELEASE = "lattice-helm"
NAMESPACE = "lattice-helm"
CHART = REPO_ROOT / "charts/lattice-controller"
SHARED = (
    ("clusterrole", "aws-application-networking-controller"),
    ("clusterrolebinding", "aws-application-networking-controller"),
)
# What a release may have made, namespaced or not (every kind the chart's templates render).
RELEASE_KINDS = (
    "deployments,services,serviceaccounts,secrets,configmaps,roles,rolebindings,"
    "clusterroles,clusterrolebindings,mutatingwebhookconfigurations,gatewayclasses"
)


def helm(cluster: KindCluster, *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig), "HELM_CACHE_HOME": str(cluster.dir / "helm")}
    return subprocess.run(
        [cluster.helm, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def chart_values(cluster: KindCluster, env: dict[str, str]) -> dict[str, Any]:
    """The release's values: the cluster's controller image, the scenario's environment — the variables of
    the chart's settings table under `settings`, the rest (AWS SDK endpoint and credentials) as
    `extraEnv` — and the kustomize install's CRDs and GatewayClass left alone."""
    settings_keys = set(yaml.safe_load((CHART / "values.yaml").read_text())["settings"])
    entries = [e for e in pod_env(env, cluster.fake_endpoint) if "value" in e]
    repository, _, tag = cluster.controller_image.rpartition(":")
    return {
        "image": {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"},
        "replicas": 2,
        "settings": {e["name"]: e["value"] for e in entries if e["name"] in settings_keys},
        "extraEnv": [e for e in entries if e["name"] not in settings_keys],
        "crds": {"install": False},
        "gatewayClass": {"create": False},
    }


def _bare(obj: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in obj["metadata"].items() if k in ("name", "labels", "annotations")}
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": metadata}


@pytest.fixture
def kustomize_rbac_set_aside(kind_cluster: KindCluster) -> Iterator[None]:
    saved = [_bare(kind_cluster.json("get", kind, name)) for kind, name in SHARED]
    for kind, name in SHARED:
        kind_cluster.must("delete", kind, name)
    try:
        yield
    finally:
        helm(kind_cluster, "uninstall", RELEASE, "-n", NAMESPACE, "--wait")
        kind_cluster.kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false")
        for kind, name in SHARED:
            kind_cluster.kubectl("delete", kind, name, "--ignore-not-found")
        for obj in saved:
            kind_cluster.must("create", "-f", "-", input=json.dumps(obj))


def test_helm_chart_install_serves_routes_and_uninstalls_cleanly(
    kind_cluster: KindCluster, workloads: ControlPlane, fake_aws: FakeAws, kustomize_rbac_set_aside: None
) -> None:
    fake_aws.admin.reset()
    kind_cluster.must(
        "scale", "deployment", CONTROLLER_DEPLOYMENT, "-n", CONTROLLER_NAMESPACE, "--replicas=0"
    )
    kind_cluster.must("create", "namespace", NAMESPACE)
    kind_cluster.must("label", "namespace", NAMESPACE, "pod-security.kubernetes.io/enforce=restricted")
    env = controller_env(
        fake_aws.env(), DEFAULT_SERVICE_NETWORK="app-network", RECONCILE_DEFAULT_RESYNC_SECONDS="60"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as values:
        json.dump(chart_values(kind_cluster, env), values)
    try:
        installed = helm(kind_cluster, "install", RELEASE, str(CHART), "-n", NAMESPACE, "-f", values.name)
    finally:
        Path(values.name).unlink()
    assert installed.returncode == 0, installed.stderr

    controller = InClusterController(kind_cluster, 2, env, namespace=NAMESPACE)
    controller.wait_ready()
    ns1, ns2, _ = ab_route(workloads, fake_aws)
    delete_route(workloads, fake_aws, ns1, ns2)

    uninstalled = helm(kind_cluster, "uninstall", RELEASE, "-n", NAMESPACE, "--wait")
    assert uninstalled.returncode == 0, uninstalled.stderr
    left = kind_cluster.json("get", RELEASE_KINDS, "-A", "-l", f"app.kubernetes.io/instance={RELEASE}")
    assert [f"{o['kind']}/{o['metadata']['name']}" for o in left["items"]] == []
    eventually(lambda: controller.pods() == [], timeout=60, what="the release's pods gone")
