"""Leader election and shutdown against the real kube-apiserver, with controller processes as subprocesses.

Each process runs ``dummy_controller`` (the real Manager, Lease, queue and workers) with a 4 s lease, 3 s
renew deadline and 0.5 s retry period, and records every reconcile interval with wall-clock times.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
LEASE_DURATION = 4.0


class ControllerProcess:
    def __init__(self, kubeconfig: Path, namespace: str, record: Path, identity: str, *extra: str) -> None:
        self.record = record
        self.identity = identity
        self.stderr_path = record.with_suffix(".stderr")
        self._stderr = self.stderr_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.runtime.dummy_controller",
                "--kubeconfig",
                str(kubeconfig),
                "--namespace",
                namespace,
                "--record",
                str(record),
                "--identity",
                identity,
                *extra,
            ],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,
        )

    def events(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line.strip()]

    def first(self, event: str) -> dict[str, Any] | None:
        return next((e for e in self.events() if e["event"] == event), None)

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._stderr.close()

    def diagnostics(self) -> str:
        return f"--- {self.identity} stderr tail:\n" + "\n".join(
            self.stderr_path.read_text().splitlines()[-30:]
        )


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def reconcile_intervals(
    process: ControllerProcess, open_until: float | None = None
) -> list[tuple[float, float]]:
    """[start, end] of every reconcile; one still open counts as running until ``open_until`` (default now,
    for a killed process the moment it was known dead)."""
    opened: dict[str, float] = {}
    intervals = []
    for event in process.events():
        if event["event"] == "start":
            opened[event["key"]] = event["t"]
        elif event["event"] in ("end", "cancelled"):
            intervals.append((opened.pop(event["key"]), event["t"]))
    intervals.extend((start, open_until or time.time()) for start in opened.values())
    return intervals


def assert_never_concurrent(
    a: ControllerProcess, b: ControllerProcess, a_dead_at: float | None = None
) -> None:
    for a_start, a_end in reconcile_intervals(a, a_dead_at):
        for b_start, b_end in reconcile_intervals(b):
            assert a_end <= b_start or b_end <= a_start, (
                f"{a.identity} [{a_start}, {a_end}] overlaps {b.identity} [{b_start}, {b_end}]"
            )


@pytest.fixture
def spawn(control_plane: Any, namespace: str, tmp_path: Path) -> Iterator[Callable[..., ControllerProcess]]:
    started: list[ControllerProcess] = []

    def start(identity: str, *extra: str) -> ControllerProcess:
        process = ControllerProcess(
            control_plane.kubeconfig, namespace, tmp_path / f"{identity}.jsonl", identity, *extra
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def lease_holder(control_plane: Any, namespace: str) -> str:
    lease = control_plane.rest().get(
        f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/amazon-vpc-lattice.io"
    )
    return str(lease["spec"].get("holderIdentity") or "")


def test_clean_shutdown_hands_over_within_the_lease_time_and_never_overlaps(
    spawn: Callable[..., ControllerProcess], control_plane: Any, namespace: str
) -> None:
    first = spawn("first")
    wait_for(lambda: first.first("leading"), 60, "the first process to lead")
    second = spawn("second")
    wait_for(lambda: second.first("synced"), 60, "the second process to start")
    time.sleep(2 * LEASE_DURATION)  # the standby must stay out while the leader renews
    assert second.first("leading") is None, second.diagnostics()
    assert reconcile_intervals(first)
    assert lease_holder(control_plane, namespace) == "first"

    first.signal(signal.SIGTERM)
    assert first.wait(30) == 0, first.diagnostics()
    stopped_at = first.first("exit")["t"]  # type: ignore[index]
    took_over = wait_for(lambda: second.first("leading"), 2 * LEASE_DURATION, "the standby to take over")
    handover = took_over["t"] - stopped_at
    assert handover < LEASE_DURATION, f"handover took {handover:.2f} s"
    wait_for(lambda: reconcile_intervals(second), 10, "the new leader to reconcile")
    assert_never_concurrent(first, second)
    assert lease_holder(control_plane, namespace) == "second"
    print(f"handover after clean shutdown: {handover:.2f} s")

    second.signal(signal.SIGTERM)
    assert second.wait(30) == 0, second.diagnostics()
    assert lease_holder(control_plane, namespace) == ""


def test_killed_leader_is_replaced_after_the_lease_expires(
    spawn: Callable[..., ControllerProcess], control_plane: Any, namespace: str
) -> None:
    first = spawn("first")
    wait_for(lambda: first.first("leading"), 60, "the first process to lead")
    second = spawn("second")
    wait_for(lambda: second.first("synced"), 60, "the second process to start")
    first.signal(signal.SIGKILL)
    first.wait(10)
    killed_at = time.time()
    took_over = wait_for(lambda: second.first("leading"), 4 * LEASE_DURATION, "the standby to take over")
    takeover = took_over["t"] - killed_at
    assert takeover < 3 * LEASE_DURATION, f"takeover took {takeover:.2f} s"
    wait_for(lambda: reconcile_intervals(second), 10, "the new leader to reconcile")
    assert_never_concurrent(first, second, a_dead_at=killed_at)
    print(f"takeover after SIGKILL: {takeover:.2f} s")


def test_frozen_leader_steps_down_when_it_wakes(
    spawn: Callable[..., ControllerProcess], control_plane: Any, namespace: str
) -> None:
    first = spawn("first")
    wait_for(lambda: first.first("leading"), 60, "the first process to lead")
    second = spawn("second")
    wait_for(lambda: second.first("synced"), 60, "the second process to start")
    first.signal(signal.SIGSTOP)
    try:
        wait_for(lambda: second.first("leading"), 4 * LEASE_DURATION, "the standby to take over")
    finally:
        first.signal(signal.SIGCONT)
    assert first.wait(15) == 1, first.diagnostics()  # leadership lost: exit 1, restart as a candidate
    assert lease_holder(control_plane, namespace) == "second"


def test_sigterm_mid_reconcile_finishes_it_and_exits_cleanly(
    spawn: Callable[..., ControllerProcess], control_plane: Any, namespace: str
) -> None:
    process = spawn("only", "--reconcile-seconds", "2", "--grace", "10", "--keys", "1", "--workers", "1")
    wait_for(lambda: process.first("start"), 60, "a reconcile to start")
    process.signal(signal.SIGTERM)
    assert process.wait(20) == 0, process.diagnostics()
    events = [e["event"] for e in process.events()]
    assert events.count("start") == 1
    assert "end" in events
    assert "cancelled" not in events
    assert events[-2:] == ["leader-loop-stopped", "exit"]
    assert lease_holder(control_plane, namespace) == ""


def test_sigterm_past_the_grace_period_cancels_the_reconcile(
    spawn: Callable[..., ControllerProcess], control_plane: Any, namespace: str
) -> None:
    process = spawn("only", "--reconcile-seconds", "30", "--grace", "1", "--keys", "1", "--workers", "1")
    wait_for(lambda: process.first("start"), 60, "a reconcile to start")
    signalled = time.monotonic()
    process.signal(signal.SIGTERM)
    assert process.wait(20) == 0, process.diagnostics()
    assert time.monotonic() - signalled < 10
    events = [e["event"] for e in process.events()]
    assert "cancelled" in events
    assert "end" not in events
    assert lease_holder(control_plane, namespace) == ""
