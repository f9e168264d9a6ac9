"""A reserving token bucket (GCRA): callers are told how long to wait instead of being refused.

``reserve(now)`` takes one token and returns the seconds until the caller may go: 0 while the burst lasts,
then one caller every ``1/rate`` seconds, in the order they asked. ``hold_until(moment)`` lets nobody go
before ``moment`` (a server's retry-after hint), after which callers are spaced at the rate again, without
a new burst. ``rate == 0`` means unlimited: only holds make callers wait.
"""

from __future__ import annotations

import math


class Pacer:
    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate < 0 or not math.isfinite(rate) or burst < 1:
            raise ValueError("need 0 <= rate < inf and burst >= 1")
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._tolerance = (burst - 1) * self._interval
        self._next = -math.inf  # theoretical arrival time of the next caller

    def reserve(self, now: float) -> float:
        arrival = max(self._next, now)
        self._next = arrival + self._interval
        return max(0.0, arrival - self._tolerance - now)

    def hold_until(self, moment: float) -> None:
        self._next = max(self._next, moment + self._tolerance)
