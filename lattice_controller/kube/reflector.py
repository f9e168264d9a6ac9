"""A reflector with client-go semantics: paginated list, then watch from its resourceVersion.

* The first list (and every relist) is paginated (``limit``/``continue``) and streamed into the sink page
  by page, so a relist of 10,000 pods never holds them all as dicts at once.
* Watches ask for bookmarks and use a random server-side timeout (5 to 10 min by default, injectable). When
  a stream ends normally the reflector watches again from the last resourceVersion it saw (bookmarks
  included); a 410 Gone (on a watch or a list continuation) means "list again".
* Other errors back off with jitter (0.8 s doubling to 30 s) and then resume from the last
  resourceVersion, or relist if none is known yet. A watch that ends at once without events counts as an
  error, so a misbehaving server cannot make the loop spin.
* The sink decides what the objects mean: the reflector passes dicts and marks relist boundaries; the
  sink synthesises deletions for objects absent from a relist (see ``cache.store``).
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable
from typing import Any, Protocol

from lattice_controller._kits.backoff import Backoff
from lattice_controller._kits.clock import Clock, RealClock
from lattice_controller.kube.errors import Expired
from lattice_controller.kube.listwatch import ListWatchSource

JSON = dict[str, Any]
WATCH_EVENT_TYPES = frozenset({"ADDED", "MODIFIED", "DELETED"})

log = logging.getLogger(__name__)


class ReflectorSink(Protocol):
    def start_relist(self) -> None:
        """A (re)list begins; objects follow through ``relisted``."""
        ...

    def relisted(self, obj: JSON) -> None: ...

    def finish_relist(self) -> None:
        """The list is complete: whatever was not relisted since ``start_relist`` is gone."""
        ...

    def watched(self, event_type: str, obj: JSON) -> None:
        """``event_type`` is ADDED, MODIFIED or DELETED."""
        ...


class ShortWatch(Exception):
    """The watch stream ended immediately without a single event."""


def random_watch_timeout(low: float = 300.0, high: float = 600.0) -> Callable[[], float]:
    return lambda: random.uniform(low, high)


class Reflector:
    def __init__(
        self,
        name: str,
        source: ListWatchSource,
        sink: ReflectorSink,
        *,
        page_size: int = 500,
        watch_timeout: Callable[[], float] | None = None,
        backoff: Backoff | None = None,
        clock: Clock | None = None,
        min_watch_seconds: float = 1.0,
    ) -> None:
        self.name = name
        self.source = source
        self.sink = sink
        self.page_size = page_size
        self._watch_timeout = watch_timeout or random_watch_timeout()
        self._backoff = backoff or Backoff(initial=0.8, cap=30.0)
        self._clock = clock or RealClock()
        self._min_watch_seconds = min_watch_seconds
        self.resource_version = ""
        self.synced = False
        # Counters for tests, logs and metrics.
        self.lists = 0
        self.watches = 0
        self.expirations = 0
        self.errors = 0

    async def run(self) -> None:
        """List and watch until cancelled."""
        expired_in_a_row = 0
        while True:
            try:
                if not self.resource_version:
                    await self._relist()
                await self._watch_once()
                self._backoff.reset()
                expired_in_a_row = 0
            except Expired as exc:
                self.expirations += 1
                expired_in_a_row += 1
                log.info("%s: resource version expired (%s); relisting", self.name, exc)
                self.resource_version = ""
                if expired_in_a_row > 1:
                    await self._clock.sleep(self._backoff.next_delay())
            except Exception as exc:
                self.errors += 1
                delay = self._backoff.next_delay()
                log.warning("%s: list/watch failed (%s); retrying in %.1fs", self.name, exc, delay)
                await self._clock.sleep(delay)

    async def _relist(self) -> None:
        self.lists += 1
        self.sink.start_relist()
        token = ""
        while True:
            page = await self.source.list_page(limit=self.page_size, continue_token=token)
            for obj in page.items:
                self.sink.relisted(obj)
            if not page.continue_token:
                break
            token = page.continue_token
        self.sink.finish_relist()
        self.resource_version = page.resource_version
        self.synced = True
        log.debug("%s: listed at resourceVersion %s", self.name, self.resource_version)

    async def _watch_once(self) -> None:
        """Watch until the stream ends normally; raise if it ended at once without events."""
        self.watches += 1
        started = self._clock.now()
        events = 0
        stream = self.source.watch(
            resource_version=self.resource_version, timeout_seconds=round(self._watch_timeout())
        )
        async with contextlib.aclosing(stream):
            async for event in stream:
                event_type = event.get("type")
                obj = event.get("object")
                if not isinstance(obj, dict):
                    continue
                if event_type in WATCH_EVENT_TYPES:
                    self.sink.watched(str(event_type), obj)
                elif event_type != "BOOKMARK":
                    continue
                events += 1
                rv = (obj.get("metadata") or {}).get("resourceVersion")
                if rv:
                    self.resource_version = str(rv)
        if events == 0 and self._clock.now() - started < self._min_watch_seconds:
            raise ShortWatch(f"watch from {self.resource_version} ended at once")
