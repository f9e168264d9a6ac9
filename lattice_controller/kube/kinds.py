"""The Kubernetes kinds the controller reads, as typed API coordinates (group, version, plural, scope).

A ``Kind[R]`` names one served version and carries, for the type checker only, the record type ``R``
its cache store holds (``ctx.store(kinds.GATEWAY)`` is a ``Store[Gateway]``), lightkube's way; code that
handles kinds of any record type takes an ``AnyKind``. Kinds whose served version differs between
Gateway API releases
(TLSRoute, ReferenceGrant) list ``fallback_versions``; discovery picks the first served one
(see ``discovery.ServedKinds.resolve``). Code that keys things by kind uses ``group_kind``, which does not
depend on the version that was resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from lattice_controller.model.k8s import (
    EndpointSlice,
    Gateway,
    GatewayClass,
    Namespace,
    ReferenceGrant,
    Route,
    Service,
)
from lattice_controller.model.k8s.access_log_policy import AccessLogPolicy
from lattice_controller.model.k8s.auth_policy import IamAuthPolicy
from lattice_controller.model.k8s.dns_endpoint import DnsEndpoint
from lattice_controller.model.k8s.pod import Pod
from lattice_controller.model.k8s.service_export import ServiceExport
from lattice_controller.model.k8s.service_import import ServiceImport
from lattice_controller.model.k8s.service_network import ServiceNetwork
from lattice_controller.model.k8s.target_group_policy import TargetGroupPolicy
from lattice_controller.model.k8s.vpc_association_policy import VpcAssociationPolicy

R = TypeVar("R")

GATEWAY_API_GROUP = "gateway.networking.k8s.io"
AWS_GROUP = "application-networking.k8s.aws"


@dataclass(frozen=True, slots=True)
class Kind(Generic[R]):
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    fallback_versions: tuple[str, ...] = field(default=(), compare=False)

    @property
    def api_version(self) -> str:
        """``apiVersion`` as written in objects: ``v1`` for core, ``group/version`` otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_kind(self) -> str:
        """Version-independent identity, e.g. ``HTTPRoute.gateway.networking.k8s.io`` or ``Service``."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def candidate_versions(self) -> tuple[str, ...]:
        return (self.version, *self.fallback_versions)

    def at_version(self, version: str) -> Kind[R]:
        return replace(self, version=version, fallback_versions=())

    def collection_path(self, namespace: str | None = None) -> str:
        """URL path of the collection: all namespaces unless ``namespace`` is given for a namespaced kind."""
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            return f"{root}/namespaces/{namespace}/{self.plural}"
        return f"{root}/{self.plural}"

    def object_path(self, namespace: str, name: str, subresource: str = "") -> str:
        path = f"{self.collection_path(namespace if self.namespaced else None)}/{name}"
        return f"{path}/{subresource}" if subresource else path

    def __str__(self) -> str:
        return f"{self.kind}.{self.api_version}"


AnyKind = Kind[Any]


def _gw(
    version: str, plural: str, kind: str, *, namespaced: bool = True, fallbacks: tuple[str, ...] = ()
) -> Kind[Any]:
    return Kind(GATEWAY_API_GROUP, version, plural, kind, namespaced, fallbacks)


def _aws(plural: str, kind: str, *, namespaced: bool = True) -> Kind[Any]:
    return Kind(AWS_GROUP, "v1alpha1", plural, kind, namespaced)


GATEWAY_CLASS: Kind[GatewayClass] = _gw("v1", "gatewayclasses", "GatewayClass", namespaced=False)
GATEWAY: Kind[Gateway] = _gw("v1", "gateways", "Gateway")
HTTP_ROUTE: Kind[Route] = _gw("v1", "httproutes", "HTTPRoute")
GRPC_ROUTE: Kind[Route] = _gw("v1", "grpcroutes", "GRPCRoute")
TLS_ROUTE: Kind[Route] = _gw("v1", "tlsroutes", "TLSRoute", fallbacks=("v1alpha3", "v1alpha2"))
REFERENCE_GRANT: Kind[ReferenceGrant] = _gw("v1", "referencegrants", "ReferenceGrant", fallbacks=("v1beta1",))

SERVICE: Kind[Service] = Kind("", "v1", "services", "Service", True)
POD: Kind[Pod] = Kind("", "v1", "pods", "Pod", True)
NAMESPACE: Kind[Namespace] = Kind("", "v1", "namespaces", "Namespace", False)
EVENT: Kind[Any] = Kind("", "v1", "events", "Event", True)
LEASE: Kind[Any] = Kind("coordination.k8s.io", "v1", "leases", "Lease", True)
ENDPOINT_SLICE: Kind[EndpointSlice] = Kind("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True)

TARGET_GROUP_POLICY: Kind[TargetGroupPolicy] = _aws("targetgrouppolicies", "TargetGroupPolicy")
VPC_ASSOCIATION_POLICY: Kind[VpcAssociationPolicy] = _aws("vpcassociationpolicies", "VpcAssociationPolicy")
ACCESS_LOG_POLICY: Kind[AccessLogPolicy] = _aws("accesslogpolicies", "AccessLogPolicy")
IAM_AUTH_POLICY: Kind[IamAuthPolicy] = _aws("iamauthpolicies", "IAMAuthPolicy")
SERVICE_EXPORT: Kind[ServiceExport] = _aws("serviceexports", "ServiceExport")
SERVICE_IMPORT: Kind[ServiceImport] = _aws("serviceimports", "ServiceImport")
SERVICE_NETWORK: Kind[ServiceNetwork] = _aws("servicenetworks", "ServiceNetwork", namespaced=False)
# external-dns's CRD: a route with a custom domain gets one (owned by the route) when it is served.
DNS_ENDPOINT: Kind[DnsEndpoint] = Kind("externaldns.k8s.io", "v1alpha1", "dnsendpoints", "DNSEndpoint", True)

# Start-up fails without these, as with the Go controller (docs/compatibility.md).
REQUIRED_KINDS: tuple[Kind[Any], ...] = (GATEWAY, GATEWAY_CLASS, HTTP_ROUTE, GRPC_ROUTE, TLS_ROUTE)
# Watched only when discovery shows them served.
OPTIONAL_KINDS: tuple[Kind[Any], ...] = (
    REFERENCE_GRANT,
    TARGET_GROUP_POLICY,
    VPC_ASSOCIATION_POLICY,
    ACCESS_LOG_POLICY,
    IAM_AUTH_POLICY,
    SERVICE_EXPORT,
    SERVICE_IMPORT,
    SERVICE_NETWORK,
    DNS_ENDPOINT,
)
CORE_KINDS: tuple[Kind[Any], ...] = (SERVICE, ENDPOINT_SLICE, NAMESPACE, POD)
