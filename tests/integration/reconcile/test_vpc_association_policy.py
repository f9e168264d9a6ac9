"""VpcAssociationPolicy on the reconciler tier (see ``test_iam_auth_policy``): adopting the untagged
association of the Gateway's network, security groups updated in place, ``associateWithVpc: false``
removing it and ``true`` bringing it back, 0 writes on an idle resync, a foreign association left alone,
and no stuck finalizer when the network is already gone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from e2e.fakeaws.fixtures import FakeAws
from lattice_controller.aws.edge import AwsEdge
from lattice_controller.kube import kinds as k
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import Success
from lattice_controller.reconcile.controllers.policy import PolicyReconciler
from lattice_controller.reconcile.controllers.vpc_association_policy import (
    RESOURCE_ARN_ANNOTATION,
    VPC_ASSOCIATION_POLICY_FINALIZER,
    VpcAssociationPolicyKind,
)
from lattice_controller.reconcile.triggers import VPC_ASSOCIATION_POLICY_CONTROLLER
from tests.integration.reconcile.cluster import Cluster
from tests.integration.reconcile.harness import NETWORK, Harness
from tests.integration.reconcile.test_reconcilers import GATEWAY, SETTINGS, aws_writes, ready

KEY = ObjectKey(GATEWAY.namespace, "vpc")
PLATFORM_ALLOWS_ADOPTION = replace(SETTINGS, adoption_allowed_namespaces=(KEY.namespace,))


@pytest.fixture
def cluster(harness: Harness, edge: AwsEdge) -> Cluster:
    return Cluster(SETTINGS, edge)


def vpc_policy(groups: list[str] | None = None, associate: bool | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": NETWORK}
    }
    if groups is not None:
        spec["securityGroupIds"] = groups
    if associate is not None:
        spec["associateWithVpc"] = associate
    return {"metadata": {"name": KEY.name, "namespace": KEY.namespace}, "spec": spec}


def accepted(cluster: Cluster) -> tuple[str, str]:
    obj = cluster.object(k.VPC_ASSOCIATION_POLICY, KEY) or {}
    found = [c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == "Accepted"]
    return (found[0]["status"], found[0]["reason"]) if found else ("", "")


async def associations(cluster: Cluster, harness: Harness) -> list[dict[str, Any]]:
    listed = await cluster.ctx.lattice.list_service_network_vpc_associations(
        service_network_id=harness.network_id
    )
    return [await cluster.ctx.lattice.get_service_network_vpc_association(a["id"]) for a in listed]


async def settle(cluster: Cluster, policies: PolicyReconciler[Any]) -> None:
    cluster.ctx.inventory.new_cycle()
    assert await policies.reconcile(KEY) == Success()
    cluster.sync()


async def test_adopt_update_in_place_remove_and_recreate(
    cluster: Cluster, harness: Harness, fake_aws: FakeAws
) -> None:
    await ready(cluster)
    cluster.ctx.settings = PLATFORM_ALLOWS_ADOPTION
    policies = PolicyReconciler(cluster.ctx, VpcAssociationPolicyKind())
    cluster.apply(k.VPC_ASSOCIATION_POLICY, vpc_policy(["sg-0aaa1111"]))
    assert (VPC_ASSOCIATION_POLICY_CONTROLLER, KEY) in cluster.take_woken()
    fake_aws.admin.reset_counters()
    await settle(cluster, policies)
    # The harness's association has no ManagedBy tag and the platform allows adoption in this namespace:
    # adopted, then its groups set in place.
    assert aws_writes(fake_aws) == {"TagResources": 1, "UpdateServiceNetworkVpcAssociation": 1}
    [association] = await associations(cluster, harness)
    assert association["securityGroupIds"] == ["sg-0aaa1111"]
    obj = cluster.object(k.VPC_ASSOCIATION_POLICY, KEY) or {}
    assert obj["metadata"]["finalizers"] == [VPC_ASSOCIATION_POLICY_FINALIZER]
    assert obj["metadata"]["annotations"][RESOURCE_ARN_ANNOTATION] == association["arn"]
    assert accepted(cluster) == ("True", "Accepted")
    assert cluster.take_woken() == set()

    cluster.rest.calls.clear()
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {}
    assert cluster.kube_writes() == []

    cluster.apply(k.VPC_ASSOCIATION_POLICY, vpc_policy(["sg-0bbb2222", "sg-0aaa1111"]))
    assert (VPC_ASSOCIATION_POLICY_CONTROLLER, KEY) in cluster.take_woken()
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {"UpdateServiceNetworkVpcAssociation": 1}
    [same] = await associations(cluster, harness)
    assert (same["id"], sorted(same["securityGroupIds"])) == (
        association["id"],
        ["sg-0aaa1111", "sg-0bbb2222"],
    )

    cluster.apply(k.VPC_ASSOCIATION_POLICY, vpc_policy(["sg-0aaa1111"], associate=False))
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {"DeleteServiceNetworkVpcAssociation": 1}
    assert await associations(cluster, harness) == []
    assert RESOURCE_ARN_ANNOTATION not in (cluster.object(k.VPC_ASSOCIATION_POLICY, KEY) or {})[
        "metadata"
    ].get("annotations", {})

    cluster.apply(k.VPC_ASSOCIATION_POLICY, vpc_policy(["sg-0aaa1111"], associate=True))
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {"CreateServiceNetworkVpcAssociation": 1}
    [created] = await associations(cluster, harness)
    assert created["securityGroupIds"] == ["sg-0aaa1111"]
    tags = await cluster.ctx.lattice.list_tags_for_resource(created["arn"])
    assert tags[tag_keys.MANAGED_BY] == SETTINGS.managed_by

    # Additional tags follow the annotation; ManagedBy cannot be taken over through it.
    tagged = vpc_policy(["sg-0aaa1111"], associate=True)
    tagged["metadata"]["annotations"] = {
        tag_keys.ADDITIONAL_TAGS_ANNOTATION: f"team=net,{tag_keys.MANAGED_BY}=someone-else"
    }
    cluster.apply(k.VPC_ASSOCIATION_POLICY, tagged)
    assert (VPC_ASSOCIATION_POLICY_CONTROLLER, KEY) in cluster.take_woken()
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {"TagResources": 1}
    tags = await cluster.ctx.lattice.list_tags_for_resource(created["arn"])
    assert (tags["team"], tags[tag_keys.MANAGED_BY]) == ("net", SETTINGS.managed_by)
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {}

    cluster.delete(k.VPC_ASSOCIATION_POLICY, KEY)
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {"DeleteServiceNetworkVpcAssociation": 1}
    assert cluster.object(k.VPC_ASSOCIATION_POLICY, KEY) is None


async def test_a_foreign_association_is_conflicted_and_left_alone(
    cluster: Cluster, harness: Harness, fake_aws: FakeAws
) -> None:
    await ready(cluster)
    [association] = await associations(cluster, harness)
    await cluster.ctx.lattice.tag_resource(
        association["arn"], {tag_keys.MANAGED_BY: "999999999999/other/vpc-1"}
    )
    policies = PolicyReconciler(cluster.ctx, VpcAssociationPolicyKind())
    cluster.apply(k.VPC_ASSOCIATION_POLICY, vpc_policy(["sg-0aaa1111"]))
    fake_aws.admin.reset_counters()
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {}
    assert accepted(cluster) == ("False", "Conflicted")
    cluster.delete(k.VPC_ASSOCIATION_POLICY, KEY)
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {}
    assert cluster.object(k.VPC_ASSOCIATION_POLICY, KEY) is None
    assert [a["id"] for a in await associations(cluster, harness)] == [association["id"]]


async def test_no_stuck_finalizer_when_the_network_is_gone(
    cluster: Cluster, harness: Harness, fake_aws: FakeAws
) -> None:
    await ready(cluster)
    cluster.ctx.settings = PLATFORM_ALLOWS_ADOPTION
    policies = PolicyReconciler(cluster.ctx, VpcAssociationPolicyKind())
    cluster.apply(k.VPC_ASSOCIATION_POLICY, vpc_policy(["sg-0aaa1111"]))
    await settle(cluster, policies)
    assert accepted(cluster) == ("True", "Accepted")
    for association in await associations(cluster, harness):
        await cluster.ctx.lattice.delete_service_network_vpc_association(association["id"])
    await cluster.ctx.lattice.delete_service_network(harness.network_id)
    cluster.delete(k.VPC_ASSOCIATION_POLICY, KEY)
    await settle(cluster, policies)
    assert cluster.object(k.VPC_ASSOCIATION_POLICY, KEY) is None


async def test_bad_input_writes_nothing_and_leaves_a_good_neighbour_alone(
    cluster: Cluster, harness: Harness, fake_aws: FakeAws
) -> None:
    await ready(cluster)
    cluster.ctx.settings = PLATFORM_ALLOWS_ADOPTION
    policies = PolicyReconciler(cluster.ctx, VpcAssociationPolicyKind())
    cluster.apply(k.VPC_ASSOCIATION_POLICY, vpc_policy(["sg-0aaa1111"]))
    await settle(cluster, policies)
    assert accepted(cluster) == ("True", "Accepted")
    fake_aws.admin.reset_counters()
    cases = {
        ObjectKey(KEY.namespace, "route"): ("HTTPRoute", "web", "Invalid"),
        ObjectKey(KEY.namespace, "missing"): ("Gateway", "nope", "TargetNotFound"),
    }
    for key, (kind, target, _) in cases.items():
        body = vpc_policy(["sg-0bbb2222"])
        body["metadata"]["name"] = key.name
        body["spec"]["targetRef"] = {"group": "gateway.networking.k8s.io", "kind": kind, "name": target}
        cluster.apply(k.VPC_ASSOCIATION_POLICY, body)
        cluster.ctx.inventory.new_cycle()
        assert await policies.reconcile(key) == Success()
    cluster.sync()
    assert aws_writes(fake_aws) == {}
    for key, (_, _, reason) in cases.items():
        obj = cluster.object(k.VPC_ASSOCIATION_POLICY, key) or {}
        [condition] = [c for c in obj["status"]["conditions"] if c["type"] == "Accepted"]
        assert (condition["status"], condition["reason"]) == ("False", reason)
        assert not obj["metadata"].get("finalizers")
    assert [e[:2] for e in cluster.events()][-2:] == [("Warning", "FailedReconcile")] * 2
    # The good policy and its association are untouched; deleting a bad one is immediate.
    [association] = await associations(cluster, harness)
    assert association["securityGroupIds"] == ["sg-0aaa1111"]
    assert accepted(cluster) == ("True", "Accepted")
    cluster.delete(k.VPC_ASSOCIATION_POLICY, ObjectKey(KEY.namespace, "route"))
    assert cluster.object(k.VPC_ASSOCIATION_POLICY, ObjectKey(KEY.namespace, "route")) is None


async def test_an_untagged_association_is_adopted_only_with_an_opt_in_and_handed_back(
    cluster: Cluster, harness: Harness, fake_aws: FakeAws
) -> None:
    await ready(cluster)
    [association] = await associations(cluster, harness)
    policies = PolicyReconciler(cluster.ctx, VpcAssociationPolicyKind())
    cluster.apply(k.VPC_ASSOCIATION_POLICY, vpc_policy(["sg-0aaa1111"]))
    fake_aws.admin.reset_counters()
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {}
    obj = cluster.object(k.VPC_ASSOCIATION_POLICY, KEY) or {}
    [condition] = [c for c in obj["status"]["conditions"] if c["type"] == "Accepted"]
    assert (condition["status"], condition["reason"]) == ("False", "Conflicted")
    assert f"{tag_keys.ALLOW_ADOPTION_BY}=VpcAssociationPolicy/{KEY}" in condition["message"]
    assert "ADOPTION_ALLOWED_NAMESPACES" in condition["message"]

    # Its owner opts in: adopted (ManagedBy + AdoptedFrom) with the groups; deleting the policy hands
    # it back instead of deleting it.
    await cluster.ctx.lattice.tag_resource(
        association["arn"], {tag_keys.ALLOW_ADOPTION_BY: f"VpcAssociationPolicy/{KEY}"}
    )
    cluster.ctx.tags.cache.invalidate(association["arn"])
    fake_aws.admin.reset_counters()
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {"TagResources": 1, "UpdateServiceNetworkVpcAssociation": 1}
    assert accepted(cluster) == ("True", "Accepted")
    tags = await cluster.ctx.lattice.list_tags_for_resource(association["arn"])
    assert tags[tag_keys.ADOPTED_FROM] == tag_keys.ADOPTED_FROM_UNMANAGED
    cluster.delete(k.VPC_ASSOCIATION_POLICY, KEY)
    await settle(cluster, policies)
    assert aws_writes(fake_aws) == {"UntagResources": 1}
    assert cluster.object(k.VPC_ASSOCIATION_POLICY, KEY) is None
    [kept] = await associations(cluster, harness)
    assert kept["id"] == association["id"]
    assert tag_keys.MANAGED_BY not in await cluster.ctx.lattice.list_tags_for_resource(association["arn"])
