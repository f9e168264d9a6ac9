"""GatewayClass and Gateway status bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s import (
    GATEWAY_API_GROUP,
    Gateway,
    GatewayClass,
    ListenerStatus,
    RouteGroupKind,
)
from lattice_controller.reconcile.build import SUPPORTED_FEATURES, GatewayBuild, build_gateway_class_accepted
from lattice_controller.reconcile.status.conditions import merge_conditions


@dataclass(frozen=True, slots=True, eq=False)
class StatusUpdate:
    """``payload`` is the object's new ``status`` (only the fields we own); write it only when
    ``changed`` — an unchanged status costs no Kubernetes write."""

    changed: bool
    payload: dict[str, Any]


def gateway_class_status(gateway_class: GatewayClass, now: str) -> StatusUpdate:
    desired = (build_gateway_class_accepted(gateway_class),)
    conditions = merge_conditions(gateway_class.conditions, desired, now, keep_others=True)
    changed = conditions != gateway_class.conditions or gateway_class.supported_features != SUPPORTED_FEATURES
    return StatusUpdate(
        changed,
        {
            "conditions": [c.to_k8s() for c in conditions],
            "supportedFeatures": [{"name": name} for name in SUPPORTED_FEATURES],
        },
    )


def _kind(gk: RouteGroupKind) -> dict[str, str]:
    # The API server defaults an unset group; emit it so the stored and computed values compare equal.
    return {"group": gk.group or GATEWAY_API_GROUP, "kind": gk.kind}


def _normal_kinds(kinds: tuple[RouteGroupKind, ...]) -> tuple[RouteGroupKind, ...]:
    return tuple(RouteGroupKind(k.group or GATEWAY_API_GROUP, k.kind) for k in kinds)


def gateway_status(gateway: Gateway, build: GatewayBuild, now: str) -> StatusUpdate:
    conditions = merge_conditions(gateway.conditions, build.conditions, now, keep_others=True)
    stored_listeners = {s.name: s for s in gateway.listener_statuses}
    listeners = []
    for status in build.listeners:
        previous = stored_listeners.get(status.name)
        merged = merge_conditions(previous.conditions if previous else (), status.conditions, now)
        listeners.append(
            ListenerStatus(status.name, _normal_kinds(status.supported_kinds), status.attached_routes, merged)
        )
    stored = tuple(
        ListenerStatus(s.name, _normal_kinds(s.supported_kinds), s.attached_routes, s.conditions)
        for s in gateway.listener_statuses
    )
    changed = (
        conditions != gateway.conditions or tuple(listeners) != stored or build.addresses != gateway.addresses
    )
    payload: dict[str, Any] = {
        "conditions": [c.to_k8s() for c in conditions],
        "listeners": [
            {
                "name": s.name,
                "supportedKinds": [_kind(k) for k in s.supported_kinds],
                "attachedRoutes": s.attached_routes,
                "conditions": [c.to_k8s() for c in s.conditions],
            }
            for s in listeners
        ],
        "addresses": [{"type": a.type, "value": a.value} for a in build.addresses],
    }
    return StatusUpdate(changed, payload)
