"""Periodic resync: every ``interval`` seconds plus up to 20 % jitter, enqueue every key at LOW priority.

AWS cannot be watched, so drift is found by revisiting keys; LOW priority keeps user changes ahead of the
sweep, and the queue's dedup makes a sweep over keys already pending free.
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

import structlog

from lattice_controller._kits.clock import Clock
from lattice_controller.queue import Priority, WorkQueue

K = TypeVar("K", bound=Hashable)

RESYNC_JITTER = 0.2


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
    """Run until cancelled or the queue shuts down; returns at once when ``interval`` is 0 (disabled)."""
    log = logger if logger is not None else structlog.get_logger("lattice_controller.runtime.resync")
    if interval <= 0:
        return
    while not queue.shutting_down:
        await clock.sleep(interval * (1.0 + jitter * random()))
        try:
            keys = list(list_keys())
        except Exception:
            log.exception("resync could not list keys", queue=queue.name)
            continue
        for key in keys:
            queue.add(key, Priority.LOW)
        log.debug("resync enqueued keys", queue=queue.name, keys=len(keys))
