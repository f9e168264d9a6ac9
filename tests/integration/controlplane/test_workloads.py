"""With KCM + kwok + the binder, a Deployment yields Ready pods with IPs and a populated EndpointSlice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from kubernetes_asyncio import client

from e2e.controlplane.plane import POD_CIDR, ControlPlane

pytestmark = pytest.mark.integration

LABELS = {"app": "echo"}


def _deployment(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "echo"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {
                    "containers": [{"name": "echo", "image": "echo:fake", "ports": [{"containerPort": 8080}]}]
                },
            },
        },
    }


def _service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "echo"},
        "spec": {"selector": LABELS, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    }


async def _eventually(what: str, probe: Callable[[], Awaitable[Any]], within: float = 120.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.3)


def _ready(pod: client.V1Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


async def test_deployment_produces_ready_pods_and_endpointslice(
    workloads: ControlPlane, kube_api: client.ApiClient, namespace: str
) -> None:
    core, apps, discovery = (
        client.CoreV1Api(kube_api),
        client.AppsV1Api(kube_api),
        client.DiscoveryV1Api(kube_api),
    )
    await core.create_namespaced_service(namespace, _service())
    await apps.create_namespaced_deployment(namespace, _deployment(2))

    async def ready_pods() -> list[client.V1Pod] | None:
        pods = (await core.list_namespaced_pod(namespace, label_selector="app=echo")).items
        good = [p for p in pods if p.status.pod_ip and _ready(p) and not p.metadata.deletion_timestamp]
        return good if len(good) == 2 else None

    pods = await _eventually("2 Ready pods with IPs", ready_pods)
    ips = {p.status.pod_ip for p in pods}
    prefix = POD_CIDR.split(".0.0/")[0] + "."
    assert all(ip.startswith(prefix) for ip in ips), ips
    assert {p.spec.node_name for p in pods} == {"kwok-node-0"}

    async def slice_addresses() -> set[str] | None:
        slices = (
            await discovery.list_namespaced_endpoint_slice(
                namespace, label_selector="kubernetes.io/service-name=echo"
            )
        ).items
        ready = {
            address
            for s in slices
            for e in s.endpoints or []
            if e.conditions and e.conditions.ready
            for address in e.addresses
        }
        return ready if ready == ips else None

    await _eventually("EndpointSlice listing both pod IPs", slice_addresses)

    await apps.patch_namespaced_deployment_scale(
        namespace=namespace, name="echo", body={"spec": {"replicas": 1}}
    )

    async def one_endpoint() -> bool:
        slices = (
            await discovery.list_namespaced_endpoint_slice(
                namespace, label_selector="kubernetes.io/service-name=echo"
            )
        ).items
        return sum(len(s.endpoints or []) for s in slices) == 1

    await _eventually("EndpointSlice shrinking to 1 endpoint after scale-down", one_endpoint)
