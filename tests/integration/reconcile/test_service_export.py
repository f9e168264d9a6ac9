"""ServiceExport and ServiceImport on the reconciler tier (``test_reconcilers``: real reconcilers and
triggers, in-memory API server, the fake AWS endpoint over HTTP).

The export's target groups (names, discovery tags, targets, ``exportedPorts``, the legacy port
annotation, TargetGroupPolicy health checks and protocol), its call budget and 0 writes on an idle
resync; bad input (no federation annotation, missing Service) with no AWS write; and two controllers of
two clusters (different CLUSTER_NAME and VPC, each its own AWS edge) on one account: cluster B's route
forwards to cluster A's export next to its local Service, deleting the export withdraws it, B's route
drops it and reports it, and only then A deletes its group — neither touching what the other owns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry

from e2e.fakeaws.fixtures import FakeAws
from lattice_controller.aws.edge import AwsEdge, open_aws_edge
from lattice_controller.aws.session import ACM, LATTICE, TAGGING, AwsConfig
from lattice_controller.kube import kinds as k
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.k8s import RouteType
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import RequeueAfter, Success
from lattice_controller.reconcile.build import BuildSettings
from lattice_controller.reconcile.controllers.gateway import GatewayReconciler
from lattice_controller.reconcile.controllers.route import RouteReconciler
from lattice_controller.reconcile.controllers.service_export import FINALIZER, ServiceExportReconciler
from lattice_controller.reconcile.controllers.service_import import ServiceImportReconciler
from lattice_controller.reconcile.triggers import SERVICE_EXPORT_CONTROLLER
from tests.integration.reconcile.cluster import Cluster
from tests.integration.reconcile.harness import NETWORK, ROUTE, Harness
from tests.integration.reconcile.test_reconcilers import (
    GATEWAY,
    SETTINGS,
    aws_writes,
    conditions,
    gateway,
    gateway_class,
)

NS = ROUTE.namespace
EXPORT = ObjectKey(NS, "checkout-v2")
FEDERATED = {"application-networking.k8s.aws/federation": "amazon-vpc-lattice"}
VPC_B = "vpc-0bbbbbbbbbbbbbbb0"
MISSING_ARN = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0000000000000000a"
SETTINGS_B = BuildSettings(account="123456789012", cluster="cluster-b", vpc=VPC_B)


def service(name: str, ports: tuple[tuple[str, int, int], ...] = (("http", 80, 8080),)) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "ports": [{"name": n, "port": p, "targetPort": t} for n, p, t in ports],
            "ipFamilies": ["IPv4"],
        },
    }


def endpoint_slice(
    service_name: str, *ips: str, ports: tuple[tuple[str, int], ...] = (("http", 8080),)
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"{service_name}-x",
            "namespace": NS,
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "ports": [{"name": n, "port": p} for n, p in ports],
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
    }


def service_export(
    name: str = EXPORT.name,
    annotations: dict[str, str] | None = None,
    exported_ports: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {
            "name": name,
            "namespace": NS,
            "annotations": FEDERATED if annotations is None else annotations,
        }
    }
    if exported_ports is not None:
        obj["spec"] = {"exportedPorts": exported_ports}
    return obj


def target_group_policy(name: str, target_kind: str, target: str, **spec: Any) -> dict[str, Any]:
    group = "" if target_kind == "Service" else "application-networking.k8s.aws"
    return {
        "metadata": {"name": name, "namespace": NS, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"targetRef": {"group": group, "kind": target_kind, "name": target}, **spec},
    }


async def groups_of(cluster: Cluster, export: str = EXPORT.name) -> list[dict[str, Any]]:
    """The ServiceExport target groups named ``export`` in the account, with tags and targets."""
    lattice = cluster.ctx.lattice
    out = []
    for summary in await lattice.list_target_groups():
        tags = await cluster.ctx.tags.tags_of(str(summary["arn"]))
        if (
            tags.get(tag_keys.SOURCE_TYPE_KEY) == tag_keys.SOURCE_TYPE_SERVICE_EXPORT
            and tags.get(tag_keys.SERVICE_NAME) == export
        ):
            detail = await lattice.get_target_group(str(summary["id"]))
            listed = await lattice.list_targets(str(summary["id"]))
            targets = sorted((t["id"], t["port"]) for t in listed if t.get("status") != "DRAINING")
            out.append({**detail, "tags": dict(tags), "targets": targets})
    return sorted(out, key=lambda g: g["config"]["port"])


async def settle(cluster: Cluster, exports: ServiceExportReconciler, key: ObjectKey = EXPORT) -> Any:
    cluster.ctx.inventory.new_cycle()
    outcome = await exports.reconcile(key)
    cluster.sync()
    return outcome


async def until_success(cluster: Cluster, exports: ServiceExportReconciler, key: ObjectKey = EXPORT) -> bool:
    """Reconcile until Success (a deletion waits for draining targets); False after 20 s."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        outcome = await settle(cluster, exports, key)
        if outcome == Success():
            return True
        assert isinstance(outcome, RequeueAfter), outcome
        await asyncio.sleep(0.5)
    return False


@pytest.fixture
def cluster(harness: Harness, edge: AwsEdge) -> Cluster:
    return Cluster(SETTINGS, edge)


async def test_export_create_idle_resync_endpoint_change_and_delete(
    cluster: Cluster, fake_aws: FakeAws
) -> None:
    exports = ServiceExportReconciler(cluster.ctx)
    cluster.apply(k.SERVICE, service(EXPORT.name))
    cluster.apply(k.ENDPOINT_SLICE, endpoint_slice(EXPORT.name, "10.1.0.1", "10.1.0.2"))
    cluster.apply(
        k.SERVICE_EXPORT,
        service_export(annotations={**FEDERATED, "application-networking.k8s.aws/tags": "team=pay"}),
    )
    assert (SERVICE_EXPORT_CONTROLLER, EXPORT) in cluster.take_woken()
    aws_writes(fake_aws)

    assert await settle(cluster, exports) == Success()
    assert aws_writes(fake_aws) == {"CreateTargetGroup": 1, "RegisterTargets": 1}
    assert cluster.kube_writes() == [("PATCH", "finalizers"), ("POST", "event")]
    assert (cluster.object(k.SERVICE_EXPORT, EXPORT) or {})["metadata"]["finalizers"] == [FINALIZER]
    [group] = await groups_of(cluster)
    assert group["name"].startswith(f"k8s-{NS}-{EXPORT.name}-")
    assert group["config"]["port"] == 80
    assert group["config"]["protocol"] == "HTTP"
    assert group["config"]["vpcIdentifier"] == SETTINGS.vpc
    assert group["tags"] == {
        tag_keys.MANAGED_BY: SETTINGS.managed_by,
        tag_keys.CLUSTER_NAME: SETTINGS.cluster,
        tag_keys.SERVICE_NAME: EXPORT.name,
        tag_keys.SERVICE_NAMESPACE: NS,
        tag_keys.SOURCE_TYPE_KEY: "ServiceExport",
        tag_keys.PROTOCOL_VERSION: "HTTP1",
        "team": "pay",
    }
    assert group["targets"] == [("10.1.0.1", 8080), ("10.1.0.2", 8080)]

    # Idle resync: no AWS write, no Kubernetes write, no event.
    cluster.rest.calls.clear()
    assert await settle(cluster, exports) == Success()
    assert aws_writes(fake_aws) == {}
    assert cluster.kube_writes() == []

    # An endpoint change wakes the export; only the difference is sent.
    cluster.apply(k.ENDPOINT_SLICE, endpoint_slice(EXPORT.name, "10.1.0.1", "10.1.0.3"))
    assert (SERVICE_EXPORT_CONTROLLER, EXPORT) in cluster.take_woken()
    assert await settle(cluster, exports) == Success()
    assert aws_writes(fake_aws) == {"DeregisterTargets": 1, "RegisterTargets": 1}

    # Deletion: its group goes (targets first), then the finalizer.
    cluster.rest.calls.clear()
    cluster.delete(k.SERVICE_EXPORT, EXPORT)
    assert (SERVICE_EXPORT_CONTROLLER, EXPORT) in cluster.take_woken()
    # The target deregistered above drains first (the fake: 2 s): the deletion waits for it.
    assert await until_success(cluster, exports)
    assert aws_writes(fake_aws) == {"DeregisterTargets": 1, "DeleteTargetGroup": 1}
    assert cluster.object(k.SERVICE_EXPORT, EXPORT) is None
    assert await groups_of(cluster) == []


async def test_exported_ports_legacy_port_annotation_and_service_name(
    cluster: Cluster, fake_aws: FakeAws
) -> None:
    exports = ServiceExportReconciler(cluster.ctx)
    ports = (("http", 80, 8080), ("grpc", 9000, 9090))
    cluster.apply(k.SERVICE, service("backend", ports))
    cluster.apply(
        k.ENDPOINT_SLICE, endpoint_slice("backend", "10.1.0.1", ports=(("http", 8080), ("grpc", 9090)))
    )
    entries = [{"port": 80, "routeType": "HTTP"}, {"port": 9000, "routeType": "GRPC"}]
    annotations = {**FEDERATED, "application-networking.k8s.aws/service-name": "backend"}
    cluster.apply(k.SERVICE_EXPORT, service_export(annotations=annotations, exported_ports=entries))
    assert await settle(cluster, exports) == Success()
    assert aws_writes(fake_aws) == {"CreateTargetGroup": 2, "RegisterTargets": 2}
    http, grpc = await groups_of(cluster)
    # Tagged with the export's name (what importers look up), targets from the named Service.
    assert (http["config"]["port"], http["config"]["protocolVersion"], http["targets"]) == (
        80,
        "HTTP1",
        [("10.1.0.1", 8080)],
    )
    assert (grpc["config"]["port"], grpc["config"]["protocolVersion"], grpc["targets"]) == (
        9000,
        "GRPC",
        [("10.1.0.1", 9090)],
    )
    assert grpc["tags"][tag_keys.PROTOCOL_VERSION] == "GRPC"

    # Dropping an entry deletes its group; the legacy annotation (no exportedPorts) narrows port 80's.
    cluster.apply(
        k.SERVICE_EXPORT,
        service_export(annotations={**annotations, "application-networking.k8s.aws/port": "9000"}),
    )
    cluster.take_woken()
    assert await settle(cluster, exports) == Success()
    writes = aws_writes(fake_aws)
    assert writes["DeleteTargetGroup"] == 1, writes
    [legacy] = await groups_of(cluster)
    assert (legacy["config"]["port"], legacy["targets"]) == (80, [("10.1.0.1", 9090)])


async def test_target_group_policy_on_the_export_health_check_and_protocol(
    cluster: Cluster, fake_aws: FakeAws
) -> None:
    exports = ServiceExportReconciler(cluster.ctx)
    cluster.apply(k.SERVICE, service(EXPORT.name))
    cluster.apply(k.ENDPOINT_SLICE, endpoint_slice(EXPORT.name, "10.1.0.1"))
    cluster.apply(k.SERVICE_EXPORT, service_export())
    assert await settle(cluster, exports) == Success()
    aws_writes(fake_aws)
    cluster.take_woken()

    health = {"path": "/healthz", "intervalSeconds": 10, "statusMatch": "200-299"}
    cluster.apply(
        k.TARGET_GROUP_POLICY, target_group_policy("hc", "ServiceExport", EXPORT.name, healthCheck=health)
    )
    assert (SERVICE_EXPORT_CONTROLLER, EXPORT) in cluster.take_woken()
    assert await settle(cluster, exports) == Success()
    assert aws_writes(fake_aws) == {"UpdateTargetGroup": 1}
    [group] = await groups_of(cluster)
    check = group["config"]["healthCheck"]
    assert (check["path"], check["healthCheckIntervalSeconds"], check["matcher"]["httpCode"]) == (
        "/healthz",
        10,
        "200-299",
    )
    assert await settle(cluster, exports) == Success()
    assert aws_writes(fake_aws) == {}

    # A protocol change replaces the group; removing the policy resets the check to the defaults.
    cluster.apply(
        k.TARGET_GROUP_POLICY,
        target_group_policy("hc", "ServiceExport", EXPORT.name, protocol="HTTPS", healthCheck=health),
    )
    assert await settle(cluster, exports) == Success()
    writes = aws_writes(fake_aws)
    assert (writes["CreateTargetGroup"], writes["DeleteTargetGroup"]) == (1, 1), writes
    [group] = await groups_of(cluster)
    assert group["config"]["protocol"] == "HTTPS"
    cluster.delete(k.TARGET_GROUP_POLICY, ObjectKey(NS, "hc"))
    cluster.apply(
        k.TARGET_GROUP_POLICY, target_group_policy("hc2", "ServiceExport", EXPORT.name, protocol="HTTPS")
    )
    assert await settle(cluster, exports) == Success()
    assert aws_writes(fake_aws) == {"UpdateTargetGroup": 1}
    [group] = await groups_of(cluster)
    assert group["config"]["healthCheck"]["path"] == "/"


async def test_bad_input_writes_nothing_to_aws(cluster: Cluster, fake_aws: FakeAws) -> None:
    exports = ServiceExportReconciler(cluster.ctx)
    # Without the federation annotation: left alone entirely (no finalizer, no event, no AWS call).
    cluster.apply(k.SERVICE, service(EXPORT.name))
    cluster.apply(k.SERVICE_EXPORT, service_export(annotations={}))
    aws_writes(fake_aws)
    assert await settle(cluster, exports) == Success()
    assert cluster.kube_writes() == []
    assert aws_writes(fake_aws) == {}

    # Federated, but its Service does not exist: one Warning naming what to do, no AWS write.
    cluster.apply(k.SERVICE_EXPORT, service_export(name="ghost"))
    ghost = ObjectKey(NS, "ghost")
    assert await settle(cluster, exports, ghost) == Success()
    assert await settle(cluster, exports, ghost) == Success()
    assert aws_writes(fake_aws) == {}
    [(kind, reason, message)] = cluster.events()
    assert (kind, reason) == ("Warning", "FailedBuildModel")
    assert f"Service {NS}/ghost of ServiceExport {NS}/ghost does not exist" in message
    # The Service arriving wakes the export.
    cluster.apply(k.SERVICE, service("ghost"))
    assert (SERVICE_EXPORT_CONTROLLER, ghost) in cluster.take_woken()

    # A deleted ServiceImport that carries the reference's finalizer is let go.
    imported = ObjectKey(NS, "old-import")
    cluster.apply(
        k.SERVICE_IMPORT,
        {
            "metadata": {
                "name": imported.name,
                "namespace": NS,
                "finalizers": ["serviceimport.k8s.aws/resource"],
            },
            "spec": {"type": "ClusterSetIP", "ports": [{"port": 80}]},
        },
    )
    cluster.delete(k.SERVICE_IMPORT, imported)
    assert await ServiceImportReconciler(cluster.ctx).reconcile(imported) == Success()
    assert cluster.object(k.SERVICE_IMPORT, imported) is None


# -- two clusters on one account ---------------------------------------------------------------------


@pytest_asyncio.fixture
async def edge_b(edge: AwsEdge, fake_aws: FakeAws) -> AsyncIterator[AwsEdge]:
    """A second controller's AWS edge (its own clients, inventory and caches); ``edge`` set the env."""
    config = AwsConfig(region=fake_aws.region, max_attempts=1)
    async with open_aws_edge(
        config, registry=CollectorRegistry(), services=(LATTICE, TAGGING, ACM)
    ) as opened:
        yield opened


def importing_route(weights: tuple[int, int] = (25, 75)) -> dict[str, Any]:
    return {
        "kind": "HTTPRoute",
        "metadata": {"name": "checkout", "namespace": NS},
        "spec": {
            "parentRefs": [{"name": NETWORK, "namespace": GATEWAY.namespace}],
            "rules": [
                {
                    "backendRefs": [
                        {"name": "checkout", "port": 80, "weight": weights[0]},
                        {
                            "name": EXPORT.name,
                            "kind": "ServiceImport",
                            "group": "application-networking.k8s.aws",
                            "weight": weights[1],
                        },
                    ]
                }
            ],
        },
    }


def service_import(annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": EXPORT.name, "namespace": NS, "annotations": annotations or {}},
        "spec": {"type": "ClusterSetIP", "ports": [{"port": 80}]},
    }


async def forward_of(cluster: Cluster, service_name: str) -> dict[str, int]:
    """Target group id → weight of the first rule of the route's service's one listener."""
    lattice = cluster.ctx.lattice
    [service] = [s for s in await lattice.list_services() if s["name"] == service_name]
    [listener] = await lattice.list_listeners(str(service["id"]))
    rules = [
        r for r in await lattice.list_rules(str(service["id"]), str(listener["id"])) if not r.get("isDefault")
    ]
    rule = await lattice.get_rule(str(service["id"]), str(listener["id"]), str(rules[0]["id"]))
    return {
        str(t["targetGroupIdentifier"]): int(t["weight"]) for t in rule["action"]["forward"]["targetGroups"]
    }


async def test_two_clusters_export_import_withdraw_and_delete(
    harness: Harness, edge: AwsEdge, edge_b: AwsEdge, fake_aws: FakeAws
) -> None:
    a = Cluster(SETTINGS, edge)
    b = Cluster(SETTINGS_B, edge_b)
    exports = ServiceExportReconciler(a.ctx)
    a.apply(k.SERVICE, service(EXPORT.name))
    a.apply(k.ENDPOINT_SLICE, endpoint_slice(EXPORT.name, "10.1.0.1"))
    a.apply(k.SERVICE_EXPORT, service_export())
    assert await settle(a, exports) == Success()
    [exported] = await groups_of(a)

    b.apply(k.GATEWAY_CLASS, gateway_class())
    b.apply(k.GATEWAY, gateway())
    await GatewayReconciler(b.ctx).reconcile(GATEWAY)
    routes = RouteReconciler(b.ctx, RouteType.HTTP)
    b.apply(k.SERVICE, service("checkout"))
    b.apply(k.ENDPOINT_SLICE, endpoint_slice("checkout", "10.2.0.1"))
    b.apply(
        k.SERVICE_IMPORT,
        service_import({"application-networking.k8s.aws/aws-eks-cluster-name": SETTINGS.cluster}),
    )
    b.apply(k.HTTP_ROUTE, importing_route())
    route_key = ObjectKey(NS, "checkout")
    b.ctx.inventory.new_cycle()
    outcome = await routes.reconcile(route_key)
    b.sync()
    # Forwarding to another cluster's export: B re-checks it periodically (it cannot watch A).
    assert isinstance(outcome, RequeueAfter), outcome
    route = b.object(k.HTTP_ROUTE, route_key)
    assert conditions(route)["ResolvedRefs"] == ("True", "ResolvedRefs")
    service_name = f"checkout-{NS}"
    forward = await forward_of(b, service_name)
    assert forward[exported["id"]] == 75
    assert sorted(forward.values()) == [25, 75]
    aws_writes(fake_aws)
    b.ctx.inventory.new_cycle()
    assert isinstance(await routes.reconcile(route_key), RequeueAfter)
    assert aws_writes(fake_aws) == {}  # idle re-check: reads only

    # A deletes its export: the group is in use by B's rule, so A withdraws it and waits.
    a.delete(k.SERVICE_EXPORT, EXPORT)
    assert isinstance(await settle(a, exports), RequeueAfter)
    assert aws_writes(fake_aws) == {"TagResources": 1}
    assert a.object(k.SERVICE_EXPORT, EXPORT) is not None  # finalizer kept
    # B's next look drops it: its share answers 5xx, the route says why.
    b.ctx.inventory.new_cycle()
    await routes.reconcile(route_key)
    b.sync()
    forward = await forward_of(b, service_name)
    assert exported["id"] not in forward
    route = b.object(k.HTTP_ROUTE, route_key)
    assert conditions(route)["ResolvedRefs"] == ("False", "BackendNotFound")
    # Now unused: A deletes it and lets the export go.
    assert await settle(a, exports) == Success()
    assert a.object(k.SERVICE_EXPORT, EXPORT) is None
    assert await groups_of(a) == []
    # Nothing of B's was touched by A: B's own target groups and service are all still there.
    b_groups = [g for g in await edge.lattice.list_target_groups() if g.get("vpcIdentifier") == VPC_B]
    assert b_groups
    for group in b_groups:
        tags = await edge.tags.tags_of(str(group["arn"]))
        assert tags.get(tag_keys.CLUSTER_NAME) == "cluster-b"


# -- external target groups (target-group-arn) and the migration guard ----------------------------------


def route_to(import_name: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    route = importing_route()
    route["metadata"]["annotations"] = annotations or {}
    route["spec"]["rules"][0]["backendRefs"][1]["name"] = import_name
    return route


async def test_external_target_group_used_never_modified_and_bad_annotations(
    harness: Harness, edge: AwsEdge, fake_aws: FakeAws
) -> None:
    cluster = Cluster(SETTINGS, edge)
    cluster.apply(k.GATEWAY_CLASS, gateway_class())
    cluster.apply(k.GATEWAY, gateway())
    await GatewayReconciler(cluster.ctx).reconcile(GATEWAY)
    routes = RouteReconciler(cluster.ctx, RouteType.HTTP)
    cluster.apply(k.SERVICE, service("checkout"))
    cluster.apply(k.ENDPOINT_SLICE, endpoint_slice("checkout", "10.2.0.1"))
    theirs = await edge.lattice.create_target_group(
        "customer-owned",
        "IP",
        client_token="customer",
        config={"port": 443, "protocol": "HTTPS", "vpcIdentifier": "vpc-0customer00000000"},
    )
    key = ObjectKey(NS, "checkout")
    cases = {
        "external": (
            {"application-networking.k8s.aws/target-group-arn": theirs["arn"]},
            "True",
            "ResolvedRefs",
        ),
        "conflicting": (
            {
                "application-networking.k8s.aws/target-group-arn": theirs["arn"],
                "application-networking.k8s.aws/export-name": "checkout-v2",
            },
            "False",
            "ConflictingServiceImportAnnotations",
        ),
        "not-an-arn": (
            {"application-networking.k8s.aws/target-group-arn": "tg-123"},
            "False",
            "InvalidExternalTargetGroup",
        ),
        "gone": (
            {
                "application-networking.k8s.aws/target-group-arn": theirs["arn"].rsplit("/", 1)[0]
                + "/tg-0000000000000000a"
            },
            "False",
            "ExternalTargetGroupNotFound",
        ),
    }
    for name, (marks, status, reason) in cases.items():
        imported = service_import(marks)
        imported["metadata"]["name"] = name
        cluster.apply(k.SERVICE_IMPORT, imported)
        cluster.apply(k.HTTP_ROUTE, route_to(name))
        cluster.ctx.inventory.new_cycle()
        await routes.reconcile(key)
        cluster.sync()
        assert conditions(cluster.object(k.HTTP_ROUTE, key))["ResolvedRefs"][:2] == (status, reason), name
        forward = await forward_of(cluster, f"checkout-{NS}")
        assert (theirs["id"] in forward) == (name == "external"), (name, forward)
    # Used, never modified: no tag, no target, no update on the customer's group.
    assert dict(await edge.tags.tags_of(theirs["arn"])) == {}
    assert await edge.lattice.list_targets(theirs["id"]) == []


async def test_migration_guard_an_unresolved_import_never_claims_the_service(
    harness: Harness, edge: AwsEdge, fake_aws: FakeAws
) -> None:
    # The platform allows adoption here: only the unresolved import keeps the service untouched.
    cluster = Cluster(replace(SETTINGS, adoption_allowed_namespaces=("*",)), edge)
    cluster.apply(k.GATEWAY_CLASS, gateway_class())
    cluster.apply(k.GATEWAY, gateway())
    await GatewayReconciler(cluster.ctx).reconcile(GATEWAY)
    routes = RouteReconciler(cluster.ctx, RouteType.HTTP)
    existing = await edge.lattice.create_service("customer-svc", client_token="customer-svc")
    cluster.apply(k.SERVICE, service("checkout"))
    override = {"application-networking.k8s.aws/service-name-override": "customer-svc"}
    cluster.apply(k.HTTP_ROUTE, route_to("nosuch-import", override))
    key = ObjectKey(NS, "checkout")
    aws_writes(fake_aws)
    cluster.ctx.inventory.new_cycle()
    await routes.reconcile(key)
    cluster.sync()
    route = cluster.object(k.HTTP_ROUTE, key)
    assert conditions(route)["Accepted"][:2] == ("True", "Accepted")
    assert conditions(route)["ResolvedRefs"][:2] == ("False", "BackendNotFound")
    assert aws_writes(fake_aws) == {}  # the customer's service stays untagged and untouched
    assert dict(await edge.tags.tags_of(existing["arn"])) == {}
    assert any("refusing to claim the existing service" in m for _, _, m in cluster.events())

    # A well-formed ARN of a target group that does not exist: still nothing claimed.
    imported = service_import({"application-networking.k8s.aws/target-group-arn": MISSING_ARN})
    imported["metadata"]["name"] = "nosuch-import"
    cluster.apply(k.SERVICE_IMPORT, imported)
    for _ in range(2):  # the first finds the name taken (a refused CreateService), the second the service
        cluster.ctx.inventory.new_cycle()
        await routes.reconcile(key)
        cluster.sync()
    assert conditions(cluster.object(k.HTTP_ROUTE, key))["ResolvedRefs"][:2] == (
        "False",
        "ExternalTargetGroupNotFound",
    )
    cluster.ctx.inventory.new_cycle()
    aws_writes(fake_aws)
    await routes.reconcile(key)
    assert aws_writes(fake_aws) == {}
    assert dict(await edge.tags.tags_of(existing["arn"])) == {}
    assert await edge.lattice.list_listeners(existing["id"]) == []


async def test_a_deleting_export_that_lost_its_federation_annotation_is_not_stuck(
    cluster: Cluster, fake_aws: FakeAws
) -> None:
    exports = ServiceExportReconciler(cluster.ctx)
    cluster.apply(k.SERVICE, service(EXPORT.name))
    cluster.apply(k.ENDPOINT_SLICE, endpoint_slice(EXPORT.name, "10.1.0.1"))
    cluster.apply(k.SERVICE_EXPORT, service_export())
    assert await settle(cluster, exports) == Success()
    assert len(await groups_of(cluster)) == 1
    # The annotation goes: the export is left alone (as the reference does) ...
    cluster.apply(k.SERVICE_EXPORT, service_export(annotations={}))
    aws_writes(fake_aws)
    assert await settle(cluster, exports) == Success()
    assert aws_writes(fake_aws) == {}
    # ... but deleting it still removes its group and the finalizer.
    cluster.delete(k.SERVICE_EXPORT, EXPORT)
    assert await until_success(cluster, exports)
    assert cluster.object(k.SERVICE_EXPORT, EXPORT) is None
    assert await groups_of(cluster) == []
