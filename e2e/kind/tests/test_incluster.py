"""The controller as a Deployment: probes, one leader of two, handover, rollout restart, SIGTERM drain,
metrics through the Service, in-cluster identity, read-only root filesystem and Pod Security `restricted`."""

from __future__ import annotations

import json
import subprocess
import time
import uuid

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import MANAGED_BY
from e2e.harness.lattice_view import LatticeView
from e2e.kind.cluster import CONTROLLER_DEPLOYMENT, CONTROLLER_NAMESPACE, KindCluster
from e2e.kind.incluster import InClusterController
from e2e.scenarios.support import (
    ab_manifest,
    apply,
    eventually,
    manifest_path,
    wait_value,
)
from e2e.scenarios.test_ab_seed import _route_weights, _weights


def ab_route(plane: ControlPlane, fake: FakeAws) -> tuple[str, str, str]:
    """The A/B example applied in fresh namespaces and converged to 25/75; returns (ns1, ns2, service)."""
    ns1 = f"store-{uuid.uuid4().hex[:6]}"
    ns2 = f"{ns1}-v2"
    assert plane.kubectl("apply", "-f", str(manifest_path("manifests/gatewayclass.yaml"))).returncode == 0
    apply(plane, ab_manifest(ns1, ns2))
    service = f"checkout-{ns1}"
    wait_value(
        lambda: LatticeView.read(fake.endpoint),
        lambda v: _weights(v, service) == {"checkout": 25, "checkout-v2": 75},
        what="25/75",
    )
    return ns1, ns2, service


def delete_route(plane: ControlPlane, fake: FakeAws, ns1: str, ns2: str) -> None:
    out = plane.kubectl("delete", "-f", "-", "--wait=false", input=ab_manifest(ns1, ns2))
    assert out.returncode == 0, out.stderr
    eventually(lambda: not LatticeView.read(fake.endpoint).managed(MANAGED_BY), timeout=120, what="cleanup")


def _ids(view: LatticeView) -> set[str]:
    return set(view.managed(MANAGED_BY))


class TestSteadyDeployment:
    """Checks of the running Deployment that change nothing: one controller start for all of them."""

    def test_replicas_ready_one_leader_in_cluster_identity(self, steady: InClusterController) -> None:
        pods = steady.pods()
        assert len(pods) == 2
        assert sorted(steady.ready_pods()) == sorted(p["metadata"]["name"] for p in pods)
        assert steady.leader() in steady.ready_pods()
        for pod in pods:
            spec = pod["spec"]
            container = spec["containers"][0]
            # No kubeconfig anywhere: the in-cluster configuration and the ServiceAccount's projected token.
            assert not any(
                "kubeconfig" in arg for arg in container.get("args", []) + container.get("command", [])
            )
            assert "KUBECONFIG" not in {e["name"] for e in container.get("env", [])}
            assert spec["serviceAccountName"] == "gateway-api-controller"
            assert any("serviceAccountToken" in str(v.get("projected", {})) for v in spec["volumes"])
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            statuses = pod["status"]["containerStatuses"]
            assert all(s["ready"] for s in statuses)

    def test_metrics_scraped_through_the_metrics_service(self, steady: InClusterController) -> None:
        text = steady.service_metrics()
        assert "controller_runtime_reconcile_total" in text
        assert "workqueue_depth" in text
        slices = steady.cluster.json(
            "get", "endpointslices", "-n", CONTROLLER_NAMESPACE,
            "-l", "kubernetes.io/service-name=gateway-api-controller-metrics-service",
        )  # fmt: skip
        ready = [e for s in slices["items"] for e in s.get("endpoints") or [] if e["conditions"].get("ready")]
        assert len(ready) == 2

    def test_restricted_policy_and_read_only_root_hold(self, steady: InClusterController) -> None:
        cluster: KindCluster = steady.cluster
        namespace = cluster.json("get", "namespace", CONTROLLER_NAMESPACE)
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        # The controller's own pods were admitted under `restricted`; a root, privileged variant is refused.
        deployment = cluster.json("get", "deployment", CONTROLLER_DEPLOYMENT, "-n", CONTROLLER_NAMESPACE)
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "lattice-controller-as-root", "namespace": CONTROLLER_NAMESPACE},
            "spec": {
                **{k: v for k, v in deployment["spec"]["template"]["spec"].items() if k != "securityContext"},
                "containers": [
                    {
                        **deployment["spec"]["template"]["spec"]["containers"][0],
                        "securityContext": {
                            "runAsUser": 0,
                            "privileged": True,
                            "readOnlyRootFilesystem": False,
                        },
                    }
                ],
            },
        }
        refused = cluster.kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(pod))
        assert refused.returncode != 0
        assert 'violates PodSecurity "restricted:latest"' in refused.stderr
        print(f"\napiserver refused the root/privileged variant: {refused.stderr.strip()}")
        # The root filesystem is read-only inside the running controller.
        name = steady.ready_pods()[0]
        write = cluster.kubectl(
            "exec", "-n", CONTROLLER_NAMESPACE, name, "-c", "manager", "--",
            "python3", "-c", "open('/opt/lattice-controller/x', 'w')",
        )  # fmt: skip
        assert write.returncode != 0
        assert "Read-only file system" in write.stderr


def test_leader_pod_deleted_hands_over_and_a_change_during_it_converges(
    workloads: ControlPlane, fake_aws: FakeAws, incluster: InClusterController
) -> None:
    ns1, ns2, service = ab_route(workloads, fake_aws)
    old = incluster.leader()
    assert old
    started = time.monotonic()
    out = incluster.cluster.kubectl("delete", "pod", old, "-n", CONTROLLER_NAMESPACE, "--wait=false")
    assert out.returncode == 0, out.stderr
    _route_weights(workloads, ns1, 0, 100)
    changed = time.monotonic()
    new = wait_value(incluster.leader, lambda name: name not in (None, old), timeout=60, what="new leader")
    handover = time.monotonic() - started
    eventually(
        lambda: _weights(LatticeView.read(fake_aws.endpoint), service) == {"checkout": 0, "checkout-v2": 100},
        timeout=30,
        what="weight change made during the handover",
    )
    converged = time.monotonic() - changed
    print(
        f"\nleader {old} deleted; {new} leads after {handover:.1f} s; "
        f"change converged {converged:.1f} s after it"
    )
    incluster.wait_ready()
    delete_route(workloads, fake_aws, ns1, ns2)


def test_rollout_restart_loses_nothing(
    workloads: ControlPlane, fake_aws: FakeAws, incluster: InClusterController
) -> None:
    ns1, ns2, service = ab_route(workloads, fake_aws)
    before = _ids(LatticeView.read(fake_aws.endpoint))
    fake_aws.admin.reset_counters()
    incluster.cluster.must(
        "rollout", "restart", f"deployment/{CONTROLLER_DEPLOYMENT}", "-n", CONTROLLER_NAMESPACE
    )
    incluster.cluster.wait_rollout(CONTROLLER_NAMESPACE, CONTROLLER_DEPLOYMENT)
    incluster.wait_ready()
    assert _ids(LatticeView.read(fake_aws.endpoint)) == before
    deletes = {k: n for k, n in fake_aws.admin.counters().items() if n and ":Delete" in k}
    assert deletes == {}
    _route_weights(workloads, ns1, 50, 50)
    eventually(
        lambda: _weights(LatticeView.read(fake_aws.endpoint), service) == {"checkout": 50, "checkout-v2": 50},
        what="a change after the restart",
    )
    assert _ids(LatticeView.read(fake_aws.endpoint)) == before
    delete_route(workloads, fake_aws, ns1, ns2)


def test_sigterm_drains_and_exits(incluster: InClusterController) -> None:
    name = incluster.ready_pods()[0]
    cluster = incluster.cluster
    logs = subprocess.Popen(
        [
            cluster.kubectl_bin,
            f"--kubeconfig={cluster.kubeconfig}",
            "logs",
            "-f",
            "-n",
            CONTROLLER_NAMESPACE,
            name,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(1)  # the log stream is attached before the signal
        started = time.monotonic()
        cluster.must("delete", "pod", name, "-n", CONTROLLER_NAMESPACE, "--wait=true", timeout=90)
        took = time.monotonic() - started
        out, _ = logs.communicate(timeout=30)
    finally:
        if logs.poll() is None:
            logs.kill()
            logs.wait()
    assert '"stop requested"' in out, out[-2000:]
    assert "SIGTERM" in out, out[-2000:]
    assert '"manager stopped"' in out, out[-2000:]
    assert took < 30, f"pod took {took:.1f} s to stop (grace period 30 s)"
    incluster.wait_ready()
