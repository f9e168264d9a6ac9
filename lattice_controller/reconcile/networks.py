"""Service networks: FindServiceNetwork (reference §3.1) and the DEFAULT_SERVICE_NETWORK set-up (§1.1)."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.lattice import client_token

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class NetworkLookup:
    """Found (``id``/``arn`` set), not found (all None), or ``conflict`` (several matches)."""

    id: str | None = None
    arn: str | None = None
    name: str | None = None
    conflict: bool = False

    @property
    def found(self) -> bool:
        return self.id is not None


async def find_service_network(inventory: LatticeInventory, name_or_id: str, vpc_id: str) -> NetworkLookup:
    """By name or id among the account's networks; else among the VPC's ACTIVE associations (RAM shares)."""
    local = [n for n in await inventory.service_networks() if name_or_id in (n.get("name"), n.get("id"))]
    if len(local) > 1:
        return NetworkLookup(conflict=True)
    if local:
        return NetworkLookup(local[0]["id"], local[0]["arn"], local[0].get("name"))
    shared = [
        a
        for a in await inventory.vpc_associations(vpc_id)
        if a.get("status") == "ACTIVE"
        and name_or_id in (a.get("serviceNetworkName"), a.get("serviceNetworkId"))
    ]
    if len(shared) > 1:
        return NetworkLookup(conflict=True)
    if shared:
        a = shared[0]
        return NetworkLookup(
            a.get("serviceNetworkId"), a.get("serviceNetworkArn"), a.get("serviceNetworkName")
        )
    return NetworkLookup()


async def ensure_default_service_network(
    lattice: LatticeApi, inventory: LatticeInventory, name: str, vpc_id: str, managed_by: str
) -> NetworkLookup:
    """Create ``name`` (tagged ManagedBy) if absent, and a VPC association if the VPC has none with it."""
    network = await find_service_network(inventory, name, vpc_id)
    if network.conflict:
        log.warning("default service network name is ambiguous; nothing created", name=name)
        return network
    if not network.found:
        created = await lattice.create_service_network(
            name,
            client_token=client_token(managed_by, "service-network", name),
            tags={tag_keys.MANAGED_BY: managed_by},
        )
        network = NetworkLookup(created["id"], created["arn"], name)
        log.info("created default service network", name=name, id=network.id)
    associated = any(
        a.get("serviceNetworkId") == network.id and a.get("status") != "DELETE_IN_PROGRESS"
        for a in await inventory.vpc_associations(vpc_id)
    )
    if not associated and network.id:
        await lattice.create_service_network_vpc_association(
            network.id,
            vpc_id,
            client_token=client_token(managed_by, "vpc-association", network.id, vpc_id),
            tags={tag_keys.MANAGED_BY: managed_by},
        )
        log.info("associated default service network with the cluster VPC", name=name, vpc=vpc_id)
    return network
