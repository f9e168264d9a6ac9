"""Reflector + Store against the in-memory list/watch fake: list, watch, re-watch, 410 relist, backoff."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from lattice_controller._kits.backoff import Backoff
from lattice_controller._kits.clock import FakeClock
from lattice_controller.cache.store import Store
from lattice_controller.kube.errors import Expired, KubeError
from lattice_controller.kube.reflector import Reflector
from lattice_controller.model.keys import ObjectKey
from tests.unit.test_informer_fakeapi import FakeListWatch, Rec, parse_rec

Change = tuple[Rec | None, Rec | None]


async def until(condition: Callable[[], bool], seconds: float = 2.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - polling the system under test is the point
            await asyncio.sleep(0.001)


class Harness:
    def __init__(self) -> None:
        self.api = FakeListWatch()
        self.store: Store[Rec] = Store("test", parse_rec)
        self.changes: list[Change] = []
        self.store.subscribe(lambda old, new: self.changes.append((old, new)))
        self.clock = FakeClock()
        self.reflector = Reflector(
            "test",
            self.api,
            self.store,
            page_size=2,
            watch_timeout=lambda: 300.0,
            backoff=Backoff(initial=0.8, cap=30.0, random=lambda: 0.5),
            clock=self.clock,
            min_watch_seconds=0.0,
        )

    def names(self) -> list[str]:
        return sorted(k.name for k in self.store)

    def summary(self) -> list[tuple[str, str]]:
        out = []
        for old, new in self.changes:
            if old is None and new is not None:
                out.append(("added", new.meta.key.name))
            elif new is None and old is not None:
                out.append(("deleted", old.meta.key.name))
            elif new is not None:
                out.append(("updated", new.meta.key.name))
        return out


@pytest.fixture
async def harness() -> Harness:
    return Harness()


async def run(h: Harness) -> asyncio.Task[None]:
    task = asyncio.create_task(h.reflector.run())
    await until(h.store.has_synced)
    return task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_first_list_is_paginated_then_watch_starts_from_its_version(harness: Harness) -> None:
    for i in range(5):
        harness.api.put("ns", f"r{i}", value=str(i))
    task = await run(harness)
    assert harness.names() == ["r0", "r1", "r2", "r3", "r4"]
    assert [c[1] for c in harness.api.list_calls] == ["", "c0-105-3", "c0-105-1"]
    await until(lambda: bool(harness.api.watch_calls))
    assert harness.api.watch_calls == [("105", 300)]
    assert harness.summary() == [("added", f"r{i}") for i in range(5)]
    await stop(task)


async def test_watch_events_update_the_store_with_old_and_new(harness: Harness) -> None:
    harness.api.put("ns", "a", value="1")
    task = await run(harness)
    harness.changes.clear()
    harness.api.put("ns", "a", value="2")
    harness.api.put("ns", "b", value="x")
    harness.api.delete("ns", "a")
    await until(lambda: len(harness.changes) == 3)
    (old1, new1), (_, new2), (old3, new3) = harness.changes
    assert old1 is not None
    assert new1 is not None
    assert (old1.value, new1.value) == ("1", "2")
    assert new2 is not None
    assert new2.value == "x"
    assert old3 is not None
    assert old3.value == "2"
    assert new3 is None
    assert harness.names() == ["b"]
    await stop(task)


async def test_stream_end_rewatches_from_last_version_without_relist(harness: Harness) -> None:
    harness.api.put("ns", "a")
    task = await run(harness)
    harness.api.put("ns", "b")
    await until(lambda: "b" in harness.names())
    await harness.api.end_streams()
    await until(lambda: len(harness.api.watch_calls) == 2)
    assert harness.api.watch_calls[1][0] == "102"
    harness.api.put("ns", "c")
    await until(lambda: "c" in harness.names())
    assert harness.reflector.lists == 1
    await stop(task)


async def test_expired_watch_relists_and_synthesises_deletions(harness: Harness) -> None:
    for name in ("keep", "change", "vanish"):
        harness.api.put("ns", name, value="0")
    task = await run(harness)
    await until(lambda: bool(harness.api.watch_calls))
    # Changes happen while the watch is down; then history is compacted, so re-watching gets 410.
    harness.api.fail_next_watch.append(KubeError(0, "ConnectionReset"))
    await harness.api.end_streams()
    harness.changes.clear()
    await until(lambda: harness.reflector.errors == 1)
    harness.api.put("ns", "change", value="1")
    harness.api.delete("ns", "vanish")
    harness.api.put("ns", "new", value="0")
    harness.api.compact()
    await harness.clock.step(2.0)  # the backoff after the connection error
    await until(
        lambda: harness.reflector.lists == 2 and harness.store.get(ObjectKey("ns", "new")) is not None
    )
    await until(lambda: harness.names() == ["change", "keep", "new"])
    assert harness.reflector.expirations == 1
    assert sorted(harness.summary()) == [("added", "new"), ("deleted", "vanish"), ("updated", "change")]
    await stop(task)


async def test_bookmark_advances_the_version_so_no_relist_is_needed(harness: Harness) -> None:
    harness.api.put("ns", "a")
    task = await run(harness)
    harness.api.bookmark()
    await until(lambda: harness.reflector.resource_version == "102")
    harness.api.compact()  # history before 102 is gone, but we hold 102
    await harness.api.end_streams()
    await until(lambda: len(harness.api.watch_calls) == 2)
    await asyncio.sleep(0.01)
    assert harness.reflector.lists == 1
    assert harness.reflector.expirations == 0
    assert harness.changes == [(None, harness.store.get(ObjectKey("ns", "a")))]
    await stop(task)


async def test_list_errors_back_off_with_jitter_and_then_recover(harness: Harness) -> None:
    harness.api.put("ns", "a")
    harness.api.fail_next_list.extend([KubeError(500, "InternalError")] * 3)
    task = asyncio.create_task(harness.reflector.run())
    await until(lambda: harness.reflector.errors == 1)
    # random() = 0.5 and jitter 1.0: delays 1.2, 2.4, 4.8 s.
    assert not harness.store.has_synced()
    await harness.clock.step(1.1)
    assert harness.reflector.errors == 1
    await harness.clock.step(0.2)
    await until(lambda: harness.reflector.errors == 2)
    await harness.clock.step(2.4)
    await until(lambda: harness.reflector.errors == 3)
    await harness.clock.step(4.8)
    await until(harness.store.has_synced)
    assert harness.names() == ["a"]
    await stop(task)


async def test_expired_continue_token_restarts_the_list(harness: Harness) -> None:
    for i in range(4):
        harness.api.put("ns", f"r{i}")
    original = harness.api.list_page

    async def list_then_compact(*, limit: int, continue_token: str):  # type: ignore[no-untyped-def]
        page = await original(limit=limit, continue_token=continue_token)
        if not continue_token and harness.reflector.lists == 1:
            harness.api.put("ns", "r9")
            harness.api.compact()
        return page

    harness.api.list_page = list_then_compact  # type: ignore[method-assign]
    task = await run(harness)
    assert harness.reflector.lists == 2
    assert harness.reflector.expirations == 1
    assert harness.names() == ["r0", "r1", "r2", "r3", "r9"]
    await stop(task)


async def test_watch_that_ends_at_once_counts_as_error() -> None:
    h = Harness()
    h.reflector = Reflector("t", h.api, h.store, watch_timeout=lambda: 300.0, clock=h.clock)
    task = await run(h)
    await until(lambda: bool(h.api.watch_calls))
    await h.api.end_streams()
    await until(lambda: h.reflector.errors == 1)
    assert len(h.api.watch_calls) == 1  # sleeping in backoff, not spinning
    await stop(task)


async def test_parse_failures_are_treated_as_absent(harness: Harness) -> None:
    harness.api.put("ns", "good")
    harness.api.put("ns", "bad", broken=True)
    task = await run(harness)
    assert harness.names() == ["good"]
    assert harness.store.parse_failures == 1
    harness.api.delete("ns", "good")
    await until(lambda: harness.names() == [])
    await stop(task)


async def test_410_error_event_on_relist_continue_is_expired_type() -> None:
    assert issubclass(Expired, KubeError)
