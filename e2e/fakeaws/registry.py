"""The table of VPC Lattice operations this project implements, keyed by botocore operation name.

Each operation is `fn(state, args) -> (http_status, body | None)`; `args` holds the botocore member names
(camelCase) from path, query and body. `handlers.install()` turns each entry into a moto handler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from e2e.fakeaws.errors import validation_error
from e2e.fakeaws.state import LatticeState

Args = Mapping[str, Any]
Reply = tuple[int, dict[str, Any] | None]
Operation = Callable[[LatticeState, Args], Reply]

OPERATIONS: dict[str, Operation] = {}


def operation(name: str) -> Callable[[Operation], Operation]:
    def register(fn: Operation) -> Operation:
        if name in OPERATIONS:
            raise RuntimeError(f"operation {name} registered twice")
        OPERATIONS[name] = fn
        return fn

    return register


def required(args: Args, name: str) -> Any:
    value = args.get(name)
    if value is None or value == "":
        raise validation_error(
            f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
            "Member must not be null",
            name,
        )
    return value


def optional_int(args: Args, name: str) -> int | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation_error(f"{name} must be an integer", name) from None


def drop_none(body: dict[str, Any]) -> dict[str, Any]:
    """AWS omits unset members; so do we."""
    return {key: value for key, value in body.items() if value is not None}
