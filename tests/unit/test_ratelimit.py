"""Rate limiters: the exact per-item sequence, the token bucket, and their combination."""

from __future__ import annotations

import pytest

from lattice_controller._kits.clock import FakeClock
from lattice_controller.queue import (
    BucketRateLimiter,
    ItemExponentialRateLimiter,
    MaxOfRateLimiter,
    default_controller_rate_limiter,
)


def test_item_exponential_sequence_doubles_from_5ms_and_caps_at_1000s() -> None:
    limiter = ItemExponentialRateLimiter()
    delays = [limiter.when("k") for _ in range(30)]
    assert delays[:5] == pytest.approx([0.005, 0.010, 0.020, 0.040, 0.080])
    assert delays[17] == pytest.approx(0.005 * 2**17)  # 655.36 s, the last uncapped value
    assert delays[18:] == [1000.0] * 12
    assert limiter.num_requeues("k") == 30


def test_item_exponential_is_per_key_and_forget_resets() -> None:
    limiter = ItemExponentialRateLimiter()
    limiter.when("a")
    limiter.when("a")
    assert limiter.when("b") == pytest.approx(0.005)
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0
    assert limiter.when("a") == pytest.approx(0.005)


def test_item_exponential_survives_huge_failure_counts() -> None:
    limiter = ItemExponentialRateLimiter()
    for _ in range(2000):
        delay = limiter.when("k")
    assert delay == 1000.0


def test_bucket_allows_burst_then_spaces_at_qps() -> None:
    clock = FakeClock()
    bucket = BucketRateLimiter(clock, qps=10, burst=100)
    assert [bucket.when(i) for i in range(100)] == [0.0] * 100
    assert bucket.when("x") == pytest.approx(0.1)
    assert bucket.when("y") == pytest.approx(0.2)
    clock.advance(0.2)  # two tokens come back, both already reserved
    assert bucket.when("z") == pytest.approx(0.1)
    clock.advance(100)  # refills to the burst, never beyond
    assert [bucket.when(i) for i in range(100)] == [0.0] * 100
    assert bucket.when("w") == pytest.approx(0.1)
    assert bucket.num_requeues("w") == 0


def test_max_of_takes_longest_and_every_limiter_counts_the_failure() -> None:
    clock = FakeClock()
    bucket = BucketRateLimiter(clock, qps=1, burst=1)
    combined = MaxOfRateLimiter(ItemExponentialRateLimiter(0.005, 1000), bucket)
    assert combined.when("a") == pytest.approx(0.005)
    assert combined.when("a") == pytest.approx(1.0)  # bucket empty: 1 s beats 10 ms
    assert combined.num_requeues("a") == 2
    combined.forget("a")
    assert combined.num_requeues("a") == 0


def test_default_controller_limiter_is_item_exponential_under_the_burst() -> None:
    limiter = default_controller_rate_limiter(FakeClock())
    assert [limiter.when("k") for _ in range(3)] == pytest.approx([0.005, 0.01, 0.02])


def test_limiters_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="base_delay"):
        ItemExponentialRateLimiter(0, 1)
    with pytest.raises(ValueError, match="qps"):
        BucketRateLimiter(FakeClock(), 0, 1)
    with pytest.raises(ValueError, match="at least one"):
        MaxOfRateLimiter()
