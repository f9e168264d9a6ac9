"""IAMAuthPolicy on the reconciler tier: the real policy reconciler, triggers and cache stores on an
in-memory API server, against the fake AWS endpoint over HTTP (see ``test_reconcilers``).

Asserted: writes once per change and none on an idle resync, the finalizer before any AWS write, auth
type and policy on the service network (Gateway) or service (route), removal on delete and on retarget,
a route's service that appears later picking the policy up, and bad input reported without AWS writes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from e2e.fakeaws.fixtures import FakeAws
from lattice_controller.aws.edge import AwsEdge
from lattice_controller.aws.errors import NotFound
from lattice_controller.kube import kinds as k
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import RequeueAfter, Success
from lattice_controller.reconcile.controllers.iam_auth_policy import (
    IAM_AUTH_POLICY_FINALIZER,
    RESOURCE_ID_ANNOTATION,
    RESOURCE_TYPE_ANNOTATION,
    IamAuthPolicyKind,
)
from lattice_controller.reconcile.controllers.policy import PolicyReconciler
from lattice_controller.reconcile.triggers import IAM_AUTH_POLICY_CONTROLLER
from tests.integration.reconcile.cluster import Cluster
from tests.integration.reconcile.harness import NETWORK, ROUTE, Harness
from tests.integration.reconcile.test_reconcilers import (
    GATEWAY,
    SETTINGS,
    aws_writes,
    endpoint_slice,
    gateway,
    http_route,
    ready,
    service,
)

DOCUMENT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    }
)
GATEWAY_GROUP = "gateway.networking.k8s.io"


@pytest.fixture
def cluster(harness: Harness, edge: AwsEdge) -> Cluster:
    return Cluster(SETTINGS, edge)


def auth_policy(
    name: str,
    namespace: str,
    kind: str,
    target: str,
    document: str = DOCUMENT,
    created: str = "2026-01-01T00:00:00Z",
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": created},
        "spec": {"targetRef": {"group": GATEWAY_GROUP, "kind": kind, "name": target}, "policy": document},
    }


def accepted(cluster: Cluster, key: ObjectKey) -> tuple[str, str, str]:
    obj = cluster.object(k.IAM_AUTH_POLICY, key) or {}
    found = [c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == "Accepted"]
    return (found[0]["status"], found[0]["reason"], found[0]["message"]) if found else ("", "", "")


async def auth_of(cluster: Cluster, resource_id: str) -> tuple[str, str | None]:
    lattice = cluster.ctx.lattice
    if resource_id.startswith("sn-"):
        auth_type = (await lattice.get_service_network(resource_id))["authType"]
    else:
        auth_type = (await lattice.get_service(resource_id))["authType"]
    try:
        document: str | None = (await lattice.get_auth_policy(resource_id))["policy"]
    except NotFound:
        document = None
    return str(auth_type), document


async def test_gateway_target_create_idle_resync_and_delete(
    cluster: Cluster, harness: Harness, fake_aws: FakeAws
) -> None:
    await ready(cluster)
    policies = PolicyReconciler(cluster.ctx, IamAuthPolicyKind())
    key = ObjectKey(GATEWAY.namespace, "net-auth")
    cluster.apply(k.IAM_AUTH_POLICY, auth_policy(key.name, key.namespace, "Gateway", NETWORK))
    assert cluster.take_woken() == {(IAM_AUTH_POLICY_CONTROLLER, key)}
    fake_aws.admin.reset_counters()

    assert await policies.reconcile(key) == Success()
    cluster.sync()
    assert cluster.kube_writes() == [
        ("POST", "event"),
        ("PATCH", "finalizers"),
        ("PATCH", "annotations"),
        ("PATCH", "status"),
        ("POST", "event"),
    ]
    assert cluster.events() == [
        ("Normal", "Reconciling", "Started reconciling"),
        ("Normal", "Reconciled", "Successfully reconciled"),
    ]
    reads = {n: c for n, c in fake_aws.admin.counters().items() if n.split(":")[1].startswith("Get")}
    assert reads == {"vpc-lattice:GetAuthPolicy": 1, "vpc-lattice:GetServiceNetwork": 1}
    assert aws_writes(fake_aws) == {"PutAuthPolicy": 1, "UpdateServiceNetwork": 1}
    assert await auth_of(cluster, harness.network_id) == ("AWS_IAM", DOCUMENT)
    assert accepted(cluster, key) == ("True", "Accepted", "Policy is accepted")
    obj = cluster.object(k.IAM_AUTH_POLICY, key) or {}
    assert obj["metadata"]["finalizers"] == [IAM_AUTH_POLICY_FINALIZER]
    assert obj["metadata"]["annotations"][RESOURCE_ID_ANNOTATION] == harness.network_id
    assert obj["metadata"]["annotations"][RESOURCE_TYPE_ANNOTATION] == "ServiceNetwork"
    assert cluster.take_woken() == set()  # our own status, finalizer and annotations wake nothing else

    # Idle resync: reads only.
    cluster.rest.calls.clear()
    cluster.ctx.inventory.new_cycle()
    assert await policies.reconcile(key) == Success()
    assert aws_writes(fake_aws) == {}
    assert cluster.kube_writes() == []

    # Someone turned auth off out of band: the resync puts it back with one write.
    await cluster.ctx.lattice.update_service_network(harness.network_id, "NONE")
    fake_aws.admin.reset_counters()
    assert await policies.reconcile(key) == Success()
    assert aws_writes(fake_aws) == {"UpdateServiceNetwork": 1}

    cluster.delete(k.IAM_AUTH_POLICY, key)
    cluster.rest.calls.clear()
    assert await policies.reconcile(key) == Success()
    assert aws_writes(fake_aws) == {"UpdateServiceNetwork": 1, "DeleteAuthPolicy": 1}
    assert await auth_of(cluster, harness.network_id) == ("NONE", None)
    # Reconciling, the finalizer, Reconciled (the two events are repeats: their count goes up).
    assert cluster.kube_writes() == [("PATCH", ""), ("PATCH", "finalizers"), ("PATCH", "")]
    assert cluster.object(k.IAM_AUTH_POLICY, key) is None


async def test_route_target_appears_later_then_moves_to_the_gateway(
    cluster: Cluster, harness: Harness, fake_aws: FakeAws
) -> None:
    routes = await ready(cluster)
    policies = PolicyReconciler(cluster.ctx, IamAuthPolicyKind())
    key = ObjectKey(ROUTE.namespace, "route-auth")
    cluster.apply(k.IAM_AUTH_POLICY, auth_policy(key.name, key.namespace, "HTTPRoute", ROUTE.name))
    cluster.take_woken()
    assert await policies.reconcile(key) == Success()
    cluster.sync()
    assert accepted(cluster, key) == ("False", "TargetNotFound", f"targetRef not found, target={ROUTE}")
    assert aws_writes(fake_aws) == {}

    # The route appears: the policy is woken, but its service does not exist yet.
    cluster.apply(k.SERVICE, service())
    cluster.apply(k.ENDPOINT_SLICE, endpoint_slice("10.0.0.1"))
    cluster.apply(k.HTTP_ROUTE, http_route("web"))
    assert (IAM_AUTH_POLICY_CONTROLLER, key) in cluster.take_woken()
    assert await policies.reconcile(key) == RequeueAfter(30.0)
    cluster.sync()
    assert aws_writes(fake_aws) == {}
    assert accepted(cluster, key)[:2] == ("True", "Accepted")

    # The route reconciler creates the service; its ARN annotation wakes the policy at once.
    assert await routes.reconcile(ROUTE) == Success()
    cluster.sync()
    assert (IAM_AUTH_POLICY_CONTROLLER, key) in cluster.take_woken()
    fake_aws.admin.reset_counters()
    assert await policies.reconcile(key) == Success()
    cluster.sync()
    assert aws_writes(fake_aws) == {"PutAuthPolicy": 1, "UpdateService": 1}
    service_id = (cluster.object(k.IAM_AUTH_POLICY, key) or {})["metadata"]["annotations"][
        RESOURCE_ID_ANNOTATION
    ]
    assert service_id.startswith("svc-")
    assert await auth_of(cluster, service_id) == ("AWS_IAM", DOCUMENT)

    # Retarget to the Gateway (same namespace as the policy): removed from the service, put on the network.
    cluster.apply(k.GATEWAY, {**gateway(), "metadata": {"name": NETWORK, "namespace": ROUTE.namespace}})
    cluster.apply(k.IAM_AUTH_POLICY, auth_policy(key.name, key.namespace, "Gateway", NETWORK))
    assert await policies.reconcile(key) == Success()
    cluster.sync()
    assert aws_writes(fake_aws) == {
        "UpdateService": 1,
        "DeleteAuthPolicy": 1,
        "PutAuthPolicy": 1,
        "UpdateServiceNetwork": 1,
    }
    assert await auth_of(cluster, service_id) == ("NONE", None)
    assert await auth_of(cluster, harness.network_id) == ("AWS_IAM", DOCUMENT)


async def test_bad_input_is_a_condition_without_aws_writes_or_finalizer(
    cluster: Cluster, harness: Harness, fake_aws: FakeAws
) -> None:
    await ready(cluster)
    policies = PolicyReconciler(cluster.ctx, IamAuthPolicyKind())
    ns = GATEWAY.namespace
    cases = {
        ObjectKey(ns, "not-json"): (
            auth_policy("not-json", ns, "Gateway", NETWORK, document="{oops"),
            "Invalid",
        ),
        ObjectKey(ns, "tls"): (auth_policy("tls", ns, "TLSRoute", "r"), "Invalid"),
        ObjectKey(ns, "missing"): (auth_policy("missing", ns, "Gateway", "nope"), "TargetNotFound"),
    }
    fake_aws.admin.reset_counters()
    for key, (body, _) in cases.items():
        cluster.apply(k.IAM_AUTH_POLICY, body)
        assert await policies.reconcile(key) == Success()
    cluster.sync()
    for key, (_, reason) in cases.items():
        assert accepted(cluster, key)[:2] == ("False", reason)
        assert not (cluster.object(k.IAM_AUTH_POLICY, key) or {})["metadata"].get("finalizers")
    assert "spec.policy is not valid JSON" in accepted(cluster, ObjectKey(ns, "not-json"))[2]
    assert aws_writes(fake_aws) == {}
    # One Warning each, with the condition's message; looking again changes nothing and writes nothing.
    warnings = [e for e in cluster.events() if e[0] == "Warning"]
    assert [(t, r) for t, r, _ in warnings] == [("Warning", "FailedReconcile")] * len(cases)
    assert all(m.startswith("Reconcile failed: ") for _, _, m in warnings)
    cluster.rest.calls.clear()
    for key in cases:
        assert await policies.reconcile(key) == Success()
    assert cluster.kube_writes() == []

    # Two policies on one Gateway: the older holds it, the newer is Conflicted; deleting the older hands over.
    older, newer = ObjectKey(ns, "a-old"), ObjectKey(ns, "b-new")
    cluster.apply(
        k.IAM_AUTH_POLICY, auth_policy(older.name, ns, "Gateway", NETWORK, created="2026-01-01T00:00:00Z")
    )
    cluster.apply(
        k.IAM_AUTH_POLICY, auth_policy(newer.name, ns, "Gateway", NETWORK, created="2026-01-02T00:00:00Z")
    )
    cluster.take_woken()
    assert await policies.reconcile(older) == Success()
    assert await policies.reconcile(newer) == Success()
    cluster.sync()
    assert accepted(cluster, newer) == ("False", "Conflicted", f"targetRef has conflict, policy={older}")
    assert accepted(cluster, older)[:2] == ("True", "Accepted")
    cluster.delete(k.IAM_AUTH_POLICY, older)
    assert await policies.reconcile(older) == Success()
    cluster.sync()
    assert (IAM_AUTH_POLICY_CONTROLLER, newer) in cluster.take_woken()
    assert await policies.reconcile(newer) == Success()
    cluster.sync()
    assert accepted(cluster, newer)[:2] == ("True", "Accepted")
    assert await auth_of(cluster, harness.network_id) == ("AWS_IAM", DOCUMENT)
