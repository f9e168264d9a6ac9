"""`python -m e2e.demo --keep`: the printed Lattice tree has the full weighted rule, and after the demo
exits everything it printed is still alive: the fake AWS endpoint answers, the controller's health,
readiness and metrics answer, and the printed PIDs are running until stopped as printed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request

from e2e.harness.controller import REPO_ROOT


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        return int(response.status)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_demo_keep_leaves_everything_it_printed_running() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "e2e.demo", "--keep", "--timeout", "300"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    stop = re.search(r"stop with: kill (\d+) (\d+); python -m e2e.controlplane down --dir (\S+)", out.stdout)
    pids = [int(stop.group(1)), int(stop.group(2))] if stop else []
    try:
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        assert stop is not None, out.stdout
        assert "forward checkout 25, checkout-v2 75" in out.stdout, out.stdout
        fake = re.search(r"fake AWS:\s+(\S+)", out.stdout)
        health = re.search(r"health (\S+), ready (\S+)", out.stdout)
        metrics = re.search(r"metrics (\S+)", out.stdout)
        assert fake, out.stdout
        assert health, out.stdout
        assert metrics, out.stdout
        assert all(_alive(pid) for pid in pids), pids
        assert _get(fake.group(1) + "/_fakeaws/health") == 200
        assert _get(health.group(1)) == 200
        assert _get(health.group(2)) == 200
        assert _get(metrics.group(1)) == 200
    finally:
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGTERM)
        if stop is not None:
            subprocess.run(
                [sys.executable, "-m", "e2e.controlplane", "down", "--dir", stop.group(3)],
                cwd=REPO_ROOT,
                capture_output=True,
                timeout=120,
                check=False,
            )
