"""The external-dns ``DNSEndpoint`` of a route with a custom domain (pure).

One object ``<route>-dns`` in the route's namespace, owned by the route (so the garbage collector
removes it with the route), holding one CNAME from the custom domain to the Lattice service's DNS
name with a 300 s TTL — the reference's record. It is created when absent and patched when its
records differ; an object of that name owned by something else is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s import Route
from lattice_controller.model.k8s.dns_endpoint import DnsEndpoint, DnsRecord

RECORD_TTL_SECONDS = 300


def dns_endpoint_name(route: Route) -> str:
    return f"{route.meta.name}-dns"


@dataclass(frozen=True, slots=True)
class DnsEndpointChange:
    """``action``: ``create``, ``patch`` or ``""`` (nothing to do); ``body`` what to send;
    ``foreign``: an object of that name exists and is not the route's."""

    action: str
    body: dict[str, Any]
    foreign: bool = False


def desired_records(custom_domain: str, lattice_dns: str) -> tuple[DnsRecord, ...]:
    return (DnsRecord(custom_domain, (lattice_dns,), "CNAME", RECORD_TTL_SECONDS),)


def _endpoints(records: tuple[DnsRecord, ...]) -> list[dict[str, Any]]:
    return [
        {"dnsName": r.dns_name, "targets": list(r.targets), "recordType": r.record_type, "recordTTL": r.ttl}
        for r in records
    ]


def plan_dns_endpoint(
    route: Route, api_version: str, custom_domain: str, lattice_dns: str, current: DnsEndpoint | None
) -> DnsEndpointChange:
    records = desired_records(custom_domain, lattice_dns)
    spec = {"endpoints": _endpoints(records)}
    if current is None:
        owner = {
            "apiVersion": api_version,
            "kind": route.kind,
            "name": route.meta.name,
            "uid": route.meta.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }
        metadata = {
            "name": dns_endpoint_name(route),
            "namespace": route.meta.namespace,
            "ownerReferences": [owner],
        }
        body = {
            "apiVersion": "externaldns.k8s.io/v1alpha1",
            "kind": "DNSEndpoint",
            "metadata": metadata,
            "spec": spec,
        }
        return DnsEndpointChange("create", body)
    owner_ref = current.controller_owner
    if owner_ref is None or owner_ref.uid != route.meta.uid:
        return DnsEndpointChange("", {}, foreign=True)
    if current.endpoints == records:
        return DnsEndpointChange("", {})
    return DnsEndpointChange("patch", {"spec": spec})
