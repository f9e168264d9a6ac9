"""Collect every page of a token-paginated AWS List call into one list."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

MAX_PAGES = 10_000
"""A guard against a server that keeps handing out tokens; no real listing comes near it."""


class PaginationLoop(RuntimeError):
    """The server returned a token it had already returned, or more than ``MAX_PAGES`` pages."""


async def collect_pages(
    fetch_page: Callable[[str | None], Awaitable[dict[str, Any]]],
    *,
    items_key: str,
    token_key: str,
) -> list[dict[str, Any]]:
    """Call ``fetch_page(token)`` from ``None`` until the response carries no (or an empty) token.

    ``items_key`` names the list in each response ("items", "ResourceTagMappingList" …) and
    ``token_key`` the continuation token in the response ("nextToken", "PaginationToken" …).
    """
    items: list[dict[str, Any]] = []
    async for page in each_page(fetch_page, items_key=items_key, token_key=token_key):
        items.extend(page)
    return items


async def each_page(
    fetch_page: Callable[[str | None], Awaitable[dict[str, Any]]],
    *,
    items_key: str,
    token_key: str,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The items of each page in turn, as ``collect_pages`` fetches them: a caller that keeps a
    compact form of each page never holds the whole raw listing."""
    seen: set[str] = set()
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = await fetch_page(token)
        yield list(page.get(items_key) or [])
        token = page.get(token_key) or None
        if token is None:
            return
        if token in seen:
            raise PaginationLoop(f"pagination token repeated: {token!r}")
        seen.add(token)
    raise PaginationLoop(f"more than {MAX_PAGES} pages")
