"""ServiceNetwork with a real controller process: a network created with its tags, status ARN/ID and
``Programmed``; an untagged network adopted because its owner tagged it ``AllowAdoptionBy``; deletion
blocked while a same-named Gateway exists, then while a VPC association (a VpcAssociationPolicy's)
exists, then done; the adopted network handed back instead of deleted; the Events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from e2e.controlplane.crds import install_gateway_crds
from e2e.harness.controller import CLUSTER_VPC_ID as VPC_ID
from e2e.scenarios.support import (
    AN,
    Scenario,
    condition,
    create_service_network,
    gateway,
    get_json,
    kubectl_json,
    manifest_path,
    scenario,
    short_id,
    tags_of,
    wait_deleted,
    wait_value,
)

__all__ = ["scenario"]

KIND = "servicenetwork"


def service_network(name: str, tags: str = "") -> dict[str, Any]:
    return {
        "apiVersion": "application-networking.k8s.aws/v1alpha1",
        "kind": "ServiceNetwork",
        "metadata": {"name": name, "annotations": {f"{AN}/tags": tags} if tags else {}},
    }


def vpc_policy(ns: str, target: str) -> dict[str, Any]:
    return {
        "apiVersion": "application-networking.k8s.aws/v1alpha1",
        "kind": "VpcAssociationPolicy",
        "metadata": {"name": "vpc", "namespace": ns},
        "spec": {
            "targetRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": target},
            "securityGroupIds": ["sg-0aaa1111"],
        },
    }


def programmed(s: Scenario, name: str) -> tuple[str, str, str]:
    obj = get_json(s.plane, KIND, "", name) or {}
    found = condition((obj.get("status") or {}).get("conditions"), "Programmed") or {}
    return found.get("status", ""), found.get("reason", ""), found.get("message", "")


def lattice_network(s: Scenario, name: str) -> dict[str, Any] | None:
    return next((n for n in s.client.list_service_networks()["items"] if n["name"] == name), None)


@pytest.fixture
def names(scenario: Scenario) -> Iterator[tuple[str, str]]:
    """Two unique ServiceNetwork names; whatever of them is left at the end is deleted without the
    controller (the objects are cluster-scoped: no namespace deletion takes them along)."""
    suffix = short_id()
    created = (f"payments-{suffix}", f"adopted-{suffix}")
    yield created
    for name in created:
        scenario.plane.kubectl("patch", KIND, name, "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
        scenario.plane.kubectl("delete", KIND, name, "--ignore-not-found", "--wait=false")


def test_service_network_create_adopt_delete_blocked_and_handed_back(
    scenario: Scenario, names: tuple[str, str]
) -> None:
    s = scenario
    created_name, adopted_name = names
    install_gateway_crds(s.plane.rest(), manifest_path("manifests/crds"))  # idempotent
    # No default network: its VPC association would be the VPC's one association.
    s.start_controller(DEFAULT_SERVICE_NETWORK="")
    existing = create_service_network(s.fake, adopted_name)
    s.client.tag_resource(
        resourceArn=existing["arn"], tags={f"{AN}/AllowAdoptionBy": f"ServiceNetwork/{adopted_name}"}
    )
    s.apply(service_network(created_name, tags="team=payments"), service_network(adopted_name))

    wait_value(
        lambda: programmed(s, created_name)[:2], lambda p: p == ("True", "Programmed"), what="Programmed"
    )
    network = lattice_network(s, created_name)
    assert network is not None
    status = (get_json(s.plane, KIND, "", created_name) or {})["status"]
    assert (status["serviceNetworkARN"], status["serviceNetworkID"]) == (network["arn"], network["id"])
    tags = tags_of(s.client, network["arn"])
    assert tags["team"] == "payments"
    assert tags[f"{AN}/ManagedBy"].endswith(f"/{VPC_ID}")

    wait_value(lambda: programmed(s, adopted_name)[:2], lambda p: p == ("True", "Programmed"), what="adopted")
    adopted_tags = tags_of(s.client, existing["arn"])
    assert adopted_tags[f"{AN}/AdoptedFrom"] == "unmanaged"
    assert (get_json(s.plane, KIND, "", adopted_name) or {})["status"]["serviceNetworkID"] == existing["id"]

    # A same-named Gateway and a VpcAssociationPolicy (a VPC association on the network) hold deletion.
    ns = s.namespace("sn")
    s.apply(gateway(ns, created_name), vpc_policy(ns, created_name))
    wait_value(
        lambda: (lattice_network(s, created_name) or {}).get("numberOfAssociatedVPCs"),
        lambda n: n == 1,
        what="the policy's VPC association",
    )
    out = s.plane.kubectl("delete", KIND, created_name, "--wait=false")
    assert out.returncode == 0, out.stderr
    wait_value(
        lambda: programmed(s, created_name),
        lambda p: (
            p
            == (
                "False",
                "DeleteBlocked",
                f"Cannot delete: Gateway {ns}/{created_name} still references this service network",
            )
        ),
        what="DeleteBlocked by the Gateway",
    )
    out = s.plane.kubectl("delete", "gateway", created_name, "-n", ns, "--wait=false")
    assert out.returncode == 0, out.stderr
    blocked = wait_value(
        lambda: programmed(s, created_name),
        lambda p: p[1] == "DeleteBlocked" and "1 VPC association(s)" in p[2],
        what="DeleteBlocked by the association",
    )
    assert blocked[0] == "False"
    assert lattice_network(s, created_name) is not None
    out = s.plane.kubectl("delete", "vpcassociationpolicy", "vpc", "-n", ns, "--wait=false")
    assert out.returncode == 0, out.stderr
    wait_deleted(s.plane, KIND, "", created_name)
    assert lattice_network(s, created_name) is None

    out = s.plane.kubectl("delete", KIND, adopted_name, "--wait=false")
    assert out.returncode == 0, out.stderr
    wait_deleted(s.plane, KIND, "", adopted_name)
    kept = lattice_network(s, adopted_name)
    assert kept is not None
    assert f"{AN}/ManagedBy" not in tags_of(s.client, kept["arn"])

    # Events of a cluster-scoped object live in the default namespace.
    reasons = {
        (e["type"], e["reason"])
        for e in kubectl_json(s.plane, "get", "events", "-n", "default")["items"]
        if e["involvedObject"].get("name") == created_name
    }
    assert {("Normal", "Reconciling"), ("Normal", "Reconciled"), ("Warning", "FailedReconcile")} <= reasons
