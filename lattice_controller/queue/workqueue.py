"""A work queue with client-go semantics and two priorities, for asyncio.

Guarantees:

* A key waiting to be handed out is held once, however often it is added (dedup).
* A key is handed to at most one worker at a time: while it is being processed (between ``get`` and ``done``)
  a new ``add`` marks it dirty but does not queue it; ``done`` queues it again, so no update is lost.
* Two priorities: ``HIGH`` (changes made by users) is served before ``LOW`` (initial lists, resyncs); FIFO
  within a priority. Adding a key that is pending at ``LOW`` with ``HIGH`` promotes it to the back of the
  ``HIGH`` line; adding it at ``LOW`` when it is pending at ``HIGH`` changes nothing.

Shutting down (decided here, callers rely on it):

* ``shut_down()`` takes effect at once: further adds are ignored, pending keys are dropped (keys are
  level-triggered, so the next process start re-lists everything) and every current and future ``get``
  returns ``None``. Keys already handed out may still be passed to ``done``.
* ``await shut_down_with_drain()`` does the same, then waits until every handed-out key has been ``done``;
  bound it with a timeout when a grace period applies.

``handled(keys)`` is a future that resolves once each of ``keys`` has been passed to ``done`` (the resync
cycle waits on it before the next cycle may start). A key already in process when it is asked for counts
when that run ends (it was added again, so it runs once more anyway); shutting down resolves it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Hashable, Iterable
from enum import IntEnum
from typing import Generic, TypeVar

from lattice_controller._kits.clock import Clock
from lattice_controller.queue.metrics import NoQueueMetrics, QueueMetrics

K = TypeVar("K", bound=Hashable)


class Priority(IntEnum):
    LOW = 0
    HIGH = 1


class WorkQueue(Generic[K]):
    def __init__(self, name: str, clock: Clock, metrics: QueueMetrics | None = None) -> None:
        self.name = name
        self._clock = clock
        self._metrics: QueueMetrics = metrics if metrics is not None else NoQueueMetrics()
        self._lines: dict[Priority, deque[tuple[K, int]]] = {Priority.HIGH: deque(), Priority.LOW: deque()}
        # Keys in a line, with the ticket of their live entry; entries whose ticket differs are stale
        # (left behind by a promotion) and skipped when popped.
        self._queued: dict[K, tuple[Priority, int]] = {}
        self._tickets = itertools.count()
        self._dirty: dict[K, Priority] = {}
        self._processing: dict[K, float] = {}
        self._ready_since: dict[K, float] = {}
        self._getters: deque[asyncio.Future[None]] = deque()
        self._shutting_down = False
        self._drained: asyncio.Event | None = None
        self._handled: list[tuple[set[K], asyncio.Future[None]]] = []

    def __len__(self) -> int:
        """Keys waiting to be handed out (not those in process, not those delayed)."""
        return len(self._queued)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    @property
    def processing(self) -> int:
        return len(self._processing)

    def add(self, key: K, priority: Priority = Priority.HIGH) -> None:
        if self._shutting_down:
            return
        self._metrics.added()
        known = self._dirty.get(key)
        if known is not None:
            if priority > known:
                self._dirty[key] = priority
                if key in self._queued:
                    self._enqueue(key, priority, keep_ready_since=True)
            return
        self._dirty[key] = priority
        if key in self._processing:
            return
        self._enqueue(key, priority)

    async def get(self) -> K | None:
        """The next key to work on, waiting if none is pending; ``None`` once the queue is shut down."""
        while True:
            if self._shutting_down:
                return None
            key = self._pop()
            if key is not None:
                return key
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()  # pass on the wake-up this getter will not use
                raise
            finally:
                if waiter in self._getters:
                    self._getters.remove(waiter)

    def handled(self, keys: Iterable[K]) -> asyncio.Future[None]:
        """Resolved once every key of ``keys`` has been ``done`` (see the module docstring)."""
        waiting = set(keys)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not waiting or self._shutting_down:
            future.set_result(None)
        else:
            self._handled.append((waiting, future))
        return future

    def done(self, key: K) -> None:
        started = self._processing.pop(key, None)
        if started is None:
            return
        self._metrics.work_duration(self._clock.now() - started)
        if self._handled:
            self._mark_handled(key)
        if self._shutting_down:
            if not self._processing and self._drained is not None:
                self._drained.set()
            return
        priority = self._dirty.get(key)
        if priority is not None:
            self._enqueue(key, priority)

    def _mark_handled(self, key: K) -> None:
        kept = []
        for waiting, future in self._handled:
            waiting.discard(key)
            if future.done():
                continue
            if waiting:
                kept.append((waiting, future))
            else:
                future.set_result(None)
        self._handled = kept

    def shut_down(self) -> None:
        self._shutting_down = True
        for _, future in self._handled:
            if not future.done():
                future.set_result(None)
        self._handled = []
        for line in self._lines.values():
            line.clear()
        self._queued.clear()
        self._dirty.clear()
        self._ready_since.clear()
        self._metrics.depth(0)
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    async def shut_down_with_drain(self) -> None:
        self.shut_down()
        if not self._processing:
            return
        if self._drained is None:
            self._drained = asyncio.Event()
        await self._drained.wait()

    def report_unfinished_work(self) -> None:
        """Push the unfinished-work figures to the metrics hook; runtime calls this periodically."""
        now = self._clock.now()
        running = [now - started for started in self._processing.values()]
        self._metrics.unfinished_work(sum(running), max(running, default=0.0))

    def _enqueue(self, key: K, priority: Priority, *, keep_ready_since: bool = False) -> None:
        ticket = next(self._tickets)
        self._queued[key] = (priority, ticket)
        self._lines[priority].append((key, ticket))
        if not keep_ready_since:
            self._ready_since[key] = self._clock.now()
        self._metrics.depth(len(self._queued))
        self._wake_one()

    def _pop(self) -> K | None:
        for priority in (Priority.HIGH, Priority.LOW):
            line = self._lines[priority]
            while line:
                key, ticket = line.popleft()
                if self._queued.get(key) != (priority, ticket):
                    continue
                del self._queued[key]
                del self._dirty[key]
                now = self._clock.now()
                self._processing[key] = now
                self._metrics.queue_latency(now - self._ready_since.pop(key, now))
                self._metrics.depth(len(self._queued))
                return key
        return None

    def _wake_one(self) -> None:
        while self._getters:
            waiter = self._getters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
