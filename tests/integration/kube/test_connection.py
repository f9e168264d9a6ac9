"""Connecting: our kubeconfig loader and the adapter over an ApiClient both reach the server."""

from __future__ import annotations

from typing import Any

import pytest

from lattice_controller.kube import kinds as k
from lattice_controller.kube.client import rest_from_api_client
from lattice_controller.kube.errors import NotFound
from lattice_controller.kube.rest import KubeRest

pytestmark = pytest.mark.integration


async def test_kubeconfig_client_certificates_authenticate(rest: KubeRest) -> None:
    version = await rest.get("/version")
    assert version["gitVersion"].startswith("v1.")
    with pytest.raises(NotFound):
        await rest.get(k.SERVICE.object_path("default", "does-not-exist"))


async def test_rest_over_an_existing_api_client(kube_api: Any) -> None:
    rest = rest_from_api_client(kube_api)
    try:
        namespaces = await rest.get(k.NAMESPACE.collection_path())
        assert "default" in {n["metadata"]["name"] for n in namespaces["items"]}
    finally:
        await rest.close()
