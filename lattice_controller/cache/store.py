"""A store of immutable records for one kind, kept by a reflector, with secondary indexes and change fan-out.

The reflector hands over dicts; the store parses each one into a frozen record (``parse``), drops the
dict, and keeps only records. It

* skips updates whose resourceVersion equals the stored one (a relist of unchanged objects is silent),
* synthesises a deletion for every stored object that a relist did not return,
* keeps secondary indexes (``name -> fn(record) -> values``) in step with every change,
* then calls the change listeners with ``(old, new)``: ``old`` is None for an addition, ``new`` is None
  for a deletion. Listeners run synchronously and must not block (they map changes to queue keys).

A record that fails to parse is logged and treated as absent, so one malformed object cannot stop a cache.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar

from lattice_controller.model.keys import ObjectKey

log = logging.getLogger(__name__)

JSON = dict[str, Any]


class RecordMeta(Protocol):
    @property
    def key(self) -> ObjectKey: ...

    @property
    def resource_version(self) -> str: ...


class Record(Protocol):
    """What the store needs from a record (the ``model.k8s`` records have a ``meta: Meta``)."""

    @property
    def meta(self) -> RecordMeta: ...


R = TypeVar("R", bound=Record)
IndexFn = Callable[[R], Iterable[str]]
ChangeListener = Callable[[R | None, R | None], None]


class Store(Generic[R]):
    def __init__(self, name: str, parse: Callable[[Mapping[str, Any]], R]) -> None:
        self.name = name
        self._parse = parse
        self._items: dict[ObjectKey, R] = {}
        self._index_fns: dict[str, IndexFn[R]] = {}
        # index name -> value -> keys; a record's values are stored under that record's key only.
        self._indexes: dict[str, dict[str, set[ObjectKey]]] = {}
        self._listeners: list[ChangeListener[R]] = []
        self._relisted: set[ObjectKey] | None = None
        self._synced = asyncio.Event()
        self.parse_failures = 0

    # ---- reads -------------------------------------------------------------------------------------

    def get(self, key: ObjectKey) -> R | None:
        return self._items.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[ObjectKey]:
        return iter(list(self._items))

    def keys(self) -> list[ObjectKey]:
        return list(self._items)

    def records(self, namespace: str | None = None) -> list[R]:
        if namespace is None:
            return list(self._items.values())
        return [r for k, r in self._items.items() if k.namespace == namespace]

    def index_keys(self, index: str, value: str) -> frozenset[ObjectKey]:
        """Keys of the records whose index function yielded ``value``."""
        return frozenset(self._indexes[index].get(value, ()))

    def by_index(self, index: str, value: str) -> list[R]:
        keys = self._indexes[index].get(value, ())
        return [self._items[k] for k in sorted(keys)]

    def index_values(self, index: str) -> list[str]:
        return list(self._indexes[index])

    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self) -> None:
        await self._synced.wait()

    # ---- configuration -----------------------------------------------------------------------------

    def add_index(self, name: str, fn: IndexFn[R]) -> None:
        if name in self._index_fns:
            raise ValueError(f"{self.name}: index {name!r} already registered")
        self._index_fns[name] = fn
        self._indexes[name] = {}
        for key, record in self._items.items():
            self._index_one(name, fn, key, record)

    def subscribe(self, listener: ChangeListener[R]) -> None:
        self._listeners.append(listener)

    # ---- ReflectorSink -----------------------------------------------------------------------------

    def start_relist(self) -> None:
        self._relisted = set()

    def relisted(self, obj: JSON) -> None:
        record = self._parse_or_none(obj)
        if record is None:
            return
        if self._relisted is not None:
            self._relisted.add(record.meta.key)
        self._upsert(record)

    def finish_relist(self) -> None:
        seen, self._relisted = self._relisted, None
        if seen is not None:
            for key in [k for k in self._items if k not in seen]:
                self._remove(key)
        self._synced.set()

    def watched(self, event_type: str, obj: JSON) -> None:
        record = self._parse_or_none(obj)
        if record is None:
            if event_type == "DELETED":
                self._remove_by_metadata(obj)
            return
        if event_type == "DELETED":
            self._remove(record.meta.key)
        else:
            self._upsert(record)

    # ---- internals ---------------------------------------------------------------------------------

    def _parse_or_none(self, obj: JSON) -> R | None:
        try:
            return self._parse(obj)
        except Exception:
            self.parse_failures += 1
            log.exception("%s: cannot parse %s", self.name, _describe(obj))
            return None

    def _upsert(self, record: R) -> None:
        key = record.meta.key
        old = self._items.get(key)
        if old is not None and old.meta.resource_version == record.meta.resource_version:
            return
        self._items[key] = record
        self._reindex(key, old, record)
        self._notify(old, record)

    def _remove(self, key: ObjectKey) -> None:
        old = self._items.pop(key, None)
        if old is None:
            return
        self._reindex(key, old, None)
        self._notify(old, None)

    def _remove_by_metadata(self, obj: JSON) -> None:
        metadata = obj.get("metadata") or {}
        self._remove(ObjectKey(str(metadata.get("namespace") or ""), str(metadata.get("name") or "")))

    def _reindex(self, key: ObjectKey, old: R | None, new: R | None) -> None:
        for name, fn in self._index_fns.items():
            index = self._indexes[name]
            if old is not None:
                for value in set(fn(old)):
                    keys = index.get(value)
                    if keys is not None:
                        keys.discard(key)
                        if not keys:
                            del index[value]
            if new is not None:
                self._index_one(name, fn, key, new)

    def _index_one(self, name: str, fn: IndexFn[R], key: ObjectKey, record: R) -> None:
        index = self._indexes[name]
        for value in fn(record):
            index.setdefault(value, set()).add(key)

    def _notify(self, old: R | None, new: R | None) -> None:
        for listener in self._listeners:
            try:
                listener(old, new)
            except Exception:
                log.exception("%s: change listener failed", self.name)


def _describe(obj: JSON) -> str:
    metadata = obj.get("metadata") or {}
    return f"{metadata.get('namespace') or ''}/{metadata.get('name') or '?'}"
