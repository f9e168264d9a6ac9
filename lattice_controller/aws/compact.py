"""Compact forms of the AWS answers the inventory keeps for a cycle: only what a reconcile reads.

A listing item is kept as the API's summary dict minus the members no reconcile reads (``createdAt``,
``createdBy``, and an association's copies of its service's and network's names, ARNs and DNS entry),
with its ARNs and its few-valued members interned (``INTERNED``): an ARN is one string object whether
the services listing, the tag listing or a target group's ``serviceArns`` holds it, and the thousands
of ``"ACTIVE"``, ``"HEALTHY"``, tag keys and ManagedBy values parsed from JSON are one object each
(strings of one resource only, ids and names, are not: interning them would cost, not save). Tag maps
of a listing are shared between the resources that carry the same tags (a route's service, listener,
rules and association): read-only, like every listed item. A listed target (10 per target group,
10,000 at 1,000 routes) is kept as a ``Target`` tuple instead of a dict. Pure functions, no I/O.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

from lattice_controller.aws.listings import Listing

DROPPED: frozenset[str] = frozenset({"createdAt", "createdBy"})
"""Members of every listed item that nothing reads."""
DROPPED_BY_LISTING: Mapping[str, frozenset[str]] = {
    Listing.SERVICE_ASSOCIATIONS: frozenset(
        {"serviceArn", "serviceName", "serviceNetworkArn", "dnsEntry", "customDomainName"}
    ),
}
"""Members nothing reads of the items of one listing (on top of ``DROPPED``)."""
INTERNED: frozenset[str] = frozenset(
    {
        "arn",
        "serviceArns",
        "status",
        "protocol",
        "type",
        "ipAddressType",
        "vpcIdentifier",
        "serviceId",
        "serviceNetworkId",
        "serviceNetworkName",
        "reasonCode",
    }
)
"""Members whose strings are interned: ARNs (listed again by the tag listing) and few-valued ones."""


def interned(value: Any) -> Any:
    """``value`` with every string in it (dict keys, list items, nested) interned; other values as is."""
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, dict):
        return {sys.intern(k) if isinstance(k, str) else k: interned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [interned(v) for v in value]
    return value


def compact_item(listing: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """One listed (or written) item of ``listing`` as the inventory keeps it."""
    dropped = DROPPED_BY_LISTING.get(listing, frozenset())
    return {
        sys.intern(k): interned(v) if k in INTERNED else v
        for k, v in item.items()
        if k not in DROPPED and k not in dropped
    }


def compact_items(listing: str, items: Iterable[Mapping[str, Any]]) -> list[Any]:
    """The items of a fetched listing as the inventory keeps them (targets: ``Target`` tuples)."""
    if listing == Listing.TARGETS:
        return [compact_target(item) for item in items]
    return [compact_item(listing, item) for item in items]


Target = tuple[str, int, str | None]
"""A listed target: ``(id, port, status)``; ``reasonCode`` is not read."""


def compact_target(item: Mapping[str, Any]) -> Target:
    status = item.get("status")
    return (str(item["id"]), int(item.get("port") or 0), None if status is None else sys.intern(str(status)))


def target_item(target: Target) -> dict[str, Any]:
    """A kept target as the ``ListTargets`` item it came from (its read members)."""
    target_id, port, status = target
    item: dict[str, Any] = {"id": target_id, "port": port}
    if status is not None:
        item["status"] = status
    return item


class TagMaps:
    """Interns the tag maps of one listing: equal maps become one shared dict (treat it as read-only)."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    def shared(self, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
        tags = {sys.intern(k): sys.intern(v) for k, v in pairs}
        return self._seen.setdefault(tuple(sorted(tags.items())), tags)
