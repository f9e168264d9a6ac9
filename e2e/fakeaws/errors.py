"""VPC Lattice errors as AWS returns them: error code, HTTP status from the botocore model, JSON body.

Domain code raises `LatticeError`; the handler adapter turns it into a moto response tuple. Never raise a
plain exception from a handler: werkzeug would turn it into an HTML 500 that botocore retries.
"""

from __future__ import annotations

import json
from typing import Any

SERVICE_CODE = "vpc-lattice"


class LatticeError(Exception):
    """An AWS error response: `code` (the `x-amzn-ErrorType`), `status`, message and extra body fields."""

    def __init__(self, code: str, status: int, message: str, **fields: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.status = status
        self.message = message
        self.fields = fields

    def body(self) -> str:
        return json.dumps({"message": self.message, **self.fields})

    def response(self) -> tuple[str, dict[str, Any]]:
        return self.body(), error_headers(self.code, self.status)


def error_headers(code: str, status: int) -> dict[str, Any]:
    return {"status": status, "Content-Type": "application/json", "x-amzn-ErrorType": code}


def not_found(resource_type: str, resource_id: str, label: str | None = None) -> LatticeError:
    what = label or resource_type.replace("_", " ").lower()
    return LatticeError(
        "ResourceNotFoundException",
        404,
        f"Resource not found: {what} '{resource_id}' does not exist.",
        resourceId=resource_id,
        resourceType=resource_type,
    )


def conflict(message: str, resource_type: str, resource_id: str) -> LatticeError:
    return LatticeError("ConflictException", 409, message, resourceId=resource_id, resourceType=resource_type)


def validation_error(
    message: str, field: str | None = None, reason: str = "fieldValidationFailed"
) -> LatticeError:
    fields: dict[str, Any] = {"reason": reason}
    if field:
        fields["fieldList"] = [{"name": field, "message": message}]
    return LatticeError("ValidationException", 400, message, **fields)


def quota_exceeded(message: str, resource_type: str, quota_code: str) -> LatticeError:
    return LatticeError(
        "ServiceQuotaExceededException",
        402,
        message,
        resourceType=resource_type,
        serviceCode=SERVICE_CODE,
        quotaCode=quota_code,
    )


def internal_error(message: str) -> LatticeError:
    return LatticeError("InternalServerException", 500, message)
