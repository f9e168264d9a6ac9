"""AWS call metrics: the Prometheus series of the reference controller plus an in-process call ledger.

Series (names and labels identical to the reference, subsystem ``aws``):

* ``aws_api_calls_total{service,operation,status_code,error_code}`` — one per SDK call, whatever
  the number of attempts; ``status_code`` of the last attempt ("0" if none), ``error_code`` the API
  code, ``internal`` for non-API failures, "" on success.
* ``aws_api_call_duration_seconds{service,operation}`` — whole call including retries and backoff.
* ``aws_api_call_retries{service,operation}`` — retries per call, buckets 0..10.
* ``aws_api_requests_total{service,operation,status_code,error_code}`` — one per HTTP attempt.
* ``aws_api_request_duration_seconds{service,operation}`` — one HTTP attempt, backoff excluded.

Ours: ``aws_api_client_wait_seconds_total{service,operation}`` — time attempts waited for the client-side
rate limit (``aws.throttle``); ``lattice_inventory_listings_total{listing}`` — listings the shared inventory
started (one per paginated listing, whatever its number of pages; ``listing`` is an ``aws.listings.Listing``).

Per-attempt series come from botocore's ``request-created`` / ``response-received`` events, which
aiobotocore emits once per attempt in the calling task; the start time travels in the request
context dict that both events share. ``service`` is the model's service id ("VPC Lattice").
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client import Counter as PromCounter

from lattice_controller.aws.errors import INTERNAL_ERROR_CODE

_READ_PREFIXES = ("List", "Get", "Describe")
_ATTEMPT_STARTED = "lattice_controller.attempt_started"


def is_read_operation(operation: str) -> bool:
    """True for operations that change nothing in AWS (List*, Get*, Describe*)."""
    return operation.startswith(_READ_PREFIXES)


@dataclass(slots=True)
class CallLedger:
    """In-process counts of logical calls and HTTP attempts, keyed by (service, operation).

    Tests and benchmarks read it to check call budgets without asking the fake server.
    """

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)

    def record_call(self, service: str, operation: str) -> None:
        self.calls[(service, operation)] += 1

    def record_request(self, service: str, operation: str) -> None:
        self.requests[(service, operation)] += 1

    def count(self, operation: str) -> int:
        """Logical calls of ``operation`` on any service."""
        return sum(n for (_, op), n in self.calls.items() if op == operation)

    def by_operation(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for (_, op), n in self.calls.items():
            totals[op] += n
        return dict(totals)

    def total(self) -> int:
        return sum(self.calls.values())

    def reads(self) -> int:
        return sum(n for (_, op), n in self.calls.items() if is_read_operation(op))

    def writes(self) -> int:
        return sum(n for (_, op), n in self.calls.items() if not is_read_operation(op))

    def reset(self) -> None:
        self.calls.clear()
        self.requests.clear()


@dataclass(slots=True)
class AttemptTrail:
    """What the per-attempt hooks saw during one logical call (set in a context variable)."""

    attempts: int = 0
    last_status: int = 0


_current_trail: ContextVar[AttemptTrail | None] = ContextVar("lattice_controller_aws_trail", default=None)


class AwsMetrics:
    """The five ``aws_api_*`` series, registered on ``registry``, plus a ``CallLedger``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("service", "operation", "status_code", "error_code")
        self.ledger = CallLedger()
        self.calls_total = PromCounter(
            "aws_api_calls_total",
            "AWS SDK calls, one per call including its retries",
            labels,
            registry=registry,
        )
        self.call_duration_seconds = Histogram(
            "aws_api_call_duration_seconds",
            "Duration of AWS SDK calls including retries",
            ("service", "operation"),
            registry=registry,
        )
        self.call_retries = Histogram(
            "aws_api_call_retries",
            "Retries per AWS SDK call",
            ("service", "operation"),
            buckets=tuple(float(n) for n in range(11)),
            registry=registry,
        )
        self.requests_total = PromCounter(
            "aws_api_requests_total", "AWS HTTP requests, one per attempt", labels, registry=registry
        )
        self.request_duration_seconds = Histogram(
            "aws_api_request_duration_seconds",
            "Duration of one AWS HTTP attempt",
            ("service", "operation"),
            registry=registry,
        )
        self.client_wait_seconds = PromCounter(
            "aws_api_client_wait_seconds",
            "Seconds AWS HTTP attempts waited for the client-side per-operation rate limit or a retry-after",
            ("service", "operation"),
            registry=registry,
        )

        self.inventory_listings_total = PromCounter(
            "lattice_inventory_listings",
            "Listings the shared inventory fetched (one per paginated listing, all its pages)",
            ("listing",),
            registry=registry,
        )

    def listing_fetched(self, listing: str) -> None:
        self.inventory_listings_total.labels(listing).inc()

    def observe_call(
        self,
        service: str,
        operation: str,
        *,
        status_code: int,
        error_code: str,
        retries: int,
        seconds: float,
    ) -> None:
        self.ledger.record_call(service, operation)
        self.calls_total.labels(service, operation, str(status_code), error_code).inc()
        self.call_duration_seconds.labels(service, operation).observe(seconds)
        self.call_retries.labels(service, operation).observe(retries)

    def observe_request(
        self, service: str, operation: str, *, status_code: int, error_code: str, seconds: float
    ) -> None:
        self.ledger.record_request(service, operation)
        self.requests_total.labels(service, operation, str(status_code), error_code).inc()
        self.request_duration_seconds.labels(service, operation).observe(seconds)

    def install_hooks(self, client: Any) -> None:
        """Register the per-attempt event handlers on one aiobotocore client."""
        service_id = client.meta.service_model.service_id
        event_suffix = service_id.hyphenize()
        events = client.meta.events
        events.register(f"request-created.{event_suffix}", _on_request_created)
        events.register(
            f"response-received.{event_suffix}", partial(self._on_response_received, str(service_id))
        )

    def _on_response_received(
        self,
        service: str,
        *,
        context: dict[str, Any],
        response_dict: Mapping[str, Any] | None,
        parsed_response: Mapping[str, Any] | None,
        exception: BaseException | None,
        event_name: str,
        **_: Any,
    ) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        started = context.get(_ATTEMPT_STARTED, time.perf_counter())
        status_code = int(response_dict.get("status_code", 0)) if response_dict else 0
        error_code = attempt_error_code(status_code, parsed_response, exception)
        self.observe_request(
            service,
            operation,
            status_code=status_code,
            error_code=error_code,
            seconds=time.perf_counter() - started,
        )
        trail = _current_trail.get()
        if trail is not None:
            trail.attempts += 1
            trail.last_status = status_code


def _on_request_created(request: Any, **_: Any) -> None:
    # Runs once per attempt, after any retry backoff, so attempt durations exclude the sleep.
    request.context[_ATTEMPT_STARTED] = time.perf_counter()


def attempt_error_code(
    status_code: int, parsed_response: Mapping[str, Any] | None, exception: BaseException | None
) -> str:
    """The ``error_code`` label of one attempt: "" on success, the API code, or ``internal``."""
    if exception is not None or parsed_response is None:
        return INTERNAL_ERROR_CODE
    if status_code < 300:
        return ""
    error = parsed_response.get("Error") or {}
    return str(error.get("Code") or status_code)


def begin_trail() -> tuple[AttemptTrail, Any]:
    """Start collecting attempts for the call about to be made in this task; returns (trail, token)."""
    trail = AttemptTrail()
    return trail, _current_trail.set(trail)


def end_trail(token: Any) -> None:
    _current_trail.reset(token)
