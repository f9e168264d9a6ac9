"""The queue controllers use: a ``WorkQueue`` plus delayed adds (on a ``Clock``) and rate-limited retries.

* ``add_after(key, seconds)`` makes the key ready after ``seconds``; a key waiting for several delays becomes
  ready once, at the earliest time, with the highest priority asked for.
* ``add_rate_limited(key)`` asks the rate limiter how long to wait and counts a retry.
* ``forget(key)`` clears the key's failure history; it does not replace ``done``.

Delays are served by one background task per queue, started on the first delayed add; call ``add_after`` and
``add_rate_limited`` from within the event loop. ``shut_down`` drops delayed keys too.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools

from lattice_controller._kits.clock import Clock
from lattice_controller.queue.metrics import QueueMetrics
from lattice_controller.queue.ratelimit import RateLimiter, default_controller_rate_limiter
from lattice_controller.queue.workqueue import K, Priority, WorkQueue


class RateLimitingQueue(WorkQueue[K]):
    def __init__(
        self,
        name: str,
        clock: Clock,
        rate_limiter: RateLimiter | None = None,
        metrics: QueueMetrics | None = None,
    ) -> None:
        super().__init__(name, clock, metrics)
        self._rate_limiter = (
            rate_limiter if rate_limiter is not None else default_controller_rate_limiter(clock)
        )
        self._waiting: dict[K, tuple[float, Priority]] = {}
        self._heap: list[tuple[float, int, K]] = []
        self._order = itertools.count()
        self._timer: asyncio.Task[None] | None = None
        self._timer_deadline = float("inf")

    @property
    def delayed(self) -> int:
        """Keys waiting for a delay to pass."""
        return len(self._waiting)

    def add_after(self, key: K, seconds: float, priority: Priority = Priority.HIGH) -> None:
        if self.shutting_down:
            return
        if seconds <= 0:
            self.add(key, priority)
            return
        ready_at = self._clock.now() + seconds
        known = self._waiting.get(key)
        if known is not None:
            known_at, known_priority = known
            priority = max(priority, known_priority)
            if known_at <= ready_at:
                self._waiting[key] = (known_at, priority)
                return
        self._waiting[key] = (ready_at, priority)
        heapq.heappush(self._heap, (ready_at, next(self._order), key))
        if self._timer is None or ready_at < self._timer_deadline:
            self._restart_timer()

    def add_rate_limited(self, key: K, priority: Priority = Priority.HIGH) -> None:
        if self.shutting_down:
            return
        self._metrics.retried()
        self.add_after(key, self._rate_limiter.when(key), priority)

    def forget(self, key: K) -> None:
        self._rate_limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return self._rate_limiter.num_requeues(key)

    def shut_down(self) -> None:
        super().shut_down()
        self._waiting.clear()
        self._heap.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_deadline = float("inf")

    def _restart_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().create_task(
            self._run_timer(), name=f"queue-{self.name}-delays"
        )

    async def _run_timer(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while self._heap:
                self._timer_deadline = self._heap[0][0]
                wait = self._timer_deadline - self._clock.now()
                if wait > 0:
                    await self._clock.sleep(wait)
                self._release_due()
            self._timer_deadline = float("inf")
            if self._timer is asyncio.current_task():
                self._timer = None

    def _release_due(self) -> None:
        now = self._clock.now()
        while self._heap and self._heap[0][0] <= now:
            ready_at, _, key = heapq.heappop(self._heap)
            known = self._waiting.get(key)
            if known is None or known[0] != ready_at:
                continue  # superseded by an earlier ready time
            del self._waiting[key]
            self.add(key, known[1])
