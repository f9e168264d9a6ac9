"""Manager start/stop order, graceful shutdown, grace period, leadership loss, signals."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime

from lattice_controller._kits.clock import FakeClock, settle
from lattice_controller.kube.lease import LeaseRecord
from lattice_controller.model.outcomes import Outcome, Success
from lattice_controller.queue import RateLimitingQueue
from lattice_controller.runtime.leader import LeaderElector
from lattice_controller.runtime.manager import EXIT_LEADERSHIP_LOST, EXIT_OK, Manager
from lattice_controller.runtime.workers import WorkerPool
from tests.unit.test_leader import MemoryLeaseStore, WallClock


class GatedReconciler:
    """Each reconcile waits until the test opens the gate; records what happened."""

    name = "gated"

    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.gate = asyncio.Event()

    async def reconcile(self, key: str) -> Outcome:
        self.events.append(f"start {key}")
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.events.append(f"cancelled {key}")
            raise
        self.events.append(f"end {key}")
        return Success()


class Harness:
    def __init__(self, *, elect: bool = True, grace: float = 5.0) -> None:
        self.clock = FakeClock()
        self.events: list[str] = []
        self.synced = asyncio.Event()
        self.store = MemoryLeaseStore()
        self.reconciler = GatedReconciler(self.events)
        self.queue: RateLimitingQueue[str] = RateLimitingQueue("gated", self.clock)
        self.elector = (
            LeaderElector(
                self.store, self.clock, identity="me", wall_clock=WallClock(self.clock), random=lambda: 0.0
            )
            if elect
            else None
        )
        self.loop_runs = 0
        self.manager = Manager(
            pools=[WorkerPool(self.reconciler, self.queue, workers=2, clock=self.clock)],
            wait_synced=self._wait_synced,
            elector=self.elector,
            leader_loops=[self._leader_loop],
            shutdown_grace_seconds=grace,
            clock=self.clock,
        )

    async def _wait_synced(self) -> None:
        self.events.append("waiting for caches")
        await self.synced.wait()

    async def _leader_loop(self) -> None:
        self.events.append("leader loop")
        try:
            await asyncio.Event().wait()
        finally:
            self.events.append("leader loop stopped")

    def ready(self) -> bool:
        return all(check() for check in self.manager.probes.readiness.values())


async def test_start_order_caches_then_leader_then_workers() -> None:
    h = Harness()
    h.queue.add("k1")
    run = asyncio.create_task(h.manager.run())
    await settle()
    assert h.events == ["waiting for caches"]
    assert not h.ready()
    h.store._write(h.store.record or _foreign_record())  # someone else leads
    h.synced.set()
    await settle()
    assert h.ready()  # synced, and standing by healthily
    assert h.events == ["waiting for caches"]
    await h.clock.step(18)  # the foreign lease expires after 15 s unchanged
    assert h.elector is not None
    assert h.elector.is_leader
    assert h.events[1:] == ["start k1", "leader loop"] or h.events[1:] == ["leader loop", "start k1"]
    h.reconciler.gate.set()
    await settle()
    h.manager.request_stop()
    assert await asyncio.wait_for(run, 1) == EXIT_OK


def _foreign_record() -> LeaseRecord:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    return LeaseRecord("other", 15, moment, moment, 0)


async def test_stop_finishes_in_flight_work_within_grace_then_releases_the_lease() -> None:
    h = Harness(grace=5)
    h.synced.set()
    h.queue.add("k1")
    run = asyncio.create_task(h.manager.run())
    await settle()
    assert h.events[-2:] in (["start k1", "leader loop"], ["leader loop", "start k1"])
    h.queue.add("k2")
    await settle()
    h.manager.request_stop()
    await settle()
    h.queue.add("k3")  # ignored: no new keys once stopping
    await h.clock.step(2)
    assert not run.done()
    h.reconciler.gate.set()
    assert await asyncio.wait_for(run, 1) == EXIT_OK
    assert "end k1" in h.events
    assert "end k2" in h.events
    assert "start k3" not in h.events
    assert h.events[-1] == "leader loop stopped"
    assert h.store.record is not None
    assert h.store.record.holder_identity == ""


async def test_grace_period_over_cancels_reconciles() -> None:
    h = Harness(grace=5)
    h.synced.set()
    h.queue.add("k1")
    run = asyncio.create_task(h.manager.run())
    await settle()
    h.manager.request_stop()
    await h.clock.step(4.9)
    assert not run.done()
    await h.clock.step(0.2)
    assert await asyncio.wait_for(run, 1) == EXIT_OK
    assert "cancelled k1" in h.events
    assert h.queue.processing == 0


async def test_leadership_loss_stops_workers_at_once_and_keeps_the_lease_untouched() -> None:
    h = Harness(grace=30)
    h.synced.set()
    h.queue.add("k1")
    run = asyncio.create_task(h.manager.run())
    await settle()
    assert "start k1" in h.events
    h.store.fail_with = ConnectionError("apiserver unreachable")
    await h.clock.step(10.5)
    assert await asyncio.wait_for(run, 1) == EXIT_LEADERSHIP_LOST
    assert "cancelled k1" in h.events
    assert "leader loop stopped" in h.events
    assert h.store.record is not None
    assert h.store.record.holder_identity == "me"


async def test_stop_before_caches_sync_exits_cleanly() -> None:
    h = Harness()
    run = asyncio.create_task(h.manager.run())
    await settle()
    h.manager.request_stop()
    assert await asyncio.wait_for(run, 1) == EXIT_OK
    assert h.store.writes == []


async def test_stop_while_standing_by_exits_cleanly() -> None:
    h = Harness()
    h.store._write(_foreign_record())
    h.synced.set()
    run = asyncio.create_task(h.manager.run())
    await h.clock.step(5)
    h.manager.request_stop()
    assert await asyncio.wait_for(run, 1) == EXIT_OK
    assert [r.holder_identity for r in h.store.writes] == ["other"]


async def test_without_election_workers_start_after_sync() -> None:
    h = Harness(elect=False)
    h.queue.add("k1")
    run = asyncio.create_task(h.manager.run())
    await settle()
    assert h.events == ["waiting for caches"]
    h.synced.set()
    await settle()
    assert "start k1" in h.events
    h.reconciler.gate.set()
    h.manager.request_stop()
    assert await asyncio.wait_for(run, 1) == EXIT_OK


async def test_sigterm_requests_a_clean_stop() -> None:
    h = Harness(elect=False)
    h.synced.set()
    h.manager.install_signal_handlers()
    run = asyncio.create_task(h.manager.run())
    await settle()
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(run, 2) == EXIT_OK
    asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
    asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
