"""Services and listeners."""

from __future__ import annotations

from typing import Any

from tests.integration.fakeaws.builders import (
    FIXED_404,
    assert_id,
    expect_error,
    forward,
    listener,
    rule,
    service,
    target_group,
    unique,
)

CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0b6b2f0e-1111-2222-3333-444455556666"


async def test_service_create_get_list_update(lattice_client: Any) -> None:
    created = await service(lattice_client, tags={"a": "1"})
    assert_id(created["id"], "svc")
    assert created["arn"].endswith(f":service/{created['id']}")
    assert created["status"] == "ACTIVE"
    assert created["authType"] == "NONE"
    assert created["dnsEntry"]["domainName"].endswith(".vpc-lattice-svcs.us-west-2.on.aws")
    assert "customDomainName" not in created
    assert "certificateArn" not in created
    got = await lattice_client.get_service(serviceIdentifier=created["arn"])
    assert got["createdAt"]
    assert got["lastUpdatedAt"]
    assert got["dnsEntry"] == created["dnsEntry"]
    listed = await lattice_client.list_services()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert listed["items"][0]["createdAt"]
    updated = await lattice_client.update_service(
        serviceIdentifier=created["id"], authType="AWS_IAM", certificateArn=CERT
    )
    assert (updated["authType"], updated["certificateArn"]) == ("AWS_IAM", CERT)
    got = await lattice_client.get_service(serviceIdentifier=created["id"])
    assert (got["authType"], got["certificateArn"]) == ("AWS_IAM", CERT)


async def test_service_with_custom_domain(lattice_client: Any) -> None:
    created = await service(lattice_client, customDomainName="shop.example.com", certificateArn=CERT)
    assert created["customDomainName"] == "shop.example.com"
    assert created["certificateArn"] == CERT


async def test_service_name_unique(lattice_client: Any) -> None:
    name = unique("app")
    await lattice_client.create_service(name=name)
    await expect_error(lattice_client.create_service(name=name), "ConflictException", 409)
    await expect_error(lattice_client.create_service(name="svc-reserved"), "ValidationException", 400)


async def test_delete_service_cascades_listeners_and_rules(lattice_client: Any) -> None:
    svc = await service(lattice_client)
    tg = await target_group(lattice_client)
    lis = await listener(lattice_client, svc["id"], action=forward(tg["id"]))
    await rule(lattice_client, svc["id"], lis["id"], 5, action=forward(tg["id"]))
    deleted = await lattice_client.delete_service(serviceIdentifier=svc["arn"])
    assert (deleted["id"], deleted["status"]) == (svc["id"], "DELETE_IN_PROGRESS")
    await expect_error(
        lattice_client.get_service(serviceIdentifier=svc["id"]), "ResourceNotFoundException", 404
    )
    await expect_error(
        lattice_client.get_listener(serviceIdentifier=svc["id"], listenerIdentifier=lis["id"]),
        "ResourceNotFoundException",
        404,
    )
    assert (await lattice_client.get_target_group(targetGroupIdentifier=tg["id"]))["serviceArns"] == []
    await lattice_client.delete_target_group(targetGroupIdentifier=tg["id"])
    await expect_error(
        lattice_client.delete_service(serviceIdentifier=svc["id"]), "ResourceNotFoundException", 404
    )


async def test_listener_defaults_and_shape(lattice_client: Any) -> None:
    svc = await service(lattice_client)
    http = await listener(lattice_client, svc["arn"])
    assert_id(http["id"], "listener")
    assert http["arn"] == f"{svc['arn']}/listener/{http['id']}"
    assert (http["port"], http["serviceId"], http["serviceArn"]) == (80, svc["id"], svc["arn"])
    https = await listener(lattice_client, svc["id"], protocol="HTTPS")
    assert https["port"] == 443
    got = await lattice_client.get_listener(serviceIdentifier=svc["arn"], listenerIdentifier=https["arn"])
    assert got["createdAt"]
    assert got["lastUpdatedAt"]
    assert got["defaultAction"] == FIXED_404
    listed = await lattice_client.list_listeners(serviceIdentifier=svc["arn"])
    assert [item["id"] for item in listed["items"]] == [http["id"], https["id"]]
    assert {item["port"] for item in listed["items"]} == {80, 443}


async def test_listener_uniqueness_and_limit(lattice_client: Any) -> None:
    svc = await service(lattice_client)
    first = await listener(lattice_client, svc["id"], port=8080)
    await expect_error(listener(lattice_client, svc["id"], port=8080), "ConflictException", 409)
    await expect_error(
        lattice_client.create_listener(
            serviceIdentifier=svc["id"],
            name=first["name"],
            protocol="HTTP",
            port=9090,
            defaultAction=FIXED_404,
        ),
        "ConflictException",
        409,
    )
    await listener(lattice_client, svc["id"], port=9090)
    response = await expect_error(
        listener(lattice_client, svc["id"], port=7070), "ServiceQuotaExceededException", 402
    )
    assert response["resourceType"] == "LISTENER"


async def test_listener_needs_existing_parent_and_targets(lattice_client: Any) -> None:
    await expect_error(listener(lattice_client, "svc-0123456789abcdefg"), "ResourceNotFoundException", 404)
    svc = await service(lattice_client)
    response = await expect_error(
        listener(lattice_client, svc["id"], action=forward("tg-0123456789abcdefg")),
        "ResourceNotFoundException",
        404,
    )
    assert response["resourceType"] == "TARGET_GROUP"
    await expect_error(
        listener(lattice_client, svc["id"], action={"fixedResponse": {"statusCode": 302}}),
        "ValidationException",
        400,
    )
    other = await service(lattice_client)
    lis = await listener(lattice_client, other["id"])
    await expect_error(
        lattice_client.get_listener(serviceIdentifier=svc["id"], listenerIdentifier=lis["id"]),
        "ResourceNotFoundException",
        404,
    )


async def test_update_and_delete_listener(lattice_client: Any) -> None:
    svc = await service(lattice_client)
    tg_a, tg_b = await target_group(lattice_client), await target_group(lattice_client)
    lis = await listener(lattice_client, svc["id"])
    updated = await lattice_client.update_listener(
        serviceIdentifier=svc["id"],
        listenerIdentifier=lis["arn"],
        defaultAction={
            "forward": {
                "targetGroups": [
                    {"targetGroupIdentifier": tg_a["arn"], "weight": 80},
                    {"targetGroupIdentifier": tg_b["id"], "weight": 20},
                ]
            }
        },
    )
    assert updated["defaultAction"]["forward"]["targetGroups"] == [
        {"targetGroupIdentifier": tg_a["id"], "weight": 80},
        {"targetGroupIdentifier": tg_b["id"], "weight": 20},
    ]
    assert (await lattice_client.get_target_group(targetGroupIdentifier=tg_a["id"]))["serviceArns"] == [
        svc["arn"]
    ]
    response = await lattice_client.delete_listener(serviceIdentifier=svc["id"], listenerIdentifier=lis["id"])
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    await expect_error(
        lattice_client.get_listener(serviceIdentifier=svc["id"], listenerIdentifier=lis["id"]),
        "ResourceNotFoundException",
        404,
    )
    assert (await lattice_client.get_target_group(targetGroupIdentifier=tg_a["id"]))["serviceArns"] == []
