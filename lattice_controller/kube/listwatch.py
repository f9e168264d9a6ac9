"""The list and watch calls a reflector makes, as a small protocol with one implementation per kind.

``ListWatchSource`` is the test seam: unit tests give the reflector an in-memory fake instead of
``ApiListWatch``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Protocol

from lattice_controller.kube.kinds import AnyKind
from lattice_controller.kube.rest import KubeRest

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ListPage:
    items: list[JSON]
    resource_version: str
    continue_token: str = ""


class ListWatchSource(Protocol):
    async def list_page(self, *, limit: int, continue_token: str) -> ListPage:
        """One page of a consistent list; raises ``Expired`` when the continue token is too old."""
        ...

    def watch(self, *, resource_version: str, timeout_seconds: int) -> AsyncGenerator[JSON, None]:
        """Events ``{"type": ADDED|MODIFIED|DELETED|BOOKMARK, "object": {...}}`` after ``resource_version``.

        Ends when the server closes the stream; raises ``Expired`` when the version is too old.
        """
        ...


class ApiListWatch:
    """List and watch one kind (all namespaces unless ``namespace``) through ``KubeRest``."""

    def __init__(
        self,
        rest: KubeRest,
        kind: AnyKind,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        read_timeout_slack: float = 60.0,
    ) -> None:
        self.rest = rest
        self.kind = kind
        self._path = kind.collection_path(namespace)
        self._selectors: list[tuple[str, str]] = []
        if label_selector:
            self._selectors.append(("labelSelector", label_selector))
        if field_selector:
            self._selectors.append(("fieldSelector", field_selector))
        self._read_timeout_slack = read_timeout_slack

    async def list_page(self, *, limit: int, continue_token: str) -> ListPage:
        query = [*self._selectors, ("limit", str(limit))]
        if continue_token:
            query.append(("continue", continue_token))
        body = await self.rest.get(self._path, query)
        metadata = body.get("metadata") or {}
        return ListPage(
            items=list(body.get("items") or ()),
            resource_version=str(metadata.get("resourceVersion") or ""),
            continue_token=str(metadata.get("continue") or ""),
        )

    def watch(self, *, resource_version: str, timeout_seconds: int) -> AsyncGenerator[JSON, None]:
        query = [
            *self._selectors,
            ("resourceVersion", resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(timeout_seconds)),
        ]
        # Bookmarks arrive about once a minute, so a silent stream beyond the timeout plus slack is dead.
        return self.rest.watch(self._path, query, read_timeout=timeout_seconds + self._read_timeout_slack)
