"""Small async builders and assertions shared by the fake AWS contract tests."""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable
from typing import Any

import pytest
from botocore.exceptions import ClientError

_names = itertools.count(1)
VPC = "vpc-0123456789abcdef0"


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def assert_id(value: str, prefix: str) -> None:
    assert re.fullmatch(rf"{prefix}-[0-9a-z]{{17}}", value), value


async def expect_error(call: Awaitable[Any], code: str, status: int) -> dict[str, Any]:
    with pytest.raises(ClientError) as info:
        await call
    response: dict[str, Any] = info.value.response
    assert response["Error"]["Code"] == code, response["Error"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status, response["ResponseMetadata"]
    return response


async def service_network(client: Any, **extra: Any) -> dict[str, Any]:
    return dict(await client.create_service_network(name=unique("sn"), **extra))


async def service(client: Any, **extra: Any) -> dict[str, Any]:
    return dict(await client.create_service(name=unique("app"), **extra))


async def target_group(
    client: Any,
    *,
    protocol: str = "HTTP",
    port: int = 8080,
    tg_type: str = "IP",
    tags: dict[str, str] | None = None,
    **config: Any,
) -> dict[str, Any]:
    body = {"port": port, "protocol": protocol, "vpcIdentifier": VPC, **config}
    extra = {"tags": tags} if tags else {}
    return dict(await client.create_target_group(name=unique("grp"), type=tg_type, config=body, **extra))


def forward(*tg_ids: str, weight: int | None = None) -> dict[str, Any]:
    groups = [
        {"targetGroupIdentifier": tg} | ({"weight": weight} if weight is not None else {}) for tg in tg_ids
    ]
    return {"forward": {"targetGroups": groups}}


FIXED_404 = {"fixedResponse": {"statusCode": 404}}


def path_match(prefix: str) -> dict[str, Any]:
    return {"httpMatch": {"pathMatch": {"match": {"prefix": prefix}, "caseSensitive": False}}}


async def listener(
    client: Any,
    svc_id: str,
    *,
    protocol: str = "HTTP",
    port: int | None = None,
    action: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "serviceIdentifier": svc_id,
        "name": unique("lis"),
        "protocol": protocol,
        "defaultAction": action or FIXED_404,
        **extra,
    }
    if port is not None:
        kwargs["port"] = port
    return dict(await client.create_listener(**kwargs))


async def rule(
    client: Any,
    svc_id: str,
    listener_id: str,
    priority: int,
    *,
    action: dict[str, Any] | None = None,
    match: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return dict(
        await client.create_rule(
            serviceIdentifier=svc_id,
            listenerIdentifier=listener_id,
            name=unique("rl"),
            priority=priority,
            match=match or path_match(f"/p{priority}"),
            action=action or FIXED_404,
            **extra,
        )
    )
