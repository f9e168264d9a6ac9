"""The seam between the typed facades and the wire: one ``call(service, operation, params)`` method.

``BotocoreTransport`` sends through the aiobotocore clients, records metrics and translates errors;
``lattice_controller.aws.testing.ScriptedTransport`` answers from memory for unit tests. Facades
(``LatticeApi``, ``TagStore``, ``AcmApi``) only ever see this protocol.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

import structlog
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from lattice_controller.aws.errors import (
    INTERNAL_ERROR_CODE,
    translate_botocore_error,
    translate_client_error,
)
from lattice_controller.aws.metrics import AwsMetrics, begin_trail, end_trail
from lattice_controller.aws.session import AwsClients

_log = structlog.get_logger("lattice_controller.aws")


class AwsTransport(Protocol):
    """Send one API call. ``service`` is the botocore service name ("vpc-lattice"), ``operation`` the
    API operation name ("ListServices"), ``params`` the request members. Returns the parsed response
    without ``ResponseMetadata``; raises ``AwsError`` (or a subclass) on failure."""

    async def call(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]: ...


class BotocoreTransport:
    """``AwsTransport`` over open ``AwsClients``; every call is logged, counted and timed."""

    def __init__(self, clients: AwsClients, metrics: AwsMetrics) -> None:
        self._clients = clients
        self._metrics = metrics
        self._labels: dict[str, str] = {}

    async def call(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        client = self._clients.client(service)
        label = self._labels.get(service) or self._labels.setdefault(
            service, self._clients.service_label(service)
        )
        method = getattr(client, xform_name(operation))
        _log.debug("aws call", service=service, operation=operation, params=dict(params))
        trail, token = begin_trail()
        started = time.perf_counter()
        # Anything that leaves without a response or an API error (cancellation included) is "internal".
        status_code, error_code, retries = 0, INTERNAL_ERROR_CODE, 0
        try:
            response: dict[str, Any] = await method(**params)
            error_code = ""
            metadata = response.pop("ResponseMetadata", {})
            status_code = int(metadata.get("HTTPStatusCode", trail.last_status))
            retries = int(metadata.get("RetryAttempts", max(trail.attempts - 1, 0)))
            return response
        except ClientError as exc:
            error = translate_client_error(exc, service=service, operation=operation)
            metadata = (exc.response or {}).get("ResponseMetadata", {})
            status_code = error.http_status or trail.last_status
            error_code = error.code
            retries = int(metadata.get("RetryAttempts", max(trail.attempts - 1, 0)))
            _log.debug("aws call failed", service=service, operation=operation, code=error.code)
            raise error from exc
        except BotoCoreError as exc:
            raise translate_botocore_error(exc, service=service, operation=operation) from exc
        finally:
            end_trail(token)
            if error_code == INTERNAL_ERROR_CODE:
                status_code, retries = trail.last_status, max(trail.attempts - 1, 0)
            self._metrics.observe_call(
                label,
                operation,
                status_code=status_code,
                error_code=error_code,
                retries=retries,
                seconds=time.perf_counter() - started,
            )
