"""The controller as the kind cluster's Deployment, behind the scenario harness's controller interface.

`e2e.harness.controller.start_controller` returns one of these when `LC_CONTROLLER_TARGET=kind`: `start`
gives the Deployment the scenario's environment (the fake AWS endpoint rewritten to its in-cluster Service)
and scales it from 0 to its replicas, so every scenario begins, as with a local process, with a controller
that has seen nothing; `stop` scales it back to 0 (SIGTERM to every pod, graceful drain).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

from e2e.harness.controller import ControllerChecks
from e2e.kind.cluster import (
    CONTROLLER_DEPLOYMENT,
    CONTROLLER_NAMESPACE,
    DEFAULT_NAME,
    FAKEAWS_IN_CLUSTER,
    LEASE_NAME,
    METRICS_SERVICE,
    KindCluster,
)

SELECTOR = "control-plane=gateway-api-controller"
# One JSON line per controller stop in the cluster's state directory: each Ready pod's (VmRSS, VmHWM).
MEMORY_LOG = "controller-memory.jsonl"
# Variables that belong to the local process only (the pod's namespace comes from the downward API).
_LOCAL_ONLY = ("POD_NAMESPACE",)


def cluster_from_env() -> KindCluster:
    return KindCluster.load(os.environ.get("LC_KIND_CLUSTER", DEFAULT_NAME))


def pod_env(env: dict[str, str], local_fake: str) -> list[dict[str, Any]]:
    """The container's env list: the scenario's variables, AWS endpoints pointed at the in-cluster fake."""
    out: list[dict[str, Any]] = [
        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}
    ]
    for key, value in sorted(env.items()):
        if key in _LOCAL_ONLY:
            continue
        if value.rstrip("/") == local_fake.rstrip("/"):
            value = FAKEAWS_IN_CLUSTER
        out.append({"name": key, "value": value})
    return out


@dataclass
class InClusterController(ControllerChecks):
    cluster: KindCluster
    replicas: int = 2
    env: dict[str, str] = field(default_factory=dict, repr=False)
    # Where the Deployment runs: the kustomize install's namespace, or a Helm release's.
    namespace: str = CONTROLLER_NAMESPACE

    @classmethod
    def start(
        cls, env: dict[str, str], *, replicas: int | None = None, wait_ready: bool = True
    ) -> InClusterController:
        cluster = cluster_from_env()
        controller = cls(cluster, replicas or int(os.environ.get("LC_KIND_REPLICAS", "2")), env)
        controller.scale(0)
        patch = [
            {"op": "replace", "path": "/spec/template/spec/containers/0/env",
             "value": pod_env(env, cluster.fake_endpoint)},
            {"op": "replace", "path": "/spec/replicas", "value": controller.replicas},
        ]  # fmt: skip
        cluster.must(
            "patch", "deployment", CONTROLLER_DEPLOYMENT, "-n", controller.namespace, "--type=json",
            "-p", json.dumps(patch),
        )  # fmt: skip
        if wait_ready:
            controller.wait_ready()
        return controller

    # ----- state ------------------------------------------------------------------------------------

    def pods(self) -> list[dict[str, Any]]:
        found = self.cluster.json("get", "pods", "-n", self.namespace, "-l", SELECTOR)
        items: list[dict[str, Any]] = found["items"]
        return items

    def ready_pods(self) -> list[str]:
        out = []
        for pod in self.pods():
            if pod["metadata"].get("deletionTimestamp"):
                continue
            conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
            if conditions.get("Ready") == "True":
                out.append(pod["metadata"]["name"])
        return out

    def leader(self) -> str | None:
        """The Ready pod holding the Lease (holder identity `<pod name>_<uuid>`)."""
        got = self.cluster.kubectl("get", "lease", LEASE_NAME, "-n", self.namespace, "-o", "json")
        if got.returncode != 0:
            return None
        holder = json.loads(got.stdout)["spec"].get("holderIdentity") or ""
        for name in self.ready_pods():
            if holder.split("_", 1)[0] == name:
                return name
        return None

    def is_running(self) -> bool:
        return bool(self.pods())

    def wait_ready(self, timeout: float = 180.0) -> None:
        """All replicas Ready (probes passing), no other pod left, one of them holding the Lease."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pods = self.pods()
            ready = self.ready_pods()
            if len(ready) == self.replicas == len(pods) and self.leader():
                return
            time.sleep(1)
        raise RuntimeError(f"in-cluster controller not ready within {timeout:.0f} s:\n{self.log_tail()}")

    def scale(self, replicas: int, timeout: float = 120.0) -> None:
        self.cluster.must(
            "scale", "deployment", CONTROLLER_DEPLOYMENT, "-n", self.namespace, f"--replicas={replicas}"
        )
        if replicas == 0:
            deadline = time.monotonic() + timeout
            while self.pods():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"controller pods still present after {timeout:.0f} s")
                time.sleep(0.5)

    # ----- the harness interface ------------------------------------------------------------------

    def metrics(self) -> str:
        """The leader pod's /metrics (the API server's pod proxy): one process's counters, as the
        harness expects of a controller; the standby's would interleave through the Service."""
        leader = self.leader()
        if leader is None:
            raise RuntimeError("no controller pod holds the Lease")
        return self.pod_metrics(leader)

    def pod_metrics(self, pod: str) -> str:
        """One pod's /metrics through the API server's pod proxy."""
        path = f"/api/v1/namespaces/{self.namespace}/pods/{pod}:8080/proxy/metrics"
        return self.cluster.must("get", "--raw", path)

    def service_metrics(self) -> str:
        """/metrics scraped through the metrics Service (the API server's service proxy), any replica."""
        path = f"/api/v1/namespaces/{self.namespace}/services/{METRICS_SERVICE}:http/proxy/metrics"
        return self.cluster.must("get", "--raw", path)

    def log_tail(self, lines: int = 60) -> str:
        got = self.cluster.kubectl(
            "logs",
            "-n",
            self.namespace,
            "-l",
            SELECTOR,
            "--prefix",
            f"--tail={lines}",
            "--all-containers",
        )
        return got.stdout + got.stderr

    def kill(self) -> None:
        """Every pod deleted at once without a grace period, as a crash of all replicas would."""
        self.cluster.kubectl(
            "delete",
            "pods",
            "-n",
            self.namespace,
            "-l",
            SELECTOR,
            "--grace-period=0",
            "--force",
            "--wait=false",
        )

    def memory_mib(self) -> dict[str, tuple[float, float]]:
        """(VmRSS, VmHWM) in MiB of each Ready pod's controller process (PID 1 of its container)."""
        out: dict[str, tuple[float, float]] = {}
        for name in self.ready_pods():
            got = self.cluster.kubectl(
                "exec", "-n", self.namespace, name, "-c", "manager", "--", "cat", "/proc/1/status"
            )  # fmt: skip
            fields = dict(line.split(":", 1) for line in got.stdout.splitlines() if ":" in line)
            if got.returncode == 0 and "VmRSS" in fields and "VmHWM" in fields:
                rss, hwm = (int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))
                out[name] = (rss, hwm)
        return out

    def record_memory(self) -> None:
        """Append the pods' memory to the cluster's memory log (the tier prints a summary of it)."""
        with (self.cluster.dir / MEMORY_LOG).open("a") as log:
            log.write(json.dumps({"at": time.time(), "pods": self.memory_mib()}) + "\n")

    def stop(self, timeout: float = 60.0) -> int:
        """Scale to 0: every pod gets SIGTERM and drains. 0 when all pods went within `timeout`.
        The pods' memory just before is recorded (see `record_memory`)."""
        # a figure, not a check: a pod that cannot be read is left out
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self.record_memory()
        try:
            self.scale(0, timeout=timeout)
        except RuntimeError:
            return 1
        return 0
