"""Client settings and call metrics, against a scripted loopback HTTP server (and moto for endpoints)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from aiohttp import web
from prometheus_client import CollectorRegistry

from lattice_controller.aws import errors
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.metrics import AwsMetrics
from lattice_controller.aws.session import LATTICE as LATTICE_CLIENT
from lattice_controller.aws.session import USER_AGENT_EXTRA, AwsClients, AwsConfig
from lattice_controller.aws.transport import BotocoreTransport
from tests.integration.aws.conftest import REGION, Endpoint

LATTICE = "VPC Lattice"


@dataclass
class StubLattice:
    """Answers ListServices: the first ``failures`` requests with ``failure``, then an empty page."""

    url: str = ""
    failures: int = 0
    failure: tuple[int, str] = (429, "ThrottlingException")
    user_agents: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.user_agents.append(request.headers.get("User-Agent", ""))
        if self.failures > 0:
            self.failures -= 1
            status, code = self.failure
            return web.json_response(
                {"message": "scripted"}, status=status, headers={"x-amzn-ErrorType": code}
            )
        return web.json_response({"items": [{"id": "svc-stub", "name": "stub"}]})


@pytest_asyncio.fixture
async def stub() -> AsyncIterator[StubLattice]:
    state = StubLattice()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_VPC_LATTICE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, {"service": LATTICE, "operation": "ListServices", **labels})
    return value or 0.0


async def list_services_via(config: AwsConfig, metrics: AwsMetrics) -> list[dict[str, object]]:
    async with AwsClients(config, metrics=metrics, services=[LATTICE_CLIENT]) as clients:
        return await LatticeApi(BotocoreTransport(clients, metrics)).list_services()


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> AwsMetrics:
    return AwsMetrics(registry)


async def test_retried_call_counts_each_attempt_and_one_call(
    stub: StubLattice, creds: None, registry: CollectorRegistry, metrics: AwsMetrics
) -> None:
    stub.failures = 2
    config = AwsConfig(region=REGION, lattice_endpoint=stub.url, max_attempts=3)

    items = await list_services_via(config, metrics)

    assert items == [{"id": "svc-stub", "name": "stub"}]
    assert (
        sample(registry, "aws_api_requests_total", status_code="429", error_code="ThrottlingException") == 2
    )
    assert sample(registry, "aws_api_requests_total", status_code="200", error_code="") == 1
    assert sample(registry, "aws_api_calls_total", status_code="200", error_code="") == 1
    assert sample(registry, "aws_api_call_retries_sum") == 2
    assert sample(registry, "aws_api_call_retries_count") == 1
    assert sample(registry, "aws_api_request_duration_seconds_count") == 3
    assert sample(registry, "aws_api_call_duration_seconds_count") == 1
    assert metrics.ledger.count("ListServices") == 1
    assert sum(metrics.ledger.requests.values()) == 3


async def test_exhausted_retries_raise_typed_error_and_count_last_status(
    stub: StubLattice, creds: None, registry: CollectorRegistry, metrics: AwsMetrics
) -> None:
    stub.failures, stub.failure = 5, (500, "InternalServerException")
    config = AwsConfig(region=REGION, lattice_endpoint=stub.url, max_attempts=2)

    with pytest.raises(errors.AwsError) as caught:
        await list_services_via(config, metrics)

    assert type(caught.value) is errors.AwsError
    assert caught.value.code == "InternalServerException"
    assert caught.value.http_status == 500
    assert (
        sample(registry, "aws_api_requests_total", status_code="500", error_code="InternalServerException")
        == 2
    )
    assert (
        sample(registry, "aws_api_calls_total", status_code="500", error_code="InternalServerException") == 1
    )
    assert sample(registry, "aws_api_call_retries_sum") == 1


async def test_throttling_is_typed(stub: StubLattice, creds: None, metrics: AwsMetrics) -> None:
    stub.failures = 1
    with pytest.raises(errors.Throttled):
        await list_services_via(AwsConfig(region=REGION, lattice_endpoint=stub.url, max_attempts=1), metrics)


async def test_connection_failure_is_internal_with_status_zero(
    creds: None, registry: CollectorRegistry, metrics: AwsMetrics
) -> None:
    config = AwsConfig(region=REGION, lattice_endpoint="http://127.0.0.1:9", max_attempts=1)

    with pytest.raises(errors.AwsError) as caught:
        await list_services_via(config, metrics)

    assert caught.value.code == "internal"
    assert sample(registry, "aws_api_calls_total", status_code="0", error_code="internal") == 1
    assert sample(registry, "aws_api_requests_total", status_code="0", error_code="internal") == 1


async def test_user_agent_carries_the_controller_key(
    stub: StubLattice, creds: None, metrics: AwsMetrics
) -> None:
    await list_services_via(AwsConfig(region=REGION, lattice_endpoint=stub.url, max_attempts=1), metrics)
    assert USER_AGENT_EXTRA in stub.user_agents[0]


async def test_lattice_endpoint_overrides_only_the_lattice_client(
    stub: StubLattice, creds: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    config = AwsConfig(region=REGION, lattice_endpoint=stub.url, max_attempts=1)
    async with AwsClients(config, services=["vpc-lattice", "resourcegroupstaggingapi", "acm"]) as clients:
        assert clients.lattice.meta.endpoint_url == stub.url
        assert clients.tagging.meta.endpoint_url == "http://127.0.0.1:9"
        assert clients.acm.meta.endpoint_url == "http://127.0.0.1:9"


async def test_per_service_endpoint_variable_is_honoured(
    aws_endpoint: Endpoint,
    creds: None,
    monkeypatch: pytest.MonkeyPatch,
    registry: CollectorRegistry,
    metrics: AwsMetrics,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_VPC_LATTICE", aws_endpoint.url)
    items = await list_services_via(AwsConfig(region=aws_endpoint.region, max_attempts=1), metrics)
    assert items == []
    assert sample(registry, "aws_api_calls_total", status_code="200", error_code="") == 1


async def test_clients_are_closed_on_exit(creds: None) -> None:
    clients = AwsClients(AwsConfig(region=REGION), services=["sts", "vpc-lattice"])
    async with clients:
        assert clients.client("sts").meta.region_name == REGION
    with pytest.raises(RuntimeError, match="no open AWS client"):
        clients.client("vpc-lattice")
