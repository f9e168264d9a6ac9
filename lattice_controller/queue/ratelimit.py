"""Rate limiters deciding how long a failed key waits before it is retried.

* ``ItemExponentialRateLimiter`` — per key: ``base * 2**failures``, capped (5 ms … 1000 s by default).
* ``BucketRateLimiter`` — shared token bucket (10 qps, burst 100 by default); every ``when`` takes a token,
  reserving future tokens when the bucket is empty, so callers are spaced out rather than refused.
* ``MaxOfRateLimiter`` — the longest delay of several limiters.

``when(key)`` records a failure and returns the delay in seconds; ``forget(key)`` clears a key's history
(``forget`` never marks work done); ``num_requeues(key)`` is the failures counted since the last forget.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

from lattice_controller._kits.clock import Clock
from lattice_controller._kits.pacing import Pacer


class RateLimiter(Protocol):
    def when(self, key: Hashable) -> float: ...

    def forget(self, key: Hashable) -> None: ...

    def num_requeues(self, key: Hashable) -> int: ...


class ItemExponentialRateLimiter:
    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0) -> None:
        if base_delay <= 0 or max_delay < base_delay:
            raise ValueError("need 0 < base_delay <= max_delay")
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, key: Hashable) -> float:
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        # 2**failures overflows float range long after the cap is reached; stop computing it once capped.
        if failures >= 64:
            return self._max_delay
        return min(self._max_delay, self._base_delay * 2.0**failures)

    def forget(self, key: Hashable) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: Hashable) -> int:
        return self._failures.get(key, 0)


class BucketRateLimiter:
    """Token bucket that starts full. Keys are not tracked: ``forget``/``num_requeues`` do nothing."""

    def __init__(self, clock: Clock, qps: float = 10.0, burst: int = 100) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("need qps > 0 and burst >= 1")
        self._clock = clock
        self._pacer = Pacer(qps, burst)

    def when(self, key: Hashable) -> float:
        return self._pacer.reserve(self._clock.now())

    def forget(self, key: Hashable) -> None:
        return None

    def num_requeues(self, key: Hashable) -> int:
        return 0


class MaxOfRateLimiter:
    def __init__(self, *limiters: RateLimiter) -> None:
        if not limiters:
            raise ValueError("MaxOfRateLimiter needs at least one limiter")
        self._limiters = limiters

    def when(self, key: Hashable) -> float:
        # Every limiter must see the failure, so evaluate all before taking the maximum.
        return max([limiter.when(key) for limiter in self._limiters])

    def forget(self, key: Hashable) -> None:
        for limiter in self._limiters:
            limiter.forget(key)

    def num_requeues(self, key: Hashable) -> int:
        return max(limiter.num_requeues(key) for limiter in self._limiters)


def default_controller_rate_limiter(clock: Clock) -> RateLimiter:
    """Per-key 5 ms·2ⁿ capped at 1000 s, combined with a shared 10 qps / burst 100 bucket."""
    return MaxOfRateLimiter(ItemExponentialRateLimiter(0.005, 1000.0), BucketRateLimiter(clock, 10.0, 100))
