"""The default service network (``DEFAULT_SERVICE_NETWORK``, docs/operations.md): created with our
ManagedBy tag when absent, and associated with the cluster VPC when the VPC has no association.

A VPC can be associated with one service network only: when it already is associated with a
different one, nothing is written and the result says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.lattice_observed import ObservedServiceNetwork
from lattice_controller.reconcile.apply.requests import request_token
from lattice_controller.reconcile.observe.networks import find_service_network

_GONE = frozenset({"DELETE_IN_PROGRESS", "DELETE_FAILED", "CREATE_FAILED"})


@dataclass(frozen=True, slots=True)
class DefaultNetworkResult:
    """``network`` is None only on ``conflict`` (several networks with that name).
    ``associated_elsewhere``: the VPC's service network when it is not this one."""

    network: ObservedServiceNetwork | None
    created_network: bool = False
    created_association: bool = False
    conflict: str | None = None
    associated_elsewhere: str | None = None


async def ensure_default_service_network(
    name: str,
    vpc_id: str,
    managed_by: str,
    *,
    lattice: LatticeApi,
    inventory: LatticeInventory,
) -> DefaultNetworkResult:
    lookup = await find_service_network(name, inventory, vpc_id=vpc_id)
    if lookup.conflict is not None:
        return DefaultNetworkResult(None, conflict=lookup.conflict)
    ours = {tag_keys.MANAGED_BY: managed_by}
    network = lookup.network
    created_network = False
    if network is None:
        token = request_token("CreateServiceNetwork", name=name, tags=ours)
        response = await lattice.create_service_network(name, client_token=token, tags=ours)
        network = ObservedServiceNetwork(str(response["id"]), str(response["arn"]), name)
        created_network = True
    live = [a for a in await inventory.vpc_associations(vpc_id) if a.get("status") not in _GONE]
    if any(a.get("serviceNetworkId") == network.id for a in live):
        return DefaultNetworkResult(network, created_network)
    if live:
        elsewhere = str(live[0].get("serviceNetworkName") or live[0].get("serviceNetworkId"))
        return DefaultNetworkResult(network, created_network, associated_elsewhere=elsewhere)
    await lattice.create_service_network_vpc_association(
        network.id,
        vpc_id,
        client_token=request_token(
            "CreateServiceNetworkVpcAssociation",
            serviceNetworkIdentifier=network.id,
            vpcIdentifier=vpc_id,
            tags=ours,
        ),
        tags=ours,
    )
    return DefaultNetworkResult(network, created_network, created_association=True)
