"""Fixtures for observe → plan → apply against the fake AWS endpoint (e2e.fakeaws)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry

from e2e.fakeaws.fixtures import FakeAws
from lattice_controller.aws.edge import AwsEdge, open_aws_edge
from lattice_controller.aws.session import ACM, LATTICE, TAGGING, AwsConfig
from tests.integration.reconcile.harness import Harness


@pytest_asyncio.fixture
async def edge(
    fake_aws: FakeAws, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AwsEdge]:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_VPC_LATTICE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in aws_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    config = AwsConfig(region=fake_aws.region, max_attempts=1)
    async with open_aws_edge(
        config, registry=CollectorRegistry(), services=(LATTICE, TAGGING, ACM)
    ) as opened:
        yield opened


@pytest_asyncio.fixture
async def harness(edge: AwsEdge, fake_aws: FakeAws) -> Harness:
    harness = Harness(edge, fake_aws)
    await harness.make_network()
    harness.new_cycle()
    return harness


@pytest_asyncio.fixture
async def lattice_only_harness(edge: AwsEdge, fake_aws: FakeAws) -> AsyncIterator[Harness]:
    """A harness whose edge runs in Lattice-only tag mode (DISABLE_TAGGING_SERVICE_API=true)."""
    config = AwsConfig(region=fake_aws.region, max_attempts=1)
    async with open_aws_edge(
        config, registry=CollectorRegistry(), use_tagging_api=False, services=(LATTICE, TAGGING)
    ) as opened:
        harness = Harness(opened, fake_aws)
        await harness.make_network()
        harness.new_cycle()
        yield harness
