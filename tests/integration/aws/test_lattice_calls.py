"""LatticeApi, TagStore and error translation against a real (fake-AWS) server."""

from __future__ import annotations

import asyncio

import pytest

from lattice_controller.aws import errors
from lattice_controller.aws.edge import AwsEdge
from tests.integration.aws.conftest import Endpoint, edge_for

VPC = "vpc-0123456789abcdef0"
TG_CONFIG = {"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC, "ipAddressType": "IPV4"}


async def test_services_and_networks_round_trip(aws: AwsEdge) -> None:
    created = await aws.lattice.create_service("route-a-default", client_token="tok-svc-1", tags={"k": "v"})
    assert created["name"] == "route-a-default"
    assert "ResponseMetadata" not in created
    network = await aws.lattice.create_service_network("my-network", client_token="tok-sn-1")

    services = await aws.lattice.list_services()
    networks = await aws.lattice.list_service_networks()

    assert [s["id"] for s in services] == [created["id"]]
    assert [n["id"] for n in networks] == [network["id"]]
    assert (await aws.lattice.get_service(created["id"]))["arn"] == created["arn"]


async def test_missing_service_is_not_found_whatever_the_status(aws: AwsEdge) -> None:
    with pytest.raises(errors.NotFound) as caught:
        await aws.lattice.get_service("svc-0000000000000000a")
    assert caught.value.code == "ResourceNotFoundException"
    assert caught.value.operation == "GetService"
    assert caught.value.request_id


async def test_list_target_groups_follows_every_page(aws: AwsEdge) -> None:
    for index in range(5):
        await aws.lattice.create_target_group(
            f"group-{index}", "IP", client_token=f"tok-{index}", config=TG_CONFIG
        )

    pages: list[object] = []
    original = aws.lattice.call

    async def small_pages(operation: str, **params: object) -> dict[str, object]:
        pages.append(params.get("nextToken"))
        return await original(operation, maxResults=2, **params)

    aws.lattice.call = small_pages  # type: ignore[method-assign]
    groups = await aws.lattice.list_target_groups(vpc_id=VPC)

    assert sorted(g["name"] for g in groups) == [f"group-{i}" for i in range(5)]
    assert len(pages) == 3
    assert aws.metrics.ledger.count("ListTargetGroups") == 3


async def test_tag_reads_are_cached_and_own_writes_invalidate(aws: AwsEdge) -> None:
    service = await aws.lattice.create_service("tagged", client_token="tok", tags={"owner": "us"})
    arn = service["arn"]

    assert await aws.tags.tags_of(arn) == {"owner": "us"}
    assert await aws.tags.tags_of(arn) == {"owner": "us"}
    assert aws.metrics.ledger.count("ListTagsForResource") == 1

    await aws.tags.tag(arn, {"extra": "1"})
    assert await aws.tags.tags_of(arn) == {"owner": "us", "extra": "1"}
    await aws.tags.untag(arn, ["owner"])
    assert await aws.tags.tags_of(arn) == {"extra": "1"}
    assert aws.metrics.ledger.count("ListTagsForResource") == 3
    assert aws.metrics.ledger.count("TagResources") == 1
    assert aws.metrics.ledger.count("UntagResources") == 1


@pytest.mark.parametrize("use_tagging_api", [True, False], ids=["tagging-api", "lattice-only"])
async def test_find_target_groups_by_tags_in_both_modes(aws_env: Endpoint, use_tagging_api: bool) -> None:
    async with edge_for(aws_env, use_tagging_api=use_tagging_api) as stack:
        wanted = {"application-networking.k8s.aws/ServiceName": "web", "c": "1"}
        hit = await stack.lattice.create_target_group(
            "hit", "IP", client_token="a", config=TG_CONFIG, tags=wanted
        )
        await stack.lattice.create_target_group(
            "miss", "IP", client_token="b", config=TG_CONFIG, tags={**wanted, "c": "2"}
        )
        await stack.lattice.create_target_group("untagged", "IP", client_token="c", config=TG_CONFIG)

        found = await stack.tags.find_target_groups(wanted, vpc_id=VPC)
        assert list(found) == [hit["arn"]]
        assert await stack.tags.find_target_groups({}, vpc_id=VPC) == {}

        many = await stack.tags.tags_of_many([hit["arn"]])
        assert many == {hit["arn"]: wanted}

        await stack.tags.tag(hit["arn"], {"d": "4"})
        assert (await stack.tags.tags_of_many([hit["arn"]]))[hit["arn"]]["d"] == "4"
        expected_op = "GetResources" if use_tagging_api else "ListTagsForResource"
        assert stack.metrics.ledger.count(expected_op) > 0


async def test_inventory_serves_concurrent_reconciles_with_one_list(aws: AwsEdge) -> None:
    for name in ("route-a", "route-b", "route-c"):
        await aws.lattice.create_service(name, client_token=name)
    aws.metrics.ledger.reset()

    names = ("route-a", "route-b", "route-c", "nope")
    found = await asyncio.gather(*(aws.inventory.service_named(n) for n in names * 10))

    assert [f["name"] if f else None for f in found[:4]] == ["route-a", "route-b", "route-c", None]
    assert aws.metrics.ledger.count("ListServices") == 1

    created = await aws.lattice.create_service("route-d", client_token="route-d")
    assert (await aws.inventory.service_named("route-d"))["id"] == created["id"]  # type: ignore[index]
    assert aws.metrics.ledger.count("ListServices") == 1

    aws.inventory.new_cycle()
    assert (await aws.inventory.service_named("route-d")) is not None
    assert aws.metrics.ledger.count("ListServices") == 2


async def test_inventory_target_groups_tagged(aws: AwsEdge) -> None:
    tags = {"application-networking.k8s.aws/ClusterName": "c1"}
    first = await aws.lattice.create_target_group("one", "IP", client_token="1", config=TG_CONFIG, tags=tags)
    await aws.lattice.create_target_group(
        "two", "IP", client_token="2", config={**TG_CONFIG, "vpcIdentifier": "vpc-x"}, tags=tags
    )
    aws.metrics.ledger.reset()

    for _ in range(5):
        matches = await aws.inventory.target_groups_tagged(tags, vpc_id=VPC)
        assert [m.id for m in matches] == [first["id"]]
    assert aws.metrics.ledger.by_operation() == {"ListTargetGroups": 1, "GetResources": 1}

    third = await aws.lattice.create_target_group(
        "three", "IP", client_token="3", config=TG_CONFIG, tags=tags
    )
    matches = await aws.inventory.target_groups_tagged(tags, vpc_id=VPC)
    assert {m.id for m in matches} == {first["id"], third["id"]}
    assert aws.metrics.ledger.reads() == 2
