"""Call accounting and fault injection rules, shared by every request thread of the server.

Rules are keyed by operation key: `"<service>:<Operation>"` (e.g. `vpc-lattice:CreateService`),
`"<service>:*"`, or `"*"` (every AWS call); the most specific key wins. Every AWS call is counted when it
arrives, before any fault: counters are what the client sent, including calls that were then throttled or
failed (those are also counted separately under `injected`).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True, frozen=True)
class Latency:
    low: float
    high: float

    def draw(self, rng: random.Random) -> float:
        return self.low if self.high <= self.low else rng.uniform(self.low, self.high)


@dataclass(slots=True)
class TokenBucket:
    rate: float  # tokens per second
    burst: float
    tokens: float
    stamp: float

    def take(self, moment: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (moment - self.stamp) * self.rate)
        self.stamp = moment
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def retry_after(self) -> int:
        return max(1, math.ceil((1.0 - self.tokens) / self.rate)) if self.rate > 0 else 1


@dataclass(slots=True, frozen=True)
class ErrorRate:
    rate: float  # probability 0..1 that a call fails
    status: int


@dataclass(slots=True, frozen=True)
class Decision:
    """What to do with one call: sleep first, then answer with an injected error or pass it on."""

    delay: float
    error: str | None  # "throttle" | "error" | None
    status: int = 0
    retry_after: int = 0


def _most_specific(rules: dict[str, Any], key: str) -> Any:
    service = key.split(":", 1)[0]
    for candidate in (key, f"{service}:*", "*"):
        if candidate in rules:
            return rules[candidate]
    return None


class FaultBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random()
        self._counters: Counter[str] = Counter()
        self._injected: dict[str, Counter[str]] = {"throttled": Counter(), "errors": Counter()}
        self._latency: dict[str, Latency] = {}
        self._throttle: dict[str, TokenBucket] = {}
        self._throttle_status: dict[str, int] = {}
        self._errors: dict[str, ErrorRate] = {}

    # --- configuration -----------------------------------------------------------------------------------

    def set_latency(self, key: str, low: float, high: float | None = None) -> None:
        high = low if high is None else high
        if low < 0 or high < low:
            raise ValueError("latency needs 0 <= low <= high")
        with self._lock:
            self._latency[key] = Latency(low, high)

    def set_throttle(self, key: str, rate: float, burst: float, status: int) -> None:
        if rate < 0 or burst < 0:
            raise ValueError("throttle needs rate >= 0 and burst >= 0")
        with self._lock:
            self._throttle[key] = TokenBucket(rate, burst, burst, time.monotonic())
            self._throttle_status[key] = status

    def set_error_rate(self, key: str, rate: float, status: int, seed: int | None = None) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("error rate must be within 0..1")
        with self._lock:
            self._errors[key] = ErrorRate(rate, status)
            if seed is not None:
                self._rng.seed(seed)

    def clear_faults(self) -> None:
        with self._lock:
            self._latency.clear()
            self._throttle.clear()
            self._throttle_status.clear()
            self._errors.clear()
            for counter in self._injected.values():
                counter.clear()

    def reset_counters(self) -> None:
        with self._lock:
            self._counters.clear()
            for counter in self._injected.values():
                counter.clear()

    # --- per call ----------------------------------------------------------------------------------------

    def decide(self, key: str) -> Decision:
        with self._lock:
            self._counters[key] += 1
            latency = _most_specific(self._latency, key)
            delay = latency.draw(self._rng) if latency else 0.0
            bucket_key = next(
                (k for k in (key, f"{key.split(':', 1)[0]}:*", "*") if k in self._throttle), None
            )
            if bucket_key is not None:
                bucket = self._throttle[bucket_key]
                if not bucket.take(time.monotonic()):
                    self._injected["throttled"][key] += 1
                    return Decision(
                        delay, "throttle", self._throttle_status[bucket_key], bucket.retry_after()
                    )
            errors = _most_specific(self._errors, key)
            if errors and self._rng.random() < errors.rate:
                self._injected["errors"][key] += 1
                return Decision(delay, "error", errors.status)
            return Decision(delay, None)

    # --- reading -----------------------------------------------------------------------------------------

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counters.items()))

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency": {k: {"min": v.low, "max": v.high} for k, v in self._latency.items()},
                "throttle": {
                    k: {"rate": v.rate, "burst": v.burst, "status": self._throttle_status[k]}
                    for k, v in self._throttle.items()
                },
                "errors": {k: {"rate": v.rate, "status": v.status} for k, v in self._errors.items()},
                "injected": {kind: dict(counter) for kind, counter in self._injected.items()},
            }
