"""Route ``status.parents``: our entries replaced, other controllers' entries left alone."""

from __future__ import annotations

from collections.abc import Sequence

from lattice_controller.model.k8s import Condition, ParentRef, Route, RouteParentStatus
from lattice_controller.reconcile.build import CONTROLLER_NAME, RouteBuild
from lattice_controller.reconcile.status.conditions import merge_conditions, set_condition
from lattice_controller.reconcile.status.gateway import StatusUpdate


def _same_ref(a: ParentRef, b: ParentRef, route_namespace: str) -> bool:
    return (
        a.effective_group == b.effective_group
        and a.effective_kind == b.effective_kind
        and (a.namespace or route_namespace) == (b.namespace or route_namespace)
        and a.name == b.name
        and a.section_name == b.section_name
        and a.port == b.port
    )


def route_status(
    route: Route,
    build: RouteBuild,
    now: str,
    overrides: Sequence[Condition] = (),
    controller_name: str = CONTROLLER_NAME,
    programmed: Condition | None = None,
) -> StatusUpdate:
    """The ``status`` body for a route and whether it differs from the stored one.

    ``overrides`` replace same-type conditions on all our entries, for outcomes known only after
    the diff/apply: e.g. ``Accepted=False/Conflicted`` (service owned by someone else) or
    ``Accepted=False/CertificateNotFound``. ``programmed`` (``Programmed=False``: this generation
    is not live in Lattice yet) is added to the entries that end up ``Accepted=True``.
    """
    namespace = route.meta.namespace
    ours = []
    for entry in build.parents:
        conditions = entry.conditions
        for override in overrides:
            conditions = set_condition(conditions, override)
        if programmed is not None and any(x.type == "Accepted" and x.status == "True" for x in conditions):
            conditions = set_condition(conditions, programmed)
        previous = next(
            (
                p
                for p in route.parents
                if p.controller_name == controller_name
                and _same_ref(p.parent_ref, entry.parent_ref, namespace)
            ),
            None,
        )
        merged = merge_conditions(previous.conditions if previous else (), conditions, now)
        ref = previous.parent_ref if previous else entry.parent_ref
        ours.append(RouteParentStatus(ref, controller_name, merged))
    others = [p for p in route.parents if p.controller_name != controller_name]
    parents = (*others, *ours)
    payload = {
        "parents": [
            {
                "parentRef": p.parent_ref.to_k8s(),
                "controllerName": p.controller_name,
                "conditions": [c.to_k8s() for c in p.conditions],
            }
            for p in parents
        ]
    }
    return StatusUpdate(parents != route.parents, payload)
