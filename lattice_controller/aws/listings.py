"""The names of the inventory's listings: what a reconcile may drop with ``LatticeInventory.invalidate``.

A listing is keyed by ``(Listing, *scope)``: account-wide listings have no scope; scoped ones carry
the ids they were listed under (``(Listing.RULES, service_id, listener_id)``).
"""

from __future__ import annotations

from enum import StrEnum


class Listing(StrEnum):
    SERVICES = "services"
    SERVICE_NETWORKS = "service-networks"
    TARGET_GROUPS = "target-groups"
    TARGET_GROUP_TAGS = "target-group-tags"
    """The tags of every target group (one listing, see ``inventory_tags``)."""
    TAGGED = "tagged"
    """Tag-filtered listings (tagging API), scoped by their filter."""
    LISTENERS = "listeners"
    """Per service id."""
    RULES = "rules"
    """Per service id and listener id."""
    TARGETS = "targets"
    """Per target group id."""
    SERVICE_ASSOCIATIONS = "service-associations"
    """Service network ↔ service associations, per service id."""
    VPC_ASSOCIATIONS = "vpc-associations"
    """Service network ↔ VPC associations, per VPC id."""


ListingKey = tuple[str, ...]
"""``(Listing, *scope)``; a ``Listing`` is a ``str``, so keys compare as plain tuples."""
