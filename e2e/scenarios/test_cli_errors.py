"""Command-line mistakes a user makes: a busy `--metrics-bind-address` stops the controller with one
line naming the flag (exit 2, no traceback); every `plan` flag has help text."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from e2e.controlplane.plane import ControlPlane
from e2e.harness.controller import REPO_ROOT, controller_env, free_port


def test_a_busy_metrics_port_is_one_line_and_exit_2(workloads: ControlPlane, aws_env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LC_"))}
        env.update(controller_env(aws_env))
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "lattice_controller",
                "run",
                f"--kubeconfig={workloads.kubeconfig}",
                f"--health-probe-bind-address=127.0.0.1:{free_port()}",
                f"--metrics-bind-address=127.0.0.1:{port}",
            ],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(f"lattice-controller: --metrics-bind-address 127.0.0.1:{port}: "), last
    assert "in use" in last, last


def test_every_plan_flag_has_help_text() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "lattice_controller", "plan", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    text = " ".join(out.stdout.split())
    assert (
        "--default-service-network NAME as DEFAULT_SERVICE_NETWORK with ENABLE_SERVICE_NETWORK_OVERRIDE"
        in text
    )
