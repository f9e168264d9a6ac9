"""Run lattice-controller as a subprocess with the environment and the identity it has in a Deployment.

``start_controller(plane, env)`` is the one entry point of the scenarios and the benchmarks: the
controller runs as the ServiceAccount ``aws-application-networking-system/gateway-api-controller``
bound to the roles of ``manifests/rbac.yaml`` (never as the admin), and every request it makes is in
the API server's audit log; ``ControllerProcess.check_permissions()`` fails with the refused requests
when its role lacked one (403). ``ControllerProcess.wait_quiet()`` waits until the controller's own
reconcile counters (``/metrics``) say it is idle — the wait a negative check ("nothing happened")
needs, instead of a sleep.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from e2e.controlplane.audit import AuditEntry, AuditLog
from e2e.controlplane.audit import forbidden as refused_entries

if TYPE_CHECKING:
    from e2e.controlplane.plane import ControlPlane
    from e2e.kind.incluster import InClusterController

REPO_ROOT = Path(__file__).resolve().parents[2]

# The identity of the controller in every local environment (moto maps the key "testing" to this account).
ACCOUNT_ID = "123456789012"
CLUSTER_NAME = "local-cluster"
CLUSTER_VPC_ID = "vpc-0a1b2c3d4e5f60718"
MANAGED_BY = f"{ACCOUNT_ID}/{CLUSTER_NAME}/{CLUSTER_VPC_ID}"
# The controller's identity in manifests/rbac.yaml (and manifests/deployment.yaml).
SERVICE_ACCOUNT_NAMESPACE = "aws-application-networking-system"
SERVICE_ACCOUNT = "gateway-api-controller"
SERVICE_ACCOUNT_USER = f"system:serviceaccount:{SERVICE_ACCOUNT_NAMESPACE}:{SERVICE_ACCOUNT}"
RBAC_MANIFEST = REPO_ROOT / "manifests" / "rbac.yaml"
_identities: dict[tuple[Path, str, str, str], Path] = {}


def in_kind() -> bool:
    """True in the kind tier (``LC_CONTROLLER_TARGET=kind``, set by ``python -m e2e.kind test``): the
    controller is the kind cluster's Deployment, the plane is that cluster, its Pods really run."""
    return os.environ.get("LC_CONTROLLER_TARGET", "process") == "kind"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def controller_env(aws_env: dict[str, str], **overrides: str) -> dict[str, str]:
    """Environment variables of a controller pointed at the fake AWS endpoint."""
    env = {
        **aws_env,
        "AWS_ACCOUNT_ID": ACCOUNT_ID,
        "CLUSTER_NAME": CLUSTER_NAME,
        "CLUSTER_VPC_ID": CLUSTER_VPC_ID,
        "AWS_EC2_METADATA_DISABLED": "true",
        "LOG_LEVEL": "info",
        "POD_NAMESPACE": SERVICE_ACCOUNT_NAMESPACE,
    }
    env.update(overrides)
    return env


class ControllerChecks:
    """What the scenarios ask of a running controller, wherever it runs: the requests RBAC refused it
    (from the API server's audit log, when the harness has it) and whether it is quiet (from its own
    ``/metrics``). Subclasses provide ``metrics()``."""

    user: str = ""
    audit: AuditLog | None = None

    def metrics(self) -> str:
        raise NotImplementedError

    # -- permissions ---------------------------------------------------------------------------------

    def forbidden(self) -> list[AuditEntry]:
        """The requests the API server refused (403) since this process started."""
        return (
            refused_entries(self.audit.since_mark(self.user)) if self.audit is not None and self.user else []
        )

    def check_permissions(self) -> None:
        """Fail if the controller's role refused it anything: manifests/rbac.yaml lacks a rule."""
        refused = self.forbidden()
        if refused:
            lines = "\n  ".join(sorted({f"{e.verb} {e.resource} {e.namespace}/{e.name}" for e in refused}))
            raise AssertionError(f"{self.user} was refused {len(refused)} request(s):\n  {lines}")

    # -- activity ------------------------------------------------------------------------------------

    def activity(self) -> Activity:
        return Activity.parse(self.metrics())

    def wait_quiet(
        self, *, after: Activity | None = None, quiet_seconds: float = 2.0, timeout: float = 90.0
    ) -> Activity:
        """Wait until no key is queued, no worker is busy and no reconcile has finished for
        ``quiet_seconds``; with ``after`` (an ``activity()`` taken before a change), at least one
        reconcile must have finished since, so the change was seen. Returns the activity then."""
        deadline = time.monotonic() + timeout
        last = self.activity()
        since = time.monotonic()
        while True:
            now = self.activity()
            if now.reconciles != last.reconciles or now.busy:
                last, since = now, time.monotonic()
            elif (after is None or now.reconciles > after.reconciles) and (
                time.monotonic() - since >= quiet_seconds
            ):
                return now
            if time.monotonic() > deadline:
                raise AssertionError(f"controller not quiet within {timeout:.0f} s: {now}")
            time.sleep(0.25)


@dataclass
class ControllerProcess(ControllerChecks):
    """One controller process; `kill()` is kill -9, `stop()` is SIGTERM and wait."""

    process: subprocess.Popen[bytes]
    log_path: Path
    health_port: int
    metrics_port: int
    env: dict[str, str] = field(repr=False)
    user: str = ""
    """The Kubernetes user it runs as (its ServiceAccount)."""
    audit: AuditLog | None = field(default=None, repr=False)
    """The API server's audit log, marked when the process started."""

    @classmethod
    def start(
        cls,
        kubeconfig: Path,
        env: dict[str, str],
        *,
        leader_elect: bool = False,
        wait_ready: bool = True,
        args: Sequence[str] = (),
    ) -> ControllerProcess:
        health_port, metrics_port = free_port(), free_port()
        fd, log_name = tempfile.mkstemp(prefix="lattice-controller-", suffix=".log")
        argv = [
            sys.executable,
            "-m",
            "lattice_controller",
            "run",
            f"--kubeconfig={kubeconfig}",
            f"--health-probe-bind-address=127.0.0.1:{health_port}",
            f"--metrics-bind-address=127.0.0.1:{metrics_port}",
        ]
        if leader_elect:
            argv.append("--leader-elect")
        argv.extend(args)
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LC_"))}
        full_env.update(env)
        try:
            process = subprocess.Popen(
                argv, cwd=REPO_ROOT, stdout=fd, stderr=subprocess.STDOUT, env=full_env, start_new_session=True
            )
        finally:
            os.close(fd)  # the child has its own copy
        controller = cls(process, Path(log_name), health_port, metrics_port, env)
        if wait_ready:
            controller.wait_ready()
        return controller

    def url(self, path: str) -> str:
        port = self.metrics_port if path == "/metrics" else self.health_port
        return f"http://127.0.0.1:{port}{path}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"controller exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("/readyz"), timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"controller not ready within {timeout} s:\n{self.log_tail()}")

    def metrics(self) -> str:
        with urllib.request.urlopen(self.url("/metrics"), timeout=5) as response:
            return str(response.read().decode())

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def is_running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """kill -9, as a crash would."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return int(self.process.returncode)


@dataclass(frozen=True, slots=True)
class Activity:
    """The controller's own counters: reconciles finished (all controllers, all results) and work in
    hand (keys queued plus workers busy)."""

    reconciles: int
    busy: int

    @classmethod
    def parse(cls, metrics: str) -> Activity:
        def total(name: str) -> int:
            values = [
                float(line.rsplit(" ", 1)[1])
                for line in metrics.splitlines()
                if line.startswith((f"{name}{{", f"{name} "))
            ]
            return int(sum(values))

        busy = total("workqueue_depth") + total("controller_runtime_active_workers")
        return cls(total("controller_runtime_reconcile_total"), busy)


def start_controller(
    plane: ControlPlane,
    env: dict[str, str],
    *,
    leader_elect: bool = False,
    wait_ready: bool = True,
    rbac: Path | str = RBAC_MANIFEST,
    service_account: str = SERVICE_ACCOUNT,
    args: Sequence[str] = (),
) -> ControllerProcess | InClusterController:
    """The controller as its ServiceAccount (roles of manifests/rbac.yaml) against ``plane``.

    ``rbac``/``service_account`` name other roles (YAML text or a file) and another account, for the
    test that shows a refused request fails the run. With ``LC_CONTROLLER_TARGET=kind`` it is the kind
    cluster's Deployment instead (e2e/kind), with the same environment and the ServiceAccount its
    manifests bind; that cluster's audit log is not read, so refused requests are not checked there.
    ``args``: more command-line flags of the local process."""
    if in_kind():
        from e2e.kind.incluster import InClusterController

        return InClusterController.start(env, wait_ready=wait_ready)
    kubeconfig = _service_account_kubeconfig(plane, rbac, service_account)
    audit = AuditLog.of_plane_dir(plane.dir)
    audit.mark()
    process = ControllerProcess.start(kubeconfig, env, leader_elect=leader_elect, wait_ready=False, args=args)
    process.user = f"system:serviceaccount:{SERVICE_ACCOUNT_NAMESPACE}:{service_account}"
    process.audit = audit
    if wait_ready:
        process.wait_ready()
    return process


def _service_account_kubeconfig(plane: ControlPlane, rbac: Path | str, service_account: str) -> Path:
    from e2e.controlplane.identity import create_restricted_identity

    key = (plane.dir, plane.server, str(rbac), service_account)
    if key not in _identities:
        _identities[key] = create_restricted_identity(
            plane, service_account, rbac, namespace=SERVICE_ACCOUNT_NAMESPACE
        )
    return _identities[key]
