"""`maxResults`/`nextToken` paging for every List operation.

The token encodes the sort key of the last item returned, so deleting items between pages neither skips
nor repeats the others. A token that does not decode is a ValidationException, as on AWS.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from e2e.fakeaws.errors import validation_error
from e2e.fakeaws.registry import Args

Item = TypeVar("Item")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def paginate(
    items: Sequence[Item], args: Args, sort_key: Callable[[Item], Any]
) -> tuple[list[Item], str | None]:
    size = _page_size(args.get("maxResults"))
    ordered = sorted(items, key=sort_key)
    token = args.get("nextToken")
    if token:
        after = _decode(token)
        ordered = [item for item in ordered if _as_list(sort_key(item)) > after]
    page = ordered[:size]
    if len(ordered) > size:
        return page, _encode(_as_list(sort_key(page[-1])))
    return page, None


def _page_size(raw: Any) -> int:
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise validation_error("maxResults must be an integer", "maxResults") from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise validation_error(
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value between 1 and {MAX_PAGE_SIZE}",
            "maxResults",
        )
    return size


def _as_list(key: Any) -> list[Any]:
    return list(key) if isinstance(key, tuple | list) else [key]


def _encode(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode(token: str) -> list[Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        raise validation_error("Invalid nextToken", "nextToken") from None
    if not isinstance(decoded, list):
        raise validation_error("Invalid nextToken", "nextToken")
    return decoded
