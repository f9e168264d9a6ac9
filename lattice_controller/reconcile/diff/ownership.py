"""Who owns an existing Lattice service, decided from its tags and the adoption opt-ins only.

A service this controller did not create (no ``ManagedBy`` tag, or another owner's) is adopted or
taken over only when someone who owns it or the platform said so: the route's namespace is listed
in ``ADOPTION_ALLOWED_NAMESPACES`` (``*``: any), or the service carries the tag
``AllowAdoptionBy=<namespace>/<route>`` naming this route. Taking over another owner's service also
needs the route's ``allow-takeover-from`` annotation naming that owner, as in the reference. An
adopted service is marked ``AdoptedFrom=<previous owner>``; deleting its route deletes it only when
the platform allowed the adoption (the namespace setting), otherwise the route's listeners and
associations are removed and the service is handed back with its previous ``ManagedBy``.
"""

from __future__ import annotations

from dataclasses import dataclass

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.lattice import ServiceSpec
from lattice_controller.model.lattice_observed import ObservedService

ADOPTION_SETTING = "ADOPTION_ALLOWED_NAMESPACES"


@dataclass(frozen=True, slots=True)
class ServiceOwnership:
    """``owned``: we may write to it. ``managed``: controller tags to force (adoption, takeover,
    missing Route* tags). ``takeover``: ManagedBy is being rewritten from another owner, so
    listeners/rules/associations get ManagedBy too. ``conflict``: why we may not touch it.
    ``release``: on delete, an adopted service to hand back to ``previous_owner`` (``unmanaged``:
    untagged) instead of deleting it."""

    owned: bool
    managed: dict[str, str]
    takeover: bool = False
    conflict: str | None = None
    release: bool = False
    previous_owner: str = ""


def _route_tags(spec: ServiceSpec) -> dict[str, str]:
    return {
        tag_keys.ROUTE_NAME: spec.route.name,
        tag_keys.ROUTE_NAMESPACE: spec.route.namespace,
        tag_keys.ROUTE_TYPE: spec.route_type,
    }


def _opted_in(spec: ServiceSpec, tags: dict[str, str]) -> bool:
    return spec.adoption_allowed or tags.get(tag_keys.ALLOW_ADOPTION_BY) == str(spec.route)


def _not_allowed(spec: ServiceSpec, observed: ObservedService, what: str) -> str:
    return (
        f"Lattice service {observed.name} ({observed.arn}) {what}; route {spec.route} may adopt it only "
        f"if the controller setting {ADOPTION_SETTING} lists namespace {spec.route.namespace} (or *), "
        f"or the service carries the tag {tag_keys.ALLOW_ADOPTION_BY}={spec.route}"
    )


def service_ownership(spec: ServiceSpec, observed: ObservedService, deleting: bool) -> ServiceOwnership:
    """On upsert: ours, adoptable (opt-in), take-over-able (opt-in + ``allow-takeover-from``), or a
    conflict that says what to set. On delete: strict (untagged or foreign = not ours, skipped
    silently); an adopted service is released unless the platform opt-in allowed its adoption."""
    tags = observed.tag_dict()
    owner = tags.get(tag_keys.MANAGED_BY)
    managed: dict[str, str] = {}
    takeover = False
    if owner is None:
        if deleting:
            return ServiceOwnership(False, {})
        if not _opted_in(spec, tags):
            return ServiceOwnership(False, {}, conflict=_not_allowed(spec, observed, "was not created by us"))
        managed[tag_keys.MANAGED_BY] = spec.managed_by
        managed[tag_keys.ADOPTED_FROM] = tag_keys.ADOPTED_FROM_UNMANAGED
    elif owner != spec.managed_by:
        if deleting or not spec.allow_takeover_from or spec.allow_takeover_from != owner:
            message = None if deleting else f"Found existing resource not owned by controller: {observed.arn}"
            return ServiceOwnership(False, {}, conflict=message)
        if not _opted_in(spec, tags):
            what = f"is owned by {owner}"
            return ServiceOwnership(False, {}, conflict=_not_allowed(spec, observed, what))
        managed[tag_keys.MANAGED_BY] = spec.managed_by
        managed[tag_keys.ADOPTED_FROM] = owner
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
    previous = tags.get(tag_keys.ADOPTED_FROM, "")
    release = deleting and bool(previous) and not spec.adoption_allowed
    return ServiceOwnership(True, managed, takeover, release=release, previous_owner=previous)
