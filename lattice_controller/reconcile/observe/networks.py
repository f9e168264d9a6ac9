"""Finding service networks by name or id (as the Go controller finds them; docs/compatibility.md).

Account-local networks come from the shared ``ListServiceNetworks``; networks shared with us (RAM)
are only visible through the cluster VPC's ACTIVE service-network-VPC associations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.model.lattice_observed import ObservedServiceNetwork


@dataclass(frozen=True, slots=True)
class ServiceNetworkLookup:
    """Exactly one of: ``network`` (found), ``conflict`` (several match), neither (not found)."""

    name_or_id: str
    network: ObservedServiceNetwork | None = None
    conflict: str | None = None

    @property
    def found(self) -> bool:
        return self.network is not None

    @property
    def not_found(self) -> bool:
        return self.network is None and self.conflict is None


def _local(item: dict[str, Any]) -> ObservedServiceNetwork:
    return ObservedServiceNetwork(str(item["id"]), str(item["arn"]), str(item.get("name") or ""))


async def service_network_candidates(
    name_or_id: str, inventory: LatticeInventory, vpc_id: str | None
) -> list[ObservedServiceNetwork]:
    """Every network matching ``name_or_id``: local name/id matches, else the VPC's ACTIVE
    associations naming it (shared networks, ``account_local=False``)."""
    local = [
        _local(n) for n in await inventory.service_networks() if name_or_id in (n.get("name"), n.get("id"))
    ]
    if local or not vpc_id:
        return local
    shared: dict[str, ObservedServiceNetwork] = {}
    for association in await inventory.vpc_associations(vpc_id):
        if association.get("status") != "ACTIVE":
            continue
        if name_or_id not in (association.get("serviceNetworkName"), association.get("serviceNetworkId")):
            continue
        network_id = str(association.get("serviceNetworkId") or "")
        shared[network_id] = ObservedServiceNetwork(
            network_id,
            str(association.get("serviceNetworkArn") or ""),
            str(association.get("serviceNetworkName") or ""),
            account_local=False,
        )
    return list(shared.values())


async def find_service_network(
    name_or_id: str, inventory: LatticeInventory, *, vpc_id: str | None
) -> ServiceNetworkLookup:
    """The Go controller's service network lookup without the override step (callers apply override
    mode first)."""
    candidates = await service_network_candidates(name_or_id, inventory, vpc_id)
    if len(candidates) > 1:
        return ServiceNetworkLookup(
            name_or_id, conflict=f"found multiple VPC Lattice Service Networks matching {name_or_id}"
        )
    return ServiceNetworkLookup(name_or_id, candidates[0] if candidates else None)
