"""The controller's cache: one store and one reflector per registered kind, change fan-out, sync state.

Register every kind (with its parser and indexes) before ``run``; then ``wait_synced`` before starting
workers. Reconcilers read records from ``store(kind)``; the mapping from changes to queue keys (triggers)
lives in reconcile/ and is attached with ``on_change``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from lattice_controller._kits.backoff import Backoff
from lattice_controller._kits.clock import Clock
from lattice_controller.cache.store import Record, Store
from lattice_controller.kube.kinds import AnyKind, Kind
from lattice_controller.kube.listwatch import ApiListWatch, ListWatchSource
from lattice_controller.kube.reflector import Reflector
from lattice_controller.kube.rest import KubeRest

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)
CacheListener = Callable[[AnyKind, Any, Any], None]
"""``callback(kind, old, new)``: old None = added, new None = deleted; records of ``kind``'s store."""


class Cache:
    def __init__(
        self,
        source_for: Callable[[AnyKind], ListWatchSource],
        *,
        # Small pages keep the parsed burst of a first list small (docs/operations.md, "Memory").
        page_size: int = 100,
        watch_timeout: Callable[[], float] | None = None,
        backoff: Callable[[], Backoff] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._source_for = source_for
        self._page_size = page_size
        self._watch_timeout = watch_timeout
        self._backoff = backoff
        self._clock = clock
        self._kinds: dict[str, AnyKind] = {}
        self._stores: dict[str, Store[Any]] = {}
        self._reflectors: dict[str, Reflector] = {}
        self._listeners: list[CacheListener] = []
        self._running = False

    @classmethod
    def for_api(cls, rest: KubeRest, **options: Any) -> Cache:
        """A cache whose reflectors list and watch all namespaces through ``rest``."""
        return cls(lambda kind: ApiListWatch(rest, kind), **options)

    def register(
        self, kind: Kind[R], parse: Callable[[Mapping[str, Any]], R], *, source: ListWatchSource | None = None
    ) -> Store[R]:
        if self._running:
            raise RuntimeError("register every kind before the cache runs")
        if kind.group_kind in self._stores:
            raise ValueError(f"{kind.group_kind} is already registered")
        store: Store[R] = Store(kind.group_kind, parse)
        store.subscribe(lambda old, new: self._fan_out(kind, old, new))
        reflector = Reflector(
            kind.group_kind,
            source or self._source_for(kind),
            store,
            page_size=self._page_size,
            watch_timeout=self._watch_timeout,
            backoff=self._backoff() if self._backoff else None,
            clock=self._clock,
        )
        self._kinds[kind.group_kind] = kind
        self._stores[kind.group_kind] = store
        self._reflectors[kind.group_kind] = reflector
        return store

    def store(self, kind: Kind[R]) -> Store[R]:
        """The store of ``kind`` (any served version); KeyError if it was not registered."""
        store: Store[R] = self._stores[kind.group_kind]
        return store

    def kinds(self) -> list[AnyKind]:
        return list(self._kinds.values())

    def reflector(self, kind: AnyKind) -> Reflector:
        return self._reflectors[kind.group_kind]

    def on_change(self, callback: CacheListener) -> None:
        self._listeners.append(callback)

    def has_synced(self) -> bool:
        return all(store.has_synced() for store in self._stores.values())

    async def wait_synced(self) -> None:
        """Return once every store has completed its first list (bound it with ``asyncio.timeout``)."""
        for store in list(self._stores.values()):
            await store.wait_synced()

    async def run(self) -> None:
        """Run every reflector until cancelled (one task each)."""
        self._running = True
        try:
            async with asyncio.TaskGroup() as group:
                for name, reflector in self._reflectors.items():
                    group.create_task(reflector.run(), name=f"reflector {name}")
        finally:
            self._running = False

    def _fan_out(self, kind: AnyKind, old: Any, new: Any) -> None:
        for listener in self._listeners:
            try:
                listener(kind, old, new)
            except Exception:
                log.exception("cache listener failed for %s", kind.group_kind)
