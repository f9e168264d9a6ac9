"""The reflector recovers without loss from an expired resourceVersion and from an apiserver restart."""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

import pytest

from e2e.controlplane.plane import ControlPlane
from lattice_controller.cache.cache import Cache
from lattice_controller.cache.controller_kinds import register_controller_kinds
from lattice_controller.cache.store import Store
from lattice_controller.kube import kinds as k
from lattice_controller.kube.listwatch import ApiListWatch
from lattice_controller.kube.reflector import Reflector
from lattice_controller.kube.rest import KubeRest
from lattice_controller.model.k8s.route import parse_http_route
from tests.integration.kube.conftest import bounded, converge, http_route

pytestmark = pytest.mark.integration


async def test_stale_resource_version_gets_410_then_relist_synthesises_deletions(
    rest: KubeRest, namespace: str
) -> None:
    collection = k.HTTP_ROUTE.collection_path(namespace)
    await bounded(
        8, [functools.partial(rest.post, collection, http_route(namespace, f"r{i}")) for i in range(10)]
    )
    store: Store[Any] = Store("routes", parse_http_route)
    deleted: list[str] = []

    def on_change(old: Any, new: Any) -> None:
        if new is None:
            deleted.append(old.meta.key.name)

    store.subscribe(on_change)
    # State a restarted controller might hold: objects that no longer exist, at an ancient version.
    store.start_relist()
    for name in ("ghost-1", "ghost-2"):
        store.relisted({"metadata": {"namespace": namespace, "name": name, "resourceVersion": "1"}})
    store.finish_relist()
    reflector = Reflector("routes", ApiListWatch(rest, k.HTTP_ROUTE), store)
    reflector.resource_version = "1"  # far older than the apiserver's watch window
    task = asyncio.create_task(reflector.run())
    try:
        await converge(store, rest, k.HTTP_ROUTE, namespace)
        assert reflector.expirations == 1
        assert reflector.lists == 1
        assert sorted(deleted) == ["ghost-1", "ghost-2"]
        # Still watching after the relist:
        await rest.delete(k.HTTP_ROUTE.object_path(namespace, "r0"))
        await converge(store, rest, k.HTTP_ROUTE, namespace)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_cache_recovers_from_apiserver_restart(
    rest: KubeRest, namespace: str, control_plane: ControlPlane
) -> None:
    collection = k.HTTP_ROUTE.collection_path(namespace)
    await bounded(
        8, [functools.partial(rest.post, collection, http_route(namespace, f"before-{i}")) for i in range(20)]
    )
    cache = Cache.for_api(rest)
    routes = register_controller_kinds(cache, [k.HTTP_ROUTE])[k.HTTP_ROUTE.group_kind]
    task = asyncio.create_task(cache.run())
    try:
        async with asyncio.timeout(30):
            await cache.wait_synced()
        started = time.monotonic()
        await asyncio.to_thread(control_plane.restart_apiserver, 1.0)
        restarted = time.monotonic() - started
        await bounded(
            8,
            [
                functools.partial(rest.delete, k.HTTP_ROUTE.object_path(namespace, f"before-{i}"))
                for i in range(10)
            ],
        )
        await bounded(
            8,
            [
                functools.partial(rest.post, collection, http_route(namespace, f"after-{i}"))
                for i in range(10)
            ],
        )
        expected, lag = await converge(routes, rest, k.HTTP_ROUTE, namespace, seconds=60)
        assert sorted(expected) == sorted(
            [f"before-{i}" for i in range(10, 20)] + [f"after-{i}" for i in range(10)]
        )
        reflector = cache.reflector(k.HTTP_ROUTE)
        print(
            f"\napiserver restart {restarted:.1f}s; converged +{lag:.2f}s; lists={reflector.lists} "
            f"watches={reflector.watches} errors={reflector.errors} expirations={reflector.expirations}"
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
