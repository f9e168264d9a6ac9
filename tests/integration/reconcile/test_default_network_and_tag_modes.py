"""DEFAULT_SERVICE_NETWORK start-up writes, and the route cycle in Lattice-only tag mode."""

from __future__ import annotations

from e2e.fakeaws.fixtures import FakeAws
from lattice_controller.aws.edge import AwsEdge
from lattice_controller.aws.metrics import is_read_operation
from lattice_controller.model import tags as tag_keys
from lattice_controller.reconcile.apply import DefaultNetworkResult, ensure_default_service_network
from lattice_controller.reconcile.observe import find_service_network
from tests.integration.reconcile.harness import MANAGED_BY, Harness, route_state

OTHER_VPC = "vpc-0aaaaaaaaaaaaaaaa"


async def ensure(edge: AwsEdge, name: str, vpc: str = OTHER_VPC) -> DefaultNetworkResult:
    return await ensure_default_service_network(
        name, vpc, MANAGED_BY, lattice=edge.lattice, inventory=edge.inventory
    )


async def test_default_network_is_created_and_associated_once(edge: AwsEdge, fake_aws: FakeAws) -> None:
    fake_aws.admin.reset_counters()
    first = await ensure(edge, "default-net")
    assert first.created_network
    assert first.created_association
    network = first.network
    assert network is not None
    tags = await edge.lattice.list_tags_for_resource(network.arn)
    assert tags == {tag_keys.MANAGED_BY: MANAGED_BY}
    edge.inventory.new_cycle()
    fake_aws.admin.reset_counters()
    second = await ensure(edge, "default-net")
    assert not second.created_network
    assert not second.created_association
    writes = [k for k in fake_aws.admin.counters() if not is_read_operation(k.split(":")[1])]
    assert writes == []
    found = await find_service_network(network.id, edge.inventory, vpc_id=OTHER_VPC)
    assert found.network == network


async def test_vpc_already_associated_elsewhere_is_reported_not_written(edge: AwsEdge) -> None:
    other = await edge.lattice.create_service_network("someone-elses", client_token="x")
    await edge.lattice.create_service_network_vpc_association(other["id"], OTHER_VPC, client_token="y")
    result = await ensure(edge, "default-net")
    assert result.associated_elsewhere == "someone-elses"
    assert not result.created_association


async def test_route_cycle_without_the_tagging_api(lattice_only_harness: Harness) -> None:
    harness = lattice_only_harness
    desired = route_state((("web", 75), ("api", 25)))
    created = await harness.reconcile(desired)
    print(f"\nLattice-only tags, create: {created.calls}")
    assert "GetResources" not in created.calls.reads
    assert created.calls.write_count == 8
    harness.new_cycle()
    resync = await harness.reconcile(desired)
    print(f"Lattice-only tags, no-op resync: {resync.calls}")
    assert resync.calls.write_count == 0
    assert "GetResources" not in resync.calls.reads
