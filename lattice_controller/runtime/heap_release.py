"""Giving the heap back after a burst of reconciles (docs/operations.md, "Memory").

A burst (a thousand routes created, a restart's first reconcile of every key, a resync cycle) parses
thousands of AWS and Kubernetes answers whose garbage is freed in pieces, some of it only by the
cyclic collector's rare oldest-generation passes, and the C allocator keeps the freed pages mapped:
left alone, the process would stay at the peak of the burst. Once a burst is over — at least
``min_reconciles`` reconciles since the last release, and no key queued or in flight at two checks in a
row — the loop collects the garbage and asks the allocator to return free pages (``release``). One
release per burst, none while idle or busy, and none within ``min_interval`` seconds of the last (or of
the start): a full collection walks the whole cache (a few hundred ms at 10,000 Pods) and stalls the
event loop, webhook included, so a steady trickle of Pods must not set one off every few seconds. Runs on
the leader, beside the workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import structlog

from lattice_controller._kits.clock import Clock

CHECK_SECONDS = 2.0
MIN_RECONCILES = 100
MIN_INTERVAL_SECONDS = 30.0

_log = structlog.get_logger("lattice_controller.runtime.heap_release")


class _Queue(Protocol):
    def __len__(self) -> int: ...


class Pool(Protocol):
    """What the loop reads of a ``WorkerPool``."""

    @property
    def queue(self) -> _Queue: ...

    @property
    def in_flight(self) -> int: ...

    @property
    def handled(self) -> int: ...


def idle(pools: Sequence[Pool]) -> bool:
    return all(pool.in_flight == 0 and len(pool.queue) == 0 for pool in pools)


def handled(pools: Sequence[Pool]) -> int:
    return sum(pool.handled for pool in pools)


async def release_after_bursts(
    pools: Sequence[Pool],
    clock: Clock,
    release: Callable[[], Any],
    *,
    check_seconds: float = CHECK_SECONDS,
    min_reconciles: int = MIN_RECONCILES,
    min_interval: float = MIN_INTERVAL_SECONDS,
    resident: Callable[[], int | None] = lambda: None,
    on_release: Callable[[int], None] = lambda reconciles: None,
) -> None:
    """Call ``release()`` once after each burst (see the module docstring); runs until cancelled.
    ``resident()``: the process's resident bytes, logged before and after each release;
    ``on_release(reconciles)``: told after each release how many reconciles the pools had handled."""
    released_at = handled(pools)
    released_when = clock.now()
    was_idle = False
    while True:
        await clock.sleep(check_seconds)
        now_idle = idle(pools)
        done = handled(pools)
        if (
            now_idle
            and was_idle
            and done - released_at >= min_reconciles
            and clock.now() - released_when >= min_interval
        ):
            before = resident()
            release()
            after = resident()
            released_at, released_when = done, clock.now()
            on_release(done)
            _log.info("heap released after a burst", reconciles=done, rss_before=before, rss_after=after)
        was_idle = now_idle
