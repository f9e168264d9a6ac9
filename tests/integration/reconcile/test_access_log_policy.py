"""AccessLogPolicy on the reconciler tier (see ``test_iam_auth_policy``): create on the Gateway's
network, 0 writes on an idle resync, a same-type destination updated in place, a type change and a move
replacing the subscription (new first), two policies of one destination type Conflicted, bad input
without writes, delete."""

from __future__ import annotations

from typing import Any

import pytest

from e2e.fakeaws.fixtures import FakeAws
from lattice_controller.aws.edge import AwsEdge
from lattice_controller.kube import kinds as k
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import Success
from lattice_controller.reconcile.controllers.access_log_policy import (
    ACCESS_LOG_POLICY_FINALIZER,
    POLICY_TAG,
    SOURCE_NAME_ANNOTATION,
    SUBSCRIPTION_ANNOTATION,
    AccessLogPolicyKind,
)
from lattice_controller.reconcile.controllers.policy import PolicyReconciler
from lattice_controller.reconcile.triggers import ACCESS_LOG_POLICY_CONTROLLER
from tests.integration.reconcile.cluster import Cluster
from tests.integration.reconcile.harness import NETWORK, ROUTE, Harness
from tests.integration.reconcile.test_reconcilers import (
    GATEWAY,
    SETTINGS,
    aws_writes,
    endpoint_slice,
    http_route,
    ready,
    service,
)

LOGS = "arn:aws:logs:us-west-2:123456789012:log-group:access"
BUCKET = "arn:aws:s3:::access-logs"


@pytest.fixture
def cluster(harness: Harness, edge: AwsEdge) -> Cluster:
    return Cluster(SETTINGS, edge)


def log_policy(name: str, ns: str, kind: str, target: str, destination: str) -> dict[str, Any]:
    ref = {"group": "gateway.networking.k8s.io", "kind": kind, "name": target}
    return {
        "metadata": {"name": name, "namespace": ns},
        "spec": {"targetRef": ref, "destinationArn": destination},
    }


def accepted(cluster: Cluster, key: ObjectKey) -> tuple[str, str]:
    obj = cluster.object(k.ACCESS_LOG_POLICY, key) or {}
    found = [c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == "Accepted"]
    return (found[0]["status"], found[0]["reason"]) if found else ("", "")


async def subscriptions(cluster: Cluster, resource_id: str) -> list[str]:
    return [s["destinationArn"] for s in await cluster.ctx.lattice.list_access_log_subscriptions(resource_id)]


async def settle(cluster: Cluster, policies: PolicyReconciler[Any], key: ObjectKey) -> None:
    cluster.ctx.inventory.new_cycle()
    assert await policies.reconcile(key) == Success()
    cluster.sync()


async def test_create_update_replace_move_and_delete(
    cluster: Cluster, harness: Harness, fake_aws: FakeAws
) -> None:
    routes = await ready(cluster)
    policies = PolicyReconciler(cluster.ctx, AccessLogPolicyKind())
    ns = GATEWAY.namespace
    key = ObjectKey(ns, "logs")
    cluster.apply(k.ACCESS_LOG_POLICY, log_policy(key.name, ns, "Gateway", NETWORK, LOGS))
    assert (ACCESS_LOG_POLICY_CONTROLLER, key) in cluster.take_woken()
    fake_aws.admin.reset_counters()
    await settle(cluster, policies, key)
    # Every call of the create (docs/policies.md): the cycle's network listing and the create.
    assert fake_aws.admin.counters() == {
        "vpc-lattice:ListServiceNetworks": 1,
        "vpc-lattice:CreateAccessLogSubscription": 1,
    }
    assert aws_writes(fake_aws) == {"CreateAccessLogSubscription": 1}
    assert await subscriptions(cluster, harness.network_id) == [LOGS]
    obj = cluster.object(k.ACCESS_LOG_POLICY, key) or {}
    assert obj["metadata"]["finalizers"] == [ACCESS_LOG_POLICY_FINALIZER]
    assert obj["metadata"]["annotations"][SOURCE_NAME_ANNOTATION] == NETWORK
    first_arn = obj["metadata"]["annotations"][SUBSCRIPTION_ANNOTATION]
    assert accepted(cluster, key) == ("True", "Accepted")
    assert cluster.take_woken() == set()

    cluster.rest.calls.clear()
    await settle(cluster, policies, key)
    assert aws_writes(fake_aws) == {}
    assert cluster.kube_writes() == []

    cluster.apply(k.ACCESS_LOG_POLICY, log_policy(key.name, ns, "Gateway", NETWORK, LOGS + "-2"))
    await settle(cluster, policies, key)
    assert aws_writes(fake_aws) == {"UpdateAccessLogSubscription": 1}
    assert (cluster.object(k.ACCESS_LOG_POLICY, key) or {})["metadata"]["annotations"][
        SUBSCRIPTION_ANNOTATION
    ] == first_arn

    cluster.apply(k.ACCESS_LOG_POLICY, log_policy(key.name, ns, "Gateway", NETWORK, BUCKET))
    await settle(cluster, policies, key)
    assert aws_writes(fake_aws) == {"CreateAccessLogSubscription": 1, "DeleteAccessLogSubscription": 1}
    assert await subscriptions(cluster, harness.network_id) == [BUCKET]

    # A second policy with the same destination type on the same network: Lattice refuses the create
    # (one subscription per destination type per source) and the policy is Conflicted.
    other = ObjectKey(ns, "other")
    cluster.apply(k.ACCESS_LOG_POLICY, log_policy(other.name, ns, "Gateway", NETWORK, BUCKET + "-x"))
    await settle(cluster, policies, other)
    assert accepted(cluster, other) == ("False", "Conflicted")
    assert aws_writes(fake_aws) == {"CreateAccessLogSubscription": 1}  # refused with ConflictException
    assert await subscriptions(cluster, harness.network_id) == [BUCKET]
    # Bad input keeps the old subscription and writes nothing.
    cluster.apply(
        k.ACCESS_LOG_POLICY, log_policy(key.name, ns, "Gateway", NETWORK, "arn:aws:sqs:us-west-2:1:q")
    )
    await settle(cluster, policies, key)
    assert accepted(cluster, key) == ("False", "Invalid")
    assert aws_writes(fake_aws) == {}
    assert await subscriptions(cluster, harness.network_id) == [BUCKET]
    # So does a target that does not exist.
    cluster.apply(k.ACCESS_LOG_POLICY, log_policy(key.name, ns, "GRPCRoute", "nope", BUCKET))
    await settle(cluster, policies, key)
    assert accepted(cluster, key) == ("False", "TargetNotFound")
    assert aws_writes(fake_aws) == {}
    assert await subscriptions(cluster, harness.network_id) == [BUCKET]

    # Move to a route in the same namespace: new subscription on its service, the old one deleted.
    route = ObjectKey(ns, ROUTE.name)
    for kind, body in (
        (k.SERVICE, service()),
        (k.ENDPOINT_SLICE, endpoint_slice("10.0.0.1")),
        (k.HTTP_ROUTE, http_route("web")),
    ):
        body["metadata"]["namespace"] = ns
        cluster.apply(kind, body)
    assert await routes.reconcile(route) == Success()
    cluster.sync()
    fake_aws.admin.reset_counters()
    cluster.apply(k.ACCESS_LOG_POLICY, log_policy(key.name, ns, "HTTPRoute", ROUTE.name, BUCKET))
    await settle(cluster, policies, key)
    assert aws_writes(fake_aws) == {"CreateAccessLogSubscription": 1, "DeleteAccessLogSubscription": 1}
    assert await subscriptions(cluster, harness.network_id) == []
    service_sub = (cluster.object(k.ACCESS_LOG_POLICY, key) or {})["metadata"]["annotations"][
        SUBSCRIPTION_ANNOTATION
    ]
    got = await cluster.ctx.lattice.get_access_log_subscription(service_sub)
    assert str(got["resourceId"]).startswith("svc-")
    tags = await cluster.ctx.lattice.list_tags_for_resource(service_sub)
    assert (tags[tag_keys.MANAGED_BY], tags[POLICY_TAG]) == (SETTINGS.managed_by, str(key))

    # Additional tags follow the annotation (one TagResources); controller keys cannot be set through it.
    tagged = log_policy(key.name, ns, "HTTPRoute", ROUTE.name, BUCKET)
    tagged["metadata"]["annotations"] = {
        **(cluster.object(k.ACCESS_LOG_POLICY, key) or {})["metadata"]["annotations"],
        tag_keys.ADDITIONAL_TAGS_ANNOTATION: f"team=obs,{POLICY_TAG}=someone/else",
    }
    cluster.apply(k.ACCESS_LOG_POLICY, tagged)
    assert (ACCESS_LOG_POLICY_CONTROLLER, key) in cluster.take_woken()
    await settle(cluster, policies, key)
    assert aws_writes(fake_aws) == {"TagResources": 1}
    tags = await cluster.ctx.lattice.list_tags_for_resource(service_sub)
    assert (tags["team"], tags[POLICY_TAG]) == ("obs", str(key))

    cluster.delete(k.ACCESS_LOG_POLICY, key)
    await settle(cluster, policies, key)
    assert aws_writes(fake_aws) == {"DeleteAccessLogSubscription": 1}
    assert cluster.object(k.ACCESS_LOG_POLICY, key) is None
