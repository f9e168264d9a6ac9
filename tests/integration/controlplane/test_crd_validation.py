"""The Gateway API CRDs are served with their CEL validation (a real apiserver, not a schema copy)."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

pytestmark = pytest.mark.integration

GROUP, VERSION = "gateway.networking.k8s.io", "v1"


def _route(name: str, *, path: str = "/", parent_refs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "HTTPRoute",
        "metadata": {"name": name},
        "spec": {
            "parentRefs": parent_refs if parent_refs is not None else [{"name": "gw"}],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": path}}],
                    "backendRefs": [{"name": "svc", "port": 80}],
                }
            ],
        },
    }


async def _create(api: client.ApiClient, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
    custom = client.CustomObjectsApi(api)
    result: dict[str, Any] = await custom.create_namespaced_custom_object(
        GROUP, VERSION, namespace, "httproutes", body
    )
    return result


async def test_valid_httproute_is_accepted(kube_api: client.ApiClient, namespace: str) -> None:
    created = await _create(kube_api, namespace, _route("ok"))
    assert created["metadata"]["uid"]


async def test_path_prefix_without_leading_slash_is_rejected_by_cel(
    kube_api: client.ApiClient, namespace: str
) -> None:
    with pytest.raises(ApiException) as info:
        await _create(kube_api, namespace, _route("bad-path", path="api"))
    assert info.value.status == 422
    assert "must be an absolute path" in info.value.body


async def test_same_parent_twice_without_section_is_rejected_by_cel(
    kube_api: client.ApiClient, namespace: str
) -> None:
    refs = [{"name": "gw"}, {"name": "gw", "sectionName": "http"}]
    with pytest.raises(ApiException) as info:
        await _create(kube_api, namespace, _route("dup-parents", parent_refs=refs))
    assert info.value.status == 422
    assert "sectionName or port must be specified" in info.value.body


async def test_duplicate_parent_ref_sections_are_rejected_by_cel(
    kube_api: client.ApiClient, namespace: str
) -> None:
    refs = [{"name": "gw", "sectionName": "http"}, {"name": "gw", "sectionName": "http"}]
    with pytest.raises(ApiException) as info:
        await _create(kube_api, namespace, _route("dup-sections", parent_refs=refs))
    assert info.value.status == 422
    assert "sectionName or port must be unique" in info.value.body


async def test_experimental_kinds_are_served(kube_api: client.ApiClient) -> None:
    resources = await client.CustomObjectsApi(kube_api).get_api_resources(
        "gateway.networking.k8s.io", "v1alpha2"
    )
    names = {r.name for r in resources.resources}
    assert {"tlsroutes", "tcproutes"} <= names
    v1 = await client.CustomObjectsApi(kube_api).get_api_resources(GROUP, VERSION)
    assert {"gateways", "gatewayclasses", "httproutes", "grpcroutes", "referencegrants"} <= {
        r.name for r in v1.resources
    }
