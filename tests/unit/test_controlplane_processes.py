"""The test control plane's process helpers: the one-line exit reason, stop-by-PID, signal deferral,
the directory lock and the load-scaled deadline. Children here are `sh`/Python one-liners."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from e2e.controlplane import plane, processes
from e2e.controlplane.processes import ManagedProcess


def _spawn_sh(tmp_path: Path, script: str, name: str = "child") -> ManagedProcess:
    return processes.spawn(name, ["sh", "-c", script], tmp_path / f"{name}.log")


def _wait_exit(p: ManagedProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while processes.is_ours(p):
        assert time.monotonic() < deadline, f"{p.name} still running"
        time.sleep(0.02)


def _wait_exec(p: ManagedProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    want = "\0".join(p.argv).encode()
    while not Path(f"/proc/{p.pid}/cmdline").read_bytes().startswith(want):
        assert time.monotonic() < deadline, f"{p.name} never exec'd {p.argv}"
        time.sleep(0.01)


def _log(tmp_path: Path, *lines: str) -> ManagedProcess:
    log = tmp_path / "c.log"
    log.write_text("\n".join(lines) + "\n")
    return ManagedProcess(name="c", pid=2**22 + 1, argv=("c",), log=str(log))


ETCD_PORT_TAKEN = json.dumps(
    {
        "level": "fatal",
        "msg": "discovery failed",
        "error": "listen tcp 127.0.0.1:2379: bind: address already in use",
    }
)
ETCD_LOCKED = json.dumps(
    {"level": "info", "msg": "db file is flocked by another process, or taking too long", "path": "/d/db"}
)


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (
            ["=== 01:00:00 start etcd: etcd", ETCD_PORT_TAKEN, "usage: etcd [flags]", "  --name"],
            "discovery failed: listen tcp 127.0.0.1:2379: bind: address already in use",
        ),
        (["=== 01:00:00 start etcd: etcd", '{"level":"warn","msg":"slow"}', ETCD_LOCKED], None),
        (
            [
                "I1201 02:00:00.000000    1 server.go:1] starting",
                "E1201 02:00:01.000000    1 run.go:72] failed to create listener: "
                "listen tcp 127.0.0.1:6443: bind: address already in use",
            ],
            "failed to create listener: listen tcp 127.0.0.1:6443: bind: address already in use",
        ),
        (
            ["Error: unknown flag: --bogus", "Usage:", "  kube-apiserver [flags]", "      --v Level"],
            "Error: unknown flag: --bogus",
        ),
        (["all fine so far", "still starting"], "still starting"),
        ([], "its log is empty"),
    ],
)
def test_exit_reason_is_one_line_from_the_log(tmp_path: Path, lines: list[str], reason: str | None) -> None:
    got = processes.exit_reason(_log(tmp_path, *lines))
    assert "\n" not in got
    if reason is None:  # the data dir locked by another etcd
        assert got == "db file is flocked by another process, or taking too long: /d/db"
    else:
        assert got == reason


def test_exit_reason_reads_only_the_last_run(tmp_path: Path) -> None:
    p = _log(
        tmp_path,
        "=== 01:00:00 start etcd: etcd",
        "bind: address already in use",
        "=== 01:00:05 start etcd: etcd",
        "permission denied: /data",
    )
    assert processes.exit_reason(p) == "permission denied: /data"
    assert "address already in use" not in processes.tail(p.log)


def test_a_failed_child_reports_its_status_and_reason(tmp_path: Path) -> None:
    p = _spawn_sh(tmp_path, "echo starting; echo 'fatal: data dir is read-only' >&2; exit 3")
    _wait_exit(p)
    assert processes.state(p) == "exited with status 3"
    first, *rest = processes.describe_failure(p).splitlines()
    assert first == f"child (pid {p.pid}) exited with status 3: fatal: data dir is read-only"
    assert rest[0].startswith("--- child log ")
    assert rest[1:] == ["starting", "fatal: data dir is read-only"]


def test_stop_terminates_then_kills_and_reports_gone(tmp_path: Path) -> None:
    polite = _spawn_sh(tmp_path, "sleep 60", "polite")
    stubborn = _spawn_sh(tmp_path, "trap '' TERM; while :; do sleep 0.1; done", "stubborn")
    time.sleep(0.2)  # let the trap be installed before SIGTERM arrives
    assert processes.stop(polite)
    assert processes.stop(stubborn, timeout=0.5)
    assert not processes.is_ours(polite)
    assert not processes.is_ours(stubborn)
    assert processes.stop(polite)  # already gone: nothing to do


def test_a_pid_running_another_command_line_is_not_ours(tmp_path: Path) -> None:
    p = _spawn_sh(tmp_path, "sleep 60; exit 0")  # two commands: sh stays, it does not exec sleep
    try:
        _wait_exec(p)  # until exec, /proc shows the forking interpreter's argv, not the recorded one
        # As `down` sees it from another process: the PID must still run exactly the recorded argv.
        foreign = ManagedProcess(name="x", pid=p.pid, argv=("sh", "-c", "sleep 61; exit 0"), log=p.log)
        child = processes._children.pop(p.pid)
        assert not processes.is_ours(foreign)
        assert processes.is_ours(p)
        assert processes.stop(foreign)  # "gone" for the caller, but the process was not touched
        assert processes.is_ours(p)
    finally:
        child.kill()
        child.wait()


def _signal_self_inside_deferral(*, drop: bool = False) -> bool:
    with processes.signals_deferred(drop=drop):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # the handler runs here, and must not raise yet
        return True


def _signal_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(1)


def test_signals_are_deferred_while_a_child_is_recorded() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    processes.interrupt_on_signals()
    try:
        reached: list[bool] = []
        with pytest.raises(processes.Interrupted) as caught:
            reached.append(_signal_self_inside_deferral())
        assert caught.value.signum == signal.SIGTERM
        assert _signal_self_inside_deferral(drop=True)  # dropped during cleanup
        with pytest.raises(processes.Interrupted):
            _signal_self()
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


def test_one_command_per_plane_directory(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from e2e.controlplane.plane import dir_lock\n"
            "with dir_lock(Path(sys.argv[1])):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(plane.PlaneBusy, match=f"pid {holder.pid}"), plane.dir_lock(tmp_path):
            pass
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with plane.dir_lock(tmp_path), plane.dir_lock(tmp_path):  # free again, and re-entrant
        pass


def test_deadline_grows_with_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    for load, expected in ((0.5, 60.0), (2.0, 60.0), (4.0, 120.0), (50.0, 180.0)):
        monkeypatch.setattr(os, "getloadavg", lambda load=load: (load, load, load))
        assert plane.scaled_timeout(60.0) == expected


def test_exit_reason_of_slog_json(tmp_path: Path) -> None:
    line = json.dumps({"level": "ERROR", "msg": "Execute exit", "err": "unknown flag: --bogus"})
    assert processes.exit_reason(_log(tmp_path, line)) == "Execute exit: unknown flag: --bogus"
