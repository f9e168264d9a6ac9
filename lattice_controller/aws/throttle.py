"""Client-side pacing of AWS calls: a token bucket per (service, operation), and retry-after holds.

AWS throttles each API operation separately, so the controller paces itself the same way: every HTTP
attempt (first tries and retries alike) takes a token from its operation's bucket and waits for one when
the bucket is empty, instead of firing and being refused. When a response is throttled anyway and carries
a ``Retry-After`` hint (seconds), no attempt of that operation starts before the hint has passed — the
SDK's own backoff still applies on top, and the retry is one of the attempts held back.

Installed as two aiobotocore event handlers per client: ``request-created`` (async: waits for the token
before the request is signed and sent) and ``needs-retry`` (records the hint; always returns ``None``
so botocore's retry decision and attempt limit stay in charge).
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from lattice_controller._kits.pacing import Pacer
from lattice_controller.aws.metrics import AwsMetrics

DEFAULT_RATE = 10.0
MAX_RETRY_AFTER_SECONDS = 60.0


@dataclass(slots=True)
class PacingStats:
    """Attempts that had to wait for a token, seconds waited, and retry-after hints honoured."""

    waits: int = 0
    seconds_waited: float = 0.0
    hints: int = 0
    by_operation: dict[str, float] = field(default_factory=dict)


class OperationPacer:
    """Per-operation token buckets of ``rate`` attempts/s (burst ``burst``); ``rate == 0``: unlimited,
    but retry-after hints are still honoured."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        metrics: AwsMetrics | None = None,
    ) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1, int(rate))
        Pacer(rate, self.burst)  # validates
        self._clock = clock
        self._sleep = sleep
        self._pacers: dict[tuple[str, str], Pacer] = {}
        self._metrics = metrics
        self.stats = PacingStats()

    def _pacer(self, service: str, operation: str) -> Pacer:
        key = (service, operation)
        pacer = self._pacers.get(key)
        if pacer is None:
            pacer = self._pacers[key] = Pacer(self.rate, self.burst)
        return pacer

    async def wait_turn(self, service: str, operation: str) -> float:
        """Take a token for one attempt of ``operation``; returns the seconds waited."""
        delay = self._pacer(service, operation).reserve(self._clock())
        if delay > 0:
            self.stats.waits += 1
            self.stats.seconds_waited += delay
            self.stats.by_operation[operation] = self.stats.by_operation.get(operation, 0.0) + delay
            if self._metrics is not None:
                self._metrics.client_wait_seconds.labels(service, operation).inc(delay)
            await self._sleep(delay)
        return delay

    def hold(self, service: str, operation: str, seconds: float) -> None:
        """No attempt of ``operation`` starts in the next ``seconds`` (a retry-after hint)."""
        seconds = min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
        self.stats.hints += 1
        self._pacer(service, operation).hold_until(self._clock() + seconds)

    def install(self, client: Any) -> None:
        """Register the handlers on one aiobotocore client (before any other ``request-created``
        handler, so the request is signed after the wait)."""
        service = client.meta.service_model.service_name
        suffix = client.meta.service_model.service_id.hyphenize()
        events = client.meta.events
        events.register_first(f"request-created.{suffix}", partial(self._on_request_created, service))
        events.register_first(f"needs-retry.{suffix}", partial(self._on_needs_retry, service))

    async def _on_request_created(self, service: str, *, operation_name: str, **_: Any) -> None:
        await self.wait_turn(service, operation_name)

    def _on_needs_retry(self, service: str, *, response: Any, operation: Any, **_: Any) -> None:
        if response is None:
            return
        http_response = response[0]
        if getattr(http_response, "status_code", 200) < 400:
            return
        seconds = retry_after_seconds(http_response.headers.get("Retry-After"), now=time.time())
        if seconds is not None:
            self.hold(service, operation.name, seconds)


def retry_after_seconds(value: str | None, *, now: float) -> float | None:
    """A ``Retry-After`` header value (delta seconds or an HTTP date) as seconds from ``now``."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - now
    return max(0.0, seconds) if seconds == seconds else None
