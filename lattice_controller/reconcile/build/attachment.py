"""Which gateways are ours, and which gateway listeners a route's parentRef attaches to.

Differences from the reference, on purpose: each parentRef is evaluated against *its own*
gateway (the reference uses the first controlled gateway for all), and a parentRef without a
namespace always means the route's namespace (the reference carries the previous one over).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lattice_controller.model.k8s import (
    GATEWAY_API_GROUP,
    Gateway,
    GatewayClass,
    Listener,
    Namespace,
    ParentRef,
    Route,
)
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.build import conditions as c

_DEFAULT_KINDS_BY_PROTOCOL: Mapping[str, tuple[str, ...]] = {
    "HTTP": ("HTTPRoute",),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute",),
}


def is_controlled(gateway: Gateway, classes: Mapping[str, GatewayClass], controller_name: str) -> bool:
    gateway_class = classes.get(gateway.gateway_class_name)
    return gateway_class is not None and gateway_class.controller_name == controller_name


def parent_gateway_key(parent_ref: ParentRef, route_namespace: str) -> ObjectKey | None:
    """The Gateway a parentRef names, or None when it names another kind of parent."""
    if parent_ref.effective_group != GATEWAY_API_GROUP or parent_ref.effective_kind != "Gateway":
        return None
    return ObjectKey(parent_ref.namespace or route_namespace, parent_ref.name)


def controlled_parents(
    route: Route,
    gateways: Mapping[ObjectKey, Gateway],
    classes: Mapping[str, GatewayClass],
    controller_name: str,
) -> list[tuple[ParentRef, Gateway]]:
    """(parentRef, gateway) pairs whose gateway exists and belongs to our GatewayClass, in order."""
    out = []
    for parent_ref in route.parent_refs:
        key = parent_gateway_key(parent_ref, route.meta.namespace)
        gateway = gateways.get(key) if key is not None else None
        if gateway is not None and is_controlled(gateway, classes, controller_name):
            out.append((parent_ref, gateway))
    return out


def hostnames_intersect(route_hostnames: tuple[str, ...], listener_hostname: str | None) -> bool:
    if not listener_hostname or not route_hostnames:
        return True
    return any(_hostname_match(h, listener_hostname) for h in route_hostnames)


def _hostname_match(a: str, b: str) -> bool:
    if a == b:
        return True
    if a.startswith("*."):
        return b.endswith(a[1:])
    if b.startswith("*."):
        return a.endswith(b[1:])
    return False


def supported_kinds_by_protocol(protocol: str) -> tuple[str, ...]:
    return _DEFAULT_KINDS_BY_PROTOCOL.get(protocol, ())


def kind_allowed(route_kind: str, listener: Listener) -> bool:
    if listener.allowed_kinds:
        return any(
            gk.kind == route_kind and (gk.group in (None, "", GATEWAY_API_GROUP))
            for gk in listener.allowed_kinds
        )
    return route_kind in supported_kinds_by_protocol(listener.protocol)


def namespace_allowed(
    route_namespace: str, gateway: Gateway, listener: Listener, namespaces: Mapping[str, Namespace]
) -> bool:
    policy = listener.namespaces_from
    if policy == "All":
        return True
    if policy == "Selector":
        namespace = namespaces.get(route_namespace)
        if namespace is None or listener.namespaces_selector is None:
            return False
        return listener.namespaces_selector.matches(namespace.labels) is True
    return route_namespace == gateway.meta.namespace


def route_allowed_by_listener(
    route: Route, gateway: Gateway, listener: Listener, namespaces: Mapping[str, Namespace]
) -> bool:
    """Kind + namespace policy + hostname intersection (the reference's IsRouteAllowedByListener)."""
    return (
        kind_allowed(route.kind, listener)
        and namespace_allowed(route.meta.namespace, gateway, listener, namespaces)
        and hostnames_intersect(route.hostnames, listener.hostname)
    )


def ref_selects_listener(parent_ref: ParentRef, listener: Listener) -> bool:
    if parent_ref.port is not None and parent_ref.port != listener.port:
        return False
    return parent_ref.section_name is None or parent_ref.section_name == listener.name


@dataclass(frozen=True, slots=True)
class ParentEvaluation:
    reason: str
    message: str
    listeners: tuple[Listener, ...]
    """The gateway listeners the route attaches to through this parentRef (empty unless Accepted)."""


def evaluate_parent(
    route: Route, parent_ref: ParentRef, gateway: Gateway, namespaces: Mapping[str, Namespace]
) -> ParentEvaluation:
    """The Accepted reason for one parentRef, with the reference's messages."""
    no_matching_parent = True
    hostname_mismatch = False
    attached = []
    wrong_kind: list[Listener] = []
    for listener in gateway.listeners:
        if not ref_selects_listener(parent_ref, listener):
            continue
        no_matching_parent = False
        if not hostnames_intersect(route.hostnames, listener.hostname):
            hostname_mismatch = True
            continue
        if route_allowed_by_listener(route, gateway, listener, namespaces):
            attached.append(listener)
        elif not kind_allowed(route.kind, listener) and not listener.allowed_kinds:
            wrong_kind.append(listener)
    if no_matching_parent:
        return ParentEvaluation(c.REASON_NO_MATCHING_PARENT, "", ())
    if not attached:
        if hostname_mismatch:
            return ParentEvaluation(
                c.REASON_NO_MATCHING_LISTENER_HOSTNAME, c.MSG_NO_MATCHING_LISTENER_HOSTNAME, ()
            )
        message = c.MSG_NOT_ALLOWED_BY_LISTENERS
        if wrong_kind:
            message += ": " + _kind_hint(route.kind, wrong_kind)
        return ParentEvaluation(c.REASON_NOT_ALLOWED_BY_LISTENERS, message, ())
    return ParentEvaluation(c.REASON_ACCEPTED, "", tuple(attached))


def _kind_hint(route_kind: str, listeners: list[Listener]) -> str:
    """What to change when a route kind meets listeners of a protocol that does not carry it."""
    protocols = [p for p, kinds in _DEFAULT_KINDS_BY_PROTOCOL.items() if route_kind in kinds]
    named = ", ".join(f"{lst.name} ({lst.protocol})" for lst in listeners)
    wanted = " or ".join(protocols) or "no"
    passthrough = " with tls.mode Passthrough" if protocols == ["TLS"] else ""
    verb = "listener {} is not one" if len(listeners) == 1 else "listeners {} are not"
    return f"{route_kind} attaches to {wanted} listeners{passthrough} only; " + verb.format(named)


def standalone_value(text: str | None) -> bool | None:
    """``true``/``false`` (trimmed, any case) or None when unset/other."""
    if text is None:
        return None
    value = text.strip().lower()
    return True if value == "true" else False if value == "false" else None
