"""An in-memory stand-in for one kind's list and watch calls (the reflector's test seam), and its own checks.

``FakeListWatch`` keeps objects with a resourceVersion counter and an event history that can be compacted:
a watch or list continuation from below the compaction point raises ``Expired`` (410) as etcd would.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import pytest

from lattice_controller.kube.errors import Expired, KubeError
from lattice_controller.kube.listwatch import ListPage
from lattice_controller.model.keys import ObjectKey

JSON = dict[str, Any]


def make_obj(namespace: str, name: str, rv: int, **fields: Any) -> JSON:
    return {"metadata": {"namespace": namespace, "name": name, "resourceVersion": str(rv)}, **fields}


@dataclass(frozen=True, slots=True)
class RecMeta:
    key: ObjectKey
    resource_version: str


@dataclass(frozen=True, slots=True)
class Rec:
    """A minimal record: metadata plus one spec field and the labels (for index tests)."""

    meta: RecMeta
    value: str
    labels: tuple[tuple[str, str], ...] = ()


def parse_rec(obj: Any) -> Rec:
    md = obj["metadata"]
    if obj.get("broken"):
        raise ValueError("cannot parse")
    return Rec(
        RecMeta(ObjectKey(md.get("namespace", ""), md["name"]), md["resourceVersion"]),
        str(obj.get("value", "")),
        tuple(sorted((md.get("labels") or {}).items())),
    )


class FakeListWatch:
    def __init__(self) -> None:
        self.rv = 100
        self.objects: dict[tuple[str, str], JSON] = {}
        self.history: list[tuple[int, str, JSON]] = []
        self.compacted_below = 0
        self.list_calls: list[tuple[int, str]] = []
        self.watch_calls: list[tuple[str, int]] = []
        self.fail_next_watch: list[Exception] = []
        self.fail_next_list: list[Exception] = []
        self._changed = asyncio.Condition()
        self._stream_generation = 0
        self._snapshots: dict[str, tuple[int, list[JSON]]] = {}

    # ---- mutations (as an API client would do them) ------------------------------------------------

    def put(self, namespace: str, name: str, **fields: Any) -> JSON:
        self.rv += 1
        kind = "MODIFIED" if (namespace, name) in self.objects else "ADDED"
        obj = make_obj(namespace, name, self.rv, **fields)
        self.objects[(namespace, name)] = obj
        self._record(kind, obj)
        return obj

    def delete(self, namespace: str, name: str) -> None:
        obj = self.objects.pop((namespace, name))
        self.rv += 1
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = str(self.rv)
        self._record("DELETED", gone)

    def compact(self) -> None:
        """Forget all history up to now: older resourceVersions are expired."""
        self.compacted_below = self.rv
        self.history.clear()

    def bookmark(self) -> None:
        self.rv += 1
        self._record("BOOKMARK", {"metadata": {"resourceVersion": str(self.rv)}})

    async def end_streams(self) -> None:
        """The server closes every open watch (as at the end of timeoutSeconds)."""
        self._stream_generation += 1
        async with self._changed:
            self._changed.notify_all()

    def _record(self, kind: str, obj: JSON) -> None:
        self.history.append((self.rv, kind, copy.deepcopy(obj)))
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ---- ListWatchSource ---------------------------------------------------------------------------

    async def list_page(self, *, limit: int, continue_token: str) -> ListPage:
        self.list_calls.append((limit, continue_token))
        if self.fail_next_list:
            raise self.fail_next_list.pop(0)
        if continue_token:
            rv, rest = self._snapshots.pop(continue_token)
            if rv < self.compacted_below:
                raise Expired(410, "Expired", "continue token too old")
        else:
            rv, rest = self.rv, [copy.deepcopy(o) for _, o in sorted(self.objects.items())]
        page, rest = rest[:limit], rest[limit:]
        token = ""
        if rest:
            token = f"c{len(self._snapshots)}-{rv}-{len(rest)}"
            self._snapshots[token] = (rv, rest)
        return ListPage(page, str(rv), token)

    async def watch(self, *, resource_version: str, timeout_seconds: int) -> AsyncGenerator[JSON, None]:
        self.watch_calls.append((resource_version, timeout_seconds))
        if self.fail_next_watch:
            raise self.fail_next_watch.pop(0)
        position = int(resource_version)
        if position < self.compacted_below:
            raise Expired(410, "Expired", f"too old resource version: {position}")
        generation = self._stream_generation
        while True:
            for rv, kind, obj in list(self.history):
                if rv > position:
                    position = rv
                    yield {"type": kind, "object": copy.deepcopy(obj)}
            if self._stream_generation != generation:
                return
            async with self._changed:
                if self._stream_generation == generation and not any(
                    rv > position for rv, _, _ in self.history
                ):
                    await self._changed.wait()


async def test_fake_list_paginates_a_consistent_snapshot() -> None:
    api = FakeListWatch()
    for i in range(5):
        api.put("ns", f"o{i}")
    first = await api.list_page(limit=2, continue_token="")
    api.put("ns", "late")
    second = await api.list_page(limit=2, continue_token=first.continue_token)
    third = await api.list_page(limit=2, continue_token=second.continue_token)
    names = [o["metadata"]["name"] for o in (*first.items, *second.items, *third.items)]
    assert names == ["o0", "o1", "o2", "o3", "o4"]
    assert third.continue_token == ""
    assert first.resource_version == third.resource_version == "105"


async def test_fake_watch_from_compacted_version_is_expired() -> None:
    api = FakeListWatch()
    api.put("ns", "a")
    api.compact()
    stream = api.watch(resource_version="100", timeout_seconds=1)
    with pytest.raises(Expired):
        await anext(stream)
    assert isinstance(Expired(410, "x"), KubeError)
