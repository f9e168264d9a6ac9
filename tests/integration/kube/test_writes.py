"""Status subresource patches, finalizers, annotations and Events against the real apiserver."""

from __future__ import annotations

from typing import Any

import pytest

from lattice_controller.kube import kinds as k
from lattice_controller.kube.events import EventRecorder, InvolvedObject
from lattice_controller.kube.rest import KubeRest
from lattice_controller.kube.writes import KubeWriter
from lattice_controller.model.keys import ObjectKey
from tests.integration.kube.conftest import http_route

pytestmark = pytest.mark.integration

CONTROLLER = "application-networking.k8s.aws/gateway-api-controller"


def route_status(namespace: str, reason: str = "Accepted") -> dict[str, Any]:
    return {
        "parents": [
            {
                "parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"},
                "controllerName": CONTROLLER,
                "conditions": [
                    {
                        "type": "Accepted",
                        "status": "True",
                        "reason": reason,
                        "message": "",
                        "observedGeneration": 1,
                        "lastTransitionTime": "2026-01-01T00:00:00Z",
                    }
                ],
            }
        ]
    }


async def test_status_patch_and_identical_status_is_skipped(rest: KubeRest, namespace: str) -> None:
    created = await rest.post(k.HTTP_ROUTE.collection_path(namespace), http_route(namespace, "r"))
    key = ObjectKey(namespace, "r")
    writer = KubeWriter(rest)

    assert await writer.patch_status(
        k.HTTP_ROUTE, key, route_status(namespace), current=created.get("status")
    )
    after = await writer.get(k.HTTP_ROUTE, key)
    assert after["status"]["parents"][0]["controllerName"] == CONTROLLER
    assert after["metadata"]["generation"] == created["metadata"]["generation"]  # status is a subresource

    writes = writer.writes
    assert not await writer.patch_status(k.HTTP_ROUTE, key, route_status(namespace), current=after["status"])
    assert not await writer.update_status(k.HTTP_ROUTE, key, after["status"])
    assert writer.writes == writes
    assert (await writer.get(k.HTTP_ROUTE, key))["metadata"]["resourceVersion"] == after["metadata"][
        "resourceVersion"
    ]

    assert await writer.update_status(k.HTTP_ROUTE, key, route_status(namespace, reason="Changed"))
    final = await writer.get(k.HTTP_ROUTE, key)
    assert final["status"]["parents"][0]["conditions"][0]["reason"] == "Changed"
    # A spec write through the status subresource is ignored by the apiserver.
    await writer.patch(k.HTTP_ROUTE, key, {"spec": {"hostnames": ["x.example.com"]}}, subresource="status")
    assert "hostnames" not in (await writer.get(k.HTTP_ROUTE, key))["spec"]


async def test_finalizers_and_annotations(rest: KubeRest, namespace: str) -> None:
    await rest.post(k.HTTP_ROUTE.collection_path(namespace), http_route(namespace, "f"))
    key = ObjectKey(namespace, "f")
    writer = KubeWriter(rest)
    finalizer = "httproute.k8s.aws/resources"
    assert await writer.add_finalizer(k.HTTP_ROUTE, key, finalizer)
    assert not await writer.add_finalizer(k.HTTP_ROUTE, key, finalizer)
    assert await writer.add_finalizer(k.HTTP_ROUTE, key, "example.com/other")
    got = await writer.get(k.HTTP_ROUTE, key)
    assert got["metadata"]["finalizers"] == [finalizer, "example.com/other"]

    # Deletion waits for the finalizers; removing ours leaves the other in place.
    await rest.delete(k.HTTP_ROUTE.object_path(namespace, "f"))
    assert (await writer.get(k.HTTP_ROUTE, key))["metadata"].get("deletionTimestamp")
    assert await writer.remove_finalizer(k.HTTP_ROUTE, key, finalizer)
    assert not await writer.remove_finalizer(k.HTTP_ROUTE, key, finalizer)
    assert (await writer.get(k.HTTP_ROUTE, key))["metadata"]["finalizers"] == ["example.com/other"]
    assert await writer.remove_finalizer(k.HTTP_ROUTE, key, "example.com/other")
    assert not await writer.remove_finalizer(k.HTTP_ROUTE, key, "example.com/other")  # gone now

    await rest.post(
        k.SERVICE.collection_path(namespace),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "svc", "namespace": namespace},
            "spec": {"ports": [{"port": 80}]},
        },
    )
    skey = ObjectKey(namespace, "svc")
    assert await writer.patch_annotations(k.SERVICE, skey, {"application-networking.k8s.aws/tags": "a=b"})
    assert not await writer.patch_annotations(
        k.SERVICE,
        skey,
        {"application-networking.k8s.aws/tags": "a=b"},
        current={"application-networking.k8s.aws/tags": "a=b"},
    )
    assert await writer.patch_annotations(k.SERVICE, skey, {"application-networking.k8s.aws/tags": None})
    assert not (await writer.get(k.SERVICE, skey))["metadata"].get("annotations")


async def test_events_are_created_and_repeats_aggregated(rest: KubeRest, namespace: str) -> None:
    created = await rest.post(k.HTTP_ROUTE.collection_path(namespace), http_route(namespace, "e"))
    recorder = EventRecorder(rest, "lattice-controller", host="test")
    ref = InvolvedObject(k.HTTP_ROUTE, ObjectKey(namespace, "e"), uid=created["metadata"]["uid"])
    for _ in range(3):
        await recorder.warning(ref, "FailedDeployModel", "Failed deploy model due to boom")
    await recorder.normal(ref, "DeploySucceed", "Adding/Updating reconcile Done!")
    events = (await rest.get(k.EVENT.collection_path(namespace)))["items"]
    by_reason = {e["reason"]: e for e in events}
    assert set(by_reason) == {"FailedDeployModel", "DeploySucceed"}
    failed = by_reason["FailedDeployModel"]
    assert (failed["count"], failed["type"], failed["source"]["component"]) == (
        3,
        "Warning",
        "lattice-controller",
    )
    assert failed["involvedObject"]["uid"] == created["metadata"]["uid"]
    assert failed["involvedObject"]["kind"] == "HTTPRoute"
    assert by_reason["DeploySucceed"]["type"] == "Normal"
