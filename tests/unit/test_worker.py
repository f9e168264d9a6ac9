"""Worker pool: each outcome → exact queue calls; exceptions never kill a worker; logs carry context."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from prometheus_client import CollectorRegistry

from lattice_controller._kits.clock import FakeClock, settle
from lattice_controller.model.outcomes import Outcome, RequeueAfter, Success, Terminal
from lattice_controller.queue import Priority, RateLimitingQueue
from lattice_controller.runtime.logs import configure_logging
from lattice_controller.runtime.metrics import RuntimeMetrics
from lattice_controller.runtime.workers import WorkerPool


class RecordingQueue(RateLimitingQueue[str]):
    """The real queue, with the calls the worker makes written down."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__("test", clock)
        self.calls: list[tuple[Any, ...]] = []
        self._rate_limiting = False

    def forget(self, key: str) -> None:
        self.calls.append(("forget", key))
        super().forget(key)

    def add_after(self, key: str, seconds: float, priority: Priority = Priority.HIGH) -> None:
        if not self._rate_limiting:
            self.calls.append(("add_after", key, seconds))
        super().add_after(key, seconds, priority)

    def add_rate_limited(self, key: str, priority: Priority = Priority.HIGH) -> None:
        self.calls.append(("add_rate_limited", key))
        self._rate_limiting = True
        try:
            super().add_rate_limited(key, priority)
        finally:
            self._rate_limiting = False

    def done(self, key: str) -> None:
        self.calls.append(("done", key))
        super().done(key)


class ScriptedReconciler:
    name = "widget"

    def __init__(self, *results: Outcome | BaseException | object) -> None:
        self.results = list(results)
        self.keys: list[str] = []

    async def reconcile(self, key: str) -> Outcome:
        self.keys.append(key)
        structlog.get_logger("test").info("inside reconcile")
        result = self.results.pop(0)
        if isinstance(result, BaseException):
            raise result
        return result  # type: ignore[return-value]


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("debug", dev_mode=False, stream=stream)
    yield stream
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("outcome", "calls", "result"),
    [
        (Success(), [("forget", "k"), ("done", "k")], "success"),
        (RequeueAfter(30), [("forget", "k"), ("add_after", "k", 30), ("done", "k")], "requeue_after"),
        (Terminal("bad spec"), [("forget", "k"), ("done", "k")], "error"),
        (RuntimeError("boom"), [("add_rate_limited", "k"), ("done", "k")], "error"),
        ("not an outcome", [("add_rate_limited", "k"), ("done", "k")], "error"),
    ],
)
async def test_each_outcome_maps_to_exact_queue_calls(
    outcome: object, calls: list[tuple[Any, ...]], result: str, log_stream: io.StringIO
) -> None:
    clock = FakeClock()
    queue = RecordingQueue(clock)
    registry = CollectorRegistry()
    metrics = RuntimeMetrics(registry)
    pool = WorkerPool(
        ScriptedReconciler(outcome), queue, metrics=metrics.for_controller("widget"), clock=clock
    )
    queue.add("k")
    assert await pool.process_one()
    assert queue.calls == calls
    assert sample(registry, "controller_runtime_reconcile_total", controller="widget", result=result) == 1
    errors = 1 if result == "error" else 0
    assert sample(registry, "controller_runtime_reconcile_errors_total", controller="widget") == errors
    terminal = 1 if isinstance(outcome, Terminal) else 0
    assert (
        sample(registry, "controller_runtime_terminal_reconcile_errors_total", controller="widget")
        == terminal
    )
    assert sample(registry, "controller_runtime_reconcile_time_seconds_count", controller="widget") == 1
    assert sample(registry, "controller_runtime_active_workers", controller="widget") == 0


async def test_failures_back_off_and_success_forgets(log_stream: io.StringIO) -> None:
    clock = FakeClock()
    queue = RecordingQueue(clock)
    reconciler = ScriptedReconciler(RuntimeError("1"), RuntimeError("2"), Success())
    pool = WorkerPool(reconciler, queue, clock=clock)
    queue.add("k")
    assert await pool.process_one()
    assert queue.num_requeues("k") == 1
    clock.advance(0.005)
    await settle()
    assert await pool.process_one()
    assert queue.num_requeues("k") == 2
    clock.advance(0.010)
    await settle()
    assert await pool.process_one()
    assert queue.num_requeues("k") == 0
    assert reconciler.keys == ["k", "k", "k"]


async def test_exception_never_kills_a_worker_and_every_line_has_context(log_stream: io.StringIO) -> None:
    clock = FakeClock()
    queue = RecordingQueue(clock)
    reconciler = ScriptedReconciler(ValueError("first"), Success(), KeyError("third"))
    pool = WorkerPool(reconciler, queue, workers=1, clock=clock)
    runner = asyncio.create_task(pool.run())
    for key in ("a", "b", "c"):
        queue.add(key)
    await settle()
    assert reconciler.keys == ["a", "b", "c"]
    assert not runner.done()
    queue.shut_down()
    await asyncio.wait_for(runner, 1)

    lines = log_lines(log_stream)
    inside = [line for line in lines if line["event"] == "inside reconcile"]
    assert [(line["controller"], line["key"]) for line in inside] == [
        ("widget", "a"),
        ("widget", "b"),
        ("widget", "c"),
    ]
    assert len({line["reconcile_id"] for line in inside}) == 3
    failed = [line for line in lines if line["event"] == "reconcile failed"]
    assert [line["key"] for line in failed] == ["a", "c"]
    assert all(line["level"] == "error" and "exception" in line for line in failed)
    assert all(line["reconcile_id"] for line in failed)


async def test_terminal_is_logged_with_reason(log_stream: io.StringIO) -> None:
    clock = FakeClock()
    queue = RecordingQueue(clock)
    pool = WorkerPool(ScriptedReconciler(Terminal("unsupported protocol")), queue, clock=clock)
    queue.add("k")
    await pool.process_one()
    line = next(x for x in log_lines(log_stream) if x["event"] == "reconcile failed permanently")
    assert line["reason"] == "unsupported protocol"
    assert line["key"] == "k"


async def test_workers_share_the_queue_and_max_concurrency_is_reported() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("test", clock)
    registry = CollectorRegistry()
    metrics = RuntimeMetrics(registry)
    running: set[str] = set()
    peak = 0
    release = asyncio.Event()

    class Slow:
        name = "slow"

        async def reconcile(self, key: str) -> Outcome:
            nonlocal peak
            running.add(key)
            peak = max(peak, len(running))
            await release.wait()
            running.discard(key)
            return Success()

    pool = WorkerPool(Slow(), queue, workers=3, metrics=metrics.for_controller("slow"), clock=clock)
    assert sample(registry, "controller_runtime_max_concurrent_reconciles", controller="slow") == 3
    runner = asyncio.create_task(pool.run())
    for key in "abcde":
        queue.add(key)
    await settle()
    assert peak == 3
    assert pool.in_flight == 3
    assert sample(registry, "controller_runtime_active_workers", controller="slow") == 3
    release.set()
    await settle()
    queue.shut_down()
    await asyncio.wait_for(runner, 1)
    assert peak == 3
    assert sample(registry, "controller_runtime_reconcile_total", controller="slow", result="success") == 5


async def test_cancellation_still_calls_done() -> None:
    clock = FakeClock()
    queue = RecordingQueue(clock)

    class Hangs:
        name = "hangs"

        async def reconcile(self, key: str) -> Outcome:
            await asyncio.Event().wait()
            return Success()

    pool = WorkerPool(Hangs(), queue, clock=clock)
    runner = asyncio.create_task(pool.run())
    queue.add("k")
    await settle()
    assert pool.in_flight == 1
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    assert queue.calls == [("done", "k")]
    assert queue.processing == 0


def test_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        WorkerPool(ScriptedReconciler(), RateLimitingQueue("t", FakeClock()), workers=0)
