"""Admin API: fault injection (latency, throttling, 5xx), counters, settings and reset."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from botocore.exceptions import ClientError

from e2e.fakeaws.client import FakeAwsAdminError
from tests.integration.fakeaws.builders import expect_error, service


async def _client(fake_aws: Any, name: str, attempts: int = 1) -> Any:
    """A client making exactly `attempts` attempts (the `lattice_client` fixture's max_attempts=1 allows one
    retry of throttled and 5xx calls)."""
    from aiobotocore.config import AioConfig

    from e2e.fakeaws.fixtures import _shared_session

    return _shared_session().create_client(
        name,
        region_name=fake_aws.region,
        endpoint_url=fake_aws.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=AioConfig(retries={"total_max_attempts": attempts, "mode": "standard"}),
    )


@pytest_asyncio.fixture
async def strict_client(fake_aws: Any, aws_env: dict[str, str]) -> AsyncIterator[Any]:
    async with await _client(fake_aws, "vpc-lattice", attempts=1) as client:
        yield client


@pytest_asyncio.fixture
async def retrying_client(fake_aws: Any, aws_env: dict[str, str]) -> AsyncIterator[Any]:
    async with await _client(fake_aws, "vpc-lattice", attempts=6) as client:
        yield client


async def test_counters_count_every_call(lattice_client: Any, fake_aws: Any) -> None:
    await service(lattice_client)
    await lattice_client.list_services()
    await lattice_client.list_services()
    await expect_error(
        lattice_client.get_service(serviceIdentifier="svc-0123456789abcdefg"),
        "ResourceNotFoundException",
        404,
    )
    assert fake_aws.admin.counters() == {
        "vpc-lattice:CreateService": 1,
        "vpc-lattice:GetService": 1,
        "vpc-lattice:ListServices": 2,
    }
    fake_aws.admin.reset_counters()
    assert fake_aws.admin.counters() == {}


async def test_other_services_share_the_port_and_are_counted(fake_aws: Any, aws_env: dict[str, str]) -> None:
    async with (
        await _client(fake_aws, "sts") as sts,
        await _client(fake_aws, "ec2") as ec2,
        await _client(fake_aws, "acm") as acm,
        await _client(fake_aws, "resourcegroupstaggingapi") as tagging,
    ):
        assert (await sts.get_caller_identity())["Account"] == "123456789012"
        vpc = await ec2.create_vpc(CidrBlock="10.0.0.0/16")
        assert vpc["Vpc"]["VpcId"].startswith("vpc-")
        assert (await acm.list_certificates())["CertificateSummaryList"] == []
        await tagging.get_resources()
    counters = fake_aws.admin.counters()
    assert counters == {
        "sts:GetCallerIdentity": 1,
        "ec2:CreateVpc": 1,
        "acm:ListCertificates": 1,
        "tag:GetResources": 1,
    }


async def test_fixed_latency_per_operation(lattice_client: Any, fake_aws: Any) -> None:
    fake_aws.admin.set_latency(0.3, operation="vpc-lattice:ListServices")
    started = time.monotonic()
    await lattice_client.list_services()
    slow = time.monotonic() - started
    started = time.monotonic()
    await lattice_client.list_service_networks()
    fast = time.monotonic() - started
    assert slow >= 0.3
    assert fast < slow


async def test_random_latency_global(lattice_client: Any, fake_aws: Any) -> None:
    fake_aws.admin.set_latency(low=0.1, high=0.2)
    for _ in range(3):
        started = time.monotonic()
        await lattice_client.list_target_groups()
        assert 0.1 <= time.monotonic() - started < 2.0


async def test_throttling_then_recovery(strict_client: Any, fake_aws: Any) -> None:
    lattice_client = strict_client
    fake_aws.admin.set_throttle("vpc-lattice:ListServices", rate=1, burst=2)
    await lattice_client.list_services()
    await lattice_client.list_services()
    response = await expect_error(lattice_client.list_services(), "ThrottlingException", 429)
    assert response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "1"
    await lattice_client.list_service_networks()  # other operations are not throttled
    await asyncio.sleep(1.05)
    await lattice_client.list_services()  # a token came back
    assert fake_aws.admin.counters()["vpc-lattice:ListServices"] == 4
    assert fake_aws.admin.faults()["injected"]["throttled"] == {"vpc-lattice:ListServices": 1}


async def test_botocore_retries_throttling(retrying_client: Any, fake_aws: Any) -> None:
    fake_aws.admin.set_throttle("vpc-lattice:*", rate=3, burst=1, status=400)
    await retrying_client.list_services()
    # throttled (HTTP 400 here: botocore recognises the code), then retried by botocore until a token is back
    response = await retrying_client.list_services()
    assert response["ResponseMetadata"]["RetryAttempts"] >= 1
    assert fake_aws.admin.counters()["vpc-lattice:ListServices"] >= 3


async def test_error_rate(strict_client: Any, fake_aws: Any) -> None:
    lattice_client = strict_client
    fake_aws.admin.set_error_rate(1.0, operation="vpc-lattice:CreateService")
    await expect_error(service(lattice_client), "InternalServerException", 500)
    fake_aws.admin.set_error_rate(0.5, operation="vpc-lattice:ListServices", seed=7)
    codes = []
    for _ in range(40):
        try:
            await lattice_client.list_services()
            codes.append("ok")
        except ClientError as error:
            codes.append(error.response["Error"]["Code"])
    assert set(codes) == {"ok", "InternalServerException"}
    assert 5 < codes.count("InternalServerException") < 35
    fake_aws.admin.clear_faults()
    await service(lattice_client)
    counters = fake_aws.admin.counters()
    assert counters["vpc-lattice:CreateService"] == 2
    assert counters["vpc-lattice:ListServices"] == 40


async def test_settings_and_reset(lattice_client: Any, fake_aws: Any) -> None:
    defaults = fake_aws.admin.settings()
    fake_aws.admin.set_timings(draining_seconds=0.1, initial_seconds=0.0)
    assert fake_aws.admin.settings()["draining_seconds"] == 0.1
    with pytest.raises(FakeAwsAdminError):
        fake_aws.admin.set_settings(no_such_knob=1)
    await service(lattice_client)
    fake_aws.admin.set_latency(0.05)
    fake_aws.admin.reset()
    assert fake_aws.admin.settings() == defaults
    assert fake_aws.admin.faults()["latency"] == {}
    assert (await lattice_client.list_services())["items"] == []
    assert fake_aws.admin.counters() == {"vpc-lattice:ListServices": 1}


async def test_moto_api_reset_clears_lattice_state(lattice_client: Any, fake_aws: Any) -> None:
    await service(lattice_client)
    await asyncio.to_thread(_post, f"{fake_aws.endpoint}/moto-api/reset")
    assert (await lattice_client.list_services())["items"] == []
    await service(lattice_client)  # state is created again lazily after the reset
    assert len((await lattice_client.list_services())["items"]) == 1


def _post(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(url, method="POST")).close()


def test_health_lists_every_reference_operation(fake_aws: Any) -> None:
    reference = """CreateService UpdateService DeleteService ListServices CreateListener GetListener
    UpdateListener DeleteListener ListListeners CreateRule GetRule UpdateRule DeleteRule
    ListRules BatchUpdateRule CreateTargetGroup GetTargetGroup UpdateTargetGroup
    DeleteTargetGroup ListTargetGroups RegisterTargets DeregisterTargets ListTargets
    CreateServiceNetwork UpdateServiceNetwork DeleteServiceNetwork ListServiceNetworks
    CreateServiceNetworkServiceAssociation DeleteServiceNetworkServiceAssociation
    ListServiceNetworkServiceAssociations CreateServiceNetworkVpcAssociation
    GetServiceNetworkVpcAssociation UpdateServiceNetworkVpcAssociation
    DeleteServiceNetworkVpcAssociation ListServiceNetworkVpcAssociations
    ListTagsForResource TagResource UntagResource PutAuthPolicy DeleteAuthPolicy
    CreateAccessLogSubscription GetAccessLogSubscription UpdateAccessLogSubscription
    DeleteAccessLogSubscription ListAccessLogSubscriptions"""
    assert set(reference.split()) <= set(fake_aws.admin.health()["operations"])


async def test_lattice_client_fixture_retries_once(lattice_client: Any, fake_aws: Any) -> None:
    fake_aws.admin.set_error_rate(1.0, operation="vpc-lattice:ListServices")
    response = await expect_error(lattice_client.list_services(), "InternalServerException", 500)
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert fake_aws.admin.counters() == {"vpc-lattice:ListServices": 2}


def test_environment_sets_startup_timings() -> None:
    from e2e.fakeaws.client import FakeAwsAdmin
    from e2e.fakeaws.fixtures import start_fake_aws

    server = start_fake_aws({"FAKEAWS_DRAINING_SECONDS": "0.25", "FAKEAWS_MAX_RULES_PER_LISTENER": "4"})
    try:
        admin = FakeAwsAdmin(server.endpoint)
        assert server.endpoint.startswith("http://127.0.0.1:")
        settings = admin.settings()
        assert (settings["draining_seconds"], settings["max_rules_per_listener"]) == (0.25, 4)
        admin.set_timings(draining_seconds=5)
        admin.reset()
        assert admin.settings()["draining_seconds"] == 0.25
    finally:
        server.stop()
    assert server.process.poll() is not None
    assert not server.log_path.exists()
