"""external-dns DNSEndpoint: without the CRD the controller says so once and works as usual; with it,
a route with a custom domain gets `<route>-dns` (CNAME to the Lattice DNS name, owned by the route),
put back when deleted, and garbage-collected with the route."""

from __future__ import annotations

from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.scenarios.support import (
    ASSIGNED_DOMAIN_ANNOTATION,
    apply,
    backend_rule,
    delete_namespaces,
    eventually,
    gateway_yaml,
    get_json,
    lattice,
    manifest_path,
    namespace_yaml,
    route_yaml,
    rules_of,
    running_controller,
    service_yaml,
    unique_ns,
    wait_value,
)

CRD = "e2e/scenarios/crds/externaldns.k8s.io_dnsendpoints.yaml"
NOT_SERVED = "optional kind DNSEndpoint.externaldns.k8s.io is not served"


def _dns_endpoint(plane: ControlPlane, namespace: str, name: str) -> dict[str, Any] | None:
    return get_json(plane, "dnsendpoints.externaldns.k8s.io", namespace, name)


def test_dns_endpoint_only_when_served_owned_and_collected(
    workloads: ControlPlane, fake_aws: FakeAws, aws_env: dict[str, str]
) -> None:
    ns = unique_ns("dns")
    apply(
        workloads,
        namespace_yaml(ns)
        + gateway_yaml(ns)
        + service_yaml(ns, "svc1")
        + route_yaml(ns, "shop", backend_rule("svc1"), hostnames=("shop.example.com",)),
    )
    try:
        with running_controller(workloads, aws_env) as controller:
            wait_value(
                lambda: lattice(fake_aws), lambda v: bool(rules_of(v, f"shop-{ns}")), what="route built"
            )
            log = controller.log_path.read_text()
            assert log.count(NOT_SERVED) == 1, controller.log_tail()
            assert "DNSEndpoint" not in log.replace(NOT_SERVED, ""), controller.log_tail()

        out = workloads.kubectl("apply", "-f", str(manifest_path(CRD)))
        assert out.returncode == 0, out.stderr
        eventually(
            lambda: workloads.kubectl("get", "dnsendpoints.externaldns.k8s.io", "-A").returncode == 0,
            what="DNSEndpoint served",
        )
        with running_controller(workloads, aws_env):
            route = wait_value(
                lambda: get_json(workloads, "httproute", ns, "shop") or {},
                lambda r: ASSIGNED_DOMAIN_ANNOTATION in r["metadata"].get("annotations", {}),
                what="route annotated with its Lattice DNS name",
            )
            dns = route["metadata"]["annotations"][ASSIGNED_DOMAIN_ANNOTATION]
            endpoint = wait_value(
                lambda: _dns_endpoint(workloads, ns, "shop-dns"), bool, what="DNSEndpoint shop-dns"
            )
            assert endpoint["spec"]["endpoints"] == [
                {"dnsName": "shop.example.com", "targets": [dns], "recordType": "CNAME", "recordTTL": 300}
            ]
            (owner,) = endpoint["metadata"]["ownerReferences"]
            assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
                "HTTPRoute",
                "shop",
                route["metadata"]["uid"],
                True,
            )

            # Deleted by someone: put back.
            workloads.kubectl("delete", "dnsendpoints.externaldns.k8s.io", "shop-dns", "-n", ns)
            again = wait_value(
                lambda: _dns_endpoint(workloads, ns, "shop-dns") or {},
                lambda e: bool(e) and e["metadata"]["uid"] != endpoint["metadata"]["uid"],
                what="DNSEndpoint recreated",
            )
            assert again["spec"] == endpoint["spec"]

            # The route goes: the garbage collector removes its DNSEndpoint.
            out = workloads.kubectl("delete", "httproute", "shop", "-n", ns, "--timeout=60s", timeout=70)
            assert out.returncode == 0, out.stderr
            eventually(lambda: _dns_endpoint(workloads, ns, "shop-dns") is None, what="DNSEndpoint collected")
    finally:
        delete_namespaces(workloads, ns)
        workloads.kubectl("delete", "-f", str(manifest_path(CRD)), "--ignore-not-found")
