"""The reconciler tier: the real GatewayClass, Gateway and HTTPRoute reconcilers and the triggers, fed
from the controller's own cache stores, writing to an in-memory API server (``Cluster``) and to the fake
AWS endpoint over HTTP. No API server process: each test runs in about a second.

What is asserted is what a user and AWS see: the order of writes (finalizer before any AWS write, the
finalizer removed only after the Lattice resources are gone), statuses, annotations, events, outcomes,
which keys a change wakes, and that a retry re-lists what it waits for instead of the cycle's listing.
"""

from __future__ import annotations

from typing import Any

import pytest

from e2e.fakeaws.fixtures import FakeAws
from lattice_controller.aws.edge import AwsEdge
from lattice_controller.aws.metrics import is_read_operation
from lattice_controller.kube import kinds as k
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.k8s import RouteType
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.naming import fallback_service_name, lattice_service_name
from lattice_controller.model.outcomes import RequeueAfter, Success
from lattice_controller.reconcile.build import BuildSettings
from lattice_controller.reconcile.controllers.gateway import (
    DELETE_BLOCKED_RETRY_SECONDS,
    GATEWAY_FINALIZER,
    GatewayReconciler,
)
from lattice_controller.reconcile.controllers.gatewayclass import GatewayClassReconciler
from lattice_controller.reconcile.controllers.route import (
    ASSIGNED_DOMAIN_ANNOTATION,
    SERVICE_ARN_ANNOTATION,
    RouteReconciler,
)
from lattice_controller.reconcile.triggers import GATEWAY_CONTROLLER
from tests.integration.reconcile.cluster import Cluster
from tests.integration.reconcile.harness import CLUSTER, NETWORK, ROUTE, SERVICE_NAME, VPC, Harness

SETTINGS = BuildSettings(account="123456789012", cluster=CLUSTER, vpc=VPC)
GATEWAY = ObjectKey("infra", NETWORK)
CLASS = ObjectKey("", "amazon-vpc-lattice")
ROUTE_FINALIZER = RouteType.HTTP.finalizer


def gateway_class(controller: str = SETTINGS.controller_name) -> dict[str, Any]:
    return {"metadata": {"name": CLASS.name}, "spec": {"controllerName": controller}}


def gateway(name: str = NETWORK) -> dict[str, Any]:
    listener = {
        "name": "http",
        "port": 80,
        "protocol": "HTTP",
        "allowedRoutes": {"namespaces": {"from": "All"}},
    }
    return {
        "metadata": {"name": name, "namespace": GATEWAY.namespace},
        "spec": {"gatewayClassName": CLASS.name, "listeners": [listener]},
    }


def service(name: str = "web") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": ROUTE.namespace},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}], "ipFamilies": ["IPv4"]},
    }


def endpoint_slice(*ips: str, service_name: str = "web") -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"{service_name}-x",
            "namespace": ROUTE.namespace,
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080}],
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
    }


def http_route(*backends: str, gateway_name: str = NETWORK, name: str = ROUTE.name) -> dict[str, Any]:
    return {
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ROUTE.namespace},
        "spec": {
            "parentRefs": [{"name": gateway_name, "namespace": GATEWAY.namespace}],
            "rules": [{"backendRefs": [{"name": b, "port": 80} for b in backends]}],
        },
    }


@pytest.fixture
def cluster(harness: Harness, edge: AwsEdge) -> Cluster:
    """Our GatewayClass and the Gateway of the harness's service network, already reconciled."""
    return Cluster(SETTINGS, edge)


def conditions(obj: dict[str, Any] | None) -> dict[str, tuple[str, str]]:
    parents = ((obj or {}).get("status") or {}).get("parents") or [{}]
    return {c["type"]: (c["status"], c["reason"]) for c in parents[0].get("conditions") or []}


def aws_writes(fake: FakeAws) -> dict[str, int]:
    counters = fake.admin.counters()
    fake.admin.reset_counters()
    return {
        key.split(":", 1)[1]: n for key, n in counters.items() if not is_read_operation(key.split(":", 1)[1])
    }


async def test_gateway_class_and_gateway_statuses_and_finalizer(cluster: Cluster) -> None:
    cluster.apply(k.GATEWAY_CLASS, gateway_class())
    assert await GatewayClassReconciler(cluster.ctx).reconcile(CLASS) == Success()
    cluster.sync()
    accepted = (cluster.object(k.GATEWAY_CLASS, CLASS) or {})["status"]["conditions"][0]
    assert (accepted["type"], accepted["status"]) == ("Accepted", "True")

    cluster.rest.calls.clear()
    cluster.apply(k.GATEWAY, gateway())
    assert cluster.take_woken() >= {(GATEWAY_CONTROLLER, GATEWAY)}
    assert await GatewayReconciler(cluster.ctx).reconcile(GATEWAY) == Success()
    cluster.sync()
    found = cluster.object(k.GATEWAY, GATEWAY) or {}
    assert found["metadata"]["finalizers"] == [GATEWAY_FINALIZER]
    programmed = {c["type"]: c["status"] for c in found["status"]["conditions"]}
    assert programmed == {"Accepted": "True", "Programmed": "True"}
    assert cluster.kube_writes() == [("PATCH", "finalizers"), ("PATCH", "status")]
    # Our own status and finalizer writes wake nothing; a second run writes nothing.
    assert cluster.take_woken() == set()
    cluster.rest.calls.clear()
    assert await GatewayReconciler(cluster.ctx).reconcile(GATEWAY) == Success()
    assert cluster.kube_writes() == []


async def test_a_class_of_another_controller_is_left_alone(cluster: Cluster) -> None:
    cluster.apply(k.GATEWAY_CLASS, gateway_class("example.com/other"))
    assert await GatewayClassReconciler(cluster.ctx).reconcile(CLASS) == Success()
    assert cluster.kube_writes() == []


async def ready(cluster: Cluster) -> RouteReconciler:
    cluster.apply(k.GATEWAY_CLASS, gateway_class())
    cluster.apply(k.GATEWAY, gateway())
    await GatewayReconciler(cluster.ctx).reconcile(GATEWAY)
    cluster.sync()
    cluster.take_woken()
    cluster.rest.calls.clear()
    return RouteReconciler(cluster.ctx, RouteType.HTTP)


async def test_route_create_resync_and_delete(cluster: Cluster, fake_aws: FakeAws) -> None:
    routes = await ready(cluster)
    cluster.apply(k.SERVICE, service())
    cluster.apply(k.ENDPOINT_SLICE, endpoint_slice("10.0.0.1"))
    cluster.apply(k.HTTP_ROUTE, http_route("web"))
    assert ("httproute", ROUTE) in cluster.take_woken()
    fake_aws.admin.reset_counters()

    assert await routes.reconcile(ROUTE) == Success()
    cluster.sync()
    # The finalizer is the first write: no Lattice resource exists without it.
    assert cluster.kube_writes() == [
        ("PATCH", "finalizers"),
        ("PATCH", "status"),
        ("PATCH", "annotations"),
        ("POST", "event"),
    ]
    assert aws_writes(fake_aws) == {
        "CreateListener": 1,
        "CreateRule": 1,
        "CreateService": 1,
        "CreateServiceNetworkServiceAssociation": 1,
        "CreateTargetGroup": 1,
        "RegisterTargets": 1,
    }
    route = cluster.object(k.HTTP_ROUTE, ROUTE) or {}
    assert route["metadata"]["finalizers"] == [ROUTE_FINALIZER]
    assert conditions(route)["Accepted"] == ("True", "Accepted")
    assert conditions(route)["ResolvedRefs"] == ("True", "ResolvedRefs")
    annotations = route["metadata"]["annotations"]
    service_arn = annotations[SERVICE_ARN_ANNOTATION]
    assert service_arn.startswith("arn:aws:vpc-lattice:")
    assert annotations[ASSIGNED_DOMAIN_ANNOTATION]
    assert cluster.events() == [("Normal", "DeploySucceed", "Adding/Updating reconcile Done!")]
    # The DNS annotation is what the Gateway shows: our own write wakes the gateway, not the route.
    assert cluster.take_woken() == {(GATEWAY_CONTROLLER, GATEWAY)}

    # Nothing changed: no AWS write, no Kubernetes write, no event.
    cluster.rest.calls.clear()
    cluster.ctx.inventory.new_cycle()
    assert await routes.reconcile(ROUTE) == Success()
    assert aws_writes(fake_aws) == {}
    assert cluster.kube_writes() == []

    # An endpoint change wakes the route; only the difference is sent.
    cluster.apply(k.ENDPOINT_SLICE, endpoint_slice("10.0.0.1", "10.0.0.2"))
    assert cluster.take_woken() == {("httproute", ROUTE)}
    assert await routes.reconcile(ROUTE) == Success()
    assert aws_writes(fake_aws) == {"RegisterTargets": 1}

    # Deletion: every Lattice resource of the route goes, and only then the finalizer.
    cluster.delete(k.HTTP_ROUTE, ROUTE)
    cluster.rest.calls.clear()
    outcome = await routes.reconcile(ROUTE)
    writes = aws_writes(fake_aws)
    assert {"DeleteService", "DeleteTargetGroup"} <= set(writes), writes
    if outcome != Success():  # a target group may still drain: the retry finishes the job
        assert isinstance(outcome, RequeueAfter)
        assert cluster.kube_writes() == []
        cluster.ctx.inventory.new_cycle()
        assert await routes.reconcile(ROUTE) == Success()
    assert cluster.kube_writes() == [("PATCH", "finalizers")]
    assert cluster.object(k.HTTP_ROUTE, ROUTE) is None  # the API server removed it
    assert not [s for s in await cluster.ctx.lattice.list_services() if s["name"] == SERVICE_NAME]


async def test_missing_backend_is_resolved_refs_false_and_its_creation_wakes_the_route(
    cluster: Cluster,
) -> None:
    routes = await ready(cluster)
    cluster.apply(k.HTTP_ROUTE, http_route("nope"))
    cluster.take_woken()
    assert await routes.reconcile(ROUTE) == Success()
    cluster.sync()
    assert conditions(cluster.object(k.HTTP_ROUTE, ROUTE))["ResolvedRefs"] == ("False", "BackendNotFound")

    cluster.apply(k.SERVICE, service("nope"))
    assert ("httproute", ROUTE) in cluster.take_woken()
    assert await routes.reconcile(ROUTE) == Success()
    cluster.sync()
    assert conditions(cluster.object(k.HTTP_ROUTE, ROUTE))["ResolvedRefs"] == ("True", "ResolvedRefs")


async def test_a_foreign_service_is_conflicted_with_a_warning_and_no_write(
    cluster: Cluster, edge: AwsEdge, fake_aws: FakeAws
) -> None:
    foreign = {tag_keys.MANAGED_BY: "999999999999/other-cluster/vpc-0other"}
    await edge.lattice.create_service(SERVICE_NAME, client_token="foreign", tags=foreign)
    routes = await ready(cluster)
    cluster.apply(k.SERVICE, service())
    cluster.apply(k.HTTP_ROUTE, http_route("web"))
    fake_aws.admin.reset_counters()
    # The first create may skip listing services (tag-filtered shortcut): the name is taken, which
    # is a short wait whose retry lists services and finds the owner.
    first = await routes.reconcile(ROUTE)
    if first != Success():
        assert first == RequeueAfter(10.0)
        cluster.sync()
        assert await routes.reconcile(ROUTE) == Success()
    cluster.sync()
    assert conditions(cluster.object(k.HTTP_ROUTE, ROUTE))["Accepted"] == ("False", "Conflicted")
    warnings = [(kind, reason) for kind, reason, message in cluster.events() if kind == "Warning"]
    assert warnings == [("Warning", "FailedDeployModel")], cluster.events()
    assert set(aws_writes(fake_aws)) <= {"CreateService"}  # a name-taken create changes nothing


async def test_routes_alike_up_to_the_name_truncation_each_get_a_service(
    cluster: Cluster, edge: AwsEdge, fake_aws: FakeAws
) -> None:
    # Both names derive the service name ``specific-host-matche-<ns>``: the second route's service
    # takes its fallback name instead of a Conflicted route (docs/compatibility.md, "Deliberately different").
    first, second = (
        ObjectKey(ROUTE.namespace, f"specific-host-matches-listener-{kind}-host")
        for kind in ("specific", "wildcard")
    )
    routes = await ready(cluster)
    cluster.apply(k.SERVICE, service())
    for key in (first, second):
        cluster.apply(k.HTTP_ROUTE, http_route("web", name=key.name))
    for key in (first, second):
        outcome = await routes.reconcile(key)
        if outcome != Success():  # the derived name met the first route's service: the retry lists
            assert outcome == RequeueAfter(10.0)
            cluster.ctx.inventory.new_cycle()
            assert await routes.reconcile(key) == Success()
    cluster.sync()
    arns = {}
    for key in (first, second):
        route = cluster.object(k.HTTP_ROUTE, key) or {}
        assert conditions(route)["Accepted"] == ("True", "Accepted")
        arns[key] = route["metadata"]["annotations"][SERVICE_ARN_ANNOTATION]
    names = {s["arn"]: s["name"] for s in await edge.lattice.list_services()}
    assert names[arns[first]] == lattice_service_name(first.name, first.namespace)
    assert names[arns[second]] == fallback_service_name(second.name, second.namespace, "http")

    # The holder of the derived name goes; the other route stays where it is, without a write.
    cluster.delete(k.HTTP_ROUTE, first)
    while await routes.reconcile(first) != Success():
        cluster.ctx.inventory.new_cycle()
    fake_aws.admin.reset_counters()
    cluster.ctx.inventory.new_cycle()
    assert await routes.reconcile(second) == Success()
    assert aws_writes(fake_aws) == {}
    cluster.delete(k.HTTP_ROUTE, second)
    while await routes.reconcile(second) != Success():
        cluster.ctx.inventory.new_cycle()
    assert not {arns[first], arns[second]} & {s["arn"] for s in await edge.lattice.list_services()}


async def test_a_route_on_a_missing_network_waits_and_the_retry_lists_networks_again(
    cluster: Cluster, edge: AwsEdge
) -> None:
    routes = await ready(cluster)
    cluster.apply(k.GATEWAY, gateway("later"))
    cluster.apply(k.SERVICE, service())
    cluster.apply(k.HTTP_ROUTE, http_route("web", gateway_name="later"))
    outcome = await routes.reconcile(ROUTE)
    assert isinstance(outcome, RequeueAfter)
    # Created by someone else within the same resync cycle: the retry must not trust the old listing.
    await edge.lattice.create_service_network("later", client_token="later")
    await routes.reconcile(ROUTE)
    services = [s for s in await edge.lattice.list_services() if s["name"] == SERVICE_NAME]
    associations = await edge.lattice.list_service_network_service_associations(service_id=services[0]["id"])
    assert [a["serviceNetworkName"] for a in associations] == ["later"]


async def test_gateway_deletion_waits_for_its_routes(cluster: Cluster) -> None:
    routes = await ready(cluster)
    cluster.apply(k.SERVICE, service())
    cluster.apply(k.HTTP_ROUTE, http_route("web"))
    await routes.reconcile(ROUTE)
    cluster.sync()
    gateways = GatewayReconciler(cluster.ctx)
    cluster.delete(k.GATEWAY, GATEWAY)
    assert await gateways.reconcile(GATEWAY) == RequeueAfter(DELETE_BLOCKED_RETRY_SECONDS)
    assert GATEWAY_FINALIZER in (cluster.object(k.GATEWAY, GATEWAY) or {})["metadata"]["finalizers"]

    cluster.delete(k.HTTP_ROUTE, ROUTE)
    assert (GATEWAY_CONTROLLER, GATEWAY) in cluster.take_woken()
    while await routes.reconcile(ROUTE) != Success():
        cluster.ctx.inventory.new_cycle()
    cluster.sync()
    assert await gateways.reconcile(GATEWAY) == Success()
    assert cluster.object(k.GATEWAY, GATEWAY) is None
