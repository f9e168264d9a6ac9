"""Injectable monotonic time: the real clock for production and a fake one that tests drive by hand.

Everything that waits or measures durations (queues, limiters, leader election, resync) takes a
``Clock`` so unit tests never sleep for real.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds; only differences are meaningful."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that moves only when told to.

    ``advance`` is synchronous: it moves time forward and resolves every sleeper whose deadline has passed, in
    deadline order (ties in the order the sleeps began). The woken coroutines run the next time the event loop
    gets control, so tests follow ``advance`` with ``await settle()``. ``step`` advances deadline by deadline
    and
    lets the loop run in between, for code that sleeps again right after waking (tickers, renew loops).
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._sequence = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._sequence), waiter))
        try:
            await waiter
        finally:
            if not waiter.done():
                waiter.cancel()

    @property
    def sleepers(self) -> int:
        """How many sleeps are pending (cancelled ones excluded)."""
        return sum(1 for _, _, waiter in self._sleepers if not waiter.done())

    def next_deadline(self) -> float | None:
        self._drop_finished()
        return self._sleepers[0][0] if self._sleepers else None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, waiter = heapq.heappop(self._sleepers)
            if not waiter.done():
                waiter.set_result(None)

    async def step(self, seconds: float) -> None:
        """Advance by ``seconds`` one deadline at a time, letting woken tasks run after each one."""
        target = self._now + seconds
        while True:
            await settle()
            deadline = self.next_deadline()
            if deadline is None or deadline > target:
                break
            self.advance(max(0.0, deadline - self._now))
        self.advance(target - self._now)
        await settle()

    def _drop_finished(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)


async def settle(rounds: int = 20) -> None:
    """Yield to the event loop enough times for ready callbacks chains to run to quiescence."""
    for _ in range(rounds):
        await asyncio.sleep(0)
