"""Leader election timing with a fake clock and an in-memory Lease store."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from lattice_controller._kits.clock import FakeClock, settle
from lattice_controller.kube.errors import Conflict, KubeError
from lattice_controller.kube.lease import LeaseRecord
from lattice_controller.runtime.leader import ElectionTiming, LeaderElector, LeadershipLost, default_identity


class MemoryLeaseStore:
    """Optimistic concurrency like the apiserver: writes must carry the current resourceVersion."""

    def __init__(self) -> None:
        self.record: LeaseRecord | None = None
        self.version = 0
        self.fail_with: Exception | None = None
        self.writes: list[LeaseRecord] = []

    def _check(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with

    async def get(self) -> LeaseRecord | None:
        self._check()
        return self.record

    async def create(self, record: LeaseRecord) -> LeaseRecord:
        self._check()
        if self.record is not None:
            raise Conflict(409, "AlreadyExists")
        return self._write(record)

    async def replace(self, record: LeaseRecord) -> LeaseRecord:
        self._check()
        if self.record is None or record.resource_version != self.record.resource_version:
            raise Conflict(409, "Conflict")
        return self._write(record)

    def _write(self, record: LeaseRecord) -> LeaseRecord:
        self.version += 1
        self.record = replace(record, resource_version=str(self.version))
        self.writes.append(self.record)
        return self.record


class WallClock:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def __call__(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.clock.now())


def elector(store: MemoryLeaseStore, clock: FakeClock, identity: str) -> LeaderElector:
    return LeaderElector(store, clock, identity=identity, wall_clock=WallClock(clock), random=lambda: 0.0)


async def test_first_candidate_creates_the_lease() -> None:
    clock = FakeClock()
    store = MemoryLeaseStore()
    first = elector(store, clock, "a")
    await first.acquire()
    assert first.is_leader
    assert store.record is not None
    assert (
        store.record.holder_identity,
        store.record.lease_duration_seconds,
        store.record.lease_transitions,
    ) == ("a", 15, 0)
    assert store.record.acquire_time == store.record.renew_time == datetime(2026, 1, 1, tzinfo=UTC)


async def test_leader_renews_every_retry_period_keeping_acquire_time() -> None:
    clock = FakeClock()
    store = MemoryLeaseStore()
    leader = elector(store, clock, "a")
    await leader.acquire()
    holding = asyncio.create_task(leader.hold())
    await clock.step(6.5)
    assert [w.renew_time.second for w in store.writes if w.renew_time] == [0, 2, 4, 6]
    assert {w.acquire_time for w in store.writes} == {datetime(2026, 1, 1, tzinfo=UTC)}
    holding.cancel()
    await asyncio.gather(holding, return_exceptions=True)


async def test_standby_takes_over_only_after_the_lease_duration_of_an_unchanged_record() -> None:
    clock = FakeClock()
    store = MemoryLeaseStore()
    await elector(store, clock, "a").acquire()  # "a" then goes silent (crashed)
    standby = elector(store, clock, "b")
    acquiring = asyncio.create_task(standby.acquire())
    await clock.step(14.9)
    assert not acquiring.done()
    await clock.step(2.2)  # next retry at 16 s: 15 s since "b" first saw the record
    assert acquiring.done()
    assert standby.is_leader
    assert store.record is not None
    assert (store.record.holder_identity, store.record.lease_transitions) == ("b", 1)


async def test_standby_waits_while_the_leader_keeps_renewing() -> None:
    clock = FakeClock()
    store = MemoryLeaseStore()
    leader = elector(store, clock, "a")
    await leader.acquire()
    holding = asyncio.create_task(leader.hold())
    acquiring = asyncio.create_task(elector(store, clock, "b").acquire())
    await clock.step(60)
    assert not acquiring.done()
    assert leader.is_leader
    for task in (holding, acquiring):
        task.cancel()
    await asyncio.gather(holding, acquiring, return_exceptions=True)


async def test_leader_that_cannot_renew_stops_before_anyone_can_take_over() -> None:
    clock = FakeClock()
    store = MemoryLeaseStore()
    leader = elector(store, clock, "a")
    await leader.acquire()
    holding = asyncio.create_task(leader.hold())
    acquiring = asyncio.create_task(elector(store, clock, "b").acquire())
    await clock.step(4.5)  # renewed at 2 and 4
    store.fail_with = KubeError(503, "ServiceUnavailable")
    await clock.step(9.4)
    assert not holding.done()
    await clock.step(0.2)  # 14 s = 10 s after the last good renew at 4 s
    assert holding.done()
    with pytest.raises(LeadershipLost, match="renew deadline"):
        holding.result()
    assert not leader.is_leader
    lost_at = clock.now()
    store.fail_with = None
    await clock.step(30)
    assert acquiring.done()
    assert store.record is not None
    assert store.record.holder_identity == "b"
    taken_at = store.record.renew_time
    assert taken_at is not None
    assert (taken_at - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds() >= lost_at


async def test_leader_loses_at_once_when_the_lease_shows_another_holder() -> None:
    clock = FakeClock()
    store = MemoryLeaseStore()
    leader = elector(store, clock, "a")
    await leader.acquire()
    holding = asyncio.create_task(leader.hold())
    assert store.record is not None
    store._write(replace(store.record, holder_identity="intruder"))
    await clock.step(2.1)
    assert holding.done()
    with pytest.raises(LeadershipLost, match="taken by intruder"):
        holding.result()


async def test_release_frees_the_lease_for_an_immediate_takeover() -> None:
    clock = FakeClock()
    store = MemoryLeaseStore()
    leader = elector(store, clock, "a")
    await leader.acquire()
    standby = elector(store, clock, "b")
    acquiring = asyncio.create_task(standby.acquire())
    await clock.step(3)
    await leader.release()
    assert not leader.is_leader
    assert store.record is not None
    assert (store.record.holder_identity, store.record.lease_duration_seconds) == ("", 1)
    await clock.step(2.5)
    assert acquiring.done()
    assert store.record.holder_identity == "b"


async def test_release_when_someone_else_holds_it_writes_nothing() -> None:
    clock = FakeClock()
    store = MemoryLeaseStore()
    leader = elector(store, clock, "a")
    await leader.acquire()
    assert store.record is not None
    store._write(replace(store.record, holder_identity="other"))
    writes = len(store.writes)
    await leader.release()
    assert len(store.writes) == writes
    await elector(store, clock, "never-led").release()
    store.fail_with = KubeError(500, "boom")
    leader.is_leader = True
    await leader.release()  # logged, not raised


async def test_conflicting_writers_only_one_wins() -> None:
    clock = FakeClock()
    store = MemoryLeaseStore()
    candidates = [elector(store, clock, name) for name in "abc"]
    tasks = [asyncio.create_task(c.acquire()) for c in candidates]
    await settle()
    await clock.step(10)
    assert sum(c.is_leader for c in candidates) == 1
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_healthy_reflects_renewals() -> None:
    clock = FakeClock()
    store = MemoryLeaseStore()
    leader = elector(store, clock, "a")
    assert leader.healthy()
    await leader.acquire()
    assert leader.healthy()
    clock.advance(10)
    assert not leader.healthy()


async def test_hold_without_lease_refuses() -> None:
    with pytest.raises(LeadershipLost):
        await elector(MemoryLeaseStore(), FakeClock(), "a").hold()


def test_timing_is_validated_and_identity_is_unique() -> None:
    with pytest.raises(ValueError, match="retry_period < renew_deadline < lease_duration"):
        ElectionTiming(lease_duration=10, renew_deadline=10, retry_period=2)
    first, second = default_identity(), default_identity()
    assert first != second
    assert first.rsplit("_", 1)[0] == second.rsplit("_", 1)[0]
