"""Client-side pacing against the fake endpoint's per-operation throttle (real botocore retries)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from e2e.fakeaws.fixtures import FakeAws
from lattice_controller.aws.edge import open_aws_edge
from lattice_controller.aws.session import LATTICE, TAGGING, AwsConfig
from tests.integration.aws.conftest import Endpoint

OPERATION = "vpc-lattice:ListServices"


@pytest.fixture
def throttled(fake_aws: FakeAws, aws_env: Endpoint) -> Iterator[FakeAws]:
    yield fake_aws
    fake_aws.admin.clear_faults()


def _throttled_calls(fake: FakeAws) -> int:
    return int(fake.admin.faults().get("injected", {}).get("throttled", {}).get(OPERATION, 0))


async def test_pacing_just_under_the_server_rate_is_never_throttled(throttled: FakeAws) -> None:
    # A little under the server's rate: requests reach the server a few ms after their turn, and two
    # buckets at exactly the same rate would disagree about the token that was due at that instant.
    config = AwsConfig(region=throttled.region, max_attempts=1, calls_per_second=4.5)
    async with open_aws_edge(config, registry=CollectorRegistry(), services=(LATTICE, TAGGING)) as edge:
        await edge.lattice.list_services()  # a cold server answers its first call late, and the queued
        await asyncio.sleep(1.0)  # requests would all arrive at once; and let the client's bucket refill
        throttled.admin.set_throttle(OPERATION, 5, burst=5)
        waits_before = edge.pacer.stats.waits
        began = time.monotonic()
        await asyncio.gather(*(edge.lattice.list_services() for _ in range(15)))
        elapsed = time.monotonic() - began
    assert _throttled_calls(throttled) == 0
    assert elapsed >= 2.0  # 4 at once, then 11 more at 4.5/s
    assert edge.pacer.stats.waits - waits_before == 11


async def test_retry_after_holds_the_operation_and_every_call_succeeds(throttled: FakeAws) -> None:
    throttled.admin.set_throttle(OPERATION, 2, burst=1)
    config = AwsConfig(region=throttled.region, max_attempts=10, calls_per_second=0)
    async with open_aws_edge(config, registry=CollectorRegistry(), services=(LATTICE, TAGGING)) as edge:
        results = await asyncio.gather(*(edge.lattice.list_services() for _ in range(6)))
        requests = edge.metrics.ledger.requests
    assert len(results) == 6
    throttled_calls = _throttled_calls(throttled)
    assert throttled_calls > 0
    assert edge.pacer.stats.hints == throttled_calls  # every 429 carried Retry-After and was honoured
    assert sum(n for (_, op), n in requests.items() if op == "ListServices") == 6 + throttled_calls
