"""Stacks started at the same time do not interfere, and `up` holds on a busy machine.

Three `up`s run at once (plus a second `up` of the first directory, which must not start a second
etcd on its data dir); then, with those three stacks running and one CPU saturated by a busy loop, a
fourth `up` must succeed, and its `down` must leave the other three untouched.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from e2e.controlplane.plane import ControlPlane
from tests.integration.controlplane.cli import processes_mentioning, require_assets, run_cli

pytestmark = pytest.mark.integration

# Spins one CPU; bounded in case the test process dies before it can stop it.
BUSY_LOOP = "import time\nend = time.monotonic() + 900\nwhile time.monotonic() < end:\n    pass\n"


def _pids(plane_dir: Path) -> dict[str, int]:
    return {name: p.pid for name, p in ControlPlane.load(plane_dir).procs.items()}


def _ready(plane_dir: Path) -> bool:
    status = run_cli("status", "--dir", str(plane_dir))
    return status.returncode == 0 and all(json.loads(status.stdout)["processes"].values())


def _etcds_on(plane_dir: Path) -> list[str]:
    return processes_mentioning(f"--data-dir={plane_dir / 'etcd-data'}")


def test_concurrent_ups_do_not_interfere_and_up_holds_on_a_busy_machine(tmp_path: Path) -> None:
    require_assets()
    others = {name: tmp_path / name for name in ("a", "b", "c")}
    busy_dir = tmp_path / "busy"
    spinner = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            ups = {name: pool.submit(run_cli, "up", "--dir", str(d)) for name, d in others.items()}
            again = pool.submit(run_cli, "up", "--dir", str(others["a"]))
        for name, future in ups.items():
            result = future.result()
            if name == "a" and result.returncode != 0:
                result, again = again.result(), future  # the other `up` of `a` won its lock
            assert result.returncode == 0, f"up {name}: {result.stderr[-3000:]}"
        # The second `up` of `a` either reused the running plane or was refused while it started.
        second = again.result()
        assert second.returncode == 0 or "is in use by another control-plane command" in second.stderr, (
            second.stderr[-3000:]
        )
        assert len(_etcds_on(others["a"])) == 1

        # Each plane has its own ports, and its processes refer to its own directory only.
        planes = {name: ControlPlane.load(d) for name, d in others.items()}
        ports = [port for plane in planes.values() for port in plane.ports.values()]
        assert len(ports) == len(set(ports)), ports
        for name, plane in planes.items():
            assert set(plane.procs) == {"etcd", "kube-apiserver"}
            for proc in plane.procs.values():
                foreign = [str(d) for n, d in others.items() if n != name and str(d) in " ".join(proc.argv)]
                assert foreign == [], proc.argv
        made = planes["a"].kubectl("create", "configmap", "only-in-a", "-n", "default")
        assert made.returncode == 0, made.stderr
        absent = planes["b"].kubectl("get", "configmap", "only-in-a", "-n", "default")
        assert "NotFound" in absent.stderr

        before = {name: _pids(d) for name, d in others.items()}
        up = run_cli("up", "--dir", str(busy_dir))
        assert up.returncode == 0, up.stderr[-3000:]
        print(next(line for line in up.stderr.splitlines() if line.startswith("control plane up in")))
        assert _ready(busy_dir)

        down = run_cli("down", "--dir", str(busy_dir))
        assert down.returncode == 0, down.stderr
        assert processes_mentioning(str(busy_dir)) == []
        for name, d in others.items():
            assert _ready(d), name
            assert _pids(d) == before[name]
    finally:
        spinner.kill()
        spinner.wait()
        for d in (*others.values(), busy_dir):
            run_cli("down", "--dir", str(d))
    assert processes_mentioning(str(tmp_path)) == []
