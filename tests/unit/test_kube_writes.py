"""Writes, events and discovery against the in-memory API server (``kube.testing.MemoryRest``)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, cast

import pytest

from lattice_controller.kube import kinds as k
from lattice_controller.kube.discovery import MissingRequiredKinds, check_required_kinds
from lattice_controller.kube.errors import Conflict, NotFound
from lattice_controller.kube.events import EventRecorder, InvolvedObject
from lattice_controller.kube.rest import KubeRest, _decode_lines
from lattice_controller.kube.testing import MemoryRest
from lattice_controller.kube.writes import KubeWriter
from lattice_controller.model.keys import ObjectKey

JSON = dict[str, Any]
ROUTE_PATH = "/apis/gateway.networking.k8s.io/v1/namespaces/ns/httproutes/r"


def writer_with_route(**status: Any) -> tuple[KubeWriter, MemoryRest]:
    fake = MemoryRest()
    fake.objects[ROUTE_PATH] = {
        "metadata": {"name": "r", "namespace": "ns", "resourceVersion": "7", "finalizers": ["other"]},
        "status": status,
    }
    return KubeWriter(cast(KubeRest, fake)), fake


KEY = ObjectKey("ns", "r")


async def test_patch_status_skips_empty_and_noop_patches() -> None:
    writer, fake = writer_with_route(parents=[{"a": 1}])
    assert not await writer.patch_status(k.HTTP_ROUTE, KEY, {})
    assert not await writer.patch_status(
        k.HTTP_ROUTE, KEY, {"parents": [{"a": 1}]}, current={"parents": [{"a": 1}]}
    )
    assert fake.calls == []
    assert await writer.patch_status(
        k.HTTP_ROUTE, KEY, {"parents": [{"a": 2}]}, current={"parents": [{"a": 1}]}
    )
    assert fake.writes() == [("PATCH", ROUTE_PATH + "/status", {"status": {"parents": [{"a": 2}]}})]


async def test_update_status_reads_fresh_and_writes_minimal_locked_patch() -> None:
    writer, fake = writer_with_route(parents=[{"a": 1}], stale="x")
    assert not await writer.update_status(k.HTTP_ROUTE, KEY, {"parents": [{"a": 1}], "stale": "x"})
    assert fake.writes() == []
    fake.conflicts_before_patch = 1
    assert await writer.update_status(k.HTTP_ROUTE, KEY, {"parents": [{"a": 1}]})
    patch = {"status": {"stale": None}, "metadata": {"resourceVersion": "7"}}
    assert fake.writes() == [("PATCH", ROUTE_PATH + "/status", patch)] * 2


async def test_finalizer_add_and_remove_retry_on_conflict_and_skip_when_done() -> None:
    writer, fake = writer_with_route()
    fake.conflicts_before_patch = 2
    assert await writer.add_finalizer(k.HTTP_ROUTE, KEY, "httproute.k8s.aws/resources")
    assert fake.objects[ROUTE_PATH]["metadata"]["finalizers"] == ["other", "httproute.k8s.aws/resources"]
    assert [c[0] for c in fake.calls] == ["GET", "PATCH"] * 3
    expected = {"metadata": {"finalizers": ["other", "httproute.k8s.aws/resources"], "resourceVersion": "7"}}
    assert fake.calls[-1][2] == expected
    fake.calls.clear()
    assert not await writer.add_finalizer(k.HTTP_ROUTE, KEY, "httproute.k8s.aws/resources")
    assert await writer.remove_finalizer(k.HTTP_ROUTE, KEY, "httproute.k8s.aws/resources")
    assert not await writer.remove_finalizer(k.HTTP_ROUTE, KEY, "httproute.k8s.aws/resources")
    assert not await writer.remove_finalizer(k.HTTP_ROUTE, ObjectKey("ns", "gone"), "x")
    with pytest.raises(NotFound):
        await writer.add_finalizer(k.HTTP_ROUTE, ObjectKey("ns", "gone"), "x")


async def test_conflicts_beyond_the_retry_budget_raise() -> None:
    writer, fake = writer_with_route()
    fake.conflicts_before_patch = 10
    with pytest.raises(Conflict):
        await writer.add_finalizer(k.HTTP_ROUTE, KEY, "f")
    assert len(fake.writes()) == writer.conflict_retries


async def test_patch_annotations() -> None:
    writer, fake = writer_with_route()
    assert not await writer.patch_annotations(k.HTTP_ROUTE, KEY, {})
    assert not await writer.patch_annotations(k.HTTP_ROUTE, KEY, {"a": "1", "b": None}, current={"a": "1"})
    assert await writer.patch_annotations(k.HTTP_ROUTE, KEY, {"a": "2"}, current={"a": "1"})
    assert fake.writes() == [("PATCH", ROUTE_PATH, {"metadata": {"annotations": {"a": "2"}}})]


async def test_events_are_created_then_aggregated_and_recreated_when_expired() -> None:
    fake = MemoryRest()
    recorder = EventRecorder(cast(KubeRest, fake), "lattice-controller", now=lambda: "2026-01-01T00:00:00Z")
    ref = InvolvedObject(k.HTTP_ROUTE, KEY, uid="u1")
    await recorder.warning(ref, "FailedDeployModel", "Failed deploy model due to boom")
    await recorder.warning(ref, "FailedDeployModel", "Failed deploy model due to boom")
    await recorder.normal(ref, "DeploySucceed", "Adding/Updating reconcile Done!")
    posts = [c for c in fake.calls if c[0] == "POST"]
    patches = [c for c in fake.calls if c[0] == "PATCH"]
    assert len(posts) == 2
    assert len(patches) == 1
    event = posts[0][2]
    assert event["involvedObject"] == {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "name": "r",
        "namespace": "ns",
        "uid": "u1",
    }
    assert (event["type"], event["reason"], event["source"]) == (
        "Warning",
        "FailedDeployModel",
        {"component": "lattice-controller"},
    )
    assert patches[0][2] == {"count": 2, "lastTimestamp": "2026-01-01T00:00:00Z"}
    fake.objects.clear()  # the event expired: the next repeat creates a new one
    await recorder.warning(ref, "FailedDeployModel", "Failed deploy model due to boom")
    assert len([c for c in fake.calls if c[0] == "POST"]) == 3


async def test_event_write_failures_are_swallowed(caplog: pytest.LogCaptureFixture) -> None:
    fake = MemoryRest()

    async def failing_post(path: str, body: JSON, query: Any = ()) -> JSON:
        raise Conflict(403, "Forbidden")

    fake.post = failing_post  # type: ignore[method-assign]
    recorder = EventRecorder(cast(KubeRest, fake), "c")
    await recorder.normal(InvolvedObject(k.GATEWAY_CLASS, ObjectKey("", "gc")), "R", "m")
    assert "cannot record event" in caplog.text


def resource_list(*resources: tuple[str, str, bool]) -> JSON:
    return {"resources": [{"name": p, "kind": kd, "namespaced": ns} for p, kd, ns in resources]}


async def test_discovery_resolves_fallback_versions_and_reports_missing_kinds() -> None:
    fake = MemoryRest()
    gw = "/apis/gateway.networking.k8s.io"
    fake.objects[f"{gw}/v1"] = resource_list(
        ("gateways", "Gateway", True),
        ("gateways/status", "Gateway", True),
        ("gatewayclasses", "GatewayClass", False),
        ("httproutes", "HTTPRoute", True),
        ("grpcroutes", "GRPCRoute", True),
    )
    fake.objects[f"{gw}/v1alpha2"] = resource_list(("tlsroutes", "TLSRoute", True))
    fake.objects[f"{gw}/v1beta1"] = resource_list(("referencegrants", "ReferenceGrant", True))
    rest = cast(KubeRest, fake)
    resolved = await check_required_kinds(rest)
    assert [str(x) for x in resolved.required] == [
        "Gateway.gateway.networking.k8s.io/v1",
        "GatewayClass.gateway.networking.k8s.io/v1",
        "HTTPRoute.gateway.networking.k8s.io/v1",
        "GRPCRoute.gateway.networking.k8s.io/v1",
        "TLSRoute.gateway.networking.k8s.io/v1alpha2",
    ]
    assert [str(x) for x in resolved.optional] == ["ReferenceGrant.gateway.networking.k8s.io/v1beta1"]
    del fake.objects[f"{gw}/v1alpha2"]
    with pytest.raises(MissingRequiredKinds) as info:
        await check_required_kinds(rest)
    assert str(info.value) == "missing required CRDs: TLSRoute.gateway.networking.k8s.io/v1|v1alpha3|v1alpha2"
    assert "\n" not in str(info.value)


class ChunkedContent:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    async def iter_any(self) -> AsyncGenerator[bytes, None]:
        for chunk in self.chunks:
            yield chunk


async def test_watch_lines_are_decoded_across_chunk_boundaries() -> None:
    body = (
        b'{"type":"ADDED","object":{"a":1}}\n\n'
        b'{"type":"BOOKMARK","object":{}}\n{"type":"DELETED","object":{}}'
    )
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    events = [e async for e in _decode_lines(ChunkedContent(chunks))]  # type: ignore[arg-type]
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK", "DELETED"]
