"""Which keys a cache change makes stale: ``(controller name, key)`` pairs, computed from records.

Level-triggered: a key carries no event payload, so over-enqueueing is safe (the queue
deduplicates); missing a key is the bug to avoid. Old and new records are both considered, so a
route moved from one gateway to another refreshes both.

Every watched kind has one written route to keys (``_ROUTES``, one function per kind, looked up by
kind); a kind the controller caches but nothing reads maps to nothing, and ``triggers`` refuses a
kind that has no entry, so a new store cannot be added without deciding who it wakes up.

Updates that only carry the controller's own writes — status, finalizers, the service ARN/DNS
annotations — change nothing a reconcile reads, so they trigger nothing (as the reference's
generation predicates); the exception is the DNS annotation, which Gateway addresses show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from lattice_controller.cache import indexes
from lattice_controller.cache.policy_targets import policy_targets
from lattice_controller.kube import kinds as k
from lattice_controller.kube.kinds import Kind
from lattice_controller.model.k8s import (
    EndpointSlice,
    Gateway,
    GatewayClass,
    Meta,
    Namespace,
    ReferenceGrant,
    Route,
    RouteType,
    Service,
    ServiceImport,
)
from lattice_controller.model.k8s.access_log_policy import AccessLogPolicy
from lattice_controller.model.k8s.auth_policy import IamAuthPolicy
from lattice_controller.model.k8s.dns_endpoint import DnsEndpoint
from lattice_controller.model.k8s.service_export import ServiceExport
from lattice_controller.model.k8s.service_network import ServiceNetwork
from lattice_controller.model.k8s.target_group_policy import TargetGroupPolicy
from lattice_controller.model.k8s.vpc_association_policy import VpcAssociationPolicy
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.build.route import SERVICE_ARN_ANNOTATION
from lattice_controller.reconcile.controllers.access_log_policy import ACCESS_LOG_POLICY_ANNOTATIONS
from lattice_controller.reconcile.controllers.context import ROUTE_KINDS, CacheView
from lattice_controller.reconcile.controllers.iam_auth_policy import IAM_AUTH_POLICY_ANNOTATIONS
from lattice_controller.reconcile.controllers.pod_gate import POD_GATE_CONTROLLER
from lattice_controller.reconcile.controllers.policy import policies_naming
from lattice_controller.reconcile.controllers.route import ASSIGNED_DOMAIN_ANNOTATION
from lattice_controller.reconcile.controllers.vpc_association_policy import RESOURCE_ARN_ANNOTATION

GATEWAY_CLASS_CONTROLLER = "gatewayclass"
GATEWAY_CONTROLLER = "gateway"
IAM_AUTH_POLICY_CONTROLLER = "iamauthpolicy"
TARGET_GROUP_POLICY_CONTROLLER = "targetgrouppolicy"
VPC_ASSOCIATION_POLICY_CONTROLLER = "vpcassociationpolicy"
ACCESS_LOG_POLICY_CONTROLLER = "accesslogpolicy"
SERVICE_NETWORK_CONTROLLER = "servicenetwork"
SERVICE_EXPORT_CONTROLLER = "serviceexport"
SERVICE_IMPORT_CONTROLLER = "serviceimport"
_ROUTE_CONTROLLER_BY_KIND = {kind.group_kind: t.kind.lower() for t, kind in ROUTE_KINDS.items()}

Trigger = tuple[str, ObjectKey]


class Watched(Protocol):
    """Any cached record: the triggers read its metadata."""

    @property
    def meta(self) -> Meta: ...


W = TypeVar("W", bound=Watched)


def route_key(route: Route) -> Trigger:
    return (route.route_type.kind.lower(), route.meta.key)


WRITTEN_ANNOTATIONS = frozenset(
    {
        SERVICE_ARN_ANNOTATION,
        ASSIGNED_DOMAIN_ANNOTATION,
        RESOURCE_ARN_ANNOTATION,
        *IAM_AUTH_POLICY_ANNOTATIONS,
        *ACCESS_LOG_POLICY_ANNOTATIONS,
    }
)
_STATUS_ONLY_KINDS = frozenset(
    {
        k.GATEWAY_CLASS.group_kind,
        k.GATEWAY.group_kind,
        k.IAM_AUTH_POLICY.group_kind,
        k.VPC_ASSOCIATION_POLICY.group_kind,
        k.ACCESS_LOG_POLICY.group_kind,
        k.TARGET_GROUP_POLICY.group_kind,
        k.DNS_ENDPOINT.group_kind,
        k.SERVICE_NETWORK.group_kind,
        k.SERVICE_EXPORT.group_kind,
        *_ROUTE_CONTROLLER_BY_KIND,
    }
)


def triggers(ctx: CacheView, kind: Kind[W], old: W | None, new: W | None) -> set[Trigger]:
    """Every (controller, key) to reconcile after ``kind`` changed from ``old`` to ``new``."""
    route_to_keys = _ROUTES.get(kind.group_kind)
    if route_to_keys is None:
        raise KeyError(f"no trigger route for {kind.group_kind}: add one to reconcile/triggers.py")
    status_only = kind.group_kind in _STATUS_ONLY_KINDS
    if status_only and old is not None and new is not None and not _spec_changed(old.meta, new.meta):
        woken: set[Trigger] = set()
        if isinstance(new, Route) and _domain(old.meta) != _domain(new.meta):
            woken |= {(GATEWAY_CONTROLLER, ObjectKey.parse(g)) for g in indexes.route_parent_gateways(new)}
        if isinstance(new, Route) and _service_arn(old.meta) != _service_arn(new.meta):
            # The route's service now exists (or is gone): policies on the route act on it.
            woken.update(_lattice_policies_naming(ctx, new.route_type.kind, new.meta.key))
        return woken
    out: set[Trigger] = set()
    for record in (old, new):
        if record is not None:
            out.update(route_to_keys(ctx, record))
    out.update(_waiting_gated_pods(ctx, kind, old, new))
    return out


def _waiting_gated_pods(ctx: CacheView, kind: Kind[Any], old: Any, new: Any) -> Iterator[Trigger]:
    """Gated Pods not Ready yet that a change may have left without a route (``pod_gate``): the Pod
    itself, or those of the namespaces of a changed Service, ServiceExport or route's backends."""
    if kind.group_kind == k.POD.group_kind:
        if new is not None and new.gated and not new.gate_true and not new.meta.deleting:
            yield (POD_GATE_CONTROLLER, new.meta.key)
        return
    namespaces: set[str] = set()
    if kind.group_kind in (k.SERVICE.group_kind, k.SERVICE_EXPORT.group_kind):
        namespaces = {r.meta.key.namespace for r in (old, new) if r is not None}
    elif kind.group_kind in _ROUTE_CONTROLLER_BY_KIND:
        for route in (old, new):
            for value in indexes.route_backends(route) if route is not None else ():
                backend_kind, _, backend = value.partition(":")
                if backend_kind == "Service":
                    namespaces.add(ObjectKey.parse(backend).namespace)
    pods = ctx.store(k.POD) if namespaces else None
    for namespace in sorted(namespaces) if pods is not None else ():
        for pod in pods.by_index(indexes.GATED_PODS, namespace) if pods is not None else ():
            if not pod.gate_true:
                yield (POD_GATE_CONTROLLER, pod.meta.key)


def _spec_changed(old: Meta, new: Meta) -> bool:
    """Anything a reconcile reads besides status, finalizers and our own annotations."""
    return (
        old.generation != new.generation
        or old.deleting != new.deleting
        or _read_annotations(old) != _read_annotations(new)
        or old.labels != new.labels
    )


def _read_annotations(meta: Meta) -> dict[str, str]:
    return {k: v for k, v in meta.annotations.as_dict().items() if k not in WRITTEN_ANNOTATIONS}


def _domain(meta: Meta) -> str | None:
    return meta.annotations.get(ASSIGNED_DOMAIN_ANNOTATION)


def _service_arn(meta: Meta) -> str | None:
    return meta.annotations.get(SERVICE_ARN_ANNOTATION)


# -- one route to keys per watched kind ----------------------------------------------------------


def _from_gateway_class(ctx: CacheView, cls: GatewayClass) -> Iterator[Trigger]:
    yield (GATEWAY_CLASS_CONTROLLER, cls.meta.key)
    store = ctx.store(k.GATEWAY)
    for gateway in store.records() if store else ():
        if gateway.gateway_class_name == cls.meta.key.name:
            yield from _gateway_and_routes(ctx, gateway.meta.key)


def _from_gateway(ctx: CacheView, gateway: Gateway) -> Iterator[Trigger]:
    yield from _gateway_and_routes(ctx, gateway.meta.key)
    yield from _lattice_policies_naming(ctx, "Gateway", gateway.meta.key)
    yield from _networks_waiting_on(ctx, gateway.meta.key.name)


def _from_route(ctx: CacheView, route: Route) -> Iterator[Trigger]:
    yield route_key(route)
    for gateway in indexes.route_parent_gateways(route):
        yield (GATEWAY_CONTROLLER, ObjectKey.parse(gateway))
        # A route's service associations go before it does: a network deletion may wait for them.
        yield from _networks_waiting_on(ctx, ObjectKey.parse(gateway).name)
    yield from _lattice_policies_naming(ctx, route.route_type.kind, route.meta.key)


_LATTICE_POLICY_CONTROLLERS: dict[str, tuple[Kind[Any], str]] = {
    k.IAM_AUTH_POLICY.group_kind: (k.IAM_AUTH_POLICY, IAM_AUTH_POLICY_CONTROLLER),
    k.VPC_ASSOCIATION_POLICY.group_kind: (k.VPC_ASSOCIATION_POLICY, VPC_ASSOCIATION_POLICY_CONTROLLER),
    k.ACCESS_LOG_POLICY.group_kind: (k.ACCESS_LOG_POLICY, ACCESS_LOG_POLICY_CONTROLLER),
}
_POLICY_CONTROLLER_BY_TYPE: dict[type, str] = {
    IamAuthPolicy: IAM_AUTH_POLICY_CONTROLLER,
    VpcAssociationPolicy: VPC_ASSOCIATION_POLICY_CONTROLLER,
    AccessLogPolicy: ACCESS_LOG_POLICY_CONTROLLER,
}


def _from_lattice_policy(
    ctx: CacheView, policy: IamAuthPolicy | VpcAssociationPolicy | AccessLogPolicy
) -> Iterator[Trigger]:
    # Itself, and the policies naming the same target (which one of a kind wins may change).
    ref = policy.target_ref
    if ref is not None and ref.kind and ref.name:
        yield from _lattice_policies_naming(ctx, ref.kind, ObjectKey(policy.meta.key.namespace, ref.name))
    yield (_POLICY_CONTROLLER_BY_TYPE[type(policy)], policy.meta.key)
    if isinstance(policy, VpcAssociationPolicy) and ref is not None and ref.kind == "Gateway":
        yield from _networks_waiting_on(ctx, ref.name)  # its VPC association may hold a deletion


def _lattice_policies_naming(ctx: CacheView, kind: str, target: ObjectKey) -> Iterator[Trigger]:
    """The policies that act on the Lattice resource of a Gateway or route."""
    for policy_kind, controller in _LATTICE_POLICY_CONTROLLERS.values():
        for policy in policies_naming(ctx, policy_kind, kind, target):
            yield (controller, policy.meta.key)


def _from_service_network(ctx: CacheView, network: ServiceNetwork) -> Iterator[Trigger]:
    yield (SERVICE_NETWORK_CONTROLLER, network.meta.key)


def _networks_waiting_on(ctx: CacheView, gateway_name: str) -> Iterator[Trigger]:
    """ServiceNetworks being deleted that a Gateway of this name (or, in override mode, any Gateway)
    may hold: they look again when it changes or goes."""
    store = ctx.store(k.SERVICE_NETWORK)
    if store is None:
        return
    settings = ctx.settings
    name = settings.default_service_network if settings.override_active else gateway_name
    network = store.get(ObjectKey("", name))
    if network is not None and network.meta.deleting:
        yield (SERVICE_NETWORK_CONTROLLER, network.meta.key)


def _from_service(ctx: CacheView, service: Service) -> Iterator[Trigger]:
    yield from _routes_with_backend(ctx, "Service", service.meta.key)
    yield from _target_group_policies_naming(ctx, "Service", service.meta.key)
    yield from _exports_of_service(ctx, service.meta.key)


def _from_service_export(ctx: CacheView, export: ServiceExport) -> Iterator[Trigger]:
    # Its own target groups, and the policies naming it (they report whether it exists).
    yield (SERVICE_EXPORT_CONTROLLER, export.meta.key)
    yield from _target_group_policies_naming(ctx, "ServiceExport", export.meta.key)


def _from_endpoint_slice(ctx: CacheView, endpoint_slice: EndpointSlice) -> Iterator[Trigger]:
    for service in indexes.endpoint_slice_service(endpoint_slice):
        yield from _routes_with_backend(ctx, "Service", ObjectKey.parse(service))
        yield from _exports_of_service(ctx, ObjectKey.parse(service))


def _from_service_import(ctx: CacheView, service_import: ServiceImport) -> Iterator[Trigger]:
    # Its annotations name the target group a route forwards to: routes with it as a backend; and
    # itself (a deleted import may carry the reference's finalizer).
    yield from _routes_with_backend(ctx, "ServiceImport", service_import.meta.key)
    yield (SERVICE_IMPORT_CONTROLLER, service_import.meta.key)


def _exports_of_service(ctx: CacheView, service: ObjectKey) -> Iterator[Trigger]:
    store = ctx.store(k.SERVICE_EXPORT)
    for export in store.by_index(indexes.EXPORTS_BY_SERVICE, str(service)) if store else ():
        yield (SERVICE_EXPORT_CONTROLLER, export.meta.key)


def _from_reference_grant(ctx: CacheView, grant: ReferenceGrant) -> Iterator[Trigger]:
    # A grant in namespace N governs references into N: every route with a backend there.
    namespace = grant.meta.key.namespace
    for route in ctx.routes():
        if any(
            ref.namespace_or(route.meta.key.namespace) == namespace
            for rule in route.rules
            for ref in rule.backend_refs
        ):
            yield route_key(route)
    # ... and gateways whose listeners' certificateRefs point into N.
    gateways = ctx.store(k.GATEWAY)
    for gateway in gateways.records() if gateways else ():
        if any(ref.namespace == namespace for lst in gateway.listeners for ref in lst.certificate_refs):
            yield (GATEWAY_CONTROLLER, gateway.meta.key)


def _from_namespace(ctx: CacheView, namespace: Namespace) -> Iterator[Trigger]:
    # Label changes can change allowedRoutes selectors: routes in it and the gateways they name.
    for route in ctx.routes():
        if route.meta.key.namespace == namespace.meta.key.name:
            yield from _from_route(ctx, route)


def _from_target_group_policy(ctx: CacheView, policy: TargetGroupPolicy) -> Iterator[Trigger]:
    # Its own status, its rivals' (who wins may change), and every route with the Service it names as
    # a backend (the policy shapes those routes' target groups).
    yield (TARGET_GROUP_POLICY_CONTROLLER, policy.meta.key)
    for value in policy_targets(policy):
        target_kind, _, target = value.partition(":")
        yield from _target_group_policies_naming(ctx, target_kind, ObjectKey.parse(target))
        if target_kind == "Service":
            yield from _routes_with_backend(ctx, "Service", ObjectKey.parse(target))
        # An export's groups follow the policy on it, or on the Service named like it.
        exports = ctx.store(k.SERVICE_EXPORT)
        if exports is not None and exports.get(ObjectKey.parse(target)) is not None:
            yield (SERVICE_EXPORT_CONTROLLER, ObjectKey.parse(target))


def _from_dns_endpoint(ctx: CacheView, endpoint: DnsEndpoint) -> Iterator[Trigger]:
    # A route's DNSEndpoint edited or deleted by someone else: the route puts it back.
    owner = endpoint.controller_owner
    route_type = RouteType.from_kind(owner.kind) if owner is not None else None
    if owner is not None and route_type is not None:
        yield (route_type.kind.lower(), ObjectKey(endpoint.meta.key.namespace, owner.name))


def _target_group_policies_naming(ctx: CacheView, kind: str, target: ObjectKey) -> Iterator[Trigger]:
    for policy in policies_naming(ctx, k.TARGET_GROUP_POLICY, kind, target):
        yield (TARGET_GROUP_POLICY_CONTROLLER, policy.meta.key)


def _gateway_and_routes(ctx: CacheView, gateway: ObjectKey) -> Iterator[Trigger]:
    yield (GATEWAY_CONTROLLER, gateway)
    for route in ctx.routes_of_gateway(gateway):
        yield route_key(route)


def _routes_with_backend(ctx: CacheView, backend_kind: str, backend: ObjectKey) -> Iterator[Trigger]:
    value = indexes.backend_value(backend_kind, backend)
    for kind in ROUTE_KINDS.values():
        store = ctx.store(kind)
        for route in store.by_index(indexes.ROUTES_BY_BACKEND, value) if store else ():
            yield route_key(route)


def _from_pod(ctx: CacheView, pod: Any) -> Iterator[Trigger]:
    # Routes follow their Pods through EndpointSlices; the Pod record only feeds the readiness gate.
    return iter(())


_ROUTES: dict[str, Callable[[CacheView, Any], Iterator[Trigger]]] = {
    k.GATEWAY_CLASS.group_kind: _from_gateway_class,
    k.GATEWAY.group_kind: _from_gateway,
    **{kind.group_kind: _from_route for kind in ROUTE_KINDS.values()},
    k.SERVICE.group_kind: _from_service,
    k.ENDPOINT_SLICE.group_kind: _from_endpoint_slice,
    k.SERVICE_IMPORT.group_kind: _from_service_import,
    k.REFERENCE_GRANT.group_kind: _from_reference_grant,
    k.NAMESPACE.group_kind: _from_namespace,
    k.POD.group_kind: _from_pod,
    k.TARGET_GROUP_POLICY.group_kind: _from_target_group_policy,
    k.SERVICE_EXPORT.group_kind: _from_service_export,
    k.DNS_ENDPOINT.group_kind: _from_dns_endpoint,
    k.VPC_ASSOCIATION_POLICY.group_kind: _from_lattice_policy,
    k.ACCESS_LOG_POLICY.group_kind: _from_lattice_policy,
    k.IAM_AUTH_POLICY.group_kind: _from_lattice_policy,
    k.SERVICE_NETWORK.group_kind: _from_service_network,
}
"""Watched kind → the keys one of its records makes stale."""
