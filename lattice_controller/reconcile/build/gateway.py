"""GatewayClass and Gateway status, computed purely.

Ours differs on purpose in one place: ``Accepted`` reflects validation honestly (the reference
always ends at True; docs/compatibility.md). Reasons and messages are otherwise the reference's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lattice_controller.model.k8s import (
    Condition,
    Gateway,
    GatewayAddress,
    GatewayClass,
    Listener,
    ListenerStatus,
    Namespace,
    ReferenceGrant,
    Route,
    RouteType,
)
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.build.attachment import (
    parent_gateway_key,
    ref_selects_listener,
    route_allowed_by_listener,
)
from lattice_controller.reconcile.build.inputs import CONTROLLER_NAME
from lattice_controller.reconcile.build.listeners import check_listener

ASSIGNED_DOMAIN_ANNOTATION = "application-networking.k8s.aws/lattice-assigned-domain-name"
_ROUTE_ORDER = {RouteType.HTTP: 0, RouteType.GRPC: 1, RouteType.TLS: 2}


# The Gateway API features (conformance feature names) a GatewayClass of ours supports, sorted by name
# as the API requires; published in its status.supportedFeatures (docs/conformance/README.md).
SUPPORTED_FEATURES = (
    "GRPCRoute",
    "Gateway",
    "GatewayPort8080",
    "HTTPRoute",
    "HTTPRouteMethodMatching",
    "ReferenceGrant",
    "TLSRoute",
)


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
    grants: Sequence[ReferenceGrant] = (),
) -> GatewayBuild:
    """Status for one of our gateways. ``routes``: all routes of the three kinds (any order);
    ``grants``: the ReferenceGrants of the namespaces its listeners' certificateRefs name."""
    generation = gateway.meta.generation
    live = sorted(
        (r for r in routes if not r.meta.deleting),
        key=lambda r: (_ROUTE_ORDER[r.route_type], r.meta.namespace, r.meta.name),
    )
    statuses = []
    invalid = []
    for listener in gateway.listeners:
        check = check_listener(gateway, listener, grants)
        if not check.valid:
            invalid.append(listener.name)
            statuses.append(ListenerStatus(listener.name, check.kinds, 0, check.conditions))
            continue
        attached = _attached_routes(gateway, listener, live, namespaces)
        statuses.append(ListenerStatus(listener.name, check.kinds, attached, check.conditions))

    error = None
    if not gateway.listeners:
        error = "failed to find gateway listener"
        accepted = c.condition(c.ACCEPTED, c.REASON_INVALID, error, generation)
    elif len(invalid) == len(gateway.listeners):
        error = f"no valid listeners for {gateway.meta.name}"
        accepted = c.condition(c.ACCEPTED, c.REASON_LISTENERS_NOT_VALID, error, generation)
    elif invalid:
        message = f"listeners not valid (see their conditions): {', '.join(invalid)}"
        accepted = Condition(c.ACCEPTED, "True", c.REASON_LISTENERS_NOT_VALID, message, generation, "")
    else:
        accepted = c.condition(c.ACCEPTED, c.REASON_ACCEPTED, controller_name, generation)
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
