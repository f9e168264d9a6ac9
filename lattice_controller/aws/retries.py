"""botocore's ``standard`` retries, except that an endpoint which cannot be connected to is given up on
after a few attempts.

Throttling, 5xx answers and dropped connections keep the full ``max_attempts`` budget (they are
answers, or half-answers, from a service that is there). A connect that fails (refused, unresolvable,
timed out) says AWS cannot be reached at all: retrying it inside one call for minutes only hides the
outage, so the call fails after ``connect_attempts`` and the reconcile reports it on the route, while
the work queue's backoff keeps retrying.
"""

from __future__ import annotations

from typing import Any

from aiobotocore.retries.standard import (
    AioRetryHandler,
    AioRetryPolicy,
    AioStandardRetryConditions,
)
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError
from botocore.retries.quota import RetryQuota
from botocore.retries.standard import (
    ExponentialBackoff,
    RetryEventAdapter,
    RetryQuotaChecker,
    ThrottlingErrorDetector,
)

CONNECT_ERRORS = (EndpointConnectionError, ConnectTimeoutError)
"""A connection that was never made: nothing was sent, AWS was not reached."""


class ConnectLimitedConditions(AioStandardRetryConditions):  # type: ignore[misc]
    """The standard conditions, with at most ``connect_attempts`` attempts for a failed connect."""

    def __init__(self, max_attempts: int, connect_attempts: int) -> None:
        super().__init__(max_attempts=max_attempts)
        self.connect_attempts = connect_attempts

    async def is_retryable(self, context: Any) -> bool:
        connect_failed = isinstance(context.caught_exception, CONNECT_ERRORS)
        if connect_failed and context.attempt_number >= self.connect_attempts:
            return False
        return bool(await super().is_retryable(context))


def install_retries(client: Any, max_attempts: int, connect_attempts: int) -> None:
    """Replace the client's ``standard`` retry handler by one whose conditions are
    ``ConnectLimitedConditions`` (same backoff, same retry quota rules)."""
    service = client.meta.service_model.service_id.hyphenize()
    events = client.meta.events
    unique_id = f"retry-config-{service}"
    events.unregister(f"needs-retry.{service}", unique_id=unique_id)
    adapter = RetryEventAdapter()
    throttling = ThrottlingErrorDetector(adapter)
    quota = RetryQuotaChecker(RetryQuota(), throttling)
    handler = AioRetryHandler(
        retry_policy=AioRetryPolicy(
            retry_checker=ConnectLimitedConditions(max_attempts, connect_attempts),
            retry_backoff=ExponentialBackoff(service_name=service, throttling_detector=throttling),
        ),
        retry_event_adapter=adapter,
        retry_quota=quota,
        service_name=service,
    )
    events.register(f"after-call.{service}", quota.release_retry_quota)
    events.register(f"needs-retry.{service}", handler.needs_retry, unique_id=unique_id)
