"""Client-side pacing: the reserving bucket, per-operation independence, retry-after holds."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from lattice_controller._kits.pacing import Pacer
from lattice_controller.aws.throttle import OperationPacer, retry_after_seconds


def test_pacer_lets_the_burst_through_then_spaces_callers_at_the_rate() -> None:
    pacer = Pacer(10.0, burst=3)
    assert [pacer.reserve(0.0) for _ in range(5)] == pytest.approx([0, 0, 0, 0.1, 0.2])
    assert pacer.reserve(1.0) == 0  # refilled
    fresh = Pacer(10.0, burst=3)
    fresh.reserve(0.0)
    assert fresh.reserve(0.05) == 0


def test_pacer_hold_delays_everyone_without_a_new_burst() -> None:
    pacer = Pacer(10.0, burst=10)
    pacer.hold_until(2.0)
    assert pacer.reserve(0.0) == pytest.approx(2.0)
    assert pacer.reserve(0.0) == pytest.approx(2.1)


def test_pacer_rate_zero_is_unlimited_but_holds() -> None:
    pacer = Pacer(0.0)
    assert [pacer.reserve(0.0) for _ in range(100)] == [0.0] * 100
    pacer.hold_until(1.5)
    assert pacer.reserve(1.0) == pytest.approx(0.5)
    assert pacer.reserve(1.0) == pytest.approx(0.5)


def test_pacer_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="rate"):
        Pacer(-1.0)
    with pytest.raises(ValueError, match="rate"):
        Pacer(1.0, burst=0)


class _Time:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


async def test_operations_have_their_own_buckets() -> None:
    time = _Time()
    pacer = OperationPacer(2.0, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        await pacer.wait_turn("vpc-lattice", "CreateService")
    await pacer.wait_turn("vpc-lattice", "CreateRule")
    assert time.slept == pytest.approx([0.5])
    assert pacer.stats.waits == 1
    assert pacer.stats.by_operation == {"CreateService": pytest.approx(0.5)}


def _response(status: int, headers: dict[str, str]) -> tuple[Any, dict[str, Any]]:
    return SimpleNamespace(status_code=status, headers=headers), {}


async def test_a_retry_after_hint_holds_that_operation_only() -> None:
    time = _Time()
    pacer = OperationPacer(0.0, clock=time.clock, sleep=time.sleep)
    operation = SimpleNamespace(name="CreateService")
    pacer._on_needs_retry("vpc-lattice", response=_response(429, {"Retry-After": "2"}), operation=operation)
    pacer._on_needs_retry("vpc-lattice", response=_response(200, {"Retry-After": "9"}), operation=operation)
    pacer._on_needs_retry("vpc-lattice", response=None, operation=operation)
    await pacer.wait_turn("vpc-lattice", "CreateService")
    await pacer.wait_turn("vpc-lattice", "ListServices")
    assert time.slept == pytest.approx([2.0])
    assert pacer.stats.hints == 1


def test_retry_after_values() -> None:
    assert retry_after_seconds("3", now=0) == 3.0
    assert retry_after_seconds(" 0.5 ", now=0) == 0.5
    assert retry_after_seconds("-4", now=0) == 0.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412478.0) == pytest.approx(2.0)
    assert retry_after_seconds("soon", now=0) is None
    assert retry_after_seconds("nan", now=0) is None
    assert retry_after_seconds(None, now=0) is None


async def test_waits_run_concurrently_in_order_of_asking() -> None:
    pacer = OperationPacer(50.0, burst=1)
    started = asyncio.get_running_loop().time()
    await asyncio.gather(*(pacer.wait_turn("s", "Op") for _ in range(4)))
    assert asyncio.get_running_loop().time() - started >= 0.055
