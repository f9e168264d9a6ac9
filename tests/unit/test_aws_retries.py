"""A connect that fails is tried a few times, not ``AWS_MAX_ATTEMPTS`` times; throttling and 5xx keep
the full budget."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError
from botocore.retries.standard import RetryContext

from lattice_controller.aws.retries import ConnectLimitedConditions
from lattice_controller.aws.session import LATTICE, AwsClients, AwsConfig


def _context(attempt: int, *, exception: Exception | None = None, status: int | None = None) -> Any:
    response = AWSResponse("https://x", status, {}, None) if status is not None else None
    parsed = {"Error": {"Code": "ThrottlingException"}} if status == 429 else None
    return RetryContext(
        attempt_number=attempt,
        operation_model=None,
        parsed_response=parsed,
        http_response=response,
        caught_exception=exception,
    )


def _is_retryable(context: Any) -> bool:
    return asyncio.run(ConnectLimitedConditions(20, 3).is_retryable(context))


def test_a_failed_connect_is_retried_up_to_connect_attempts() -> None:
    refused = EndpointConnectionError(endpoint_url="http://127.0.0.1:1")
    assert _is_retryable(_context(2, exception=refused))
    assert not _is_retryable(_context(3, exception=refused))


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_5xx_keep_max_attempts(status: int) -> None:
    assert _is_retryable(_context(3, status=status))
    assert _is_retryable(_context(19, status=status))
    assert not _is_retryable(_context(20, status=status))


def test_a_dropped_connection_keeps_max_attempts() -> None:
    dropped = ConnectionClosedError(endpoint_url="http://127.0.0.1:1")
    assert _is_retryable(_context(10, exception=dropped))


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_client_gives_up_on_an_unreachable_endpoint_after_connect_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    config = AwsConfig(region="us-west-2", lattice_endpoint=f"http://127.0.0.1:{_dead_port()}")
    attempts: list[str] = []

    async def call() -> None:
        async with AwsClients(config, services=(LATTICE,)) as clients:
            clients.lattice.meta.events.register(
                "before-send.vpc-lattice", lambda **_: attempts.append("sent")
            )
            await clients.lattice.list_services()

    with pytest.raises(EndpointConnectionError):
        asyncio.run(call())
    assert len(attempts) == config.connect_attempts
