"""The reconcilers in the unit tier: the controller's stores, the in-memory API server and a scripted
Lattice (no servers). The route reconciler's lifecycle against a stateful Lattice (resync, drift,
deletion of what exists) is in ``tests/integration/reconcile/test_reconcilers.py`` (fake AWS endpoint)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.tagging import TagStore
from lattice_controller.aws.testing import ScriptedTransport
from lattice_controller.kube import kinds as k
from lattice_controller.model.k8s import RouteType
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import RequeueAfter, Success
from lattice_controller.reconcile.build import BuildSettings
from lattice_controller.reconcile.controllers.gateway import (
    DELETE_BLOCKED_RETRY_SECONDS,
    GATEWAY_FINALIZER,
    NETWORK_PENDING_RETRY_SECONDS,
    GatewayReconciler,
)
from lattice_controller.reconcile.controllers.gatewayclass import GatewayClassReconciler
from lattice_controller.reconcile.controllers.route import SERVICE_ARN_ANNOTATION, RouteReconciler
from lattice_controller.reconcile.triggers import GATEWAY_CONTROLLER
from tests.integration.reconcile.cluster import Cluster

SETTINGS = BuildSettings(account="123456789012", cluster="dev", vpc="vpc-0abc")
GATEWAY = ObjectKey("infra", "shop-net")
CLASS = ObjectKey("", "amazon-vpc-lattice")
NETWORK = {
    "id": "sn-1",
    "arn": "arn:aws:vpc-lattice:us-west-2:123456789012:servicenetwork/sn-1",
    "name": GATEWAY.name,
}


@dataclass(frozen=True)
class ScriptedEdge:
    lattice: LatticeApi
    tags: TagStore
    inventory: LatticeInventory


def cluster(*networks: dict[str, Any]) -> tuple[Cluster, ScriptedTransport]:
    transport = ScriptedTransport(default={})
    transport.pages("ListServiceNetworks", [list(networks)])
    lattice = LatticeApi(transport)
    tags = TagStore(lattice, transport)
    found = Cluster(SETTINGS, ScriptedEdge(lattice, tags, LatticeInventory(lattice, tags)))
    found.apply(
        k.GATEWAY_CLASS,
        {"metadata": {"name": CLASS.name}, "spec": {"controllerName": SETTINGS.controller_name}},
    )
    return found, transport


def gateway() -> dict[str, Any]:
    allowed = {"namespaces": {"from": "All"}}
    return {
        "metadata": {"name": GATEWAY.name, "namespace": GATEWAY.namespace},
        "spec": {
            "gatewayClassName": CLASS.name,
            "listeners": [{"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": allowed}],
        },
    }


def status_of(found: Cluster, kind: Any, key: ObjectKey) -> dict[str, tuple[str, str]]:
    obj = found.object(kind, key) or {}
    return {c["type"]: (c["status"], c["reason"]) for c in (obj.get("status") or {}).get("conditions", [])}


async def test_our_gateway_class_is_accepted_once() -> None:
    found, _ = cluster()
    assert found.take_woken() == {("gatewayclass", CLASS)}
    classes = GatewayClassReconciler(found.ctx)
    assert await classes.reconcile(CLASS) == Success()
    found.sync()
    assert status_of(found, k.GATEWAY_CLASS, CLASS)["Accepted"] == ("True", "Accepted")
    assert found.take_woken() == set()  # our status write wakes nothing
    found.rest.calls.clear()
    assert await classes.reconcile(CLASS) == Success()
    assert found.kube_writes() == []


async def test_a_gateway_gets_its_finalizer_then_its_status_and_is_quiet_after() -> None:
    found, transport = cluster(NETWORK)
    found.apply(k.GATEWAY, gateway())
    assert found.take_woken() >= {(GATEWAY_CONTROLLER, GATEWAY)}
    gateways = GatewayReconciler(found.ctx)
    found.rest.calls.clear()
    assert await gateways.reconcile(GATEWAY) == Success()
    found.sync()
    assert found.kube_writes() == [("PATCH", "finalizers"), ("PATCH", "status")]
    assert status_of(found, k.GATEWAY, GATEWAY) == {
        "Accepted": ("True", "Accepted"),
        "Programmed": ("True", "Programmed"),
    }
    assert (found.object(k.GATEWAY, GATEWAY) or {})["metadata"]["finalizers"] == [GATEWAY_FINALIZER]
    assert not [c for c in transport.calls if not c.operation.startswith("List")]  # no AWS write
    found.rest.calls.clear()
    assert await gateways.reconcile(GATEWAY) == Success()
    assert found.kube_writes() == []


async def test_a_missing_network_is_pending_and_listed_again_at_once() -> None:
    found, transport = cluster()
    found.apply(k.GATEWAY, gateway())
    outcome = await GatewayReconciler(found.ctx).reconcile(GATEWAY)
    assert outcome == RequeueAfter(NETWORK_PENDING_RETRY_SECONDS)
    found.sync()
    assert status_of(found, k.GATEWAY, GATEWAY)["Programmed"] == ("False", "Pending")
    # The cycle's listing was dropped and read again before giving up.
    assert [c.operation for c in transport.calls].count("ListServiceNetworks") == 2


async def test_a_gateway_is_not_finalized_while_a_route_names_it() -> None:
    found, _ = cluster(NETWORK)
    found.apply(k.GATEWAY, gateway())
    gateways = GatewayReconciler(found.ctx)
    await gateways.reconcile(GATEWAY)
    found.sync()
    route = {
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"parentRefs": [{"name": GATEWAY.name, "namespace": GATEWAY.namespace}]},
    }
    found.apply(k.HTTP_ROUTE, route)
    found.delete(k.GATEWAY, GATEWAY)
    assert await gateways.reconcile(GATEWAY) == RequeueAfter(DELETE_BLOCKED_RETRY_SECONDS)
    assert found.object(k.GATEWAY, GATEWAY) is not None
    found.take_woken()
    found.delete(k.HTTP_ROUTE, ObjectKey("shop", "web"))  # no finalizer: gone at once
    assert (GATEWAY_CONTROLLER, GATEWAY) in found.take_woken()
    assert await gateways.reconcile(GATEWAY) == Success()
    assert found.object(k.GATEWAY, GATEWAY) is None


# -- the route reconciler against a scripted, empty account ----------------------------------------------

ACCOUNT = "arn:aws:vpc-lattice:us-west-2:123456789012"


def _creates(transport: ScriptedTransport) -> None:
    def answer(prefix: str, arn: str) -> Any:
        return lambda params: {
            "id": f"{prefix}-1",
            "arn": arn,
            "status": "ACTIVE",
            "dnsEntry": {"domainName": "d"},
        }

    transport.on("CreateService", answer("svc", f"{ACCOUNT}:service/svc-1"))
    transport.on("CreateTargetGroup", answer("tg", f"{ACCOUNT}:targetgroup/tg-1"))
    transport.on("CreateListener", answer("listener", f"{ACCOUNT}:service/svc-1/listener/listener-1"))
    transport.on("CreateRule", answer("rule", f"{ACCOUNT}:service/svc-1/listener/listener-1/rule/rule-1"))
    transport.on("CreateServiceNetworkServiceAssociation", answer("snsa", f"{ACCOUNT}:snsa/snsa-1"))


ROUTE = ObjectKey("shop", "web")


def _route_inputs(found: Cluster) -> None:
    found.apply(k.GATEWAY, gateway())
    found.apply(
        k.SERVICE,
        {
            "metadata": {"name": "web", "namespace": ROUTE.namespace},
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}], "ipFamilies": ["IPv4"]},
        },
    )
    found.apply(
        k.HTTP_ROUTE,
        {
            "kind": "HTTPRoute",
            "metadata": {"name": ROUTE.name, "namespace": ROUTE.namespace},
            "spec": {
                "parentRefs": [{"name": GATEWAY.name, "namespace": GATEWAY.namespace}],
                "rules": [{"backendRefs": [{"name": "web", "port": 80}]}],
            },
        },
    )


async def test_route_create_then_delete_on_a_scripted_account() -> None:
    found, transport = cluster(NETWORK)
    _creates(transport)
    _route_inputs(found)
    routes = RouteReconciler(found.ctx, RouteType.HTTP)
    found.rest.calls.clear()
    assert await routes.reconcile(ROUTE) == Success()
    found.sync()
    # The finalizer goes first: no Lattice resource exists without it.
    assert found.kube_writes() == [
        ("PATCH", "finalizers"),
        ("PATCH", "status"),
        ("PATCH", "annotations"),
        ("POST", "event"),
    ]
    writes = {c.operation for c in transport.calls if not c.operation.startswith(("List", "Get"))}
    assert {"CreateService", "CreateTargetGroup", "CreateListener", "CreateRule"} <= writes
    route = found.object(k.HTTP_ROUTE, ROUTE) or {}
    assert route["metadata"]["annotations"][SERVICE_ARN_ANNOTATION] == f"{ACCOUNT}:service/svc-1"
    assert found.events() == [("Normal", "DeploySucceed", "Adding/Updating reconcile Done!")]

    # Deleted while the account shows nothing of it (the scripted lists stay empty): the finalizer goes.
    found.delete(k.HTTP_ROUTE, ROUTE)
    found.rest.calls.clear()
    found.ctx.inventory.new_cycle()
    assert await routes.reconcile(ROUTE) == Success()
    assert found.kube_writes() == [("PATCH", "finalizers")]
    assert found.object(k.HTTP_ROUTE, ROUTE) is None
