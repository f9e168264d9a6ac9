"""Service networks shared between accounts (`POST /_fakeaws/share`, `e2e.fakeaws.sharing`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from e2e.fakeaws.client import FakeAwsAdminError, as_account
from e2e.fakeaws.fixtures import FakeAws
from tests.integration.fakeaws.builders import VPC, expect_error, service, service_network, unique

OWNER = "210987654321"
ME = "123456789012"  # the account of the key "testing" (the `lattice_client` fixture)


@pytest_asyncio.fixture
async def owner_client(fake_aws: FakeAws, lattice_client: Any) -> AsyncIterator[Any]:
    """A Lattice client acting as account OWNER (same endpoint, `x-moto-account-id` header)."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    async with get_session().create_client(
        "vpc-lattice",
        region_name=fake_aws.region,
        endpoint_url=fake_aws.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=AioConfig(retries={"total_max_attempts": 1}),
    ) as client:
        yield as_account(client, OWNER)


async def _shared(fake_aws: FakeAws, owner_client: Any, *, listed: bool = True) -> dict[str, Any]:
    network = await service_network(owner_client)
    assert f":{OWNER}:servicenetwork/" in network["arn"]
    fake_aws.admin.share_service_network(network["arn"], ME, listed=listed)
    return network


async def test_unshared_network_of_another_account_is_invisible(
    fake_aws: FakeAws, lattice_client: Any, owner_client: Any
) -> None:
    foreign = await service_network(owner_client)
    assert (await lattice_client.list_service_networks())["items"] == []
    for identifier in (foreign["arn"], foreign["id"]):
        await expect_error(
            lattice_client.get_service_network(serviceNetworkIdentifier=identifier),
            "ResourceNotFoundException",
            404,
        )
    await expect_error(
        lattice_client.create_service_network_vpc_association(
            serviceNetworkIdentifier=foreign["arn"], vpcIdentifier=VPC
        ),
        "ResourceNotFoundException",
        404,
    )


async def test_shared_network_is_listed_got_and_associated(
    fake_aws: FakeAws, lattice_client: Any, owner_client: Any
) -> None:
    mine = await service_network(lattice_client)
    shared = await _shared(fake_aws, owner_client)

    listed = (await lattice_client.list_service_networks())["items"]
    assert [(n["id"], n["arn"]) for n in listed] == [(mine["id"], mine["arn"]), (shared["id"], shared["arn"])]
    page = await lattice_client.list_service_networks(maxResults=1)
    assert [n["id"] for n in page["items"]] == [mine["id"]]
    rest = await lattice_client.list_service_networks(maxResults=1, nextToken=page["nextToken"])
    assert [n["id"] for n in rest["items"]] == [shared["id"]]
    assert "nextToken" not in rest
    assert [n["id"] for n in (await owner_client.list_service_networks())["items"]] == [shared["id"]]
    for identifier in (shared["arn"], shared["id"]):
        got = await lattice_client.get_service_network(serviceNetworkIdentifier=identifier)
        assert (got["name"], got["arn"]) == (shared["name"], shared["arn"])

    vpc_assoc = await lattice_client.create_service_network_vpc_association(
        serviceNetworkIdentifier=shared["arn"], vpcIdentifier=VPC
    )
    assert f":{ME}:servicenetworkvpcassociation/" in vpc_assoc["arn"]
    assert vpc_assoc["createdBy"] == ME
    (summary,) = (await lattice_client.list_service_network_vpc_associations(vpcIdentifier=VPC))["items"]
    assert (summary["status"], summary["vpcId"]) == ("ACTIVE", VPC)
    assert (summary["serviceNetworkId"], summary["serviceNetworkName"], summary["serviceNetworkArn"]) == (
        shared["id"],
        shared["name"],
        shared["arn"],
    )

    svc = await service(lattice_client)
    svc_assoc = await lattice_client.create_service_network_service_association(
        serviceNetworkIdentifier=shared["id"], serviceIdentifier=svc["id"]
    )
    (item,) = (await lattice_client.list_service_network_service_associations(serviceIdentifier=svc["id"]))[
        "items"
    ]
    assert (item["id"], item["serviceNetworkArn"], item["serviceNetworkName"]) == (
        svc_assoc["id"],
        shared["arn"],
        shared["name"],
    )
    got = await lattice_client.get_service_network_service_association(
        serviceNetworkServiceAssociationIdentifier=svc_assoc["arn"]
    )
    assert got["serviceNetworkId"] == shared["id"]

    # The owner counts the sharee's associations and cannot delete the network while they exist.
    owner_view = await owner_client.get_service_network(serviceNetworkIdentifier=shared["id"])
    assert (owner_view["numberOfAssociatedVPCs"], owner_view["numberOfAssociatedServices"]) == (1, 1)
    await expect_error(
        owner_client.delete_service_network(serviceNetworkIdentifier=shared["id"]), "ConflictException", 409
    )
    with pytest.raises(FakeAwsAdminError, match="still has associations"):
        fake_aws.admin.unshare_service_network(shared["arn"], ME)

    await lattice_client.delete_service_network_service_association(
        serviceNetworkServiceAssociationIdentifier=svc_assoc["id"]
    )
    await lattice_client.delete_service_network_vpc_association(
        serviceNetworkVpcAssociationIdentifier=vpc_assoc["id"]
    )
    fake_aws.admin.unshare_service_network(shared["arn"], ME)
    assert [n["id"] for n in (await lattice_client.list_service_networks())["items"]] == [mine["id"]]
    await expect_error(
        lattice_client.get_service_network(serviceNetworkIdentifier=shared["arn"]),
        "ResourceNotFoundException",
        404,
    )
    await owner_client.delete_service_network(serviceNetworkIdentifier=shared["id"])


async def test_sharee_cannot_change_the_network(
    fake_aws: FakeAws, lattice_client: Any, owner_client: Any
) -> None:
    shared = await _shared(fake_aws, owner_client)
    for call in (
        lattice_client.update_service_network(serviceNetworkIdentifier=shared["arn"], authType="AWS_IAM"),
        lattice_client.delete_service_network(serviceNetworkIdentifier=shared["arn"]),
        lattice_client.list_tags_for_resource(resourceArn=shared["arn"]),
    ):
        await expect_error(call, "ResourceNotFoundException", 404)


async def test_unlisted_share_is_found_only_through_the_vpc_association(
    fake_aws: FakeAws, lattice_client: Any, owner_client: Any
) -> None:
    hidden = await _shared(fake_aws, owner_client, listed=False)
    assert (await lattice_client.list_service_networks())["items"] == []
    await lattice_client.create_service_network_vpc_association(
        serviceNetworkIdentifier=hidden["arn"], vpcIdentifier=VPC
    )
    (summary,) = (await lattice_client.list_service_network_vpc_associations(vpcIdentifier=VPC))["items"]
    assert (summary["serviceNetworkName"], summary["serviceNetworkId"]) == (hidden["name"], hidden["id"])
    got = await lattice_client.get_service_network(serviceNetworkIdentifier=hidden["arn"])
    assert got["numberOfAssociatedVPCs"] == 1


async def test_share_validates_and_reset_forgets(
    fake_aws: FakeAws, lattice_client: Any, owner_client: Any
) -> None:
    network = await service_network(owner_client)
    with pytest.raises(FakeAwsAdminError, match="12-digit"):
        fake_aws.admin.share_service_network(network["arn"], "me")
    with pytest.raises(FakeAwsAdminError, match="owned by"):
        fake_aws.admin.share_service_network(network["arn"], OWNER)
    missing = network["arn"].replace(network["id"], "sn-0123456789abcdefg")
    with pytest.raises(FakeAwsAdminError, match="no service network"):
        fake_aws.admin.share_service_network(missing, ME)
    with pytest.raises(FakeAwsAdminError, match="service network ARN"):
        fake_aws.admin.share_service_network(unique("x"), ME)
    fake_aws.admin.share_service_network(network["arn"], ME)
    assert len((await lattice_client.list_service_networks())["items"]) == 1
    fake_aws.admin.reset()
    assert (await lattice_client.list_service_networks())["items"] == []
    assert (await owner_client.list_service_networks())["items"] == []
