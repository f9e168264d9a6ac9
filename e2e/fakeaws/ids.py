"""Identifiers, ARNs and timestamps in the formats VPC Lattice uses."""

from __future__ import annotations

import re
import secrets
import string
import time
from datetime import UTC, datetime

from e2e.fakeaws.errors import validation_error

_ID_ALPHABET = string.ascii_lowercase + string.digits
_ID_BODY = "[0-9a-z]{17}"
_ARN_HEAD = r"arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:"


def new_id(prefix: str) -> str:
    """`<prefix>-` followed by 17 lowercase alphanumerics, like `svc-0a1b2c3d4e5f6g7h8`."""
    return f"{prefix}-{''.join(secrets.choice(_ID_ALPHABET) for _ in range(17))}"


def lattice_arn(region: str, account: str, resource_path: str) -> str:
    return f"arn:aws:vpc-lattice:{region}:{account}:{resource_path}"


def now() -> float:
    return time.time()


def touched(previous: float) -> float:
    """The ``lastUpdatedAt`` of an update: now, and always at least 1 ms (the shown resolution) after the
    previous stamp, so every update moves the stamp a reader sees, as Lattice's does."""
    return max(now(), previous + 0.001)


def iso(ts: float) -> str:
    """ISO-8601 with milliseconds and a `Z`, as AWS returns timestamps."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def resolve_id(identifier: object, prefix: str, field: str) -> str:
    """The resource id from an id or an ARN whose last path segment is `<prefix>-…`.

    A malformed identifier is a ValidationException, as AWS checks the model pattern server-side.
    """
    if not isinstance(identifier, str) or not identifier:
        raise validation_error(f"{field} is required", field)
    candidate = identifier
    if identifier.startswith("arn:"):
        if not re.match(_ARN_HEAD, identifier):
            raise _bad_identifier(identifier, field)
        candidate = identifier.rsplit("/", 1)[-1]
    if not re.fullmatch(f"{re.escape(prefix)}-{_ID_BODY}", candidate):
        raise _bad_identifier(identifier, field)
    return candidate


def _bad_identifier(identifier: str, field: str) -> Exception:
    return validation_error(
        f"1 validation error detected: Value '{identifier}' at '{field}' failed to satisfy constraint: "
        "Member must be a valid ID or ARN",
        field,
    )
