"""The worker pool of one controller: N workers take keys from its queue, reconcile, and map the outcome.

The only place that turns outcomes into queue calls:

========================= ===================================================== =========================
outcome                   queue calls (then always ``done``)                    ``reconcile_total`` result
========================= ===================================================== =========================
``Success``               ``forget``                                            ``success``
``RequeueAfter(s)``       ``forget``, ``add_after(key, s)``                     ``requeue_after``
``Terminal(reason)``      ``forget``; logged, counted as terminal error         ``error``
exception (or bad value)  ``add_rate_limited``; logged with traceback, counted  ``error``
========================= ===================================================== =========================

A worker never dies of a reconcile: only cancellation ends it early. Workers stop when ``queue.get`` returns
``None`` (queue shut down); a reconcile in flight runs to its end unless the task is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Hashable
from typing import Any, Generic, Protocol, TypeVar

import structlog

from lattice_controller._kits.clock import Clock, RealClock
from lattice_controller.model.outcomes import Outcome, RequeueAfter, Success, Terminal
from lattice_controller.queue import RateLimitingQueue
from lattice_controller.runtime.logs import reconcile_context
from lattice_controller.runtime.metrics import ControllerMetrics

K = TypeVar("K", bound=Hashable)
K_contra = TypeVar("K_contra", bound=Hashable, contravariant=True)

UNFINISHED_WORK_PERIOD = 1.0


class Reconciler(Protocol[K_contra]):
    """One controller's reconcile: given only a key, bring the world in line with the cache."""

    @property
    def name(self) -> str: ...

    async def reconcile(self, key: K_contra) -> Outcome: ...


class WorkerPool(Generic[K]):
    def __init__(
        self,
        reconciler: Reconciler[K],
        queue: RateLimitingQueue[K],
        workers: int = 1,
        *,
        metrics: ControllerMetrics | None = None,
        clock: Clock | None = None,
        logger: Any = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.reconciler = reconciler
        self.queue = queue
        self.workers = workers
        self._metrics = metrics
        self._clock = clock if clock is not None else RealClock()
        self._log = (
            logger if logger is not None else structlog.get_logger("lattice_controller.runtime.workers")
        )
        self._in_flight = 0
        self._handled = 0
        if metrics is not None:
            metrics.set_max_concurrent(workers)

    @property
    def name(self) -> str:
        return self.reconciler.name

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def handled(self) -> int:
        """Reconciles finished since the pool was made, whatever their outcome."""
        return self._handled

    async def run(self) -> None:
        """Run the workers until the queue is shut down and every worker has finished its key."""
        reporter = asyncio.create_task(self._report_unfinished_work(), name=f"{self.name}-unfinished-work")
        try:
            async with asyncio.TaskGroup() as group:
                for index in range(self.workers):
                    group.create_task(self._work(), name=f"{self.name}-worker-{index}")
        finally:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter

    async def process_one(self) -> bool:
        """Take one key, reconcile it and mark it done; False once the queue is shut down. For tests."""
        key = await self.queue.get()
        if key is None:
            return False
        try:
            await self._reconcile(key)
        finally:
            self.queue.done(key)
        return True

    async def _work(self) -> None:
        while await self.process_one():
            pass

    async def _reconcile(self, key: K) -> None:
        with reconcile_context(self.name, key):
            self._in_flight += 1
            if self._metrics is not None:
                self._metrics.worker_started()
            started = self._clock.now()
            try:
                result, terminal = await self._reconcile_and_map(key)
            finally:
                self._in_flight -= 1
                self._handled += 1
                if self._metrics is not None:
                    self._metrics.worker_finished()
            elapsed = self._clock.now() - started
            if self._metrics is not None:
                self._metrics.reconciled(result, elapsed, error=result == "error", terminal=terminal)

    async def _reconcile_and_map(self, key: K) -> tuple[str, bool]:
        """The ``reconcile_total`` result, and whether the error was terminal."""
        self._log.debug("reconcile started")
        try:
            outcome = await self.reconciler.reconcile(key)
            if not isinstance(outcome, Success | RequeueAfter | Terminal):
                raise TypeError(f"reconcile returned {outcome!r}, not an Outcome")
        except asyncio.CancelledError:
            self._log.info("reconcile cancelled")
            raise
        except Exception:
            self._log.exception("reconcile failed", retries=self.queue.num_requeues(key))
            self.queue.add_rate_limited(key)
            return "error", False
        match outcome:
            case Success():
                self.queue.forget(key)
                self._log.debug("reconcile succeeded")
                return "success", False
            case RequeueAfter(seconds=seconds):
                self.queue.forget(key)
                self.queue.add_after(key, seconds)
                self._log.debug("reconcile requeued", after_seconds=seconds)
                return "requeue_after", False
            case Terminal(reason=reason):
                self.queue.forget(key)
                self._log.error("reconcile failed permanently", reason=reason)
                return "error", True
        raise AssertionError("unreachable")  # pragma: no cover

    async def _report_unfinished_work(self) -> None:
        while True:
            self.queue.report_unfinished_work()
            await self._clock.sleep(UNFINISHED_WORK_PERIOD)
