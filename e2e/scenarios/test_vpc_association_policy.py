"""VpcAssociationPolicy with a real controller process: the network's VPC association (made by the
controller for DEFAULT_SERVICE_NETWORK) gets the policy's security groups in place, additional tags,
is removed by ``associateWithVpc: false`` and comes back with ``true``; deleting the policy removes it
and the finalizer."""

from __future__ import annotations

from typing import Any

from e2e.controlplane.crds import install_gateway_crds
from e2e.harness.controller import CLUSTER_VPC_ID as VPC_ID
from e2e.scenarios.support import (
    AN,
    DEFAULT_NETWORK,
    Scenario,
    gateway,
    get_json,
    manifest_path,
    scenario,
    wait_deleted,
    wait_value,
)

__all__ = ["scenario"]


def vpc_policy(ns: str, groups: list[str], associate: bool = True, tags: str = "") -> dict[str, Any]:
    return {
        "apiVersion": "application-networking.k8s.aws/v1alpha1",
        "kind": "VpcAssociationPolicy",
        "metadata": {"name": "vpc", "namespace": ns, "annotations": {f"{AN}/tags": tags} if tags else {}},
        "spec": {
            "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": DEFAULT_NETWORK},
            "securityGroupIds": groups,
            "associateWithVpc": associate,
        },
    }


def association(s: Scenario) -> dict[str, Any] | None:
    networks = [n for n in s.client.list_service_networks()["items"] if n["name"] == DEFAULT_NETWORK]
    if not networks:
        return None
    items = s.client.list_service_network_vpc_associations(serviceNetworkIdentifier=networks[0]["id"])[
        "items"
    ]
    found = [a for a in items if a.get("vpcId") == VPC_ID]
    if not found:
        return None
    try:
        got: dict[str, Any] = s.client.get_service_network_vpc_association(
            serviceNetworkVpcAssociationIdentifier=found[0]["id"]
        )
        got["tags"] = s.client.list_tags_for_resource(resourceArn=got["arn"])["tags"]
    except s.client.exceptions.ResourceNotFoundException:
        return None  # deleted between the listing and the read
    return got


def test_vpc_association_policy_groups_toggle_and_delete(scenario: Scenario) -> None:
    s = scenario
    install_gateway_crds(s.plane.rest(), manifest_path("manifests/crds"))  # idempotent
    s.start_controller()
    ns = s.namespace("vap")
    s.apply(gateway(ns), vpc_policy(ns, ["sg-0aaa1111"], tags="team=net"))
    first = wait_value(
        lambda: association(s),
        lambda a: (
            a is not None and a["securityGroupIds"] == ["sg-0aaa1111"] and a["tags"].get("team") == "net"
        ),
        what="the network's VPC association with the policy's group and tag",
    )
    assert first is not None
    policy = wait_value(
        lambda: get_json(s.plane, "vpcassociationpolicy", ns, "vpc") or {},
        lambda p: p.get("metadata", {}).get("annotations", {}).get(f"{AN}/resourceArn") == first["arn"],
        what="the resourceArn annotation",
    )
    assert policy["metadata"]["finalizers"] == [
        "vpcassociationpolicies.application-networking.k8s.aws/resources"
    ]

    s.apply(vpc_policy(ns, ["sg-0bbb2222", "sg-0aaa1111"], tags="team=net"))
    updated = wait_value(
        lambda: association(s),
        lambda a: a is not None and sorted(a["securityGroupIds"]) == ["sg-0aaa1111", "sg-0bbb2222"],
        what="both groups",
    )
    assert updated is not None
    assert updated["id"] == first["id"]

    s.apply(vpc_policy(ns, ["sg-0aaa1111"], associate=False, tags="team=net"))
    wait_value(lambda: association(s), lambda a: a is None, what="the association removed")
    s.apply(vpc_policy(ns, ["sg-0aaa1111"], associate=True, tags="team=net"))
    again = wait_value(lambda: association(s), lambda a: a is not None, what="the association back")
    assert again is not None
    assert again["securityGroupIds"] == ["sg-0aaa1111"]

    out = s.plane.kubectl("delete", "vpcassociationpolicy", "vpc", "-n", ns, "--wait=false")
    assert out.returncode == 0, out.stderr
    wait_deleted(s.plane, "vpcassociationpolicy", ns, "vpc")
    assert association(s) is None
