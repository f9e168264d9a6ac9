"""ServiceNetwork on the reconciler tier (see ``test_iam_auth_policy``): create with tags, status ARN/ID
and ``Programmed``, 0 writes on an idle resync, additional tags, adoption only with an opt-in, another
controller's network left alone, an invalid name reported without AWS writes, and deletion blocked by a
same-named Gateway and by associations (each wakes the object again when it goes)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from e2e.fakeaws.fixtures import FakeAws
from lattice_controller.aws.edge import AwsEdge
from lattice_controller.kube import kinds as k
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import RequeueAfter, Success
from lattice_controller.reconcile.controllers.service_network import (
    DELETE_BLOCKED_RETRY_SECONDS,
    SERVICE_NETWORK_FINALIZER,
    ServiceNetworkReconciler,
)
from lattice_controller.reconcile.triggers import SERVICE_NETWORK_CONTROLLER
from tests.integration.reconcile.cluster import Cluster
from tests.integration.reconcile.harness import NETWORK, Harness
from tests.integration.reconcile.test_reconcilers import GATEWAY, SETTINGS, aws_writes, ready

KEY = ObjectKey("", "payments")


@pytest.fixture
def cluster(harness: Harness, edge: AwsEdge) -> Cluster:
    return Cluster(SETTINGS, edge)


def network(name: str = KEY.name, tags: str = "") -> dict[str, Any]:
    annotations = {tag_keys.ADDITIONAL_TAGS_ANNOTATION: tags} if tags else {}
    return {"metadata": {"name": name, "annotations": annotations}, "spec": {}}


def conditions(cluster: Cluster, key: ObjectKey = KEY) -> dict[str, tuple[str, str, str]]:
    obj = cluster.object(k.SERVICE_NETWORK, key) or {}
    return {
        c["type"]: (c["status"], c["reason"], c["message"])
        for c in (obj.get("status") or {}).get("conditions") or []
    }


async def lattice_network(cluster: Cluster, name: str = KEY.name) -> dict[str, Any] | None:
    found = [n for n in await cluster.ctx.lattice.list_service_networks() if n["name"] == name]
    if not found:
        return None
    tags = await cluster.ctx.lattice.list_tags_for_resource(found[0]["arn"])
    return {**found[0], "tags": tags}


async def settle(cluster: Cluster, reconciler: ServiceNetworkReconciler, key: ObjectKey = KEY) -> Any:
    cluster.ctx.inventory.new_cycle()
    outcome = await reconciler.reconcile(key)
    cluster.sync()
    return outcome


async def test_create_idle_resync_tags_and_delete(cluster: Cluster, fake_aws: FakeAws) -> None:
    reconciler = ServiceNetworkReconciler(cluster.ctx)
    cluster.apply(k.SERVICE_NETWORK, network(tags="team=payments"))
    assert cluster.take_woken() == {(SERVICE_NETWORK_CONTROLLER, KEY)}
    fake_aws.admin.reset_counters()
    assert await settle(cluster, reconciler) == Success()
    # Every call of the create (docs/policies.md): the cycle's listing, a fresh one, the create.
    assert fake_aws.admin.counters() == {
        "vpc-lattice:ListServiceNetworks": 2,
        "vpc-lattice:CreateServiceNetwork": 1,
    }
    assert aws_writes(fake_aws) == {"CreateServiceNetwork": 1}
    created = await lattice_network(cluster)
    assert created is not None
    assert created["tags"] == {tag_keys.MANAGED_BY: SETTINGS.managed_by, "team": "payments"}
    obj = cluster.object(k.SERVICE_NETWORK, KEY) or {}
    assert obj["metadata"]["finalizers"] == [SERVICE_NETWORK_FINALIZER]
    assert (obj["status"]["serviceNetworkARN"], obj["status"]["serviceNetworkID"]) == (
        created["arn"],
        created["id"],
    )
    assert conditions(cluster) == {
        "Accepted": ("True", "Accepted", "ServiceNetwork is accepted"),
        "Programmed": ("True", "Programmed", "ServiceNetwork is programmed"),
    }
    assert cluster.events() == [
        ("Normal", "Reconciling", "Started reconciling"),
        ("Normal", "Reconciled", "Successfully reconciled"),
    ]
    assert cluster.take_woken() == set()  # our own status and finalizer wake nothing

    cluster.rest.calls.clear()
    assert await settle(cluster, reconciler) == Success()
    assert aws_writes(fake_aws) == {}
    assert cluster.kube_writes() == []

    cluster.apply(k.SERVICE_NETWORK, network(tags=f"cost=42,{tag_keys.MANAGED_BY}=someone-else"))
    assert cluster.take_woken() == {(SERVICE_NETWORK_CONTROLLER, KEY)}
    assert await settle(cluster, reconciler) == Success()
    assert aws_writes(fake_aws) == {"TagResources": 1, "UntagResources": 1}
    tagged = await lattice_network(cluster)
    assert tagged is not None
    assert tagged["tags"] == {tag_keys.MANAGED_BY: SETTINGS.managed_by, "cost": "42"}

    cluster.delete(k.SERVICE_NETWORK, KEY)
    assert await settle(cluster, reconciler) == Success()
    assert aws_writes(fake_aws) == {"DeleteServiceNetwork": 1}
    assert await lattice_network(cluster) is None
    assert cluster.object(k.SERVICE_NETWORK, KEY) is None


async def test_adoption_needs_an_opt_in_and_a_foreign_network_is_left_alone(
    cluster: Cluster, harness: Harness, fake_aws: FakeAws
) -> None:
    # The harness made NETWORK without tags (as someone outside this controller would).
    key = ObjectKey("", NETWORK)
    reconciler = ServiceNetworkReconciler(cluster.ctx)
    cluster.apply(k.SERVICE_NETWORK, network(NETWORK))
    fake_aws.admin.reset_counters()
    assert await settle(cluster, reconciler, key) == Success()
    assert aws_writes(fake_aws) == {}
    status, reason, message = conditions(cluster, key)["Programmed"]
    assert (status, reason) == ("False", "Conflicted")
    assert f"{tag_keys.ALLOW_ADOPTION_BY}=ServiceNetwork/{NETWORK}" in message
    assert "ADOPTION_ALLOWED_NAMESPACES" in message
    assert [e[:2] for e in cluster.events()] == [("Normal", "Reconciling"), ("Warning", "FailedReconcile")]

    # The owner opts in: adopted (ManagedBy + AdoptedFrom), same id.
    arn = str((await lattice_network(cluster, NETWORK) or {})["arn"])
    await cluster.ctx.lattice.tag_resource(arn, {tag_keys.ALLOW_ADOPTION_BY: f"ServiceNetwork/{NETWORK}"})
    fake_aws.admin.reset_counters()
    assert await settle(cluster, reconciler, key) == Success()
    assert aws_writes(fake_aws) == {"TagResources": 1}
    adopted = await lattice_network(cluster, NETWORK)
    assert adopted is not None
    assert adopted["id"] == harness.network_id
    assert adopted["tags"][tag_keys.MANAGED_BY] == SETTINGS.managed_by
    assert adopted["tags"][tag_keys.ADOPTED_FROM] == tag_keys.ADOPTED_FROM_UNMANAGED
    assert conditions(cluster, key)["Programmed"][:2] == ("True", "Programmed")

    # Deleting the object hands the adopted network back instead of deleting it (it has the harness's VPC
    # association, which would block a deletion).
    cluster.delete(k.SERVICE_NETWORK, key)
    assert await settle(cluster, reconciler, key) == Success()
    assert aws_writes(fake_aws) == {"UntagResources": 1}
    released = await lattice_network(cluster, NETWORK)
    assert released is not None
    assert tag_keys.MANAGED_BY not in released["tags"]
    assert cluster.object(k.SERVICE_NETWORK, key) is None

    # Another controller's network: Conflicted, nothing written, and its deletion deletes nothing.
    await cluster.ctx.lattice.tag_resource(arn, {tag_keys.MANAGED_BY: "999999999999/other/vpc-1"})
    cluster.apply(k.SERVICE_NETWORK, network(NETWORK))
    fake_aws.admin.reset_counters()
    assert await settle(cluster, reconciler, key) == Success()
    assert conditions(cluster, key)["Programmed"][:2] == ("False", "Conflicted")
    cluster.delete(k.SERVICE_NETWORK, key)
    assert await settle(cluster, reconciler, key) == Success()
    assert aws_writes(fake_aws) == {}
    assert await lattice_network(cluster, NETWORK) is not None


async def test_platform_opt_in_adopts_any_untagged_network(cluster: Cluster, fake_aws: FakeAws) -> None:
    cluster.ctx.settings = replace(SETTINGS, adoption_allowed_namespaces=("*",))
    key = ObjectKey("", NETWORK)
    cluster.apply(k.SERVICE_NETWORK, network(NETWORK))
    fake_aws.admin.reset_counters()
    assert await settle(cluster, ServiceNetworkReconciler(cluster.ctx), key) == Success()
    assert aws_writes(fake_aws) == {"TagResources": 1}
    assert conditions(cluster, key)["Programmed"][:2] == ("True", "Programmed")


async def test_invalid_name_is_a_condition_without_aws_writes_or_finalizer(
    cluster: Cluster, fake_aws: FakeAws
) -> None:
    key = ObjectKey("", "payments.prod")
    reconciler = ServiceNetworkReconciler(cluster.ctx)
    cluster.apply(k.SERVICE_NETWORK, network(key.name))
    fake_aws.admin.reset_counters()
    assert await settle(cluster, reconciler, key) == Success()
    assert aws_writes(fake_aws) == {}
    accepted = conditions(cluster, key)["Accepted"]
    assert accepted[:2] == ("False", "Invalid")
    assert "not a valid VPC Lattice service network name" in accepted[2]
    assert not (cluster.object(k.SERVICE_NETWORK, key) or {})["metadata"].get("finalizers")
    assert [e[:2] for e in cluster.events()] == [("Warning", "FailedReconcile")]
    cluster.rest.calls.clear()
    assert await settle(cluster, reconciler, key) == Success()
    assert cluster.kube_writes() == []
    cluster.delete(k.SERVICE_NETWORK, key)
    assert cluster.object(k.SERVICE_NETWORK, key) is None


async def test_deletion_waits_for_the_gateway_and_the_associations(
    cluster: Cluster, harness: Harness, fake_aws: FakeAws
) -> None:
    """The harness's NETWORK, adopted by the platform opt-in then made ours (no AdoptedFrom), has a VPC
    association and a same-named Gateway."""
    cluster.ctx.settings = replace(SETTINGS, adoption_allowed_namespaces=("*",))
    key = ObjectKey("", NETWORK)
    await ready(cluster)
    reconciler = ServiceNetworkReconciler(cluster.ctx)
    cluster.apply(k.SERVICE_NETWORK, network(NETWORK))
    assert await settle(cluster, reconciler, key) == Success()
    cluster.delete(k.SERVICE_NETWORK, key)
    cluster.take_woken()
    fake_aws.admin.reset_counters()
    assert await settle(cluster, reconciler, key) == RequeueAfter(DELETE_BLOCKED_RETRY_SECONDS)
    assert conditions(cluster, key)["Programmed"] == (
        "False",
        "DeleteBlocked",
        f"Cannot delete: Gateway {GATEWAY} still references this service network",
    )
    assert cluster.events()[-1][:2] == ("Warning", "FailedReconcile")

    # The Gateway goes: the object is woken, and now the VPC association holds it.
    cluster.delete(k.GATEWAY, GATEWAY)
    assert (SERVICE_NETWORK_CONTROLLER, key) in cluster.take_woken()
    assert await settle(cluster, reconciler, key) == RequeueAfter(DELETE_BLOCKED_RETRY_SECONDS)
    status, reason, message = conditions(cluster, key)["Programmed"]
    assert (status, reason) == ("False", "DeleteBlocked")
    assert "0 service association(s) and 1 VPC association(s)" in message
    assert aws_writes(fake_aws) == {}

    # Looking again while nothing changed writes nothing.
    cluster.rest.calls.clear()
    assert await settle(cluster, reconciler, key) == RequeueAfter(DELETE_BLOCKED_RETRY_SECONDS)
    assert cluster.kube_writes() == []

    for association in await cluster.ctx.lattice.list_service_network_vpc_associations(
        service_network_id=harness.network_id
    ):
        await cluster.ctx.lattice.delete_service_network_vpc_association(association["id"])
    fake_aws.admin.reset_counters()
    assert await settle(cluster, reconciler, key) == Success()
    assert aws_writes(fake_aws) == {"DeleteServiceNetwork": 1}
    assert await lattice_network(cluster, NETWORK) is None
    assert cluster.object(k.SERVICE_NETWORK, key) is None
