"""Which keys a cache change makes stale: ``(controller name, key)`` pairs, computed from records.

Level-triggered: a key carries no event payload, so over-enqueueing is safe (the queue
deduplicates); missing a key is the bug to avoid. Old and new records are both considered, so a
route moved from one gateway to another refreshes both.

Updates that only carry the controller's own writes — status, finalizers, the service ARN/DNS
annotations — change nothing a reconcile reads, so they trigger nothing (as the reference's
generation predicates); the exception is the DNS annotation, which Gateway addresses show.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lattice_controller.cache import indexes
from lattice_controller.kube import kinds as k
from lattice_controller.kube.kinds import Kind
from lattice_controller.model.k8s import Route
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.controllers.context import ROUTE_KINDS, ControllerContext
from lattice_controller.reconcile.controllers.route import ASSIGNED_DOMAIN_ANNOTATION, SERVICE_ARN_ANNOTATION

GATEWAY_CLASS_CONTROLLER = "gatewayclass"
GATEWAY_CONTROLLER = "gateway"
_ROUTE_CONTROLLER_BY_KIND = {kind.group_kind: t.kind.lower() for t, kind in ROUTE_KINDS.items()}

Trigger = tuple[str, ObjectKey]


def route_key(route: Route) -> Trigger:
    return (route.route_type.kind.lower(), route.meta.key)


WRITTEN_ANNOTATIONS = frozenset({SERVICE_ARN_ANNOTATION, ASSIGNED_DOMAIN_ANNOTATION})
_STATUS_ONLY_KINDS = frozenset({k.GATEWAY_CLASS.group_kind, k.GATEWAY.group_kind, *_ROUTE_CONTROLLER_BY_KIND})


def triggers(ctx: ControllerContext, kind: Kind, old: Any, new: Any) -> set[Trigger]:
    """Every (controller, key) to reconcile after ``kind`` changed from ``old`` to ``new``."""
    updated = old is not None and new is not None
    if updated and kind.group_kind in _STATUS_ONLY_KINDS and not _spec_changed(old, new):
        if kind.group_kind in _ROUTE_CONTROLLER_BY_KIND and _domain(old) != _domain(new):
            return {(GATEWAY_CONTROLLER, ObjectKey.parse(g)) for g in indexes.route_parent_gateways(new)}
        return set()
    out: set[Trigger] = set()
    for record in (old, new):
        if record is not None:
            out.update(_for_record(ctx, kind, record))
    return out


def _spec_changed(old: Any, new: Any) -> bool:
    """Anything a reconcile reads besides status, finalizers and our own annotations."""
    return (
        old.meta.generation != new.meta.generation
        or old.meta.deleting != new.meta.deleting
        or _read_annotations(old) != _read_annotations(new)
        or old.meta.labels != new.meta.labels
    )


def _read_annotations(record: Any) -> dict[str, str]:
    return {k: v for k, v in record.meta.annotations.as_dict().items() if k not in WRITTEN_ANNOTATIONS}


def _domain(record: Any) -> str | None:
    value: str | None = record.meta.annotations.get(ASSIGNED_DOMAIN_ANNOTATION)
    return value


def _for_record(ctx: ControllerContext, kind: Kind, record: Any) -> Iterator[Trigger]:
    group_kind = kind.group_kind
    key: ObjectKey = record.meta.key
    if group_kind == k.GATEWAY_CLASS.group_kind:
        yield (GATEWAY_CLASS_CONTROLLER, key)
        store = ctx.store(k.GATEWAY)
        for gateway in store.records() if store else ():
            if gateway.gateway_class_name == key.name:
                yield from _gateway_and_routes(ctx, gateway.meta.key)
    elif group_kind == k.GATEWAY.group_kind:
        yield from _gateway_and_routes(ctx, key)
    elif group_kind in _ROUTE_CONTROLLER_BY_KIND:
        yield (_ROUTE_CONTROLLER_BY_KIND[group_kind], key)
        for gateway in indexes.route_parent_gateways(record):
            yield (GATEWAY_CONTROLLER, ObjectKey.parse(gateway))
    elif group_kind == k.SERVICE.group_kind:
        yield from _routes_with_backend(ctx, key)
    elif group_kind == k.ENDPOINT_SLICE.group_kind:
        for service in indexes.endpoint_slice_service(record):
            yield from _routes_with_backend(ctx, ObjectKey.parse(service))
    elif group_kind == k.REFERENCE_GRANT.group_kind:
        # A grant in namespace N governs references into N: every route with a backend there.
        for route in ctx.routes():
            if any(
                ref.namespace_or(route.meta.key.namespace) == key.namespace
                for rule in route.rules
                for ref in rule.backend_refs
            ):
                yield route_key(route)
    elif group_kind == k.NAMESPACE.group_kind:
        # Label changes can change allowedRoutes selectors: routes in it and the gateways they name.
        for route in ctx.routes():
            if route.meta.key.namespace == key.name:
                yield route_key(route)
                for gateway in indexes.route_parent_gateways(route):
                    yield (GATEWAY_CONTROLLER, ObjectKey.parse(gateway))


def _gateway_and_routes(ctx: ControllerContext, gateway: ObjectKey) -> Iterator[Trigger]:
    yield (GATEWAY_CONTROLLER, gateway)
    for route in ctx.routes_of_gateway(gateway):
        yield route_key(route)


def _routes_with_backend(ctx: ControllerContext, service: ObjectKey) -> Iterator[Trigger]:
    value = indexes.backend_value("Service", service)
    for kind in ROUTE_KINDS.values():
        store = ctx.store(kind)
        for route in store.by_index(indexes.ROUTES_BY_BACKEND, value) if store else ():
            yield route_key(route)
