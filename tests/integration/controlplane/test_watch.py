"""List+watch of an HTTPRoute sees its create, update and delete, in order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kubernetes_asyncio import client, watch

pytestmark = pytest.mark.integration

GROUP, VERSION, PLURAL = "gateway.networking.k8s.io", "v1", "httproutes"


def _route(name: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "labels": {"step": "created"}},
        "spec": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}]},
    }


async def test_list_then_watch_sees_create_update_delete(kube_api: client.ApiClient, namespace: str) -> None:
    custom = client.CustomObjectsApi(kube_api)
    listing = await custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL)
    assert listing["items"] == []
    resource_version = listing["metadata"]["resourceVersion"]

    seen: list[tuple[str, str | None]] = []

    async def collect() -> None:
        w = watch.Watch()
        async with w.stream(
            custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            namespace,
            PLURAL,
            resource_version=resource_version,
            timeout_seconds=60,
        ) as stream:
            async for event in stream:
                obj = event["object"]
                seen.append((event["type"], obj["metadata"].get("labels", {}).get("step")))
                if event["type"] == "DELETED":
                    return

    watcher = asyncio.create_task(collect())
    await custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, _route("watched"))
    await custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        "watched",
        {"metadata": {"labels": {"step": "updated"}}},
        _content_type="application/merge-patch+json",
    )
    await custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "watched")
    await asyncio.wait_for(watcher, timeout=30)

    assert seen == [("ADDED", "created"), ("MODIFIED", "updated"), ("DELETED", "updated")]
