"""`python -m e2e.controlplane up/status/restart-apiserver/down` leaves no process behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from e2e.controlplane.plane import ControlPlane
from tests.integration.controlplane.cli import processes_mentioning, require_assets, run_cli

pytestmark = pytest.mark.integration


def test_up_restart_down_leaves_no_process(tmp_path: Path) -> None:
    require_assets()
    plane_dir = tmp_path / "cli-plane"
    up = run_cli("up", "--workloads", "--dir", str(plane_dir))
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        values = dict(line.split("=", 1) for line in up.stdout.splitlines() if "=" in line)
        assert values["dir"] == str(plane_dir)
        kubeconfig = Path(values["kubeconfig"])
        plane = ControlPlane.load(plane_dir)
        assert set(plane.procs) == {"etcd", "kube-apiserver", "kube-controller-manager", "kwok", "binder"}

        made = plane.kubectl("create", "configmap", "survivor", "-n", "default", "--from-literal=k=v")
        assert made.returncode == 0, made.stderr
        status = run_cli("status", "--dir", str(plane_dir))
        assert status.returncode == 0, status.stderr
        assert all(json.loads(status.stdout)["processes"].values())

        old_pid = plane.procs["kube-apiserver"].pid
        restarted = run_cli("restart-apiserver", "--dir", str(plane_dir))
        assert restarted.returncode == 0, restarted.stderr
        plane = ControlPlane.load(plane_dir)
        assert plane.procs["kube-apiserver"].pid != old_pid
        got = plane.kubectl("get", "configmap", "survivor", "-n", "default", "-o", "jsonpath={.data.k}")
        assert got.stdout == "v", got.stderr
        nodes = plane.kubectl("get", "nodes", "-o", "name", kubeconfig=kubeconfig)
        assert nodes.stdout.strip() == "node/kwok-node-0", nodes.stderr
    finally:
        down = run_cli("down", "--dir", str(plane_dir))
    assert down.returncode == 0, down.stderr
    assert processes_mentioning(str(plane_dir)) == []
    after = run_cli("status", "--dir", str(plane_dir))
    assert after.returncode == 1
    assert json.loads(after.stdout)["processes"] == {}
