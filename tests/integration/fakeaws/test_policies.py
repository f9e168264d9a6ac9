"""Auth policies, resource policies and access log subscriptions."""

from __future__ import annotations

from typing import Any

from tests.integration.fakeaws.builders import assert_id, expect_error, service, service_network

POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
)
LOGS = "arn:aws:logs:us-west-2:123456789012:log-group:access"
BUCKET = "arn:aws:s3:::access-logs-bucket"


async def test_auth_policy_lifecycle(lattice_client: Any) -> None:
    svc = await service(lattice_client)
    put = await lattice_client.put_auth_policy(resourceIdentifier=svc["arn"], policy=POLICY)
    assert (put["policy"], put["state"]) == (POLICY, "Inactive")
    await lattice_client.update_service(serviceIdentifier=svc["id"], authType="AWS_IAM")
    got = await lattice_client.get_auth_policy(resourceIdentifier=svc["id"])
    assert got["state"] == "Active"
    assert got["createdAt"]
    assert got["lastUpdatedAt"]
    response = await lattice_client.delete_auth_policy(resourceIdentifier=svc["id"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    await expect_error(
        lattice_client.get_auth_policy(resourceIdentifier=svc["id"]), "ResourceNotFoundException", 404
    )
    await expect_error(
        lattice_client.put_auth_policy(resourceIdentifier="svc-0123456789abcdefg", policy=POLICY),
        "ResourceNotFoundException",
        404,
    )


async def test_access_log_subscription_lifecycle(lattice_client: Any) -> None:
    sn = await service_network(lattice_client)
    created = await lattice_client.create_access_log_subscription(
        resourceIdentifier=sn["arn"], destinationArn=LOGS
    )
    assert_id(created["id"], "als")
    assert (created["resourceId"], created["resourceArn"], created["serviceNetworkLogType"]) == (
        sn["id"],
        sn["arn"],
        "SERVICE",
    )
    await expect_error(
        lattice_client.create_access_log_subscription(resourceIdentifier=sn["id"], destinationArn=LOGS),
        "ConflictException",
        409,
    )
    other = await lattice_client.create_access_log_subscription(
        resourceIdentifier=sn["id"], destinationArn=BUCKET
    )
    got = await lattice_client.get_access_log_subscription(accessLogSubscriptionIdentifier=created["arn"])
    assert got["destinationArn"] == LOGS
    assert got["createdAt"]
    assert got["lastUpdatedAt"]
    updated = await lattice_client.update_access_log_subscription(
        accessLogSubscriptionIdentifier=created["id"], destinationArn=LOGS + "-2"
    )
    assert updated["destinationArn"] == LOGS + "-2"
    listed = await lattice_client.list_access_log_subscriptions(resourceIdentifier=sn["arn"])
    assert [item["id"] for item in listed["items"]] == [created["id"], other["id"]]
    response = await lattice_client.delete_access_log_subscription(
        accessLogSubscriptionIdentifier=created["id"]
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    await expect_error(
        lattice_client.get_access_log_subscription(accessLogSubscriptionIdentifier=created["id"]),
        "ResourceNotFoundException",
        404,
    )


async def test_access_logs_go_with_their_resource(lattice_client: Any) -> None:
    svc = await service(lattice_client)
    created = await lattice_client.create_access_log_subscription(
        resourceIdentifier=svc["id"], destinationArn=BUCKET
    )
    await lattice_client.delete_service(serviceIdentifier=svc["id"])
    await expect_error(
        lattice_client.get_access_log_subscription(accessLogSubscriptionIdentifier=created["id"]),
        "ResourceNotFoundException",
        404,
    )


async def test_auth_policy_on_a_service_network_follows_its_auth_type(lattice_client: Any) -> None:
    sn = await service_network(lattice_client)
    await lattice_client.update_service_network(serviceNetworkIdentifier=sn["id"], authType="AWS_IAM")
    put = await lattice_client.put_auth_policy(resourceIdentifier=sn["id"], policy=POLICY)
    assert put["state"] == "Active"
    await lattice_client.update_service_network(serviceNetworkIdentifier=sn["id"], authType="NONE")
    assert (await lattice_client.get_auth_policy(resourceIdentifier=sn["arn"]))["state"] == "Inactive"
    await expect_error(
        lattice_client.put_auth_policy(resourceIdentifier="tg-0123456789abcdefg", policy=POLICY),
        "ValidationException",
        400,
    )
    await lattice_client.delete_service_network(serviceNetworkIdentifier=sn["id"])
    await expect_error(
        lattice_client.get_auth_policy(resourceIdentifier=sn["id"]), "ResourceNotFoundException", 404
    )


async def test_resource_policy_lifecycle(lattice_client: Any) -> None:
    sn = await service_network(lattice_client)
    await expect_error(
        lattice_client.get_resource_policy(resourceArn=sn["arn"]), "ResourceNotFoundException", 404
    )
    await lattice_client.put_resource_policy(resourceArn=sn["arn"], policy=POLICY)
    assert (await lattice_client.get_resource_policy(resourceArn=sn["arn"]))["policy"] == POLICY
    await expect_error(
        lattice_client.put_resource_policy(resourceArn=sn["id"], policy=POLICY), "ValidationException", 400
    )
    await expect_error(
        lattice_client.put_resource_policy(resourceArn=sn["arn"], policy="{not json"),
        "ValidationException",
        400,
    )
    response = await lattice_client.delete_resource_policy(resourceArn=sn["arn"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    await expect_error(
        lattice_client.delete_resource_policy(resourceArn=sn["arn"]), "ResourceNotFoundException", 404
    )


async def test_resource_policy_goes_with_its_resource(lattice_client: Any) -> None:
    svc = await service(lattice_client)
    await lattice_client.put_resource_policy(resourceArn=svc["arn"], policy=POLICY)
    await lattice_client.delete_service(serviceIdentifier=svc["id"])
    sn = await service_network(lattice_client)
    await expect_error(
        lattice_client.get_resource_policy(resourceArn=svc["arn"]), "ResourceNotFoundException", 404
    )
    await expect_error(
        lattice_client.get_resource_policy(resourceArn=sn["arn"]), "ResourceNotFoundException", 404
    )


async def test_access_log_subscription_keeps_its_destination_type(lattice_client: Any) -> None:
    sn = await service_network(lattice_client)
    created = await lattice_client.create_access_log_subscription(
        resourceIdentifier=sn["id"], destinationArn=BUCKET
    )
    await expect_error(
        lattice_client.update_access_log_subscription(
            accessLogSubscriptionIdentifier=created["id"], destinationArn=LOGS
        ),
        "ConflictException",
        409,
    )
    got = await lattice_client.get_access_log_subscription(accessLogSubscriptionIdentifier=created["id"])
    assert got["destinationArn"] == BUCKET


async def test_vpc_association_security_groups_are_validated(lattice_client: Any) -> None:
    sn = await service_network(lattice_client)
    for groups in (["group-1"], [f"sg-0000000{i}" for i in range(6)]):
        await expect_error(
            lattice_client.create_service_network_vpc_association(
                serviceNetworkIdentifier=sn["id"], vpcIdentifier="vpc-0a1b2c3d", securityGroupIds=groups
            ),
            "ValidationException",
            400,
        )
    assoc = await lattice_client.create_service_network_vpc_association(
        serviceNetworkIdentifier=sn["id"], vpcIdentifier="vpc-0a1b2c3d", securityGroupIds=["sg-0000000a"]
    )
    assert_id(assoc["id"], "snva")
    await expect_error(
        lattice_client.update_service_network_vpc_association(
            serviceNetworkVpcAssociationIdentifier=assoc["id"], securityGroupIds=["default-group"]
        ),
        "ValidationException",
        400,
    )
    got = await lattice_client.get_service_network_vpc_association(
        serviceNetworkVpcAssociationIdentifier=assoc["id"]
    )
    assert got["securityGroupIds"] == ["sg-0000000a"]
