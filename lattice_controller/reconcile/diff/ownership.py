"""Who owns an existing Lattice service, decided from its tags only."""

from __future__ import annotations

from dataclasses import dataclass

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.lattice import ServiceSpec
from lattice_controller.model.lattice_observed import ObservedService


@dataclass(frozen=True, slots=True)
class ServiceOwnership:
    """``owned``: we may write to it. ``managed``: controller tags to force (adoption, takeover,
    missing Route* tags). ``takeover``: ManagedBy is being rewritten from another owner, so
    listeners/rules/associations get ManagedBy too. ``conflict``: the reference's error text."""

    owned: bool
    managed: dict[str, str]
    takeover: bool = False
    conflict: str | None = None


def _route_tags(spec: ServiceSpec) -> dict[str, str]:
    return {
        tag_keys.ROUTE_NAME: spec.route.name,
        tag_keys.ROUTE_NAMESPACE: spec.route.namespace,
        tag_keys.ROUTE_TYPE: spec.route_type,
    }


def service_ownership(spec: ServiceSpec, observed: ObservedService, deleting: bool) -> ServiceOwnership:
    """TryOwn on upsert (untagged = adopt, ``allow-takeover-from`` = take over); strict on delete
    (untagged or foreign = not ours, silently skipped)."""
    tags = observed.tag_dict()
    owner = tags.get(tag_keys.MANAGED_BY)
    managed: dict[str, str] = {}
    takeover = False
    if owner is None:
        if deleting:
            return ServiceOwnership(False, {})
        managed[tag_keys.MANAGED_BY] = spec.managed_by
    elif owner != spec.managed_by:
        if deleting or not spec.allow_takeover_from or spec.allow_takeover_from != owner:
            message = None if deleting else f"Found existing resource not owned by controller: {observed.arn}"
            return ServiceOwnership(False, {}, conflict=message)
        managed[tag_keys.MANAGED_BY] = spec.managed_by
        takeover = True
    if not takeover:
        name, namespace = tags.get(tag_keys.ROUTE_NAME), tags.get(tag_keys.ROUTE_NAMESPACE)
        if name is None and namespace is None:
            if not deleting:
                managed.update(_route_tags(spec))
        elif (name, namespace) != (spec.route.name, spec.route.namespace):
            message = (
                None if deleting else f"Found existing resource with conflicting service name: {observed.arn}"
            )
            return ServiceOwnership(False, {}, conflict=message)
    elif (
        tags.get(tag_keys.ROUTE_NAME) != spec.route.name
        or tags.get(tag_keys.ROUTE_NAMESPACE) != spec.route.namespace
    ):
        managed.update(_route_tags(spec))
    return ServiceOwnership(True, managed, takeover)
