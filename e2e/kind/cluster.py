"""The kind cluster of the kind tier: one node built here, the fake AWS endpoint and the controller in it.

`up()` runs `e2e/kind/build.sh` (cached images), creates the cluster `lattice-e2e` from the node image,
installs the Gateway API CRDs (experimental channel), loads the controller and fake AWS images with
`kind load`, applies the kustomize overlay `e2e/kind/overlay` (with the readiness-gate webhook component),
creates the webhook's certificate with `manifests/webhook/bootstrap-cert.sh` (the controller's pods wait for
its Secret) and waits until both Deployments are ready.
Everything it made is recorded in a state directory; `down()` deletes that cluster (by its name) and stops
the `dockerd` that `up()` started, if it started one — nothing else.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from e2e.kind import docker

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "e2e/kind/build.sh"
OVERLAY = REPO_ROOT / "e2e/kind/overlay"
WEBHOOK_BOOTSTRAP = REPO_ROOT / "manifests/webhook/bootstrap-cert.sh"
DEFAULT_NAME = "lattice-e2e"
CONTROLLER_NAMESPACE = "aws-application-networking-system"
CONTROLLER_DEPLOYMENT = "gateway-api-controller"
METRICS_SERVICE = "gateway-api-controller-metrics-service"
FAKEAWS_NAMESPACE = "lattice-fakeaws"
FAKEAWS_NODE_PORT = 30566
FAKEAWS_IN_CLUSTER = f"http://fakeaws.{FAKEAWS_NAMESPACE}.svc.cluster.local:4566"
LEASE_NAME = "amazon-vpc-lattice.io"
# The workload images the scenario manifests name; on the node they are a stand-in that just runs.
WORKLOAD_IMAGES = ("public.ecr.aws/nginx/nginx:stable", "registry.invalid/app:1")


class BuildFailed(RuntimeError):
    """build.sh failed; the message names the failing step and its log file."""


class ClusterError(RuntimeError):
    """A cluster operation failed; the message carries the command's output."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("KIND_BUILD_CACHE", f"{base}/lattice-controller-kind"))


def state_dir(name: str) -> Path:
    return cache_root() / "state" / name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build() -> dict[str, str]:
    """Run build.sh (idempotent) and return its KEY=VALUE lines."""
    proc = subprocess.run(["bash", str(BUILD_SCRIPT)], stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise BuildFailed(
            f"image build failed (exit {proc.returncode}); see the FAILED line above for the log"
        )
    out = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    return out


@dataclass
class KindCluster:
    """A recorded cluster: enough to run kubectl/kind against it and to tear it down."""

    name: str
    kubeconfig: Path
    kind: str
    kubectl_bin: str
    helm: str
    fakeaws_port: int
    node_image: str
    controller_image: str
    fakeaws_image: str
    dockerd_pid: int | None = None
    timings: dict[str, float] = field(default_factory=dict)

    # ----- state ------------------------------------------------------------------------------------

    @property
    def dir(self) -> Path:
        return state_dir(self.name)

    @property
    def fake_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.fakeaws_port}"

    def save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        data = asdict(self)
        data["kubeconfig"] = str(self.kubeconfig)
        (self.dir / "cluster.json").write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, name: str = DEFAULT_NAME) -> KindCluster:
        path = state_dir(name) / "cluster.json"
        if not path.exists():
            raise ClusterError(f"no kind cluster {name} recorded (run `python -m e2e.kind up`)")
        data = json.loads(path.read_text())
        data["kubeconfig"] = Path(data["kubeconfig"])
        return cls(**data)

    # ----- commands ---------------------------------------------------------------------------------

    def kubectl(
        self, *args: str, input: str | None = None, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """kubectl as the cluster admin; never raises on exit code."""
        argv = [self.kubectl_bin, f"--kubeconfig={self.kubeconfig}", *args]
        return subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout, check=False)

    def must(self, *args: str, input: str | None = None, timeout: float = 300.0) -> str:
        out = self.kubectl(*args, input=input, timeout=timeout)
        if out.returncode != 0:
            raise ClusterError(f"kubectl {' '.join(args)}: {out.stderr.strip() or out.stdout.strip()}")
        return out.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.must(*args, "-o", "json"))

    def kind_cmd(self, *args: str, timeout: float = 900.0) -> None:
        out = subprocess.run([self.kind, *args], capture_output=True, text=True, timeout=timeout, check=False)
        if out.returncode != 0:
            raise ClusterError(f"kind {' '.join(args)}: {(out.stderr or out.stdout).strip()[-3000:]}")

    def exists(self) -> bool:
        out = subprocess.run([self.kind, "get", "clusters"], capture_output=True, text=True, check=False)
        return self.name in out.stdout.split()

    # ----- up ---------------------------------------------------------------------------------------

    def config_yaml(self, etcd_tag: str) -> str:
        return f"""kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: {self.name}
networking:
  disableDefaultCNI: true
nodes:
  - role: control-plane
    image: {self.node_image}
    extraPortMappings:
      - {{containerPort: {FAKEAWS_NODE_PORT}, hostPort: {self.fakeaws_port}, listenAddress: 127.0.0.1}}
kubeadmConfigPatches:
  - |
    kind: ClusterConfiguration
    etcd:
      local:
        imageTag: "{etcd_tag}"
  - |
    kind: KubeletConfiguration
    failCgroupV1: false
"""

    def create(self, etcd_tag: str) -> None:
        config = self.dir / "kind-config.yaml"
        config.write_text(self.config_yaml(etcd_tag))
        self.kind_cmd(
            "create", "cluster", "--name", self.name, "--config", str(config),
            "--kubeconfig", str(self.kubeconfig), "--wait", "0s", "--retain",
        )  # fmt: skip
        self.must("wait", "--for=condition=Ready", "node", "--all", "--timeout=300s", timeout=320)

    def install(self, gateway_crds: Path) -> None:
        from e2e.controlplane.crds import install_gateway_crds
        from e2e.controlplane.rest import RestClient

        install_gateway_crds(RestClient.from_kubeconfig(self.kubeconfig), gateway_crds / "experimental")
        stand_in = "lattice-local/workload-stand-in:1"
        for image in WORKLOAD_IMAGES:
            subprocess.run(["docker", "tag", stand_in, image], check=True)
        self.kind_cmd(
            "load",
            "docker-image",
            "--name",
            self.name,
            self.controller_image,
            self.fakeaws_image,
            *WORKLOAD_IMAGES,
        )
        self.must("apply", "-k", str(OVERLAY))
        self.bootstrap_webhook_certificate()
        self.wait_rollout(FAKEAWS_NAMESPACE, "fakeaws")
        self.wait_rollout(CONTROLLER_NAMESPACE, CONTROLLER_DEPLOYMENT)

    def bootstrap_webhook_certificate(self) -> None:
        """The webhook's Secret `webhook-cert` and the MutatingWebhookConfiguration's caBundle, made by
        manifests/webhook/bootstrap-cert.sh as an operator would run it (the cluster's kubectl)."""
        env = {**os.environ, "KUBECTL": self.kubectl_bin, "KUBECONFIG": str(self.kubeconfig)}
        argv = ["bash", str(WEBHOOK_BOOTSTRAP)]
        out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
        if out.returncode != 0:
            raise ClusterError(f"bootstrap-cert.sh: {(out.stderr or out.stdout).strip()[-3000:]}")

    def wait_rollout(self, namespace: str, deployment: str, timeout: int = 300) -> None:
        self.must(
            "rollout", "status", f"deployment/{deployment}", "-n", namespace, f"--timeout={timeout}s",
            timeout=timeout + 30,
        )  # fmt: skip


def _timed(timings: dict[str, float], key: str, started: float) -> None:
    timings[key] = round(time.monotonic() - started, 1)


def up(name: str = DEFAULT_NAME) -> KindCluster:
    """Create (or re-use) the cluster and install everything; return the recorded cluster."""
    t0 = time.monotonic()
    timings: dict[str, float] = {}
    directory = state_dir(name)
    previous: KindCluster | None = None
    if (directory / "cluster.json").exists():
        previous = KindCluster.load(name)
    engine = docker.ensure(directory)
    if previous and previous.dockerd_pid and engine.started_pid is None:
        engine = docker.Engine(previous.dockerd_pid)
    _timed(timings, "docker", t0)
    try:
        t = time.monotonic()
        artifacts = build()
        _timed(timings, "build", t)
        cluster = KindCluster(
            name=name,
            kubeconfig=directory / "kubeconfig",
            kind=artifacts["KIND"],
            kubectl_bin=artifacts["KUBECTL"],
            helm=artifacts["HELM"],
            fakeaws_port=previous.fakeaws_port if previous else free_port(),
            node_image=artifacts["NODE_IMAGE"],
            controller_image=artifacts["CONTROLLER_IMAGE"],
            fakeaws_image=artifacts["FAKEAWS_IMAGE"],
            dockerd_pid=engine.started_pid,
            timings=timings,
        )
        cluster.save()
        t = time.monotonic()
        if not cluster.exists():
            cluster.create(artifacts["ETCD_TAG"])
        _timed(timings, "create", t)
        t = time.monotonic()
        cluster.install(Path(artifacts["GATEWAY_CRDS"]))
        _timed(timings, "install", t)
    except BaseException:
        # A failed first `up` removes what it made; LC_KIND_KEEP=1 leaves it for a look (then `down`).
        if previous is None and os.environ.get("LC_KIND_KEEP") != "1":
            _teardown(name, engine.started_pid)
        raise
    _timed(timings, "up", t0)
    cluster.save()
    return cluster


def _teardown(name: str, dockerd_pid: int | None) -> None:
    directory = state_dir(name)
    kind_bin = None
    if (directory / "cluster.json").exists():
        kind_bin = json.loads((directory / "cluster.json").read_text()).get("kind")
    kind_bin = kind_bin or shutil.which("kind")
    if kind_bin and docker.docker_answers():
        subprocess.run([kind_bin, "delete", "cluster", "--name", name], capture_output=True, check=False)
    if dockerd_pid:
        docker.stop_dockerd(dockerd_pid)
    shutil.rmtree(directory, ignore_errors=True)


def down(name: str = DEFAULT_NAME) -> None:
    """Delete the cluster `name` and stop the dockerd `up` started (if any); a no-op when nothing is up."""
    pid = None
    path = state_dir(name) / "cluster.json"
    if path.exists():
        pid = json.loads(path.read_text()).get("dockerd_pid")
    _teardown(name, pid)


def status(name: str = DEFAULT_NAME) -> dict[str, Any]:
    try:
        cluster = KindCluster.load(name)
    except ClusterError as exc:
        return {"name": name, "up": False, "reason": str(exc)}
    if not docker.docker_answers() or not cluster.exists():
        return {"name": name, "up": False, "reason": "recorded, but the cluster does not exist"}
    pods = cluster.kubectl("get", "pods", "-A", "-o", "wide")
    return {
        "name": name,
        "up": True,
        "kubeconfig": str(cluster.kubeconfig),
        "fake_aws": cluster.fake_endpoint,
        "dockerd_started_here": cluster.dockerd_pid,
        "pods": pods.stdout if pods.returncode == 0 else pods.stderr,
    }


def log(message: str) -> None:
    print(f"[kind] {message}", file=sys.stderr, flush=True)
