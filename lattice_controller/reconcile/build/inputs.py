"""What the pure build reads: settings-like values and a snapshot of cache records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lattice_controller.model.k8s import (
    GATEWAY_API_GROUP,
    EndpointSlice,
    Gateway,
    GatewayClass,
    Namespace,
    ReferenceGrant,
    Route,
    Service,
    ServiceImport,
)
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import HealthCheckSpec
from lattice_controller.model.tags import managed_by

CONTROLLER_NAME = "application-networking.k8s.aws/gateway-api-controller"


@dataclass(frozen=True, slots=True)
class BuildSettings:
    account: str
    cluster: str
    vpc: str
    default_service_network: str = ""
    service_network_override: bool = False
    enforce_reference_grants: bool = True
    controller_name: str = CONTROLLER_NAME
    adoption_allowed_namespaces: tuple[str, ...] = ()
    """Namespaces whose routes may adopt/take over Lattice services we did not create (``*``: any)."""

    def adoption_allowed(self, namespace: str) -> bool:
        return "*" in self.adoption_allowed_namespaces or namespace in self.adoption_allowed_namespaces

    @property
    def managed_by(self) -> str:
        return managed_by(self.account, self.cluster, self.vpc)

    @property
    def override_active(self) -> bool:
        """Override mode needs both the flag and a default service network (docs/operations.md)."""
        return self.service_network_override and bool(self.default_service_network)


@dataclass(frozen=True, slots=True)
class TargetGroupPolicyConfig:
    """The accepted TargetGroupPolicy resolved for a Service (parsed elsewhere)."""

    protocol: str | None = None
    protocol_version: str | None = None
    health_check: HealthCheckSpec | None = None


@dataclass(frozen=True)
class RouteSnapshot:
    """Everything one route's build may look at. Mappings hold only what the cache has;
    absent keys mean "not found". ``endpoint_slices`` is keyed by the Service's key."""

    route: Route
    gateways: Mapping[ObjectKey, Gateway] = field(default_factory=dict)
    gateway_classes: Mapping[str, GatewayClass] = field(default_factory=dict)
    services: Mapping[ObjectKey, Service] = field(default_factory=dict)
    endpoint_slices: Mapping[ObjectKey, Sequence[EndpointSlice]] = field(default_factory=dict)
    reference_grants: Sequence[ReferenceGrant] = ()
    namespaces: Mapping[str, Namespace] = field(default_factory=dict)
    target_group_policies: Mapping[ObjectKey, TargetGroupPolicyConfig] = field(default_factory=dict)
    service_imports: Mapping[ObjectKey, ServiceImport] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RouteDependencies:
    """The cache records a route's snapshot needs (what to look up, and what to watch)."""

    gateways: tuple[ObjectKey, ...]
    services: tuple[ObjectKey, ...]
    service_imports: tuple[ObjectKey, ...]
    grant_namespaces: tuple[str, ...]
    """Namespaces whose ReferenceGrants matter (cross-namespace backends)."""
    namespaces: tuple[str, ...]
    """Namespace objects needed (the route's own, for ``allowedRoutes.namespaces.from: Selector``)."""


def route_dependencies(route: Route) -> RouteDependencies:
    namespace = route.meta.namespace
    gateways = []
    for ref in route.parent_refs:
        if ref.effective_group == GATEWAY_API_GROUP and ref.effective_kind == "Gateway":
            gateways.append(ObjectKey(ref.namespace or namespace, ref.name))
    services, imports = [], []
    for rule in route.rules:
        for backend in rule.backend_refs:
            key = ObjectKey(backend.namespace_or(namespace), backend.name)
            if backend.effective_kind == "Service":
                services.append(key)
            elif backend.effective_kind == "ServiceImport":
                imports.append(key)
    grant_namespaces = sorted({k.namespace for k in services + imports if k.namespace != namespace})
    return RouteDependencies(
        tuple(dict.fromkeys(gateways)),
        tuple(dict.fromkeys(services)),
        tuple(dict.fromkeys(imports)),
        tuple(grant_namespaces),
        (namespace,),
    )
