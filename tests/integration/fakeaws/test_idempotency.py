"""clientToken idempotency on every Create call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.integration.fakeaws.builders import (
    FIXED_404,
    VPC,
    expect_error,
    listener,
    path_match,
    service,
    service_network,
    unique,
)

# (method, kwargs, the same kwargs with one parameter changed)
Case = tuple[str, dict[str, Any], dict[str, Any]]
Setup = Callable[[Any], Awaitable[Case]]


async def _service_network(c: Any) -> Case:
    name = unique("sn")
    return "create_service_network", {"name": name}, {"name": name, "authType": "AWS_IAM"}


async def _service(c: Any) -> Case:
    name = unique("app")
    return "create_service", {"name": name}, {"name": name, "authType": "AWS_IAM"}


async def _target_group(c: Any) -> Case:
    base = {
        "name": unique("grp"),
        "type": "IP",
        "config": {"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC},
    }
    return "create_target_group", base, {**base, "config": {**base["config"], "port": 81}}


async def _listener(c: Any) -> Case:
    svc = await service(c)
    base = {
        "serviceIdentifier": svc["id"],
        "name": unique("lis"),
        "protocol": "HTTP",
        "defaultAction": FIXED_404,
    }
    return "create_listener", base, {**base, "port": 8080}


async def _rule(c: Any) -> Case:
    svc = await service(c)
    lis = await listener(c, svc["id"])
    base = {
        "serviceIdentifier": svc["id"],
        "listenerIdentifier": lis["id"],
        "name": unique("rl"),
        "priority": 1,
        "match": path_match("/a"),
        "action": FIXED_404,
    }
    return "create_rule", base, {**base, "priority": 2}


async def _sn_service_association(c: Any) -> Case:
    sn, svc, other = await service_network(c), await service(c), await service(c)
    base = {"serviceNetworkIdentifier": sn["id"], "serviceIdentifier": svc["id"]}
    return "create_service_network_service_association", base, {**base, "serviceIdentifier": other["id"]}


async def _sn_vpc_association(c: Any) -> Case:
    sn = await service_network(c)
    base = {"serviceNetworkIdentifier": sn["id"], "vpcIdentifier": VPC}
    return "create_service_network_vpc_association", base, {**base, "vpcIdentifier": "vpc-99999999"}


async def _access_log_subscription(c: Any) -> Case:
    svc = await service(c)
    base = {"resourceIdentifier": svc["id"], "destinationArn": "arn:aws:s3:::bucket-a"}
    return "create_access_log_subscription", base, {**base, "destinationArn": "arn:aws:s3:::bucket-b"}


CASES: list[Setup] = [
    _service_network,
    _service,
    _target_group,
    _listener,
    _rule,
    _sn_service_association,
    _sn_vpc_association,
    _access_log_subscription,
]


@pytest.mark.parametrize("setup", CASES, ids=lambda s: s.__name__.strip("_"))
async def test_same_token_same_resource_different_params_conflict(lattice_client: Any, setup: Setup) -> None:
    method, same, different = await setup(lattice_client)
    create = getattr(lattice_client, method)
    token = unique("token")
    first = await create(**same, clientToken=token)
    operation = "".join(part.title() for part in method.split("_"))
    expected_status = lattice_client.meta.service_model.operation_model(operation).http.get(
        "responseCode", 200
    )
    assert first["ResponseMetadata"]["HTTPStatusCode"] == expected_status
    again = await create(**same, clientToken=token)
    assert again["id"] == first["id"]
    assert again["arn"] == first["arn"]
    response = await expect_error(create(**different, clientToken=token), "ConflictException", 409)
    assert "IdempotentParameterMismatch" in response["Error"]["Message"]


async def test_without_token_a_retry_conflicts_on_name(lattice_client: Any) -> None:
    name = unique("app")
    await lattice_client.create_service(name=name)
    await expect_error(lattice_client.create_service(name=name), "ConflictException", 409)


async def test_token_of_deleted_resource_creates_again(lattice_client: Any) -> None:
    token = unique("token")
    first = await lattice_client.create_service(name="reborn", clientToken=token)
    await lattice_client.delete_service(serviceIdentifier=first["id"])
    second = await lattice_client.create_service(name="reborn", clientToken=token)
    assert second["id"] != first["id"]
