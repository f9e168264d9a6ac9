"""Fixtures for the aws/ integration tests: a fake AWS endpoint and the real client stack against it.

Uses the project's ``fake_aws`` fixture (e2e.fakeaws, moto with the Lattice API completed) when it
is available, otherwise a plain moto ``ThreadedMotoServer`` started here. Tests that need an
operation stock moto lacks ask for ``full_lattice`` and are skipped on plain moto.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry

from lattice_controller.aws.edge import AwsEdge, open_aws_edge
from lattice_controller.aws.session import ACM, LATTICE, TAGGING, AwsConfig

REGION = "us-west-2"


@dataclass(frozen=True, slots=True)
class Endpoint:
    url: str
    region: str
    full_lattice: bool


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def _plain_moto() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_endpoint(request: pytest.FixtureRequest) -> Iterator[Endpoint]:
    try:
        fake = request.getfixturevalue("fake_aws")
    except pytest.FixtureLookupError:
        url = request.getfixturevalue("_plain_moto")
        yield Endpoint(url, REGION, full_lattice=False)
        urllib.request.urlopen(
            urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10
        ).close()
        return
    fake.admin.reset()
    yield Endpoint(str(fake.endpoint), str(fake.region), full_lattice=True)


@pytest.fixture
def aws_env(aws_endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Endpoint:
    """Standard AWS environment variables pointing every client at the fake endpoint."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_VPC_LATTICE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint.url)
    return aws_endpoint


@pytest.fixture
def full_lattice(aws_endpoint: Endpoint) -> None:
    if not aws_endpoint.full_lattice:
        pytest.skip("needs the project's fake AWS (e2e.fakeaws); stock moto lacks this operation")


@asynccontextmanager
async def edge_for(
    endpoint: Endpoint, *, use_tagging_api: bool = True, max_attempts: int = 1
) -> AsyncIterator[AwsEdge]:
    config = AwsConfig(region=endpoint.region, max_attempts=max_attempts)
    async with open_aws_edge(
        config,
        registry=CollectorRegistry(),
        use_tagging_api=use_tagging_api,
        services=(LATTICE, TAGGING, ACM),
    ) as edge:
        yield edge


@pytest_asyncio.fixture
async def aws(aws_env: Endpoint) -> AsyncIterator[AwsEdge]:
    async with edge_for(aws_env) as edge:
        yield edge
