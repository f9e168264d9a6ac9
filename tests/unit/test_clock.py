"""FakeClock and Backoff: deterministic time for every other unit test."""

from __future__ import annotations

import asyncio

import pytest

from lattice_controller._kits.backoff import Backoff
from lattice_controller._kits.clock import FakeClock, RealClock, settle


async def test_fake_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = FakeClock()
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(f"{name}@{clock.now()}")

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("b", 2.0), ("a", 1.0), ("c", 3.0))]
    await settle()
    clock.advance(1.5)
    await settle()
    assert woke == ["a@1.5"]
    clock.advance(10)
    await settle()
    assert woke == ["a@1.5", "b@11.5", "c@11.5"]
    await asyncio.gather(*tasks)


async def test_fake_clock_step_lets_tickers_tick_at_each_deadline() -> None:
    clock = FakeClock()
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            await clock.sleep(1.0)
            ticks.append(clock.now())

    task = asyncio.create_task(ticker())
    await clock.step(3.5)
    assert ticks == [1.0, 2.0, 3.0]
    assert clock.now() == 3.5
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert clock.sleepers == 0


async def test_cancelled_sleep_is_forgotten() -> None:
    clock = FakeClock()
    task = asyncio.create_task(clock.sleep(5))
    await settle()
    assert clock.sleepers == 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert clock.sleepers == 0
    assert clock.next_deadline() is None


def test_fake_clock_refuses_to_go_backwards() -> None:
    with pytest.raises(ValueError, match="backwards"):
        FakeClock().advance(-1)


async def test_real_clock_is_monotonic_and_sleeps() -> None:
    clock = RealClock()
    before = clock.now()
    await clock.sleep(0.01)
    assert clock.now() - before >= 0.009


def test_backoff_doubles_from_initial_to_cap_with_jitter_on_top() -> None:
    backoff = Backoff(initial=0.8, cap=30.0, jitter=1.0, random=lambda: 0.0)
    assert [backoff.next_delay() for _ in range(8)] == [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]
    jittered = Backoff(initial=0.8, cap=30.0, jitter=1.0, random=lambda: 0.5)
    assert jittered.next_delay() == pytest.approx(1.2)
    backoff.reset()
    assert backoff.next_delay() == 0.8


def test_backoff_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="initial"):
        Backoff(initial=0)
    with pytest.raises(ValueError, match="initial"):
        Backoff(initial=5, cap=1)
