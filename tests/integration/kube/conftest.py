"""Helpers for the kube/ and cache/ tests against the real kube-apiserver (fixtures from e2e.controlplane)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest
import pytest_asyncio

from lattice_controller.cache.store import Store
from lattice_controller.kube.kinds import Kind
from lattice_controller.kube.rest import KubeRest

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture
async def rest(control_plane: Any) -> AsyncIterator[KubeRest]:
    """``KubeRest`` from the admin kubeconfig through kube.connection (no kubernetes-asyncio)."""
    client = await KubeRest.connect(str(control_plane.kubeconfig))
    try:
        yield client
    finally:
        await client.close()


def http_route(namespace: str, name: str, *, gateway: str = "gw", service: str = "svc") -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "parentRefs": [{"name": gateway}],
            "rules": [{"backendRefs": [{"name": service, "port": 80}]}],
        },
    }


async def fresh_list(rest: KubeRest, kind: Kind, namespace: str) -> dict[str, str]:
    """name -> resourceVersion of every object in ``namespace``, by a paginated consistent list."""
    out: dict[str, str] = {}
    token = ""
    while True:
        query = [("limit", "100")] + ([("continue", token)] if token else [])
        page = await rest.get(kind.collection_path(namespace), query)
        for item in page.get("items") or ():
            out[item["metadata"]["name"]] = item["metadata"]["resourceVersion"]
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            return out


def cached(store: Store[Any], namespace: str) -> dict[str, str]:
    return {r.meta.key.name: r.meta.resource_version for r in store.records(namespace)}


async def converge(
    store: Store[Any], rest: KubeRest, kind: Kind, namespace: str, seconds: float = 30.0
) -> tuple[dict[str, str], float]:
    """Wait until the cache equals a fresh list; return the list and how long it took."""
    started = time.monotonic()
    expected: dict[str, str] = {}
    try:
        async with asyncio.timeout(seconds):
            while True:
                expected = await fresh_list(rest, kind, namespace)
                if cached(store, namespace) == expected:
                    return expected, time.monotonic() - started
                await asyncio.sleep(0.05)
    except TimeoutError:
        got = cached(store, namespace)
        missing = sorted(set(expected) - set(got))[:5]
        extra = sorted(set(got) - set(expected))[:5]
        stale = sorted(n for n in set(got) & set(expected) if got[n] != expected[n])[:5]
        raise AssertionError(
            f"cache never converged: missing={missing} extra={extra} stale={stale}"
        ) from None


async def bounded(limit: int, jobs: Sequence[Callable[[], Awaitable[Any]]]) -> None:
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> None:
        async with semaphore:
            await job()

    async with asyncio.TaskGroup() as group:
        for job in jobs:
            group.create_task(one(job))
