"""The policy CRDs of manifests/crds (IAMAuthPolicy, VpcAssociationPolicy, AccessLogPolicy) and
ServiceNetwork on a real apiserver: required fields, patterns, ranges, the status default and the printer
columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from e2e.controlplane.crds import install_gateway_crds
from e2e.controlplane.plane import ControlPlane
from e2e.controlplane.rest import ApiError, RestClient

pytestmark = pytest.mark.integration

CRDS = Path(__file__).resolve().parents[3] / "manifests" / "crds"
GROUP = "application-networking.k8s.aws"
GATEWAY_REF = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"}


@pytest.fixture(scope="module")
def rest(control_plane: ControlPlane) -> RestClient:
    client = control_plane.rest()
    install_gateway_crds(client, CRDS)  # idempotent: existing CRDs are left as they are
    return client


def _create(rest: RestClient, namespace: str, plural: str, kind: str, spec: dict[str, Any]) -> Any:
    body = {"apiVersion": f"{GROUP}/v1alpha1", "kind": kind, "metadata": {"name": "p"}, "spec": spec}
    return rest.create(f"/apis/{GROUP}/v1alpha1/namespaces/{namespace}/{plural}", body)


def _rejected(rest: RestClient, namespace: str, plural: str, kind: str, spec: dict[str, Any]) -> str:
    with pytest.raises(ApiError) as info:
        _create(rest, namespace, plural, kind, spec)
    assert info.value.status == 422
    return info.value.body


def test_iam_auth_policy_schema(rest: RestClient, namespace: str) -> None:
    assert "spec.policy" in _rejected(
        rest, namespace, "iamauthpolicies", "IAMAuthPolicy", {"targetRef": GATEWAY_REF}
    )
    bad_kind = {**GATEWAY_REF, "kind": "9gateway"}
    assert "spec.targetRef.kind" in _rejected(
        rest, namespace, "iamauthpolicies", "IAMAuthPolicy", {"targetRef": bad_kind, "policy": "{}"}
    )
    created = _create(
        rest, namespace, "iamauthpolicies", "IAMAuthPolicy", {"targetRef": GATEWAY_REF, "policy": "{}"}
    )
    condition = created["status"]["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "Accepted",
        "Unknown",
        "NotReconciled",
    )


def test_vpc_association_policy_schema(rest: RestClient, namespace: str) -> None:
    for groups in (["web"], [], ["sg-" + "a" * 40]):
        body = _rejected(
            rest,
            namespace,
            "vpcassociationpolicies",
            "VpcAssociationPolicy",
            {"targetRef": GATEWAY_REF, "securityGroupIds": groups},
        )
        assert "securityGroupIds" in body
    created = _create(
        rest,
        namespace,
        "vpcassociationpolicies",
        "VpcAssociationPolicy",
        {"targetRef": GATEWAY_REF, "securityGroupIds": ["sg-0123abc"], "associateWithVpc": True},
    )
    condition = created["status"]["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == ("Accepted", "Unknown", "Pending")


def test_access_log_policy_schema(rest: RestClient, namespace: str) -> None:
    assert "spec.destinationArn" in _rejected(
        rest,
        namespace,
        "accesslogpolicies",
        "AccessLogPolicy",
        {"targetRef": GATEWAY_REF, "destinationArn": "bucket"},
    )
    assert "spec.destinationArn" in _rejected(
        rest, namespace, "accesslogpolicies", "AccessLogPolicy", {"targetRef": GATEWAY_REF}
    )
    created = _create(
        rest,
        namespace,
        "accesslogpolicies",
        "AccessLogPolicy",
        {"targetRef": GATEWAY_REF, "destinationArn": "arn:aws:s3:::access-logs"},
    )
    assert created["status"]["conditions"][0]["reason"] == "NotReconciled"


def test_short_names_and_printer_columns(rest: RestClient) -> None:
    for plural, short in (
        ("iamauthpolicies", "iap"),
        ("vpcassociationpolicies", "vap"),
        ("accesslogpolicies", "alp"),
    ):
        crd = rest.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{plural}.{GROUP}")
        assert crd["spec"]["names"]["shortNames"] == [short]
        columns = [c["name"] for c in crd["spec"]["versions"][0]["additionalPrinterColumns"]]
        assert columns[:2] == ["Target", "Kind"]
        assert "Accepted" in columns


def test_service_network_is_cluster_scoped_with_its_status_default_and_arn_column(rest: RestClient) -> None:
    crd = rest.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/servicenetworks.{GROUP}")
    assert (crd["spec"]["scope"], crd["spec"]["names"]["shortNames"]) == ("Cluster", ["sn"])
    columns = crd["spec"]["versions"][0]["additionalPrinterColumns"]
    assert (columns[0]["name"], columns[0]["jsonPath"]) == ("ARN", ".status.serviceNetworkARN")
    body = {"apiVersion": f"{GROUP}/v1alpha1", "kind": "ServiceNetwork", "metadata": {"name": "crd-check"}}
    created = rest.create(f"/apis/{GROUP}/v1alpha1/servicenetworks", {**body, "spec": {}})
    try:
        condition = created["status"]["conditions"][0]
        assert (condition["type"], condition["status"], condition["reason"]) == (
            "Accepted",
            "Unknown",
            "NotReconciled",
        )
    finally:
        rest.delete(f"/apis/{GROUP}/v1alpha1/servicenetworks/crd-check")
