"""Periodic resync: interval plus jitter, LOW priority, disabled at 0, survives a failing key lister; cycles
of every controller together, listings renewed first, never overlapping, a hung one given up."""

from __future__ import annotations

import asyncio

from lattice_controller._kits.clock import FakeClock, settle
from lattice_controller.queue import Priority, RateLimitingQueue
from lattice_controller.runtime.resync import (
    MAX_WAIT_INTERVALS,
    Sweep,
    run_periodic_resync,
    run_resync_cycles,
)


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


class Cycles:
    """Records what ``run_resync_cycles`` reports."""

    def __init__(self) -> None:
        self.finished: list[tuple[float, int, bool]] = []

    def cycle_finished(self, seconds: float, keys: int, *, complete: bool) -> None:
        self.finished.append((seconds, keys, complete))


async def test_a_cycle_renews_listings_first_then_sweeps_every_controller_together() -> None:
    clock = FakeClock()
    routes: RateLimitingQueue[str] = RateLimitingQueue("routes", clock)
    gateways: RateLimitingQueue[str] = RateLimitingQueue("gateways", clock)
    seen: list[tuple[int, int]] = []
    metrics = Cycles()

    def on_cycle() -> None:
        seen.append((len(routes), len(gateways)))  # before anything is enqueued

    task = asyncio.create_task(
        run_resync_cycles(
            [Sweep(routes, lambda: ["r1", "r2"]), Sweep(gateways, lambda: ["g"])],
            60,
            clock,
            on_cycle=on_cycle,
            metrics=metrics,
            random=lambda: 0.0,
        )
    )
    await clock.step(60)
    assert seen == [(0, 0)]
    assert (len(routes), len(gateways)) == (2, 1)
    await clock.step(5)
    assert await drain(gateways) == ["g"]
    assert await drain(routes) == ["r1", "r2"]
    await settle()
    assert metrics.finished == [(5.0, 3, True)]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_the_next_cycle_waits_until_every_key_of_the_last_one_was_handled() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("r", clock)
    cycles = 0
    metrics = Cycles()

    def on_cycle() -> None:
        nonlocal cycles
        cycles += 1

    task = asyncio.create_task(
        run_resync_cycles(
            [Sweep(queue, lambda: ["a", "b"])],
            60,
            clock,
            on_cycle=on_cycle,
            metrics=metrics,
            random=lambda: 0.0,
        )
    )
    await clock.step(60)
    assert cycles == 1
    a = await queue.get()
    assert a == "a"
    queue.done(a)
    # "b" takes long (a cycle of 1,000 routes outlasts the period): no second cycle meanwhile.
    await clock.step(200)
    assert cycles == 1
    b = await queue.get()
    assert b == "b"
    queue.done(b)
    await settle()
    assert metrics.finished == [(200.0, 2, True)]
    await clock.step(59.9)
    assert cycles == 1  # the period counts from the end of the last cycle
    await clock.step(0.1)
    assert cycles == 2
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_cycle_whose_keys_hang_is_given_up_after_ten_periods() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("r", clock)
    metrics = Cycles()
    task = asyncio.create_task(
        run_resync_cycles([Sweep(queue, lambda: ["stuck"])], 60, clock, metrics=metrics, random=lambda: 0.0)
    )
    await clock.step(60)
    assert await queue.get() == "stuck"  # never done
    await clock.step(MAX_WAIT_INTERVALS * 60)
    await settle()
    assert metrics.finished == [(MAX_WAIT_INTERVALS * 60.0, 1, False)]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_handled_resolves_when_each_key_is_done_or_the_queue_shuts_down() -> None:
    clock = FakeClock()
    queue: RateLimitingQueue[str] = RateLimitingQueue("r", clock)
    assert queue.handled([]).done()
    queue.add("a")
    queue.add("b")
    both = queue.handled(["a", "b"])
    key = await queue.get()
    assert key is not None
    queue.done(key)
    assert not both.done()
    key = await queue.get()
    assert key is not None
    queue.done(key)
    assert both.done()
    queue.add("c")
    pending = queue.handled(["c"])
    queue.shut_down()
    assert pending.done()
