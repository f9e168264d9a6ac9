"""Store: record maintenance, relist deletion synthesis, secondary indexes, listener fan-out."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lattice_controller._kits.clock import FakeClock
from lattice_controller.cache.cache import Cache
from lattice_controller.cache.store import Store
from lattice_controller.kube.kinds import GATEWAY, HTTP_ROUTE, Kind
from lattice_controller.model.keys import ObjectKey
from tests.unit.test_informer_fakeapi import FakeListWatch, Rec, make_obj, parse_rec
from tests.unit.test_informer_reflector import until


def obj(name: str, rv: int, ns: str = "ns", **labels: str) -> dict[str, Any]:
    o = make_obj(ns, name, rv, value=f"v{rv}")
    o["metadata"]["labels"] = labels
    return o


def by_team(r: Rec) -> list[str]:
    return [v for k, v in r.labels if k == "team"]


def new_store() -> tuple[Store[Rec], list[tuple[Rec | None, Rec | None]]]:
    store: Store[Rec] = Store("t", parse_rec)
    store.add_index("team", by_team)
    changes: list[tuple[Rec | None, Rec | None]] = []
    store.subscribe(lambda old, new: changes.append((old, new)))
    return store, changes


def test_relist_synthesises_deletions_and_skips_unchanged() -> None:
    store, changes = new_store()
    store.start_relist()
    for o in (obj("a", 1), obj("b", 2), obj("c", 3)):
        store.relisted(o)
    store.finish_relist()
    assert store.has_synced()
    assert len(changes) == 3
    changes.clear()
    store.start_relist()
    store.relisted(obj("a", 1))  # unchanged: silent
    store.relisted(obj("b", 5))  # changed
    store.finish_relist()  # c vanished
    assert [(o and o.meta.key.name, n and n.meta.resource_version) for o, n in changes] == [
        ("b", "5"),
        ("c", None),
    ]
    assert sorted(k.name for k in store) == ["a", "b"]


def test_aborted_relist_does_not_delete_on_the_next_one() -> None:
    store, _ = new_store()
    store.start_relist()
    store.relisted(obj("a", 1))
    store.relisted(obj("b", 2))
    store.finish_relist()
    store.start_relist()
    store.relisted(obj("a", 1))  # the list fails here; a new relist starts over
    store.start_relist()
    store.relisted(obj("a", 1))
    store.relisted(obj("b", 2))
    store.finish_relist()
    assert len(store) == 2


def test_indexes_follow_updates_and_deletes() -> None:
    store, _ = new_store()
    store.watched("ADDED", obj("a", 1, team="red"))
    store.watched("ADDED", obj("b", 2, team="red"))
    store.watched("ADDED", obj("c", 3, team="blue"))
    assert [r.meta.key.name for r in store.by_index("team", "red")] == ["a", "b"]
    store.watched("MODIFIED", obj("a", 4, team="blue"))
    assert store.index_keys("team", "red") == {ObjectKey("ns", "b")}
    assert store.index_keys("team", "blue") == {ObjectKey("ns", "a"), ObjectKey("ns", "c")}
    store.watched("DELETED", obj("b", 5, team="red"))
    assert store.index_keys("team", "red") == frozenset()
    assert sorted(store.index_values("team")) == ["blue"]  # empty buckets are dropped


def test_index_added_after_data_is_built_and_duplicates_rejected() -> None:
    store: Store[Rec] = Store("t", parse_rec)
    store.watched("ADDED", obj("a", 1, team="red"))
    store.add_index("team", by_team)
    assert store.index_keys("team", "red") == {ObjectKey("ns", "a")}
    with pytest.raises(ValueError, match="already registered"):
        store.add_index("team", by_team)


def test_deleted_event_for_unparseable_object_still_removes_it() -> None:
    store, changes = new_store()
    store.watched("ADDED", obj("a", 1))
    broken = obj("a", 2)
    broken["broken"] = True
    store.watched("DELETED", broken)
    assert len(store) == 0
    assert changes[-1][1] is None


def test_a_failing_listener_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    store, changes = new_store()

    def bad(old: Rec | None, new: Rec | None) -> None:
        raise RuntimeError("boom")

    store.subscribe(bad)
    seen: list[Rec | None] = []
    store.subscribe(lambda old, new: seen.append(new))
    store.watched("ADDED", obj("a", 1))
    assert len(changes) == 1
    assert len(seen) == 1
    assert "change listener failed" in caplog.text


def test_records_filter_by_namespace() -> None:
    store, _ = new_store()
    store.watched("ADDED", obj("a", 1, ns="x"))
    store.watched("ADDED", obj("b", 2, ns="y"))
    assert [r.meta.key.name for r in store.records("x")] == ["a"]
    assert len(store.records()) == 2


async def test_cache_fans_out_changes_with_their_kind_and_waits_for_sync() -> None:
    sources: dict[str, FakeListWatch] = {}

    def source_for(kind: Kind) -> FakeListWatch:
        return sources.setdefault(kind.group_kind, FakeListWatch())

    cache = Cache(source_for, clock=FakeClock(), watch_timeout=lambda: 300.0)
    routes = cache.register(HTTP_ROUTE, parse_rec)
    cache.register(GATEWAY, parse_rec)
    with pytest.raises(ValueError, match="already registered"):
        cache.register(HTTP_ROUTE.at_version("v1beta1"), parse_rec)
    seen: list[tuple[str, str | None, str | None]] = []
    cache.on_change(
        lambda kind, old, new: seen.append((kind.kind, old and old.meta.key.name, new and new.meta.key.name))
    )
    sources[HTTP_ROUTE.group_kind].put("ns", "r1")
    sources[GATEWAY.group_kind].put("ns", "g1")
    assert not cache.has_synced()
    task = asyncio.create_task(cache.run())
    async with asyncio.timeout(2):
        await cache.wait_synced()
    assert cache.has_synced()
    assert sorted(seen) == [("Gateway", None, "g1"), ("HTTPRoute", None, "r1")]
    assert cache.store(HTTP_ROUTE.at_version("v1beta1")) is routes
    with pytest.raises(RuntimeError, match="before the cache runs"):
        cache.register(Kind("x", "v1", "xs", "X", True), parse_rec)
    sources[HTTP_ROUTE.group_kind].delete("ns", "r1")
    await until(lambda: len(seen) == 3)
    assert seen[-1] == ("HTTPRoute", "r1", None)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
