"""The heap release after a burst of reconciles: once per burst, only when every queue has been idle
at two checks in a row, never while idle without new work or while busy, never twice within the
minimum interval."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from lattice_controller._kits.clock import FakeClock
from lattice_controller._kits.heap import resident_bytes
from lattice_controller.runtime.heap_release import CHECK_SECONDS, MIN_INTERVAL_SECONDS, release_after_bursts
from lattice_controller.runtime.metrics import RuntimeMetrics


@dataclass
class FakePool:
    queue: list[str] = field(default_factory=list)
    in_flight: int = 0
    handled: int = 0


async def test_one_release_per_burst_once_every_pool_is_idle() -> None:
    clock = FakeClock()
    pools = [FakePool(), FakePool()]
    released: list[int] = []
    told: list[int] = []
    task = asyncio.create_task(
        release_after_bursts(
            pools,
            clock,
            lambda: released.append(1),
            min_reconciles=10,
            min_interval=0,
            on_release=told.append,
        )
    )
    try:
        await clock.step(10 * CHECK_SECONDS)
        assert released == []  # idle, but no burst yet
        pools[0].handled, pools[1].handled, pools[1].in_flight = 6, 5, 1
        pools[0].queue.append("default/web")
        await clock.step(10 * CHECK_SECONDS)
        assert released == []  # busy
        pools[0].queue.clear()
        pools[1].in_flight = 0
        await clock.step(CHECK_SECONDS)
        assert released == []  # idle at one check only
        await clock.step(CHECK_SECONDS)
        assert released == [1]
        await clock.step(10 * CHECK_SECONDS)
        assert released == [1]  # one release per burst
        pools[0].handled += 3
        await clock.step(10 * CHECK_SECONDS)
        assert released == [1]  # too few reconciles for another
        pools[0].handled += 7
        await clock.step(2 * CHECK_SECONDS)
        assert released == [1, 1]
        assert told == [11, 21]  # the reconciles handled at each release
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_resident_bytes_reads_the_process_rss() -> None:
    rss = resident_bytes()
    assert rss is None or rss > 1024 * 1024


async def test_releases_are_at_least_the_minimum_interval_apart() -> None:
    clock = FakeClock()
    pool = FakePool()
    released: list[float] = []
    task = asyncio.create_task(
        release_after_bursts([pool], clock, lambda: released.append(clock.now()), min_reconciles=1)
    )
    try:
        for _ in range(40):  # a steady trickle: one reconcile per check, idle in between
            pool.handled += 1
            await clock.step(CHECK_SECONDS)
        assert released
        assert released[0] >= MIN_INTERVAL_SECONDS
        assert all(b - a >= MIN_INTERVAL_SECONDS for a, b in itertools.pairwise(released))
        assert len(released) == 2
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_each_release_is_counted_with_the_reconciles_it_covers() -> None:
    registry = CollectorRegistry()
    metrics = RuntimeMetrics(registry)
    metrics.heap_released(1_000)
    metrics.heap_released(1_320)
    assert registry.get_sample_value("lattice_heap_releases_total") == 2
    assert registry.get_sample_value("lattice_heap_last_release_reconciles") == 1_320
