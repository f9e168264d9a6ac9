"""Target groups, serviceArns, targets and their status lifecycle."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from e2e.fakeaws.client import FakeAwsAdminError
from tests.integration.fakeaws.builders import (
    VPC,
    assert_id,
    expect_error,
    forward,
    listener,
    rule,
    service,
    target_group,
    unique,
)

DEFAULT_HEALTH_CHECK = {
    "enabled": True,
    "protocol": "HTTP",
    "protocolVersion": "HTTP1",
    "path": "/",
    "healthCheckIntervalSeconds": 30,
    "healthCheckTimeoutSeconds": 5,
    "healthyThresholdCount": 5,
    "unhealthyThresholdCount": 2,
    "matcher": {"httpCode": "200"},
}


async def _statuses(client: Any, tg_id: str) -> dict[str, str]:
    listed = await client.list_targets(targetGroupIdentifier=tg_id)
    return {item["id"]: item["status"] for item in listed["items"]}


async def test_create_fills_aws_defaults(lattice_client: Any) -> None:
    tg = await target_group(lattice_client, tags={"t": "1"})
    assert_id(tg["id"], "tg")
    assert tg["arn"].endswith(f":targetgroup/{tg['id']}")
    assert tg["status"] == "ACTIVE"
    assert tg["config"]["healthCheck"] == DEFAULT_HEALTH_CHECK
    assert (tg["config"]["protocolVersion"], tg["config"]["ipAddressType"]) == ("HTTP1", "IPV4")
    got = await lattice_client.get_target_group(targetGroupIdentifier=tg["arn"])
    assert got["createdAt"]
    assert got["lastUpdatedAt"]
    assert got["serviceArns"] == []
    lambda_tg = await lattice_client.create_target_group(name=unique("fn"), type="LAMBDA")
    assert lambda_tg["config"] == {"lambdaEventStructureVersion": "V1"}


async def test_name_unique_and_config_checked(lattice_client: Any) -> None:
    tg = await target_group(lattice_client)
    await expect_error(
        lattice_client.create_target_group(
            name=tg["name"], type="IP", config={"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC}
        ),
        "ConflictException",
        409,
    )
    await expect_error(
        lattice_client.create_target_group(name=unique("grp"), type="IP", config={"port": 80}),
        "ValidationException",
        400,
    )


async def test_list_summaries_and_filters(lattice_client: Any) -> None:
    http = await target_group(lattice_client)
    tcp = await target_group(lattice_client, protocol="TCP", port=443)
    listed = await lattice_client.list_target_groups(vpcIdentifier=VPC)
    summaries = {item["id"]: item for item in listed["items"]}
    assert set(summaries) == {http["id"], tcp["id"]}
    summary = summaries[http["id"]]
    assert (summary["port"], summary["protocol"], summary["ipAddressType"], summary["vpcIdentifier"]) == (
        8080,
        "HTTP",
        "IPV4",
        VPC,
    )
    assert summary["serviceArns"] == []
    assert summary["createdAt"]
    assert summary["status"] == "ACTIVE"
    assert (await lattice_client.list_target_groups(targetGroupType="LAMBDA"))["items"] == []
    assert (await lattice_client.list_target_groups(vpcIdentifier="vpc-99999999"))["items"] == []


async def test_service_arns_follow_listeners_and_rules(lattice_client: Any) -> None:
    svc_a, svc_b = await service(lattice_client), await service(lattice_client)
    tg = await target_group(lattice_client)
    lis_a = await listener(lattice_client, svc_a["id"], action=forward(tg["id"]))
    lis_b = await listener(lattice_client, svc_b["id"])
    created = await rule(lattice_client, svc_b["id"], lis_b["id"], 1, action=forward(tg["arn"]))
    got = await lattice_client.get_target_group(targetGroupIdentifier=tg["id"])
    assert got["serviceArns"] == sorted([svc_a["arn"], svc_b["arn"]])
    await expect_error(
        lattice_client.delete_target_group(targetGroupIdentifier=tg["id"]), "ConflictException", 409
    )
    await lattice_client.delete_rule(
        serviceIdentifier=svc_b["id"], listenerIdentifier=lis_b["id"], ruleIdentifier=created["id"]
    )
    await lattice_client.update_listener(
        serviceIdentifier=svc_a["id"],
        listenerIdentifier=lis_a["id"],
        defaultAction={"fixedResponse": {"statusCode": 404}},
    )
    assert (await lattice_client.get_target_group(targetGroupIdentifier=tg["id"]))["serviceArns"] == []
    deleted = await lattice_client.delete_target_group(targetGroupIdentifier=tg["arn"])
    assert deleted["status"] == "DELETE_IN_PROGRESS"
    await expect_error(
        lattice_client.get_target_group(targetGroupIdentifier=tg["id"]), "ResourceNotFoundException", 404
    )


async def test_update_health_check_merges(lattice_client: Any) -> None:
    tg = await target_group(lattice_client)
    updated = await lattice_client.update_target_group(
        targetGroupIdentifier=tg["arn"], healthCheck={"path": "/healthz", "healthCheckIntervalSeconds": 10}
    )
    check = updated["config"]["healthCheck"]
    assert (check["path"], check["healthCheckIntervalSeconds"], check["matcher"]) == (
        "/healthz",
        10,
        {"httpCode": "200"},
    )
    got = await lattice_client.get_target_group(targetGroupIdentifier=tg["id"])
    assert got["config"]["healthCheck"] == check
    await expect_error(
        lattice_client.update_target_group(
            targetGroupIdentifier=tg["id"], healthCheck={"healthCheckIntervalSeconds": 1000}
        ),
        "ValidationException",
        400,
    )


async def test_register_and_deregister_limits(lattice_client: Any) -> None:
    tg = await target_group(lattice_client)
    too_many = [{"id": f"10.0.{i // 250}.{i % 250 + 1}"} for i in range(101)]
    await expect_error(
        lattice_client.register_targets(targetGroupIdentifier=tg["id"], targets=too_many),
        "ValidationException",
        400,
    )
    done = await lattice_client.register_targets(targetGroupIdentifier=tg["id"], targets=too_many[:100])
    assert len(done["successful"]) == 100
    assert done["unsuccessful"] == []
    assert done["successful"][0] == {"id": "10.0.0.1", "port": 8080}
    await expect_error(
        lattice_client.deregister_targets(targetGroupIdentifier=tg["id"], targets=too_many),
        "ValidationException",
        400,
    )
    bad = await lattice_client.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "not-an-ip"}])
    assert bad["unsuccessful"][0]["id"] == "not-an-ip"
    assert bad["successful"] == []
    await expect_error(
        lattice_client.register_targets(
            targetGroupIdentifier="tg-0123456789abcdefg", targets=[{"id": "10.0.0.1"}]
        ),
        "ResourceNotFoundException",
        404,
    )


async def test_status_unused_initial_healthy(lattice_client: Any, fake_aws: Any) -> None:
    fake_aws.admin.set_timings(initial_seconds=0.8)
    tg = await target_group(lattice_client)
    await lattice_client.register_targets(
        targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.1", "port": 80}]
    )
    assert await _statuses(lattice_client, tg["id"]) == {"10.0.0.1": "UNUSED"}
    svc = await service(lattice_client)
    await listener(lattice_client, svc["id"], action=forward(tg["id"]))
    await lattice_client.register_targets(
        targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.2", "port": 80}]
    )
    assert (await _statuses(lattice_client, tg["id"]))["10.0.0.2"] == "INITIAL"
    await asyncio.sleep(0.85)
    assert await _statuses(lattice_client, tg["id"]) == {"10.0.0.1": "HEALTHY", "10.0.0.2": "HEALTHY"}


async def test_health_check_knob_per_group_target_and_globally(lattice_client: Any, fake_aws: Any) -> None:
    """The knob tests use to make targets healthy: held INITIAL, then an explicit switch; failing checks
    per target; another INITIAL time per group; the reasonCode AWS gives for each status."""
    admin = fake_aws.admin
    admin.set_timings(initial_seconds=0)
    svc = await service(lattice_client)
    held, other = await target_group(lattice_client), await target_group(lattice_client)
    await listener(lattice_client, svc["id"], action=forward(held["id"], other["id"], weight=1))
    admin.set_target_health(target_group=held["arn"], status="INITIAL")  # by ARN or id
    admin.set_target_health(target_group=other["id"], targets=["10.0.0.2:80"], status="UNHEALTHY")
    for tg in (held, other):
        await lattice_client.register_targets(
            targetGroupIdentifier=tg["id"],
            targets=[{"id": "10.0.0.1", "port": 80}, {"id": "10.0.0.2", "port": 80}],
        )
    assert await _statuses(lattice_client, held["id"]) == {"10.0.0.1": "INITIAL", "10.0.0.2": "INITIAL"}
    listed = await lattice_client.list_targets(targetGroupIdentifier=other["id"])
    reasons = {item["id"]: (item["status"], item.get("reasonCode")) for item in listed["items"]}
    assert reasons == {"10.0.0.1": ("HEALTHY", None), "10.0.0.2": ("UNHEALTHY", "Target.FailedHealthChecks")}
    assert len(admin.target_health_rules()) == 2

    admin.set_target_health(target_group=held["id"])  # the switch: the rule goes, the checks pass
    assert await _statuses(lattice_client, held["id"]) == {"10.0.0.1": "HEALTHY", "10.0.0.2": "HEALTHY"}

    admin.set_target_health(initial_seconds=30)  # every group: targets registered from now on wait 30 s
    await lattice_client.register_targets(
        targetGroupIdentifier=held["id"], targets=[{"id": "10.0.0.3", "port": 80}]
    )
    assert (await _statuses(lattice_client, held["id"]))["10.0.0.3"] == "INITIAL"
    with pytest.raises(FakeAwsAdminError, match="status must be one of"):
        admin.set_target_health(status="GREEN")
    admin.reset(state=False, counters=False, faults=False)  # settings: the rules go too
    assert admin.target_health_rules() == []


async def test_status_unavailable_without_health_checks(lattice_client: Any) -> None:
    svc = await service(lattice_client)
    disabled = await target_group(lattice_client, healthCheck={"enabled": False})
    tcp = await target_group(lattice_client, protocol="TCP", port=443)
    await listener(lattice_client, svc["id"], action=forward(disabled["id"], tcp["id"], weight=1))
    for tg in (disabled, tcp):
        await lattice_client.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.9"}])
        assert await _statuses(lattice_client, tg["id"]) == {"10.0.0.9": "UNAVAILABLE"}


async def test_draining_lifecycle(lattice_client: Any, fake_aws: Any) -> None:
    fake_aws.admin.set_timings(draining_seconds=0.8)
    tg = await target_group(lattice_client)
    targets = [{"id": "10.0.0.1"}, {"id": "10.0.0.2"}]
    await lattice_client.register_targets(targetGroupIdentifier=tg["id"], targets=targets)
    gone = await lattice_client.deregister_targets(targetGroupIdentifier=tg["id"], targets=targets)
    assert len(gone["successful"]) == 2
    assert await _statuses(lattice_client, tg["id"]) == {"10.0.0.1": "DRAINING", "10.0.0.2": "DRAINING"}
    await lattice_client.register_targets(targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.2"}])
    assert await _statuses(lattice_client, tg["id"]) == {"10.0.0.1": "DRAINING", "10.0.0.2": "UNUSED"}
    await asyncio.sleep(0.85)
    assert await _statuses(lattice_client, tg["id"]) == {"10.0.0.2": "UNUSED"}


async def test_list_targets_filter(lattice_client: Any) -> None:
    tg = await target_group(lattice_client)
    await lattice_client.register_targets(
        targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.1"}, {"id": "10.0.0.2", "port": 9000}]
    )
    listed = await lattice_client.list_targets(
        targetGroupIdentifier=tg["id"], targets=[{"id": "10.0.0.2", "port": 9000}]
    )
    assert [(item["id"], item["port"]) for item in listed["items"]] == [("10.0.0.2", 9000)]


async def test_concurrent_calls_are_consistent(lattice_client: Any) -> None:
    tg = await target_group(lattice_client)
    batches = [[{"id": f"10.1.{batch}.{i}"} for i in range(1, 21)] for batch in range(10)]
    results = await asyncio.gather(
        *(lattice_client.register_targets(targetGroupIdentifier=tg["id"], targets=b) for b in batches),
        *(lattice_client.create_service(name=unique("par")) for _ in range(10)),
    )
    assert all(len(result["successful"]) == 20 for result in results[:10])
    listed = await lattice_client.list_targets(targetGroupIdentifier=tg["id"], maxResults=100)
    following = await lattice_client.list_targets(
        targetGroupIdentifier=tg["id"], maxResults=100, nextToken=listed["nextToken"]
    )
    assert len(listed["items"]) + len(following["items"]) == 200
    assert len((await lattice_client.list_services())["items"]) == 10
