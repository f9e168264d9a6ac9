"""maxResults/nextToken on every List operation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.integration.fakeaws.builders import (
    expect_error,
    listener,
    rule,
    service,
    service_network,
    target_group,
)

Setup = Callable[[Any], Awaitable[tuple[str, dict[str, Any], list[str]]]]


async def _service_networks(c: Any) -> tuple[str, dict[str, Any], list[str]]:
    return "list_service_networks", {}, [(await service_network(c))["id"] for _ in range(3)]


async def _services(c: Any) -> tuple[str, dict[str, Any], list[str]]:
    return "list_services", {}, [(await service(c))["id"] for _ in range(3)]


async def _target_groups(c: Any) -> tuple[str, dict[str, Any], list[str]]:
    return "list_target_groups", {}, [(await target_group(c))["id"] for _ in range(3)]


async def _listeners(c: Any) -> tuple[str, dict[str, Any], list[str]]:
    svc = await service(c)
    ids = [(await listener(c, svc["id"], port=port))["id"] for port in (80, 8080)]
    return "list_listeners", {"serviceIdentifier": svc["arn"]}, ids


async def _rules(c: Any) -> tuple[str, dict[str, Any], list[str]]:
    svc = await service(c)
    lis = await listener(c, svc["id"])
    ids = [(await rule(c, svc["id"], lis["id"], p))["id"] for p in (3, 1, 2)]
    default = (await c.list_rules(serviceIdentifier=svc["id"], listenerIdentifier=lis["id"]))["items"][-1][
        "id"
    ]
    return "list_rules", {"serviceIdentifier": svc["id"], "listenerIdentifier": lis["id"]}, [*ids, default]


async def _targets(c: Any) -> tuple[str, dict[str, Any], list[str]]:
    tg = await target_group(c)
    ips = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    await c.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": ip} for ip in ips])
    return "list_targets", {"targetGroupIdentifier": tg["id"]}, ips


async def _sn_service_associations(c: Any) -> tuple[str, dict[str, Any], list[str]]:
    sn = await service_network(c)
    ids = []
    for _ in range(3):
        svc = await service(c)
        assoc = await c.create_service_network_service_association(
            serviceNetworkIdentifier=sn["id"], serviceIdentifier=svc["id"]
        )
        ids.append(assoc["id"])
    return "list_service_network_service_associations", {"serviceNetworkIdentifier": sn["arn"]}, ids


async def _sn_vpc_associations(c: Any) -> tuple[str, dict[str, Any], list[str]]:
    sn = await service_network(c)
    ids = []
    for vpc in ("vpc-11111111", "vpc-22222222", "vpc-33333333"):
        assoc = await c.create_service_network_vpc_association(
            serviceNetworkIdentifier=sn["id"], vpcIdentifier=vpc
        )
        ids.append(assoc["id"])
    return "list_service_network_vpc_associations", {"serviceNetworkIdentifier": sn["id"]}, ids


async def _access_log_subscriptions(c: Any) -> tuple[str, dict[str, Any], list[str]]:
    svc = await service(c)
    ids = []
    for destination in (
        "arn:aws:s3:::bucket-a",
        "arn:aws:logs:us-west-2:123456789012:log-group:a",
        "arn:aws:firehose:us-west-2:123456789012:deliverystream/a",
    ):
        sub = await c.create_access_log_subscription(resourceIdentifier=svc["id"], destinationArn=destination)
        ids.append(sub["id"])
    return "list_access_log_subscriptions", {"resourceIdentifier": svc["arn"]}, ids


SETUPS: list[Setup] = [
    _service_networks,
    _services,
    _target_groups,
    _listeners,
    _rules,
    _targets,
    _sn_service_associations,
    _sn_vpc_associations,
    _access_log_subscriptions,
]


@pytest.mark.parametrize("setup", SETUPS, ids=lambda s: s.__name__.strip("_"))
async def test_pages_of_one(lattice_client: Any, setup: Setup) -> None:
    method, kwargs, expected = await setup(lattice_client)
    call = getattr(lattice_client, method)
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = await call(**kwargs, maxResults=1, **({"nextToken": token} if token else {}))
        assert len(page["items"]) == 1
        seen.append(page["items"][0]["id"])
        pages += 1
        token = page.get("nextToken")
        if not token:
            break
    assert pages == len(expected)
    if method in ("list_rules",):
        assert seen == [expected[1], expected[2], expected[0], expected[3]]  # by priority, default last
    else:
        assert seen == expected
    everything = await call(**kwargs)
    assert [item["id"] for item in everything["items"]] == seen
    assert "nextToken" not in everything


@pytest.mark.parametrize("setup", SETUPS[:3], ids=lambda s: s.__name__.strip("_"))
async def test_botocore_paginator(lattice_client: Any, setup: Setup) -> None:
    method, kwargs, expected = await setup(lattice_client)
    first = await getattr(lattice_client, method)(**kwargs, maxResults=2)
    assert [item["id"] for item in first["items"]] == expected[:2]
    paginator = lattice_client.get_paginator(method)
    collected = [
        item["id"]
        async for page in paginator.paginate(PaginationConfig={"PageSize": 2})
        for item in page["items"]
    ]
    assert collected == expected


async def test_bad_paging_arguments(lattice_client: Any) -> None:
    await expect_error(lattice_client.list_services(maxResults=101), "ValidationException", 400)
    await expect_error(lattice_client.list_services(nextToken="not-a-token"), "ValidationException", 400)


async def test_deleting_between_pages_skips_nothing(lattice_client: Any) -> None:
    ids = [(await service(lattice_client))["id"] for _ in range(4)]
    first = await lattice_client.list_services(maxResults=2)
    await lattice_client.delete_service(serviceIdentifier=ids[1])
    rest = await lattice_client.list_services(maxResults=2, nextToken=first["nextToken"])
    assert [item["id"] for item in rest["items"]] == ids[2:]
