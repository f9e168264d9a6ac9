"""Run lattice-controller as a subprocess with the environment it has in a Deployment."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from e2e.kind.incluster import InClusterController

REPO_ROOT = Path(__file__).resolve().parents[2]

# The identity of the controller in every local environment (moto maps the key "testing" to this account).
ACCOUNT_ID = "123456789012"
CLUSTER_NAME = "local-cluster"
CLUSTER_VPC_ID = "vpc-0a1b2c3d4e5f60718"
MANAGED_BY = f"{ACCOUNT_ID}/{CLUSTER_NAME}/{CLUSTER_VPC_ID}"


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
        "POD_NAMESPACE": "default",
    }
    env.update(overrides)
    return env


@dataclass
class ControllerProcess:
    """One controller process; `kill()` is kill -9, `stop()` is SIGTERM and wait."""

    process: subprocess.Popen[bytes]
    log_path: Path
    health_port: int
    metrics_port: int
    env: dict[str, str] = field(repr=False)

    @classmethod
    def start(
        cls, kubeconfig: Path, env: dict[str, str], *, leader_elect: bool = False, wait_ready: bool = True
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


def start_controller(kubeconfig: Path, env: dict[str, str]) -> ControllerProcess | InClusterController:
    """Start the controller where this run puts it: a local process with `kubeconfig` (default), or, with
    `LC_CONTROLLER_TARGET=kind`, the kind cluster's Deployment with the same environment (e2e/kind)."""
    if os.environ.get("LC_CONTROLLER_TARGET", "process") == "kind":
        from e2e.kind.incluster import InClusterController

        return InClusterController.start(env)
    return ControllerProcess.start(kubeconfig, env)
