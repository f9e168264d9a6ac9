"""Listener rules: default rule, priorities, limits, updates and BatchUpdateRule."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.fakeaws.builders import (
    assert_id,
    expect_error,
    forward,
    listener,
    path_match,
    rule,
    service,
    target_group,
)


@pytest.fixture
async def parents(lattice_client: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    svc = await service(lattice_client)
    return svc, await listener(lattice_client, svc["id"])


async def test_default_rule_listed_and_protected(lattice_client: Any, parents: Any) -> None:
    svc, lis = parents
    listed = await lattice_client.list_rules(serviceIdentifier=svc["id"], listenerIdentifier=lis["id"])
    [default] = listed["items"]
    assert default["isDefault"] is True
    assert_id(default["id"], "rule")
    got = await lattice_client.get_rule(
        serviceIdentifier=svc["id"], listenerIdentifier=lis["id"], ruleIdentifier=default["id"]
    )
    assert got["action"] == lis["defaultAction"]
    await expect_error(
        lattice_client.delete_rule(
            serviceIdentifier=svc["id"], listenerIdentifier=lis["id"], ruleIdentifier=default["id"]
        ),
        "ValidationException",
        400,
    )


async def test_create_get_update_delete_rule(lattice_client: Any, parents: Any) -> None:
    svc, lis = parents
    tg = await target_group(lattice_client)
    match = {
        "httpMatch": {
            "method": "GET",
            "pathMatch": {"match": {"exact": "/x"}, "caseSensitive": True},
            "headerMatches": [{"name": "env", "match": {"exact": "prod"}, "caseSensitive": False}],
        }
    }
    created = await rule(
        lattice_client, svc["arn"], lis["arn"], 10, match=match, action=forward(tg["arn"], weight=1)
    )
    assert created["arn"] == f"{lis['arn']}/rule/{created['id']}"
    assert "listener-listener-" not in created["arn"]
    assert created["match"] == match
    assert created["priority"] == 10
    assert created["action"] == {
        "forward": {"targetGroups": [{"targetGroupIdentifier": tg["id"], "weight": 1}]}
    }
    got = await lattice_client.get_rule(
        serviceIdentifier=svc["id"], listenerIdentifier=lis["id"], ruleIdentifier=created["arn"]
    )
    assert got["isDefault"] is False
    assert got["createdAt"]
    assert got["lastUpdatedAt"]
    assert (await lattice_client.get_target_group(targetGroupIdentifier=tg["id"]))["serviceArns"] == [
        svc["arn"]
    ]
    updated = await lattice_client.update_rule(
        serviceIdentifier=svc["id"],
        listenerIdentifier=lis["id"],
        ruleIdentifier=created["id"],
        priority=20,
        match=path_match("/y"),
    )
    assert updated["priority"] == 20
    assert updated["match"] == path_match("/y")
    assert updated["isDefault"] is False
    response = await lattice_client.delete_rule(
        serviceIdentifier=svc["id"], listenerIdentifier=lis["id"], ruleIdentifier=created["id"]
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    await expect_error(
        lattice_client.get_rule(
            serviceIdentifier=svc["id"], listenerIdentifier=lis["id"], ruleIdentifier=created["id"]
        ),
        "ResourceNotFoundException",
        404,
    )
    assert (await lattice_client.get_target_group(targetGroupIdentifier=tg["id"]))["serviceArns"] == []


async def test_rules_sorted_by_priority_with_default_last(lattice_client: Any, parents: Any) -> None:
    svc, lis = parents
    for priority in (30, 10, 20):
        await rule(lattice_client, svc["id"], lis["id"], priority)
    listed = await lattice_client.list_rules(serviceIdentifier=svc["id"], listenerIdentifier=lis["id"])
    assert [item.get("priority") for item in listed["items"]] == [10, 20, 30, None]
    assert [item["isDefault"] for item in listed["items"]] == [False, False, False, True]


async def test_parents_must_exist(lattice_client: Any, parents: Any) -> None:
    svc, lis = parents
    await expect_error(
        rule(lattice_client, svc["id"], "listener-0123456789abcdefg", 1), "ResourceNotFoundException", 404
    )
    await expect_error(
        rule(lattice_client, "svc-0123456789abcdefg", lis["id"], 1), "ResourceNotFoundException", 404
    )
    await expect_error(
        rule(lattice_client, svc["id"], lis["id"], 1, action=forward("tg-0123456789abcdefg")),
        "ResourceNotFoundException",
        404,
    )


async def test_priority_and_name_rules(lattice_client: Any, parents: Any) -> None:
    svc, lis = parents
    first = await rule(lattice_client, svc["id"], lis["id"], 7)
    await expect_error(rule(lattice_client, svc["id"], lis["id"], 7), "ConflictException", 409)
    await expect_error(
        lattice_client.create_rule(
            serviceIdentifier=svc["id"],
            listenerIdentifier=lis["id"],
            name=first["name"],
            priority=8,
            match=path_match("/n"),
            action={"fixedResponse": {"statusCode": 404}},
        ),
        "ConflictException",
        409,
    )
    await expect_error(rule(lattice_client, svc["id"], lis["id"], 101), "ValidationException", 400)
    second = await rule(lattice_client, svc["id"], lis["id"], 100)
    await expect_error(
        lattice_client.update_rule(
            serviceIdentifier=svc["id"], listenerIdentifier=lis["id"], ruleIdentifier=second["id"], priority=7
        ),
        "ConflictException",
        409,
    )


async def test_match_and_action_limits(lattice_client: Any, parents: Any) -> None:
    svc, lis = parents
    headers = [{"name": f"h{i}", "match": {"exact": "v"}} for i in range(6)]
    await expect_error(
        rule(lattice_client, svc["id"], lis["id"], 1, match={"httpMatch": {"headerMatches": headers}}),
        "ValidationException",
        400,
    )
    await rule(lattice_client, svc["id"], lis["id"], 1, match={"httpMatch": {"headerMatches": headers[:5]}})
    groups = [await target_group(lattice_client) for _ in range(11)]
    await expect_error(
        rule(lattice_client, svc["id"], lis["id"], 2, action=forward(*[g["id"] for g in groups])),
        "ValidationException",
        400,
    )
    await rule(
        lattice_client, svc["id"], lis["id"], 2, action=forward(*[g["id"] for g in groups[:10]], weight=999)
    )
    await expect_error(
        rule(lattice_client, svc["id"], lis["id"], 3, action=forward(groups[0]["id"], weight=1000)),
        "ValidationException",
        400,
    )


async def test_rules_per_listener_limit(lattice_client: Any, parents: Any, fake_aws: Any) -> None:
    svc, lis = parents
    fake_aws.admin.set_settings(max_rules_per_listener=3)
    for priority in (1, 2, 3):
        await rule(lattice_client, svc["id"], lis["id"], priority)
    response = await expect_error(
        rule(lattice_client, svc["id"], lis["id"], 4), "ServiceQuotaExceededException", 402
    )
    assert response["resourceType"] == "RULE"


async def test_passthrough_listener_has_no_rules(lattice_client: Any) -> None:
    svc = await service(lattice_client)
    tg = await target_group(lattice_client, protocol="TCP")
    lis = await listener(lattice_client, svc["id"], protocol="TLS_PASSTHROUGH", action=forward(tg["id"]))
    assert lis["port"] == 443
    await expect_error(rule(lattice_client, svc["id"], lis["id"], 1), "ValidationException", 400)


async def test_batch_update_swaps_priorities_and_reports_failures(lattice_client: Any, parents: Any) -> None:
    svc, lis = parents
    a = await rule(lattice_client, svc["id"], lis["id"], 1)
    b = await rule(lattice_client, svc["id"], lis["id"], 2)
    c = await rule(lattice_client, svc["id"], lis["id"], 3)
    swapped = await lattice_client.batch_update_rule(
        serviceIdentifier=svc["id"],
        listenerIdentifier=lis["id"],
        rules=[{"ruleIdentifier": a["id"], "priority": 2}, {"ruleIdentifier": b["arn"], "priority": 1}],
    )
    assert {item["id"]: item["priority"] for item in swapped["successful"]} == {a["id"]: 2, b["id"]: 1}
    assert swapped["unsuccessful"] == []
    mixed = await lattice_client.batch_update_rule(
        serviceIdentifier=svc["id"],
        listenerIdentifier=lis["id"],
        rules=[
            {"ruleIdentifier": c["id"], "priority": 1},
            {"ruleIdentifier": "rule-0123456789abcdefg", "priority": 50},
            {"ruleIdentifier": a["id"], "action": {"fixedResponse": {"statusCode": 500}}},
        ],
    )
    assert [item["id"] for item in mixed["successful"]] == [a["id"]]
    failures = {item["ruleIdentifier"]: item["failureCode"] for item in mixed["unsuccessful"]}
    assert failures == {c["id"]: "ConflictException", "rule-0123456789abcdefg": "ResourceNotFoundException"}
    listed = await lattice_client.list_rules(serviceIdentifier=svc["id"], listenerIdentifier=lis["id"])
    assert [item["id"] for item in listed["items"] if not item["isDefault"]] == [b["id"], a["id"], c["id"]]
