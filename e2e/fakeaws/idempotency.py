"""`clientToken` idempotency for Create calls.

Same token and same parameters → the resource created by the first call; same token and different
parameters → ConflictException (AWS's IdempotentParameterMismatch for VPC Lattice). A token whose resource
has since been deleted starts afresh.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

from e2e.fakeaws.errors import conflict
from e2e.fakeaws.records import IdempotencyEntry
from e2e.fakeaws.registry import Args
from e2e.fakeaws.state import LatticeState

Record = TypeVar("Record")


def create_once(
    state: LatticeState,
    operation: str,
    args: Args,
    lookup: Callable[[str], Record | None],
    create: Callable[[], tuple[str, Record]],
) -> Record:
    """Run `create` (returning (id, record)) unless an earlier call with the same clientToken already did."""
    token = args.get("clientToken")
    if not token:
        return create()[1]
    fingerprint = json.dumps(
        {k: v for k, v in args.items() if k != "clientToken"}, sort_keys=True, default=str
    )
    entry = state.client_tokens.get((operation, token))
    if entry is not None:
        if entry.fingerprint != fingerprint:
            raise conflict(
                f"IdempotentParameterMismatch: the clientToken '{token}' was already used for a {operation} "
                "request with different parameters",
                "CLIENT_TOKEN",
                token,
            )
        existing = lookup(entry.resource_id)
        if existing is not None:
            return existing
    resource_id, record = create()
    state.client_tokens[(operation, token)] = IdempotencyEntry(fingerprint, resource_id)
    return record
