"""`python -m e2e.controlplane up/status/restart-apiserver/down` leaves no process behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from e2e.controlplane.assets import AssetsUnavailable, resolve
from e2e.controlplane.plane import ControlPlane

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def _cli(*args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "e2e.controlplane", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _processes_mentioning(text: str) -> list[str]:
    """Command lines of live (non-zombie) processes whose argv mentions `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(f"{entry.name}: {cmdline[:200]}")
    return found


def test_up_restart_down_leaves_no_process(tmp_path: Path) -> None:
    try:
        resolve()
    except AssetsUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    plane_dir = tmp_path / "cli-plane"
    up = _cli("up", "--workloads", "--dir", str(plane_dir))
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        values = dict(line.split("=", 1) for line in up.stdout.splitlines() if "=" in line)
        assert values["dir"] == str(plane_dir)
        kubeconfig = Path(values["kubeconfig"])
        plane = ControlPlane.load(plane_dir)
        assert set(plane.procs) == {"etcd", "kube-apiserver", "kube-controller-manager", "kwok", "binder"}

        made = plane.kubectl("create", "configmap", "survivor", "-n", "default", "--from-literal=k=v")
        assert made.returncode == 0, made.stderr
        status = _cli("status", "--dir", str(plane_dir))
        assert status.returncode == 0, status.stderr
        assert all(json.loads(status.stdout)["processes"].values())

        old_pid = plane.procs["kube-apiserver"].pid
        restarted = _cli("restart-apiserver", "--dir", str(plane_dir))
        assert restarted.returncode == 0, restarted.stderr
        plane = ControlPlane.load(plane_dir)
        assert plane.procs["kube-apiserver"].pid != old_pid
        got = plane.kubectl("get", "configmap", "survivor", "-n", "default", "-o", "jsonpath={.data.k}")
        assert got.stdout == "v", got.stderr
        nodes = plane.kubectl("get", "nodes", "-o", "name", kubeconfig=kubeconfig)
        assert nodes.stdout.strip() == "node/kwok-node-0", nodes.stderr
    finally:
        down = _cli("down", "--dir", str(plane_dir))
    assert down.returncode == 0, down.stderr
    assert _processes_mentioning(str(plane_dir)) == []
    after = _cli("status", "--dir", str(plane_dir))
    assert after.returncode == 1
    assert json.loads(after.stdout)["processes"] == {}
