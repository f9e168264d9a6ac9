"""Tags on every Lattice resource, the tag operations, and the Resource Groups Tagging API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.fakeaws.builders import (
    VPC,
    expect_error,
    forward,
    listener,
    path_match,
    service,
    service_network,
    target_group,
)

TAGS = {"application-networking.k8s.aws/ManagedBy": "123456789012/cluster/vpc-1", "team": "a"}


@pytest_asyncio.fixture
async def tagging_client(fake_aws: Any, aws_env: dict[str, str]) -> AsyncIterator[Any]:
    from aiobotocore.config import AioConfig

    from e2e.fakeaws.fixtures import _shared_session

    async with _shared_session().create_client(
        "resourcegroupstaggingapi",
        region_name=fake_aws.region,
        endpoint_url=fake_aws.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=AioConfig(retries={"max_attempts": 1, "mode": "standard"}),
    ) as client:
        yield client


async def _every_resource_tagged(client: Any) -> dict[str, str]:
    """Creates one of each taggable resource type with TAGS; returns {resource type: ARN}."""
    sn = await service_network(client, tags=TAGS)
    svc = await service(client, tags=TAGS)
    tg = await target_group(client, tags=TAGS)
    lis = await listener(client, svc["id"], action=forward(tg["id"]), tags=TAGS)
    created_rule = await client.create_rule(
        serviceIdentifier=svc["id"],
        listenerIdentifier=lis["id"],
        name="tagged",
        priority=1,
        match=path_match("/t"),
        action=forward(tg["id"]),
        tags=TAGS,
    )
    snsa = await client.create_service_network_service_association(
        serviceNetworkIdentifier=sn["id"], serviceIdentifier=svc["id"], tags=TAGS
    )
    snva = await client.create_service_network_vpc_association(
        serviceNetworkIdentifier=sn["id"], vpcIdentifier=VPC, tags=TAGS
    )
    als = await client.create_access_log_subscription(
        resourceIdentifier=svc["arn"],
        destinationArn="arn:aws:logs:us-west-2:123456789012:log-group:lg",
        tags=TAGS,
    )
    return {
        "servicenetwork": sn["arn"],
        "service": svc["arn"],
        "targetgroup": tg["arn"],
        "listener": lis["arn"],
        "rule": created_rule["arn"],
        "servicenetworkserviceassociation": snsa["arn"],
        "servicenetworkvpcassociation": snva["arn"],
        "accesslogsubscription": als["arn"],
    }


async def test_tags_on_create_for_every_resource(lattice_client: Any) -> None:
    arns = await _every_resource_tagged(lattice_client)
    for arn in arns.values():
        assert (await lattice_client.list_tags_for_resource(resourceArn=arn))["tags"] == TAGS, arn


async def test_tag_untag_list(lattice_client: Any) -> None:
    svc = await service(lattice_client, tags={"keep": "1", "drop": "2"})
    await lattice_client.tag_resource(resourceArn=svc["arn"], tags={"new": "3", "keep": "changed"})
    await lattice_client.untag_resource(resourceArn=svc["arn"], tagKeys=["drop", "absent"])
    assert (await lattice_client.list_tags_for_resource(resourceArn=svc["arn"]))["tags"] == {
        "keep": "changed",
        "new": "3",
    }
    missing = svc["arn"].replace(svc["id"], "svc-0123456789abcdefg")
    await expect_error(
        lattice_client.list_tags_for_resource(resourceArn=missing), "ResourceNotFoundException", 404
    )
    await expect_error(
        lattice_client.tag_resource(resourceArn=missing, tags={"a": "b"}), "ResourceNotFoundException", 404
    )
    await expect_error(
        lattice_client.tag_resource(resourceArn=svc["arn"], tags={"aws:reserved": "x"}),
        "ValidationException",
        400,
    )


async def test_get_resources_by_tag_and_type(lattice_client: Any, tagging_client: Any) -> None:
    arns = await _every_resource_tagged(lattice_client)
    await service(lattice_client, tags={"team": "b"})
    found = await tagging_client.get_resources(TagFilters=[{"Key": "team", "Values": ["a"]}])
    assert {item["ResourceARN"] for item in found["ResourceTagMappingList"]} == set(arns.values())
    for kind, arn in arns.items():
        typed = await tagging_client.get_resources(
            TagFilters=[{"Key": "team", "Values": ["a"]}], ResourceTypeFilters=[f"vpc-lattice:{kind}"]
        )
        assert [item["ResourceARN"] for item in typed["ResourceTagMappingList"]] == [arn], kind


async def test_get_resources_forgets_deleted(lattice_client: Any, tagging_client: Any) -> None:
    svc = await service(lattice_client, tags={"gone": "soon"})
    tg = await target_group(lattice_client, tags={"gone": "soon"})
    await lattice_client.delete_service(serviceIdentifier=svc["id"])
    await lattice_client.delete_target_group(targetGroupIdentifier=tg["id"])
    found = await tagging_client.get_resources(TagFilters=[{"Key": "gone"}])
    assert found["ResourceTagMappingList"] == []


async def test_tagging_api_writes(lattice_client: Any, tagging_client: Any) -> None:
    tg = await target_group(lattice_client)
    result = await tagging_client.tag_resources(ResourceARNList=[tg["arn"]], Tags={"via": "tagging"})
    assert result["FailedResourcesMap"] == {}
    assert (await lattice_client.list_tags_for_resource(resourceArn=tg["arn"]))["tags"] == {"via": "tagging"}
    await tagging_client.untag_resources(ResourceARNList=[tg["arn"]], TagKeys=["via"])
    assert (await lattice_client.list_tags_for_resource(resourceArn=tg["arn"]))["tags"] == {}


@pytest.mark.parametrize("value", ["x" * 257])
async def test_tag_value_too_long(lattice_client: Any, value: str) -> None:
    await expect_error(service(lattice_client, tags={"k": value}), "ValidationException", 400)
