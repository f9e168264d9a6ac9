"""The manager: starts and stops everything in a fixed order.

Start: probe and metrics servers → ``wait_synced`` (caches filled) → leader election (when enabled) → worker
pools and leader-only loops. Readiness (``/readyz``) turns true once caches are synced and, with leader
election, while the elector is healthy (leading and renewing, or standing by).

Stop (``request_stop``, SIGTERM or SIGINT): queues stop handing out keys, in-flight reconciles get
``shutdown_grace_seconds`` to finish and are cancelled after that, leader loops are cancelled, the Lease is
released, servers stop; ``run`` returns 0. Losing the Lease cancels workers and leader loops at once and
``run`` returns 1, so the process exits and restarts as a fresh candidate.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import structlog

from lattice_controller._kits.clock import Clock, RealClock
from lattice_controller.runtime.http import HttpServer, Probes
from lattice_controller.runtime.leader import LeaderElector, LeadershipLost
from lattice_controller.runtime.workers import WorkerPool

EXIT_OK = 0
EXIT_LEADERSHIP_LOST = 1
EXIT_FAILED = 1

LeaderLoop = Callable[[], Coroutine[Any, Any, None]]


class Manager:
    def __init__(
        self,
        *,
        pools: Sequence[WorkerPool[Any]],
        wait_synced: Callable[[], Awaitable[None]],
        elector: LeaderElector | None = None,
        leader_loops: Sequence[LeaderLoop] = (),
        probes: Probes | None = None,
        servers: Sequence[HttpServer] = (),
        shutdown_grace_seconds: float = 25.0,
        clock: Clock | None = None,
        logger: Any = None,
    ) -> None:
        self._pools = list(pools)
        self._wait_synced = wait_synced
        self._elector = elector
        self._leader_loops = list(leader_loops)
        self.probes = probes if probes is not None else Probes()
        self._servers = list(servers)
        self._grace = shutdown_grace_seconds
        self._clock = clock if clock is not None else RealClock()
        self._log = (
            logger if logger is not None else structlog.get_logger("lattice_controller.runtime.manager")
        )
        self._stop = asyncio.Event()
        self.synced = False
        self.probes.add_readiness_check("caches-synced", lambda: self.synced)
        if elector is not None:
            self.probes.add_readiness_check("leader-election", elector.healthy)
            self.probes.add_health_check("leader-election", elector.healthy)

    def request_stop(self) -> None:
        self._stop.set()

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._on_signal, signum)

    def _on_signal(self, signum: int) -> None:
        self._log.info("stop requested", signal=signal.Signals(signum).name)
        self.request_stop()

    async def run(self) -> int:
        """Run until stopped; the exit status for the process."""
        try:
            for server in self._servers:
                await server.start()
            return await self._run_started()
        finally:
            for server in reversed(self._servers):
                await server.stop()
            self._log.info("manager stopped")

    async def _run_started(self) -> int:
        if not await self._until_stopped(self._wait_synced()):
            return EXIT_OK
        self.synced = True
        self._log.info("caches synced")
        if self._elector is not None and not await self._until_stopped(self._elector.acquire()):
            return EXIT_OK

        pool_tasks = [asyncio.create_task(pool.run(), name=f"pool-{pool.name}") for pool in self._pools]
        loop_tasks = [
            asyncio.create_task(loop(), name=f"leader-loop-{i}") for i, loop in enumerate(self._leader_loops)
        ]
        holder = asyncio.create_task(self._hold(), name="leader-hold")
        stop_wait = asyncio.create_task(self._stop.wait(), name="stop-wait")
        self._log.info("workers started", controllers=[pool.name for pool in self._pools])
        try:
            await asyncio.wait([holder, stop_wait, *pool_tasks], return_when=asyncio.FIRST_COMPLETED)
            if holder.done() and isinstance(holder.exception(), LeadershipLost):
                self._log.error("stopping workers at once: leadership lost")
                await _cancel_all([*pool_tasks, *loop_tasks])
                for pool in self._pools:
                    pool.queue.shut_down()
                return EXIT_LEADERSHIP_LOST
            crashed = [task for task in pool_tasks if task.done()]
            if crashed and not self._stop.is_set():
                for task in crashed:
                    error = None if task.cancelled() else task.exception()
                    self._log.error(
                        "a worker pool stopped unexpectedly", pool=task.get_name(), error=repr(error)
                    )
                await self._drain(pool_tasks)
                await _cancel_all(loop_tasks)
                await _cancel_all([holder])
                await self._release()
                return EXIT_FAILED
            await self._drain(pool_tasks)
            await _cancel_all(loop_tasks)
            await _cancel_all([holder])
            await self._release()
            return EXIT_OK
        finally:
            await _cancel_all([holder, stop_wait, *pool_tasks, *loop_tasks])

    async def _hold(self) -> None:
        if self._elector is None:
            await asyncio.Event().wait()  # no election: leadership is never lost
            return
        await self._elector.hold()

    async def _drain(self, pool_tasks: list[asyncio.Task[None]]) -> None:
        """Stop handing out keys; give in-flight reconciles the grace period, then cancel them."""
        for pool in self._pools:
            pool.queue.shut_down()
        in_flight = sum(pool.in_flight for pool in self._pools)
        self._log.info("stopping workers", in_flight=in_flight, grace_seconds=self._grace)
        if not pool_tasks:
            return
        grace = asyncio.create_task(self._clock.sleep(self._grace))
        try:
            await asyncio.wait([grace, *pool_tasks], return_when=asyncio.FIRST_COMPLETED)
            pending = [task for task in pool_tasks if not task.done()]
            while pending and not grace.done():
                await asyncio.wait([grace, *pending], return_when=asyncio.FIRST_COMPLETED)
                pending = [task for task in pool_tasks if not task.done()]
            if pending:
                self._log.warning(
                    "grace period over: cancelling reconciles still running",
                    in_flight=sum(pool.in_flight for pool in self._pools),
                )
        finally:
            await _cancel_all([grace, *pool_tasks])

    async def _release(self) -> None:
        if self._elector is not None:
            await self._elector.release()

    async def _until_stopped(self, work: Awaitable[None]) -> bool:
        """Run ``work`` unless a stop comes first; True when ``work`` finished."""
        task = asyncio.ensure_future(work)
        stop_wait = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait([task, stop_wait], return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                task.result()  # re-raise a failure of work
                return True
            self._log.info("stopped before start-up finished")
            return False
        finally:
            await _cancel_all([task, stop_wait])


async def _cancel_all(tasks: Sequence[asyncio.Future[Any]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
