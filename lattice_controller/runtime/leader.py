"""Leader election on a Lease (``amazon-vpc-lattice.io`` in the pod namespace), with client-go's timing rules.

* A candidate tries every ``retry_period`` (jittered up to +20 %) to create the Lease or take it over. A Lease
  held by someone else is taken over only when its record has not changed for ``leaseDurationSeconds``
  measured on *our* monotonic clock from when we first saw that record — clocks of different machines are
  never compared. An empty holder (a released Lease) is free at once.
* The leader renews every ``retry_period``. If no renew succeeds within ``renew_deadline`` of the start of the
  last successful one, or the Lease shows another holder, ``hold`` raises ``LeadershipLost`` and the caller
  must stop all leader work at once. Because ``renew_deadline`` < ``lease_duration``, the old leader has
  stopped before any candidate may take over.
* ``release`` (clean shutdown) writes an empty holder and a 1 s duration, so a standby takes over within one
  retry period instead of waiting out the lease.

The Lease I/O is ``kube.lease.KubeLeaseStore``; anything with the same three methods works (tests use a fake).
kubernetes-asyncio's own ``leaderelection`` is not used: it compares wall-clock times, writes naive local
times as UTC, never releases, has no injectable clock and keeps renewing through its deadline.
"""

from __future__ import annotations

import asyncio
import random as _random
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from lattice_controller._kits.clock import Clock
from lattice_controller.kube.lease import LeaseRecord

LEASE_NAME = "amazon-vpc-lattice.io"
ACQUIRE_JITTER = 0.2


class LeaseStore(Protocol):
    async def get(self) -> LeaseRecord | None: ...

    async def create(self, record: LeaseRecord) -> LeaseRecord: ...

    async def replace(self, record: LeaseRecord) -> LeaseRecord: ...


@dataclass(frozen=True, slots=True)
class ElectionTiming:
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.retry_period < self.renew_deadline < self.lease_duration:
            raise ValueError("need 0 < retry_period < renew_deadline < lease_duration")


class LeadershipLost(Exception):
    pass


def default_identity() -> str:
    """``<hostname>_<uuid>``, unique per process even when pods share a hostname."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def utc_now() -> datetime:
    return datetime.now(UTC)


class LeaderElector:
    def __init__(
        self,
        store: LeaseStore,
        clock: Clock,
        *,
        identity: str | None = None,
        timing: ElectionTiming | None = None,
        wall_clock: Callable[[], datetime] = utc_now,
        random: Callable[[], float] = _random.random,
        logger: Any = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self.identity = identity or default_identity()
        self.timing = timing or ElectionTiming()
        self._wall_clock = wall_clock
        self._random = random
        self._log = (
            logger if logger is not None else structlog.get_logger("lattice_controller.runtime.leader")
        )
        self._observed: LeaseRecord | None = None
        self._observed_at = 0.0
        self._last_renew: float | None = None
        self.is_leader = False

    def healthy(self) -> bool:
        """False only while leading with the last successful renew older than the renew deadline."""
        if not self.is_leader or self._last_renew is None:
            return True
        return self._clock.now() - self._last_renew < self.timing.renew_deadline

    async def acquire(self) -> None:
        """Return once this process holds the Lease; cancel to give up."""
        self._log.info("waiting to become leader", identity=self.identity)
        while True:
            attempt_started = self._clock.now()
            if await self._attempt(limit=self.timing.renew_deadline):
                self.is_leader = True
                self._last_renew = attempt_started
                self._log.info("became leader", identity=self.identity)
                return
            await self._clock.sleep(self.timing.retry_period * (1.0 + ACQUIRE_JITTER * self._random()))

    async def hold(self) -> None:
        """Renew until leadership is lost, then raise ``LeadershipLost``; never returns normally."""
        if not self.is_leader or self._last_renew is None:
            raise LeadershipLost("hold() called without holding the lease")
        while True:
            await self._clock.sleep(self.timing.retry_period)
            attempt_started = self._clock.now()
            remaining = self._last_renew + self.timing.renew_deadline - attempt_started
            if remaining > 0 and await self._attempt(limit=remaining):
                self._last_renew = attempt_started
                continue
            if self._observed is not None and self._observed.holder_identity not in ("", self.identity):
                self._lose(f"lease taken by {self._observed.holder_identity}")
            if self._clock.now() - self._last_renew >= self.timing.renew_deadline:
                self._lose("could not renew the lease within the renew deadline")

    async def release(self) -> None:
        """Give the Lease up if we hold it; errors are logged, never raised (the lease then just expires)."""
        if not self.is_leader:
            return
        self.is_leader = False
        try:
            async with asyncio.timeout(self.timing.retry_period):
                current = await self._store.get()
                if current is None or current.holder_identity != self.identity:
                    return
                now = self._wall_clock()
                await self._store.replace(
                    replace(current, holder_identity="", lease_duration_seconds=1, renew_time=now)
                )
            self._log.info("released the lease", identity=self.identity)
        except Exception as exc:
            self._log.warning("could not release the lease", error=str(exc))

    def _lose(self, why: str) -> None:
        self.is_leader = False
        self._log.error("lost leadership", reason=why, identity=self.identity)
        raise LeadershipLost(why)

    async def _attempt(self, limit: float) -> bool:
        try:
            async with asyncio.timeout(limit):
                return await self._try_acquire_or_renew()
        except Exception as exc:
            # Conflicts (someone else wrote first), API errors and timeouts all mean "not this time".
            self._log.debug("lease attempt failed", error=str(exc) or type(exc).__name__)
            return False

    async def _try_acquire_or_renew(self) -> bool:
        now = self._wall_clock()
        duration = round(self.timing.lease_duration)
        current = await self._store.get()
        if current is None:
            record = LeaseRecord(self.identity, duration, now, now, 0)
            self._observe(await self._store.create(record))
            return True
        self._observe(current)
        holder = current.holder_identity
        expires_at = self._observed_at + current.lease_duration_seconds
        if holder not in ("", self.identity) and expires_at > self._clock.now():
            return False
        if holder == self.identity:
            record = replace(current, lease_duration_seconds=duration, renew_time=now)
        else:
            record = replace(
                current,
                holder_identity=self.identity,
                lease_duration_seconds=duration,
                acquire_time=now,
                renew_time=now,
                lease_transitions=current.lease_transitions + 1,
            )
        self._observe(await self._store.replace(record))
        return True

    def _observe(self, record: LeaseRecord) -> None:
        if self._observed is None or _changed(self._observed, record):
            self._observed = record
            self._observed_at = self._clock.now()


def _changed(old: LeaseRecord, new: LeaseRecord) -> bool:
    return (old.holder_identity, old.renew_time, old.resource_version) != (
        new.holder_identity,
        new.renew_time,
        new.resource_version,
    )
