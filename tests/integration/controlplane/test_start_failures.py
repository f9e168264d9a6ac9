"""A failed or interrupted `up` leaves no process behind, and says why it failed.

Failures are injected through the `TEST_ASSET_<NAME>` override of a binary: the override is a small
wrapper that runs the real binary with a flag it rejects, so the component really starts and really
exits early with its own error message.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from e2e.controlplane import processes
from e2e.controlplane.assets import env_name
from e2e.controlplane.plane import etcd_argv
from tests.integration.controlplane.cli import processes_mentioning, require_assets, run_cli, start_cli

pytestmark = pytest.mark.integration

INJECTED_FLAG = "--lc-injected-failure"

WRAPPER = """#!{python}
# Injected failure: {real} with a flag it rejects.
import os
import sys
from pathlib import Path

if {data_dir!r}:
    # Report how many etcds hold the plane's data dir while this component starts (into its log).
    marker = ("--data-dir=" + {data_dir!r} + "\\0").encode()
    held = 0
    for entry in Path("/proc").iterdir():
        try:
            held += entry.name.isdigit() and marker in (entry / "cmdline").read_bytes()
        except OSError:
            pass
    print(f"etcds holding the data dir: {{held}}", flush=True)
os.execv({real!r}, [{real!r}, *sys.argv[1:], {flag!r}])
"""


def failing_wrapper(directory: Path, real: Path, *, count_etcds_on: Path | None = None) -> Path:
    path = directory / f"failing-{real.name}"
    path.write_text(
        WRAPPER.format(
            python=sys.executable,
            real=str(real),
            flag=INJECTED_FLAG,
            data_dir=str(count_etcds_on) if count_etcds_on else "",
        )
    )
    path.chmod(0o755)
    return path


def _recorded(plane_dir: Path) -> dict[str, Any]:
    try:
        processes_: dict[str, Any] = json.loads((plane_dir / "state.json").read_text())["processes"]
    except (OSError, ValueError, KeyError):
        return {}
    return processes_


@pytest.mark.parametrize("component", ["etcd", "kube-apiserver", "kube-controller-manager", "kwok"])
def test_a_failed_up_stops_all_it_started_and_says_why(tmp_path: Path, component: str) -> None:
    assets = require_assets()
    plane_dir = tmp_path / "plane"
    wrapper = failing_wrapper(
        tmp_path,
        assets.binary(component),
        count_etcds_on=plane_dir / "etcd-data" if component == "kube-apiserver" else None,
    )
    up = run_cli("up", "--workloads", "--dir", str(plane_dir), env={env_name(component): str(wrapper)})
    try:
        assert up.returncode == 1, up.stderr[-3000:]
        # One line names the component and its own reason; its log tail follows.
        error = next(line for line in up.stderr.splitlines() if line.startswith("error: "))
        assert re.search(rf"\b{re.escape(component)} \(pid \d+\) exited with status \d+", error), error
        assert INJECTED_FLAG.lstrip("-") in error, error
        assert f"--- {component} log " in up.stderr
        assert processes_mentioning(str(plane_dir)) == []
        assert _recorded(plane_dir) == {}
        if component in ("etcd", "kube-apiserver"):
            # An early exit is retried on fresh ports, and each retry found exactly one etcd (its
            # own) on the data dir: the one of the previous attempt was stopped and waited for.
            assert error.startswith("error: etcd + kube-apiserver failed to start 3 times"), error
        if component == "kube-apiserver":
            log = (plane_dir / "logs" / "kube-apiserver.log").read_text()
            assert re.findall(r"etcds holding the data dir: (\d+)", log) == ["1", "1", "1"]
    finally:
        run_cli("down", "--dir", str(plane_dir))


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_an_interrupted_up_leaves_nothing_down_cannot_stop(tmp_path: Path, sig: signal.Signals) -> None:
    require_assets()
    plane_dir = tmp_path / "plane"
    up = start_cli("up", "--dir", str(plane_dir))
    try:
        # Interrupt it while kube-apiserver starts: both children are recorded the moment they exist.
        _wait_for(lambda: "kube-apiserver" in _recorded(plane_dir), 300, "kube-apiserver in state.json")
        started = _recorded(plane_dir)
        up.send_signal(sig)
        _, stderr = up.communicate(timeout=120)
        if sig == signal.SIGTERM:
            # It cleans up by itself.
            assert up.returncode == 128 + sig, stderr
            assert "up interrupted by SIGTERM; stopped what it had started" in stderr
            assert processes_mentioning(str(plane_dir)) == []
            assert _recorded(plane_dir) == {}
        else:
            # Killed outright, its children live on; `down` finds and stops exactly them.
            assert up.returncode == -sig
            assert set(started) == {"etcd", "kube-apiserver"}
            alive = {line.split(":")[0] for line in processes_mentioning(str(plane_dir))}
            assert {str(p["pid"]) for p in started.values()} <= alive
            down = run_cli("down", "--dir", str(plane_dir))
            assert down.returncode == 0, down.stderr
            assert "etcd=" in down.stderr
            assert "kube-apiserver=" in down.stderr
            assert processes_mentioning(str(plane_dir)) == []
    finally:
        if up.poll() is None:
            up.kill()
        up.communicate()
        run_cli("down", "--dir", str(plane_dir))


def _etcd(tmp_path: Path, name: str, data_dir: Path, client_port: int) -> processes.ManagedProcess:
    assets = require_assets()
    argv = etcd_argv(assets.binary("etcd"), data_dir, client_port, processes.free_port())
    return processes.spawn(name, argv, tmp_path / f"{name}.log")


def _wait_reason(p: processes.ManagedProcess, text: str, timeout: float = 120) -> str:
    _wait_for(lambda: text in processes.exit_reason(p), timeout, f"{text!r} in {p.log}")
    return processes.exit_reason(p)


def test_the_reason_for_a_taken_port_is_read_from_the_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        etcd = _etcd(tmp_path, "etcd", tmp_path / "data", taken.getsockname()[1])
        try:
            _wait_for(lambda: not processes.is_ours(etcd), 120, "etcd to exit")
        finally:
            processes.stop(etcd)
    reason = processes.exit_reason(etcd)
    assert "bind: address already in use" in reason
    assert "\n" not in reason


def test_the_reason_for_a_locked_data_dir_is_read_from_the_log(tmp_path: Path) -> None:
    first = _etcd(tmp_path, "first", tmp_path / "data", processes.free_port())
    second: processes.ManagedProcess | None = None
    try:
        _wait_for(lambda: (tmp_path / "data" / "member" / "snap" / "db").exists(), 120, "etcd's db file")
        second = _etcd(tmp_path, "second", tmp_path / "data", processes.free_port())
        # The second one does not exit: it waits for the lock, and says so after ~10 s.
        assert "flocked by another process" in _wait_reason(second, "flocked")
        assert processes.is_ours(second)
    finally:
        for p in (second, first):
            if p is not None:
                processes.stop(p)
