"""Operations stock moto lacks (deletes, rules, targets), run against the project's fake AWS only."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from lattice_controller.aws import errors
from lattice_controller.aws.edge import AwsEdge
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.metrics import AwsMetrics
from lattice_controller.aws.session import LATTICE, AwsClients, AwsConfig
from lattice_controller.aws.transport import BotocoreTransport
from tests.integration.aws.conftest import Endpoint

pytestmark = pytest.mark.usefixtures("full_lattice")

VPC = "vpc-0123456789abcdef0"
TG_CONFIG = {"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC, "ipAddressType": "IPV4"}
NOT_FOUND = {"fixedResponse": {"statusCode": 404}}


def path_match(prefix: str) -> dict[str, object]:
    return {"httpMatch": {"pathMatch": {"match": {"prefix": prefix}, "caseSensitive": True}}}


async def make_service_with_listener(aws: AwsEdge) -> tuple[str, str, str]:
    service = await aws.lattice.create_service("route-x-default", client_token="svc")
    group = await aws.lattice.create_target_group(
        "k8s-default-web", "IP", client_token="tg", config=TG_CONFIG
    )
    listener = await aws.lattice.create_listener(
        service["id"], "route-x-default-80-http", "HTTP", NOT_FOUND, client_token="l", port=80
    )
    return service["id"], listener["id"], group["id"]


async def test_rules_are_observed_once_and_kept_current_by_our_writes(aws: AwsEdge) -> None:
    service_id, listener_id, group_id = await make_service_with_listener(aws)
    forward = {"forward": {"targetGroups": [{"targetGroupIdentifier": group_id, "weight": 1}]}}
    aws.metrics.ledger.reset()

    before = await aws.inventory.rules(service_id, listener_id)
    first = await aws.lattice.create_rule(
        service_id, listener_id, "k8s-rule-1", path_match("/a"), 1, forward, client_token="r1"
    )
    second = await aws.lattice.create_rule(
        service_id, listener_id, "k8s-rule-2", path_match("/b"), 2, forward, client_token="r2"
    )
    await aws.lattice.batch_update_rule(
        service_id,
        listener_id,
        [{"ruleIdentifier": first["id"], "priority": 3}, {"ruleIdentifier": second["id"], "priority": 1}],
    )
    await aws.lattice.delete_rule(service_id, listener_id, first["id"])
    cached = await aws.inventory.rules(service_id, listener_id)

    fresh = await aws.lattice.list_rules(service_id, listener_id)
    # A listener we created starts with an empty listing: its default rule is not tracked, the rest is.
    assert before == []
    assert {r["id"]: r.get("priority") for r in cached} == {
        r["id"]: r.get("priority") for r in fresh if not r.get("isDefault")
    }
    assert [r["id"] for r in cached] == [second["id"]]
    assert aws.metrics.ledger.count("ListRules") == 1  # the check above only


async def test_listener_writes_update_the_cached_listing(aws: AwsEdge) -> None:
    service_id, listener_id, _ = await make_service_with_listener(aws)
    aws.metrics.ledger.reset()

    assert [item["id"] for item in await aws.inventory.listeners(service_id)] == [listener_id]
    extra = await aws.lattice.create_listener(
        service_id, "route-x-default-443-https", "HTTPS", NOT_FOUND, client_token="l2", port=443
    )
    assert {item["id"] for item in await aws.inventory.listeners(service_id)} == {listener_id, extra["id"]}
    await aws.lattice.delete_listener(service_id, listener_id)
    assert [item["id"] for item in await aws.inventory.listeners(service_id)] == [extra["id"]]
    # The service was created by us, so its listing started empty and was never read from Lattice.
    assert aws.metrics.ledger.count("ListListeners") == 0


async def test_targets_register_in_batches_of_100_and_list_all_pages(aws: AwsEdge) -> None:
    _, _, group_id = await make_service_with_listener(aws)
    targets = [{"id": f"10.0.{i // 250}.{i % 250}", "port": 8080} for i in range(250)]
    aws.metrics.ledger.reset()

    result = await aws.lattice.register_targets(group_id, targets)
    listed = await aws.inventory.targets(group_id)
    await aws.lattice.deregister_targets(group_id, targets[:10])
    relisted = await aws.inventory.targets(group_id)

    assert len(result["successful"]) == 250
    assert result["unsuccessful"] == []
    assert aws.metrics.ledger.count("RegisterTargets") == 3
    assert len(listed) == 250
    assert len(relisted) == 250  # deregistered targets stay DRAINING for a while
    assert aws.metrics.ledger.count("DeregisterTargets") == 1


async def test_deleted_service_is_gone_from_aws_and_the_inventory(aws: AwsEdge) -> None:
    service = await aws.lattice.create_service("route-y-default", client_token="svc-y")
    assert await aws.inventory.service_named("route-y-default") is not None

    await aws.lattice.delete_service(service["id"])

    assert await aws.inventory.service_named("route-y-default") is None
    with pytest.raises(errors.NotFound):
        await aws.lattice.get_service(service["id"])


async def test_client_token_makes_create_idempotent(aws: AwsEdge) -> None:
    first = await aws.lattice.create_service_network("net-one", client_token="same-token")
    again = await aws.lattice.create_service_network("net-one", client_token="same-token")
    assert again["id"] == first["id"]
    assert len(await aws.lattice.list_service_networks()) == 1


async def test_server_side_attempt_count_matches_request_metric(
    aws_endpoint: Endpoint, aws_env: Endpoint, request: pytest.FixtureRequest
) -> None:
    fake = request.getfixturevalue("fake_aws")
    fake.admin.set_error_rate(1.0, operation="vpc-lattice:ListServices")
    registry = CollectorRegistry()
    metrics = AwsMetrics(registry)
    config = AwsConfig(region=aws_endpoint.region, max_attempts=2)

    async with AwsClients(config, metrics=metrics, services=[LATTICE]) as clients:
        with pytest.raises(errors.AwsError):
            await LatticeApi(BotocoreTransport(clients, metrics)).list_services()

    labels = {"service": "VPC Lattice", "operation": "ListServices"}
    requests = registry.get_sample_value(
        "aws_api_requests_total", {**labels, "status_code": "500", "error_code": "InternalServerException"}
    )
    calls = registry.get_sample_value(
        "aws_api_calls_total", {**labels, "status_code": "500", "error_code": "InternalServerException"}
    )
    assert (requests, calls) == (2, 1)
    assert fake.admin.counters().get("vpc-lattice:ListServices") == 2
