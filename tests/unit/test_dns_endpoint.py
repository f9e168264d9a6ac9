"""The external-dns DNSEndpoint of a route: created when absent, patched when different, left alone
when equal or owned by something else."""

from __future__ import annotations

from lattice_controller.model.k8s.dns_endpoint import parse_dns_endpoint
from lattice_controller.reconcile.build.dns_endpoint import plan_dns_endpoint
from tests.unit.test_build_helpers import route

DNS = "web-front-0a1b2c3d.7d67968.vpc-lattice-svcs.us-west-2.on.aws"


def test_created_owned_by_the_route_then_equal_then_patched() -> None:
    r = route(kind="TLSRoute", hostnames=["shop.example.com"])
    create = plan_dns_endpoint(r, "gateway.networking.k8s.io/v1", "shop.example.com", DNS, None)
    assert create.action == "create"
    body = create.body
    assert body["metadata"]["name"] == f"{r.meta.name}-dns"
    assert body["metadata"]["namespace"] == r.meta.namespace
    (owner,) = body["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "TLSRoute",
        r.meta.name,
        r.meta.uid,
        True,
    )
    assert body["spec"] == {
        "endpoints": [
            {"dnsName": "shop.example.com", "targets": [DNS], "recordType": "CNAME", "recordTTL": 300}
        ]
    }
    stored = parse_dns_endpoint({**body, "metadata": {**body["metadata"], "uid": "x"}})
    assert plan_dns_endpoint(r, "v", "shop.example.com", DNS, stored).action == ""
    moved = plan_dns_endpoint(r, "v", "shop.example.com", "other.on.aws", stored)
    assert (moved.action, moved.body["spec"]["endpoints"][0]["targets"]) == ("patch", ["other.on.aws"])


def test_someone_elses_object_is_left_alone() -> None:
    r = route(hostnames=["shop.example.com"])
    foreign = parse_dns_endpoint(
        {"metadata": {"name": f"{r.meta.name}-dns", "namespace": r.meta.namespace}, "spec": {"endpoints": []}}
    )
    change = plan_dns_endpoint(r, "v", "shop.example.com", DNS, foreign)
    assert (change.action, change.foreign) == ("", True)
