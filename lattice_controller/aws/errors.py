"""Typed AWS errors: botocore exceptions are translated here, at the boundary, by error *code*.

Callers above ``aws/`` catch ``NotFound``, ``Conflict`` … and never see botocore. The HTTP status is
kept for logs and metrics only: moto answers not-found with 400 where AWS answers 404, so status
codes must never decide the class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

INTERNAL_ERROR_CODE = "internal"
"""The error code recorded for failures that never produced an API error (connection, credentials)."""


class AwsError(Exception):
    """An AWS call failed. ``code`` is the API error code, or ``"internal"`` for non-API failures."""

    def __init__(
        self,
        *,
        service: str,
        operation: str,
        code: str,
        message: str,
        request_id: str = "",
        http_status: int = 0,
    ) -> None:
        super().__init__(f"{service} {operation}: {code}: {message}")
        self.service = service
        self.operation = operation
        self.code = code
        self.message = message
        self.request_id = request_id
        self.http_status = http_status


class NotFound(AwsError):
    """The resource (or one it refers to) does not exist."""


class Conflict(AwsError):
    """The request conflicts with the current state (name taken, resource busy, wrong status)."""


class Throttled(AwsError):
    """Rate limited; botocore already retried with backoff before this was raised."""


class ValidationFailed(AwsError):
    """The request was rejected as invalid; retrying the same request cannot succeed."""


class AccessDenied(AwsError):
    """Not authorised, or the credentials were rejected."""


class ServiceQuotaExceeded(AwsError):
    """An account or resource quota is exhausted."""


_CLASS_BY_CODE: Mapping[str, type[AwsError]] = {
    "ResourceNotFoundException": NotFound,
    "NotFoundException": NotFound,
    "ConflictException": Conflict,
    "ResourceInUseException": Conflict,
    "ThrottlingException": Throttled,
    "Throttling": Throttled,
    "ThrottledException": Throttled,
    "TooManyRequestsException": Throttled,
    "RequestLimitExceeded": Throttled,
    "RequestThrottled": Throttled,
    "RequestThrottledException": Throttled,
    "ValidationException": ValidationFailed,
    "InvalidParameterException": ValidationFailed,
    "InvalidParameterValueException": ValidationFailed,
    "InvalidParameterCombination": ValidationFailed,
    "InvalidRequestException": ValidationFailed,
    "MissingParameter": ValidationFailed,
    "AccessDeniedException": AccessDenied,
    "AccessDenied": AccessDenied,
    "UnauthorizedOperation": AccessDenied,
    "UnauthorizedException": AccessDenied,
    "UnrecognizedClientException": AccessDenied,
    "InvalidClientTokenId": AccessDenied,
    "ExpiredTokenException": AccessDenied,
    "ExpiredToken": AccessDenied,
    "AuthFailure": AccessDenied,
    "ServiceQuotaExceededException": ServiceQuotaExceeded,
    "LimitExceededException": ServiceQuotaExceeded,
}


def error_class_for_code(code: str) -> type[AwsError]:
    """The exception class for an API error code; unknown codes give the generic ``AwsError``."""
    return _CLASS_BY_CODE.get(code, AwsError)


def make_error(
    service: str,
    operation: str,
    code: str,
    message: str = "",
    *,
    request_id: str = "",
    http_status: int = 0,
) -> AwsError:
    """Build the typed error for ``code``; used by the translation below and by in-memory transports."""
    return error_class_for_code(code)(
        service=service,
        operation=operation,
        code=code,
        message=message,
        request_id=request_id,
        http_status=http_status,
    )


def translate_client_error(error: ClientError, *, service: str, operation: str) -> AwsError:
    """Map a botocore ``ClientError`` to our typed error, keeping code, message and request id."""
    response: Mapping[str, Any] = error.response or {}
    details: Mapping[str, Any] = response.get("Error") or {}
    metadata: Mapping[str, Any] = response.get("ResponseMetadata") or {}
    code = str(details.get("Code") or "Unknown")
    return make_error(
        service,
        operation,
        code,
        str(details.get("Message") or ""),
        request_id=str(metadata.get("RequestId") or ""),
        http_status=int(metadata.get("HTTPStatusCode") or 0),
    )


def translate_botocore_error(error: BotoCoreError, *, service: str, operation: str) -> AwsError:
    """Map a non-API botocore failure (no credentials, connection refused …) to ``AwsError("internal")``;
    client-side parameter validation becomes ``ValidationFailed("ParamValidationError")``."""
    if isinstance(error, ParamValidationError):
        return ValidationFailed(
            service=service, operation=operation, code="ParamValidationError", message=str(error)
        )
    return AwsError(service=service, operation=operation, code=INTERNAL_ERROR_CODE, message=str(error))
