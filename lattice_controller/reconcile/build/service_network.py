"""What a ServiceNetwork object asks for, decided from records and tags only (pure; docs/policies.md).

* Its name must be a name Lattice accepts for a service network, else ``Accepted=False/Invalid`` and
  nothing is written anywhere but its status.
* An existing network of that name is ours when its ``ManagedBy`` tag is ours. One without a
  ``ManagedBy`` tag is adopted only with an opt-in, as for routes' services: the platform allows every
  adoption (``ADOPTION_ALLOWED_NAMESPACES=*``; a ServiceNetwork has no namespace, so a list of namespaces
  does not cover it) or the network carries ``AllowAdoptionBy=ServiceNetwork/<name>``. Another
  controller's network is never taken.
* Deletion waits while one of our Gateways maps to the network or Lattice still counts associations on
  it; a network we adopted is handed back (our tags removed) instead of deleted, unless the platform
  opt-in allowed the adoption.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.k8s import Condition, Gateway
from lattice_controller.model.naming import lattice_name_problem
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.build.inputs import BuildSettings

MAX_NETWORK_NAME_LENGTH = 63
ADOPTION_SETTING = "ADOPTION_ALLOWED_NAMESPACES"
ADOPTION_OWNER_PREFIX = "ServiceNetwork/"

REASON_RECONCILE_ERROR = "ReconcileError"
REASON_DELETE_BLOCKED = "DeleteBlocked"
REASON_DELETE_ERROR = "DeleteError"
DELETE_WAIT_REASONS = frozenset({REASON_DELETE_BLOCKED, REASON_DELETE_ERROR})
MSG_ACCEPTED = "ServiceNetwork is accepted"
MSG_PROGRAMMED = "ServiceNetwork is programmed"


def name_problem(name: str) -> str | None:
    """Why Lattice would refuse ``name`` for a service network (the object's ``metadata.name``), or None."""
    problem = lattice_name_problem(name, MAX_NETWORK_NAME_LENGTH)
    if problem is None:
        return None
    return (
        f"metadata.name {name!r} is not a valid VPC Lattice service network name: {problem}; "
        "create the ServiceNetwork under a valid name"
    )


def adoption_value(name: str) -> str:
    """The ``AllowAdoptionBy`` value with which a network's owner lets ServiceNetwork ``name`` adopt it."""
    return ADOPTION_OWNER_PREFIX + name


def platform_allows_adoption(settings: BuildSettings) -> bool:
    return "*" in settings.adoption_allowed_namespaces


@dataclass(frozen=True, slots=True)
class NetworkOwnership:
    """``owned``: we may write to it; ``managed``: controller tags to force on it; ``conflict``: why not."""

    owned: bool
    managed: dict[str, str] = field(default_factory=dict)
    conflict: str | None = None


def network_ownership(name: str, tags: Mapping[str, str], settings: BuildSettings) -> NetworkOwnership:
    """Ours, adoptable (opt-in) or someone else's, for an existing network on create/update."""
    owner = tags.get(tag_keys.MANAGED_BY)
    if owner == settings.managed_by:
        return NetworkOwnership(True, {tag_keys.MANAGED_BY: settings.managed_by})
    if owner is not None:
        return NetworkOwnership(
            False,
            conflict=f"ServiceNetwork {name} is owned by another controller ({owner}); it is left alone",
        )
    if platform_allows_adoption(settings) or tags.get(tag_keys.ALLOW_ADOPTION_BY) == adoption_value(name):
        managed = {tag_keys.MANAGED_BY: settings.managed_by}
        if tag_keys.ADOPTED_FROM not in tags:
            managed[tag_keys.ADOPTED_FROM] = tag_keys.ADOPTED_FROM_UNMANAGED
        return NetworkOwnership(True, managed)
    return NetworkOwnership(
        False,
        conflict=(
            f"service network {name} exists and was not created by this controller; it is adopted only if "
            f"the controller setting {ADOPTION_SETTING} is * or the network carries the tag "
            f"{tag_keys.ALLOW_ADOPTION_BY}={adoption_value(name)}"
        ),
    )


@dataclass(frozen=True, slots=True)
class NetworkRemoval:
    """On delete: ``delete`` the network, or ``release`` it (remove ``untag``), or neither (not ours)."""

    delete: bool = False
    release: bool = False
    untag: tuple[str, ...] = ()


def network_removal(tags: Mapping[str, str], settings: BuildSettings) -> NetworkRemoval:
    if tags.get(tag_keys.MANAGED_BY) != settings.managed_by:
        return NetworkRemoval()  # untagged or another controller's: never deleted or retagged
    if tag_keys.ADOPTED_FROM in tags and not platform_allows_adoption(settings):
        return NetworkRemoval(release=True, untag=(tag_keys.ADOPTED_FROM, tag_keys.MANAGED_BY))
    return NetworkRemoval(delete=True)


def gateways_using(name: str, gateways: Iterable[Gateway], settings: BuildSettings) -> list[str]:
    """``<ns>/<name>`` of the live Gateways (already filtered to our class) whose network is ``name``."""
    return sorted(
        str(g.meta.key)
        for g in gateways
        if not g.meta.deleting
        and (settings.default_service_network if settings.override_active else g.meta.key.name) == name
    )


def delete_blocked_message(name: str, gateways: list[str], services: int, vpcs: int) -> str | None:
    """Why deleting network ``name`` must wait, or None."""
    if gateways:
        return f"Cannot delete: Gateway {gateways[0]} still references this service network" + (
            f" (and {len(gateways) - 1} more)" if len(gateways) > 1 else ""
        )
    if services or vpcs:
        return (
            f"Cannot delete: service network {name} still has {services} service association(s) and "
            f"{vpcs} VPC association(s); delete the routes attached to it and the VPC associations "
            "(VpcAssociationPolicy, DEFAULT_SERVICE_NETWORK) first"
        )
    return None


def accepted(generation: int, problem: str | None = None) -> Condition:
    if problem is not None:
        return c.condition(c.ACCEPTED, c.REASON_INVALID, problem, generation)
    return c.condition(c.ACCEPTED, c.REASON_ACCEPTED, MSG_ACCEPTED, generation)


def programmed(
    generation: int, reason: str = c.REASON_PROGRAMMED, message: str = MSG_PROGRAMMED
) -> Condition:
    return c.condition(c.PROGRAMMED, reason, message, generation)
