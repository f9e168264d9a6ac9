"""external-dns ``DNSEndpoint`` (externaldns.k8s.io/v1alpha1): what a route's record needs compared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s._parse import as_list, as_map, as_str, opt_bool, opt_int, str_tuple
from lattice_controller.model.k8s.common import Meta, parse_meta


@dataclass(frozen=True, slots=True)
class DnsRecord:
    dns_name: str
    targets: tuple[str, ...]
    record_type: str
    ttl: int | None = None


@dataclass(frozen=True, slots=True)
class OwnerRef:
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool = False


@dataclass(frozen=True, slots=True)
class DnsEndpoint:
    meta: Meta
    owners: tuple[OwnerRef, ...] = ()
    endpoints: tuple[DnsRecord, ...] = ()

    @property
    def controller_owner(self) -> OwnerRef | None:
        return next((o for o in self.owners if o.controller), None)


def parse_dns_endpoint(obj: Any) -> DnsEndpoint:
    obj = as_map(obj, "")
    metadata = as_map(obj.get("metadata"), "metadata")
    owners = []
    for raw in as_list(metadata.get("ownerReferences"), "metadata.ownerReferences"):
        ref = as_map(raw, "")
        owners.append(
            OwnerRef(
                as_str(ref.get("apiVersion")),
                as_str(ref.get("kind")),
                as_str(ref.get("name")),
                as_str(ref.get("uid")),
                opt_bool(ref.get("controller")) is True,
            )
        )
    records = []
    for i, raw in enumerate(as_list(as_map(obj.get("spec"), "spec").get("endpoints"), "spec.endpoints")):
        entry = as_map(raw, "")
        records.append(
            DnsRecord(
                dns_name=as_str(entry.get("dnsName")),
                targets=str_tuple(entry.get("targets")),
                record_type=as_str(entry.get("recordType")),
                ttl=opt_int(entry.get("recordTTL"), f"spec.endpoints[{i}].recordTTL"),
            )
        )
    return DnsEndpoint(parse_meta(obj), tuple(owners), tuple(records))
