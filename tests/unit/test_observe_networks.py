"""find_service_network: local name/id matches, conflicts, RAM-shared networks."""

from __future__ import annotations

from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.tagging import TagStore
from lattice_controller.aws.testing import ScriptedTransport
from lattice_controller.model.lattice_observed import ObservedServiceNetwork
from lattice_controller.reconcile.observe import find_service_network

VPC = "vpc-1"


def inventory_for(networks: list[dict[str, str]], vpc_associations: list[dict[str, str]]) -> LatticeInventory:
    transport = ScriptedTransport()
    transport.on("ListServiceNetworks", {"items": networks})
    transport.on("ListServiceNetworkVpcAssociations", {"items": vpc_associations})
    api = LatticeApi(transport)
    return LatticeInventory(api, TagStore(api, transport))


LOCAL = {"id": "sn-1", "arn": "arn:sn-1", "name": "hotel"}


async def test_found_by_name_or_id() -> None:
    inventory = inventory_for([LOCAL, {"id": "sn-2", "arn": "arn:sn-2", "name": "other"}], [])
    by_name = await find_service_network("hotel", inventory, vpc_id=VPC)
    assert by_name.network == ObservedServiceNetwork("sn-1", "arn:sn-1", "hotel")
    by_id = await find_service_network("sn-2", inventory, vpc_id=VPC)
    assert by_id.network is not None
    assert by_id.network.name == "other"


async def test_two_matches_are_a_conflict() -> None:
    inventory = inventory_for([LOCAL, {"id": "sn-9", "arn": "arn:sn-9", "name": "hotel"}], [])
    found = await find_service_network("hotel", inventory, vpc_id=VPC)
    assert found.conflict == "found multiple VPC Lattice Service Networks matching hotel"
    assert not found.found
    assert not found.not_found


async def test_shared_networks_are_found_through_active_vpc_associations() -> None:
    shared = {
        "serviceNetworkId": "sn-shared",
        "serviceNetworkArn": "arn:aws:vpc-lattice:us-west-2:999:servicenetwork/sn-shared",
        "serviceNetworkName": "shared-hotel",
        "status": "ACTIVE",
    }
    failed = {**shared, "serviceNetworkName": "broken", "status": "CREATE_FAILED"}
    inventory = inventory_for([LOCAL], [shared, failed])
    found = await find_service_network("shared-hotel", inventory, vpc_id=VPC)
    assert found.network is not None
    assert found.network.id == "sn-shared"
    assert not found.network.account_local
    assert (await find_service_network("broken", inventory, vpc_id=VPC)).not_found
    assert (await find_service_network("nowhere", inventory, vpc_id=VPC)).not_found
