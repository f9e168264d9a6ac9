"""Periodic resync: interval plus jitter, LOW priority, disabled at 0, survives a failing key lister."""

from __future__ import annotations

import asyncio

from lattice_controller._kits.clock import FakeClock, settle
from lattice_controller.queue import Priority, RateLimitingQueue
from lattice_controller.runtime.resync import run_periodic_resync


async def drain(queue: RateLimitingQueue[str]) -> list[str]:
    keys = []
    while len(queue):
        key = await queue.get()
        assert key is not None
        keys.append(key)
        queue.done(key)
    return keys


async def test_resync_enqueues_every_key_at_low_priority_after_interval_plus_jitter() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("r", clock)
    keys = ["a", "b"]
    task = asyncio.create_task(run_periodic_resync(queue, lambda: keys, 100, clock, random=lambda: 0.5))
    await clock.step(109.9)
    assert len(queue) == 0
    await clock.step(0.2)  # 100 s + 10 % jitter
    queue.add("user-change", Priority.HIGH)
    assert await drain(queue) == ["user-change", "a", "b"]
    keys.append("c")
    await clock.step(110)
    assert await drain(queue) == ["a", "b", "c"]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_jitter_is_at_most_a_fifth_of_the_interval() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("r", clock)
    task = asyncio.create_task(run_periodic_resync(queue, lambda: ["a"], 60, clock, random=lambda: 0.999999))
    await clock.step(71.99)
    assert len(queue) == 0
    await clock.step(0.01)  # never later than interval * 1.2
    assert len(queue) == 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_zero_interval_disables_resync() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("r", clock)
    await asyncio.wait_for(run_periodic_resync(queue, lambda: ["a"], 0, clock), 1)
    assert len(queue) == 0


async def test_a_failing_lister_is_logged_and_retried_next_period() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("r", clock)
    calls = 0

    def flaky() -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("cache not ready")
        return ["a"]

    task = asyncio.create_task(run_periodic_resync(queue, flaky, 10, clock, random=lambda: 0.0))
    await clock.step(10)
    assert len(queue) == 0
    await clock.step(10)
    assert len(queue) == 1
    queue.shut_down()
    await clock.step(10)
    await settle()
    assert task.done()
