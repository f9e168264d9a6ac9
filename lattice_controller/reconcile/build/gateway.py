"""GatewayClass and Gateway status, computed purely.

Ours differs on purpose in one place: ``Accepted`` reflects validation honestly (the reference
always ends at True; docs/compatibility.md). Reasons and messages are otherwise the reference's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lattice_controller.model.k8s import (
    Condition,
    Gateway,
    GatewayAddress,
    GatewayClass,
    Listener,
    ListenerStatus,
    Namespace,
    Route,
    RouteGroupKind,
    RouteType,
)
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.build.attachment import (
    parent_gateway_key,
    ref_selects_listener,
    route_allowed_by_listener,
    supported_kinds_by_protocol,
)
from lattice_controller.reconcile.build.inputs import CONTROLLER_NAME

ASSIGNED_DOMAIN_ANNOTATION = "application-networking.k8s.aws/lattice-assigned-domain-name"
_ROUTE_ORDER = {RouteType.HTTP: 0, RouteType.GRPC: 1, RouteType.TLS: 2}


@dataclass(frozen=True, slots=True)
class ServiceNetworkLookup:
    """Result of FindServiceNetwork for a gateway: found (arn), not found, or several matches."""

    arn: str | None = None
    conflict: bool = False


@dataclass(frozen=True, slots=True)
class GatewayBuild:
    """Desired gateway status; ``conditions`` holds Accepted and (when an SN lookup was given)
    Programmed, without transition times. ``error`` mirrors the reference's listener errors."""

    conditions: tuple[Condition, ...]
    listeners: tuple[ListenerStatus, ...]
    addresses: tuple[GatewayAddress, ...]
    error: str | None = None


def build_gateway_class_accepted(gateway_class: GatewayClass) -> Condition:
    return c.condition(c.ACCEPTED, c.REASON_ACCEPTED, "Accepted", gateway_class.meta.generation)


def _listener_kinds(listener: Listener) -> tuple[bool, tuple[RouteGroupKind, ...]]:
    """(valid, supportedKinds) — the reference's listenerRouteGroupKindSupported."""
    if not listener.allowed_kinds:
        return True, tuple(RouteGroupKind(None, k) for k in supported_kinds_by_protocol(listener.protocol))
    valid = True
    kinds = []
    for gk in listener.allowed_kinds:
        if gk.kind == "HTTPRoute":
            kinds.append(RouteGroupKind(None, "HTTPRoute"))
        elif gk.kind == "GRPCRoute" and listener.protocol == "HTTPS":
            kinds.append(RouteGroupKind(None, "GRPCRoute"))
        elif gk.kind == "TLSRoute" and listener.protocol == "TLS":
            kinds.append(RouteGroupKind(None, "TLSRoute"))
        else:
            valid = False
    return valid, tuple(kinds)


def _attached_routes(
    gateway: Gateway, listener: Listener, routes: list[Route], namespaces: Mapping[str, Namespace]
) -> int:
    count = 0
    for route in routes:
        for ref in route.parent_refs:
            if parent_gateway_key(ref, route.meta.namespace) != gateway.meta.key:
                continue
            if ref_selects_listener(ref, listener) and route_allowed_by_listener(
                route, gateway, listener, namespaces
            ):
                count += 1
    return count


def _addresses(gateway: Gateway, routes: list[Route]) -> tuple[GatewayAddress, ...]:
    for route in routes:
        domain = route.meta.annotations.get(ASSIGNED_DOMAIN_ANNOTATION)
        if domain is None:
            continue
        if any(
            parent_gateway_key(ref, route.meta.namespace) == gateway.meta.key for ref in route.parent_refs
        ):
            return (GatewayAddress("Hostname", domain),)
    return ()


def build_gateway(
    gateway: Gateway,
    routes: Iterable[Route],
    namespaces: Mapping[str, Namespace],
    service_network: ServiceNetworkLookup | None,
    controller_name: str = CONTROLLER_NAME,
) -> GatewayBuild:
    """Status for one of our gateways. ``routes``: all routes of the three kinds (any order)."""
    generation = gateway.meta.generation
    live = sorted(
        (r for r in routes if not r.meta.deleting),
        key=lambda r: (_ROUTE_ORDER[r.route_type], r.meta.namespace, r.meta.name),
    )
    statuses = []
    any_valid = False
    for listener in gateway.listeners:
        valid, kinds = _listener_kinds(listener)
        if not valid:
            conditions: tuple[Condition, ...] = (
                c.condition(c.RESOLVED_REFS, c.REASON_INVALID_ROUTE_KINDS, "", generation),
            )
            statuses.append(ListenerStatus(listener.name, kinds, 0, conditions))
            continue
        any_valid = True
        conditions = (
            c.condition(c.ACCEPTED, c.REASON_ACCEPTED, "", generation),
            c.condition(c.RESOLVED_REFS, c.REASON_RESOLVED_REFS, "", generation),
            c.condition(c.PROGRAMMED, c.REASON_PROGRAMMED, "", generation),
        )
        attached = _attached_routes(gateway, listener, live, namespaces)
        statuses.append(ListenerStatus(listener.name, kinds, attached, conditions))

    error = None
    if not gateway.listeners:
        error = "failed to find gateway listener"
    elif not any_valid:
        error = f"no valid listeners for {gateway.meta.name}"
    if error is None:
        accepted = c.condition(c.ACCEPTED, c.REASON_ACCEPTED, controller_name, generation)
    else:
        accepted = c.condition(c.ACCEPTED, c.REASON_INVALID, error, generation)
    result: list[Condition] = [accepted]
    if service_network is not None:
        if service_network.conflict:
            result.append(c.condition(c.PROGRAMMED, c.REASON_INVALID, c.MSG_SN_CONFLICT, generation))
        elif service_network.arn is None:
            result.append(c.condition(c.PROGRAMMED, c.REASON_PENDING, c.MSG_SN_NOT_FOUND, generation))
        else:
            message = f"aws-service-network-arn: {service_network.arn}"
            result.append(c.condition(c.PROGRAMMED, c.REASON_PROGRAMMED, message, generation))
    return GatewayBuild(tuple(result), tuple(statuses), _addresses(gateway, live), error)
