"""Periodic resync in cycles: one cycle enqueues every key of every resynced controller at LOW priority.

AWS cannot be watched, so drift is found by revisiting keys; LOW priority keeps user changes ahead of the
sweep, and the queue's dedup makes a sweep over keys already pending free.

One driver runs the cycles of all controllers together, because they share the inventory's listings: a
cycle starts with ``on_cycle`` (the inventory forgets its listings, so each is listed once in the cycle
and shared by every reconcile of it), then enqueues the keys, then waits until each key it enqueued has
been handled. The next cycle starts ``interval`` seconds plus up to 20 % jitter after that: cycles never
overlap, however long one takes (at 10 requests/s per operation, a cycle of N routes takes at least N ÷ 10
seconds: each route lists its service's listeners). A cycle whose keys are not all handled after
``MAX_WAIT_INTERVALS`` intervals (a reconcile that hangs) is given up, logged, and the next one starts.
"""

from __future__ import annotations

import asyncio
import random as _random
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import structlog

from lattice_controller._kits.clock import Clock
from lattice_controller.queue import Priority, WorkQueue

K = TypeVar("K", bound=Hashable)

RESYNC_JITTER = 0.2
MAX_WAIT_INTERVALS = 10


@dataclass(frozen=True, slots=True)
class Sweep(Generic[K]):
    """One controller's part of a cycle: its queue and what lists its keys (its cache store)."""

    queue: WorkQueue[K]
    list_keys: Callable[[], Iterable[K]]


class CycleMetrics(Protocol):
    def cycle_finished(self, seconds: float, keys: int, *, complete: bool) -> None: ...


async def run_resync_cycles(
    sweeps: Sequence[Sweep[Any]],
    interval: float,
    clock: Clock,
    *,
    on_cycle: Callable[[], None] | None = None,
    metrics: CycleMetrics | None = None,
    jitter: float = RESYNC_JITTER,
    random: Callable[[], float] = _random.random,
    logger: Any = None,
) -> None:
    """Run cycles until cancelled or every queue shuts down; returns at once when ``interval`` is 0."""
    log = logger if logger is not None else structlog.get_logger("lattice_controller.runtime.resync")
    if interval <= 0 or not sweeps:
        return
    while not all(sweep.queue.shutting_down for sweep in sweeps):
        await clock.sleep(interval * (1.0 + jitter * random()))
        if on_cycle is not None:
            on_cycle()
        started = clock.now()
        waits: list[asyncio.Future[None]] = []
        enqueued = 0
        for sweep in sweeps:
            try:
                keys = list(sweep.list_keys())
            except Exception:
                log.exception("resync could not list keys", queue=sweep.queue.name)
                continue
            for key in keys:
                sweep.queue.add(key, Priority.LOW)
            waits.append(sweep.queue.handled(keys))
            enqueued += len(keys)
            log.debug("resync enqueued keys", queue=sweep.queue.name, keys=len(keys))
        complete = await _all_or_give_up(waits, clock, MAX_WAIT_INTERVALS * interval)
        seconds = clock.now() - started
        if not complete:
            log.warning("resync cycle gave up waiting for its keys", keys=enqueued, seconds=round(seconds, 1))
        else:
            log.debug("resync cycle finished", keys=enqueued, seconds=round(seconds, 1))
        if metrics is not None:
            metrics.cycle_finished(seconds, enqueued, complete=complete)


async def _all_or_give_up(waits: list[asyncio.Future[None]], clock: Clock, give_up_after: float) -> bool:
    if all(w.done() for w in waits):
        return True
    everything: asyncio.Future[Any] = asyncio.ensure_future(asyncio.gather(*waits))
    deadline: asyncio.Future[Any] = asyncio.ensure_future(clock.sleep(give_up_after))
    try:
        await asyncio.wait([everything, deadline], return_when=asyncio.FIRST_COMPLETED)
    finally:
        deadline.cancel()
        if not everything.done():
            everything.cancel()
    return everything.done() and not everything.cancelled()


async def run_periodic_resync(
    queue: WorkQueue[K],
    list_keys: Callable[[], Iterable[K]],
    interval: float,
    clock: Clock,
    *,
    jitter: float = RESYNC_JITTER,
    random: Callable[[], float] = _random.random,
    logger: Any = None,
) -> None:
    """The cycles of one controller alone (see ``run_resync_cycles``)."""
    await run_resync_cycles(
        [Sweep(queue, list_keys)], interval, clock, jitter=jitter, random=random, logger=logger
    )
