"""Workqueue semantics: dedup, one worker per key, re-add while processing, priorities, delays, shut down."""

from __future__ import annotations

import asyncio

import pytest

from lattice_controller._kits.clock import FakeClock, settle
from lattice_controller.queue import (
    ItemExponentialRateLimiter,
    Priority,
    RateLimitingQueue,
    WorkQueue,
)


class RecordingMetrics:
    def __init__(self) -> None:
        self.adds = 0
        self.depths: list[int] = []
        self.latencies: list[float] = []
        self.durations: list[float] = []
        self.retries = 0
        self.unfinished: list[tuple[float, float]] = []

    def added(self) -> None:
        self.adds += 1

    def depth(self, keys: int) -> None:
        self.depths.append(keys)

    def queue_latency(self, seconds: float) -> None:
        self.latencies.append(seconds)

    def work_duration(self, seconds: float) -> None:
        self.durations.append(seconds)

    def retried(self) -> None:
        self.retries += 1

    def unfinished_work(self, total_seconds: float, longest_seconds: float) -> None:
        self.unfinished.append((total_seconds, longest_seconds))


async def drain(queue: WorkQueue[str]) -> list[str]:
    """Get every pending key, marking each done at once."""
    keys = []
    while len(queue):
        key = await queue.get()
        assert key is not None
        keys.append(key)
        queue.done(key)
    return keys


async def test_pending_keys_are_deduplicated_and_fifo() -> None:
    queue: WorkQueue[str] = WorkQueue("t", FakeClock())
    for key in ("a", "b", "a", "c", "b"):
        queue.add(key)
    assert len(queue) == 3
    assert await drain(queue) == ["a", "b", "c"]


async def test_key_is_never_handed_to_two_workers_and_readd_while_processing_runs_after_done() -> None:
    queue: WorkQueue[str] = WorkQueue("t", FakeClock())
    queue.add("a")
    assert await queue.get() == "a"
    queue.add("a")  # dirty while processing: must not be handed out yet
    queue.add("a")
    assert len(queue) == 0
    second_worker = asyncio.create_task(queue.get())
    await settle()
    assert not second_worker.done()
    queue.done("a")
    assert await second_worker == "a"
    queue.done("a")
    assert len(queue) == 0
    assert queue.processing == 0


async def test_done_without_readd_does_not_requeue_and_unknown_done_is_ignored() -> None:
    queue: WorkQueue[str] = WorkQueue("t", FakeClock())
    queue.add("a")
    key = await queue.get()
    assert key == "a"
    queue.done(key)
    queue.done("never-got")
    assert len(queue) == 0


async def test_high_priority_is_served_first_fifo_within_priority() -> None:
    queue: WorkQueue[str] = WorkQueue("t", FakeClock())
    queue.add("low1", Priority.LOW)
    queue.add("high1")
    queue.add("low2", Priority.LOW)
    queue.add("high2", Priority.HIGH)
    assert await drain(queue) == ["high1", "high2", "low1", "low2"]


async def test_pending_low_key_readded_high_is_promoted_once() -> None:
    queue: WorkQueue[str] = WorkQueue("t", FakeClock())
    queue.add("x", Priority.LOW)
    queue.add("a", Priority.LOW)
    queue.add("h")
    queue.add("a", Priority.HIGH)
    queue.add("a", Priority.LOW)  # a LOW add never demotes
    assert len(queue) == 3
    assert await drain(queue) == ["h", "a", "x"]


async def test_priority_of_a_key_readded_while_processing_is_the_highest_asked() -> None:
    queue: WorkQueue[str] = WorkQueue("t", FakeClock())
    queue.add("a", Priority.LOW)
    assert await queue.get() == "a"
    queue.add("a", Priority.LOW)
    queue.add("a", Priority.HIGH)
    queue.add("b", Priority.LOW)
    queue.done("a")
    assert await drain(queue) == ["a", "b"]


async def test_getters_wait_and_each_key_wakes_one_getter() -> None:
    queue: WorkQueue[str] = WorkQueue("t", FakeClock())
    getters = [asyncio.create_task(queue.get()) for _ in range(3)]
    await settle()
    queue.add("a")
    queue.add("b")
    await settle()
    done = [g.result() for g in getters if g.done()]
    assert sorted(done) == ["a", "b"]  # type: ignore[type-var]
    queue.shut_down()
    assert await asyncio.gather(*getters) == ["a", "b", None]


async def test_cancelled_getter_passes_its_wakeup_on() -> None:
    queue: WorkQueue[str] = WorkQueue("t", FakeClock())
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await settle()
    queue.add("a")
    first.cancel()  # woken but cancelled before it could run
    await asyncio.gather(first, return_exceptions=True)
    assert await asyncio.wait_for(second, 1) == "a"


async def test_shut_down_drops_pending_and_unblocks_getters_at_once() -> None:
    queue: WorkQueue[str] = WorkQueue("t", FakeClock())
    queue.add("a")
    queue.add("b")
    assert await queue.get() == "a"
    waiting = asyncio.create_task(queue.get())
    await settle()
    assert waiting.done()  # got "b"
    blocked = asyncio.create_task(queue.get())
    await settle()
    queue.shut_down()
    assert await blocked is None
    assert await queue.get() is None
    queue.add("c")
    assert len(queue) == 0
    queue.done("a")  # in-flight keys may still finish


async def test_shut_down_with_drain_waits_for_in_flight_keys() -> None:
    queue: WorkQueue[str] = WorkQueue("t", FakeClock())
    queue.add("a")
    queue.add("b")
    assert await queue.get() == "a"
    drained = asyncio.create_task(queue.shut_down_with_drain())
    await settle()
    assert not drained.done()
    assert await queue.get() is None  # "b" was dropped
    queue.add("a")  # ignored: shutting down
    queue.done("a")
    await asyncio.wait_for(drained, 1)
    assert len(queue) == 0
    await queue.shut_down_with_drain()  # nothing in flight: returns at once


async def test_metrics_hook_sees_adds_depth_latency_duration_and_unfinished_work() -> None:
    clock = FakeClock()
    metrics = RecordingMetrics()
    queue: WorkQueue[str] = WorkQueue("t", clock, metrics)
    queue.add("a")
    queue.add("a")
    clock.advance(2)
    key = await queue.get()
    assert key == "a"
    clock.advance(3)
    queue.report_unfinished_work()
    queue.done(key)
    assert metrics.adds == 2
    assert metrics.depths == [1, 0]
    assert metrics.latencies == [2]
    assert metrics.durations == [3]
    assert metrics.unfinished == [(3, 3)]


async def test_add_after_makes_key_ready_when_the_clock_passes() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("t", clock)
    queue.add_after("a", 10)
    queue.add_after("b", 5)
    await settle()
    assert len(queue) == 0
    assert queue.delayed == 2
    clock.advance(5)
    await settle()
    assert len(queue) == 1
    clock.advance(5)
    await settle()
    assert await drain(queue) == ["b", "a"]
    assert queue.delayed == 0


async def test_add_after_keeps_the_earliest_time_and_highest_priority() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("t", clock)
    queue.add_after("a", 10, Priority.LOW)
    queue.add_after("a", 3, Priority.LOW)
    queue.add_after("a", 20, Priority.HIGH)
    queue.add("z", Priority.LOW)
    await settle()
    clock.advance(3)
    await settle()
    assert await drain(queue) == ["a", "z"]
    clock.advance(30)
    await settle()
    assert len(queue) == 0  # the later entries were superseded


async def test_add_after_zero_or_negative_adds_now() -> None:
    queue: RateLimitingQueue[str] = RateLimitingQueue("t", FakeClock())
    queue.add_after("a", 0)
    queue.add_after("b", -1)
    assert len(queue) == 2


async def test_earlier_delay_added_later_preempts_the_timer() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("t", clock)
    queue.add_after("late", 100)
    await settle()
    queue.add_after("soon", 1)
    await settle()
    clock.advance(1)
    await settle()
    assert await drain(queue) == ["soon"]


async def test_add_rate_limited_follows_the_backoff_and_forget_resets() -> None:
    clock = FakeClock()
    metrics = RecordingMetrics()
    queue: RateLimitingQueue[str] = RateLimitingQueue(
        "t", clock, rate_limiter=ItemExponentialRateLimiter(1.0, 8.0), metrics=metrics
    )
    ready_after = []
    for _ in range(5):
        queue.add_rate_limited("a")
        start = clock.now()
        await settle()
        while not len(queue):
            clock.advance(0.5)
            await settle()
        ready_after.append(clock.now() - start)
        await drain(queue)
    assert ready_after == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert queue.num_requeues("a") == 5
    assert metrics.retries == 5
    queue.forget("a")
    assert queue.num_requeues("a") == 0


async def test_shut_down_drops_delayed_keys_and_ignores_new_delays() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("t", clock)
    queue.add_after("a", 1)
    await settle()
    queue.shut_down()
    queue.add_after("b", 1)
    queue.add_rate_limited("c")
    clock.advance(5)
    await settle()
    assert len(queue) == 0
    assert queue.delayed == 0
    assert clock.sleepers == 0


@pytest.mark.parametrize("workers", [1, 4])
async def test_concurrent_workers_never_share_a_key(workers: int) -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[int] = RateLimitingQueue("t", clock)
    in_flight: set[int] = set()
    overlaps = 0
    handled = 0

    async def worker() -> None:
        nonlocal overlaps, handled
        while (key := await queue.get()) is not None:
            if key in in_flight:
                overlaps += 1
            in_flight.add(key)
            await asyncio.sleep(0)
            queue.add(key % 3)  # keep re-adding keys that may be in flight
            await asyncio.sleep(0)
            in_flight.discard(key)
            handled += 1
            queue.done(key)

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    for key in range(10):
        queue.add(key)
    for _ in range(20):
        await settle()
    queue.shut_down()
    await asyncio.gather(*tasks)
    assert overlaps == 0
    assert handled >= 10
