"""Service networks and their VPC / service associations."""

from __future__ import annotations

from typing import Any

from tests.integration.fakeaws.builders import VPC, assert_id, expect_error, service, service_network, unique


async def test_create_get_list_update_delete(lattice_client: Any) -> None:
    created = await service_network(lattice_client, tags={"k": "v"})
    assert_id(created["id"], "sn")
    assert created["arn"] == f"arn:aws:vpc-lattice:us-west-2:123456789012:servicenetwork/{created['id']}"
    assert created["authType"] == "NONE"
    got = await lattice_client.get_service_network(serviceNetworkIdentifier=created["arn"])
    assert got["id"] == created["id"]
    assert got["createdAt"]
    assert got["lastUpdatedAt"]
    assert got["numberOfAssociatedVPCs"] == 0
    assert got["numberOfAssociatedServices"] == 0
    listed = await lattice_client.list_service_networks()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    updated = await lattice_client.update_service_network(
        serviceNetworkIdentifier=created["id"], authType="AWS_IAM"
    )
    assert updated["authType"] == "AWS_IAM"
    assert (await lattice_client.get_service_network(serviceNetworkIdentifier=created["id"]))[
        "authType"
    ] == "AWS_IAM"
    response = await lattice_client.delete_service_network(serviceNetworkIdentifier=created["arn"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    await expect_error(
        lattice_client.get_service_network(serviceNetworkIdentifier=created["id"]),
        "ResourceNotFoundException",
        404,
    )


async def test_name_unique_and_validated(lattice_client: Any) -> None:
    name = unique("dup")
    await lattice_client.create_service_network(name=name)
    await expect_error(lattice_client.create_service_network(name=name), "ConflictException", 409)
    await expect_error(lattice_client.create_service_network(name="Bad_Name"), "ValidationException", 400)
    await expect_error(
        lattice_client.create_service_network(name=unique("sn"), authType="BOGUS"), "ValidationException", 400
    )


async def test_not_found_and_malformed_identifiers(lattice_client: Any) -> None:
    response = await expect_error(
        lattice_client.get_service_network(serviceNetworkIdentifier="sn-0123456789abcdefg"),
        "ResourceNotFoundException",
        404,
    )
    assert response["resourceType"] == "SERVICE_NETWORK"
    assert response["resourceId"] == "sn-0123456789abcdefg"
    await expect_error(
        lattice_client.get_service_network(serviceNetworkIdentifier="sn-nope"), "ValidationException", 400
    )
    await expect_error(
        lattice_client.delete_service_network(serviceNetworkIdentifier="sn-0123456789abcdefg"),
        "ResourceNotFoundException",
        404,
    )


async def test_service_association_lifecycle(lattice_client: Any) -> None:
    sn = await service_network(lattice_client)
    svc = await service(lattice_client, customDomainName="api.example.com")
    assoc = await lattice_client.create_service_network_service_association(
        serviceNetworkIdentifier=sn["arn"], serviceIdentifier=svc["arn"], tags={"owner": "me"}
    )
    assert_id(assoc["id"], "snsa")
    assert assoc["status"] == "ACTIVE"
    assert assoc["createdBy"] == "123456789012"
    assert assoc["dnsEntry"]["domainName"] == svc["dnsEntry"]["domainName"]
    assert assoc["customDomainName"] == "api.example.com"
    got = await lattice_client.get_service_network_service_association(
        serviceNetworkServiceAssociationIdentifier=assoc["arn"]
    )
    assert (got["serviceName"], got["serviceArn"], got["serviceNetworkName"], got["serviceNetworkArn"]) == (
        svc["name"],
        svc["arn"],
        sn["name"],
        sn["arn"],
    )
    await expect_error(
        lattice_client.create_service_network_service_association(
            serviceNetworkIdentifier=sn["id"], serviceIdentifier=svc["id"]
        ),
        "ConflictException",
        409,
    )
    by_service_arn = await lattice_client.list_service_network_service_associations(
        serviceIdentifier=svc["arn"]
    )
    assert [item["id"] for item in by_service_arn["items"]] == [assoc["id"]]
    by_sn = await lattice_client.list_service_network_service_associations(serviceNetworkIdentifier=sn["id"])
    assert by_sn["items"][0]["serviceName"] == svc["name"]
    assert (await lattice_client.get_service_network(serviceNetworkIdentifier=sn["id"]))[
        "numberOfAssociatedServices"
    ] == 1
    await expect_error(
        lattice_client.delete_service_network(serviceNetworkIdentifier=sn["id"]), "ConflictException", 409
    )
    await expect_error(lattice_client.delete_service(serviceIdentifier=svc["id"]), "ConflictException", 409)
    deleted = await lattice_client.delete_service_network_service_association(
        serviceNetworkServiceAssociationIdentifier=assoc["id"]
    )
    assert deleted["status"] == "DELETE_IN_PROGRESS"
    await expect_error(
        lattice_client.get_service_network_service_association(
            serviceNetworkServiceAssociationIdentifier=assoc["id"]
        ),
        "ResourceNotFoundException",
        404,
    )
    await lattice_client.delete_service(serviceIdentifier=svc["id"])
    await lattice_client.delete_service_network(serviceNetworkIdentifier=sn["id"])


async def test_service_association_needs_existing_parents(lattice_client: Any) -> None:
    sn = await service_network(lattice_client)
    response = await expect_error(
        lattice_client.create_service_network_service_association(
            serviceNetworkIdentifier=sn["id"], serviceIdentifier="svc-0123456789abcdefg"
        ),
        "ResourceNotFoundException",
        404,
    )
    assert response["resourceType"] == "SERVICE"


async def test_vpc_association_lifecycle(lattice_client: Any) -> None:
    sn = await service_network(lattice_client)
    assoc = await lattice_client.create_service_network_vpc_association(
        serviceNetworkIdentifier=sn["arn"], vpcIdentifier=VPC, securityGroupIds=["sg-0123456789abcdef0"]
    )
    assert_id(assoc["id"], "snva")
    assert assoc["securityGroupIds"] == ["sg-0123456789abcdef0"]
    got = await lattice_client.get_service_network_vpc_association(
        serviceNetworkVpcAssociationIdentifier=assoc["arn"]
    )
    assert (got["vpcId"], got["serviceNetworkId"], got["serviceNetworkName"]) == (VPC, sn["id"], sn["name"])
    assert got["createdAt"]
    assert got["lastUpdatedAt"]
    updated = await lattice_client.update_service_network_vpc_association(
        serviceNetworkVpcAssociationIdentifier=assoc["id"], securityGroupIds=["sg-11111111", "sg-22222222"]
    )
    assert updated["securityGroupIds"] == ["sg-11111111", "sg-22222222"]
    other = await service_network(lattice_client)
    await expect_error(
        lattice_client.create_service_network_vpc_association(
            serviceNetworkIdentifier=other["id"], vpcIdentifier=VPC
        ),
        "ConflictException",
        409,
    )
    listed = await lattice_client.list_service_network_vpc_associations(vpcIdentifier=VPC)
    assert [item["id"] for item in listed["items"]] == [assoc["id"]]
    assert (await lattice_client.get_service_network(serviceNetworkIdentifier=sn["id"]))[
        "numberOfAssociatedVPCs"
    ] == 1
    await expect_error(
        lattice_client.delete_service_network(serviceNetworkIdentifier=sn["id"]), "ConflictException", 409
    )
    deleted = await lattice_client.delete_service_network_vpc_association(
        serviceNetworkVpcAssociationIdentifier=assoc["arn"]
    )
    assert deleted["status"] == "DELETE_IN_PROGRESS"
    await expect_error(
        lattice_client.get_service_network_vpc_association(
            serviceNetworkVpcAssociationIdentifier=assoc["id"]
        ),
        "ResourceNotFoundException",
        404,
    )
    await lattice_client.delete_service_network(serviceNetworkIdentifier=sn["id"])
