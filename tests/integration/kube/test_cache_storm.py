"""The cache equals a fresh list after create/update/delete storms; indexes follow."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from lattice_controller.cache import indexes
from lattice_controller.cache.cache import Cache
from lattice_controller.cache.controller_kinds import register_controller_kinds
from lattice_controller.kube import kinds as k
from lattice_controller.kube.errors import NotFound
from lattice_controller.kube.rest import KubeRest
from tests.integration.kube.conftest import bounded, converge, http_route

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def running_cache(rest: KubeRest) -> AsyncIterator[Cache]:
    cache = Cache.for_api(rest)
    register_controller_kinds(cache, [k.HTTP_ROUTE])
    task = asyncio.create_task(cache.run())
    async with asyncio.timeout(30):
        await cache.wait_synced()
    yield cache
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cache_equals_fresh_list_after_storm(
    rest: KubeRest, namespace: str, running_cache: Cache
) -> None:
    routes = running_cache.store(k.HTTP_ROUTE)
    changes: list[tuple[Any, Any]] = []
    running_cache.on_change(lambda kind, old, new: changes.append((old, new)))
    collection = k.HTTP_ROUTE.collection_path(namespace)
    names = [f"r{i:03d}" for i in range(200)]
    rng = random.Random(7)

    started = time.monotonic()
    await bounded(
        16,
        [
            functools.partial(rest.post, collection, http_route(namespace, n, gateway=f"gw{int(n[1:]) % 4}"))
            for n in names
        ],
    )
    created = time.monotonic() - started

    doomed = set(rng.sample(names, 70))

    async def update(name: str, round_: int) -> None:
        patch = {
            "metadata": {"labels": {"round": str(round_)}},
            "spec": {"parentRefs": [{"name": f"gw{(int(name[1:]) + round_) % 4}"}]},
        }
        with contextlib.suppress(NotFound):  # deleted concurrently
            await rest.patch(k.HTTP_ROUTE.object_path(namespace, name), patch)

    async def delete(name: str) -> None:
        await rest.delete(k.HTTP_ROUTE.object_path(namespace, name))

    jobs = [functools.partial(update, n, r) for r in (1, 2) for n in names]
    jobs += [functools.partial(delete, n) for n in sorted(doomed)]
    rng.shuffle(jobs)
    started = time.monotonic()
    await bounded(16, jobs)
    stormed = time.monotonic() - started

    expected, lag = await converge(routes, rest, k.HTTP_ROUTE, namespace)
    assert len(expected) == 130
    # Indexes agree with the records.
    for gateway in ("gw0", "gw1", "gw2", "gw3"):
        by_index = {
            key.name for key in routes.index_keys(indexes.ROUTES_BY_PARENT_GATEWAY, f"{namespace}/{gateway}")
        }
        by_scan = {
            r.meta.key.name
            for r in routes.records(namespace)
            if any(p.name == gateway for p in r.parent_refs)
        }
        assert by_index == by_scan
    deletions = sum(1 for old, new in changes if new is None and old.meta.key.namespace == namespace)
    assert deletions == 70
    print(f"\n200 creates {created:.2f}s; 400 updates + 70 deletes {stormed:.2f}s; converged +{lag:.2f}s")
