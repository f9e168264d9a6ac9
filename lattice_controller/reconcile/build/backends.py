"""backendRefs → target-group identities, TG specs and targets (ReferenceGrants: docs/compatibility.md).

A Service referenced several times in one route (e.g. with different ports) maps to one TG whose
target set is the union of what each reference selects — the Go controller lets them fight.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lattice_controller.model.k8s import (
    GATEWAY_API_GROUP,
    BackendRef,
    EndpointSlice,
    ReferenceGrant,
    Route,
    RouteType,
    Service,
    reference_permitted,
)
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import (
    PROTOCOL_HTTP,
    PROTOCOL_TCP,
    VERSION_GRPC,
    VERSION_HTTP1,
    ImportedTargetGroup,
    TargetGroupIdentity,
    TargetSpec,
)
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.build.inputs import BuildSettings, RouteSnapshot, TargetGroupPolicyConfig

AN_GROUP = "application-networking.k8s.aws"
EXPORT_NAME_ANNOTATION = AN_GROUP + "/export-name"
AWS_VPC_ANNOTATION = AN_GROUP + "/aws-vpc"
CLUSTER_NAME_ANNOTATION = AN_GROUP + "/aws-eks-cluster-name"
TARGET_GROUP_ARN_ANNOTATION = AN_GROUP + "/target-group-arn"
MAX_WEIGHT = 999
_LOOKUP_ANNOTATIONS = (EXPORT_NAME_ANNOTATION, AWS_VPC_ANNOTATION, CLUSTER_NAME_ANNOTATION)
_TARGET_GROUP_ARN = re.compile(r"arn:aws[a-z-]*:vpc-lattice:[a-z0-9-]+:\d{12}:targetgroup/tg-[0-9a-z]{17}")

_IP_TYPES = {"IPv4": "IPV4", "IPv6": "IPV6"}
_ADDRESS_TYPES = {"IPV4": "IPv4", "IPV6": "IPv6"}


@dataclass(frozen=True, slots=True)
class ResolvedBackend:
    """One backendRef after checks. ``target_group`` is None when the backend is invalid (dropped
    from the forward action); ``resolved_refs`` / ``accepted_problem`` say why."""

    ref: BackendRef
    target_group: TargetGroupIdentity | ImportedTargetGroup | None = None
    service: Service | None = None
    resolved_refs: tuple[str, str] | None = None
    accepted_problem: str | None = None
    warning: str | None = None


def ip_family(service: Service, slices: Sequence[EndpointSlice]) -> str | None:
    """The one IP family of the Service's targets, or None when it really serves two.

    A Service with one family has it. With two (a dual-stack Service — or a selectorless headless
    one, to which the API server gives both), the family is that of the EndpointSlices holding
    addresses: one family → it; both → None; none yet → the Service's first (the cluster's primary).
    """
    if len(service.ip_families) <= 1:
        return service.ip_families[0] if service.ip_families else "IPv4"
    present = {s.address_type for s in slices if any(e.addresses for e in s.endpoints)}
    present &= set(service.ip_families)
    if len(present) > 1:
        return None
    return present.pop() if present else service.ip_families[0]


def ip_address_type(service: Service, slices: Sequence[EndpointSlice]) -> str:
    return _IP_TYPES.get(ip_family(service, slices) or "IPv4", "IPV4")


def target_group_protocol(route_type: RouteType, policy: TargetGroupPolicyConfig | None) -> tuple[str, str]:
    """(protocol, protocolVersion) of a route TG: TargetGroupPolicy or HTTP/HTTP1; GRPCRoute forces
    version GRPC, TLSRoute forces TCP with no version."""
    if route_type is RouteType.TLS:
        return PROTOCOL_TCP, ""
    protocol = (policy.protocol if policy else None) or PROTOCOL_HTTP
    if route_type is RouteType.GRPC:
        return protocol, VERSION_GRPC
    if protocol == PROTOCOL_TCP:
        return PROTOCOL_TCP, ""
    return protocol, (policy.protocol_version if policy else None) or VERSION_HTTP1


def _grant_check(
    route: Route, ref: BackendRef, namespace: str, grants: Sequence[ReferenceGrant], enforce: bool
) -> tuple[tuple[str, str] | None, str | None]:
    to_group = "" if ref.effective_kind == "Service" else AN_GROUP
    if reference_permitted(
        grants,
        GATEWAY_API_GROUP,
        route.kind,
        route.meta.namespace,
        to_group,
        ref.effective_kind,
        namespace,
        ref.name,
    ):
        return None, None
    message = (
        f"backendRef {ref.effective_kind} {namespace}/{ref.name} is in another namespace and no "
        f"ReferenceGrant permits it: create a ReferenceGrant in namespace {namespace} from {route.kind} "
        f"in namespace {route.meta.namespace} to {ref.effective_kind} {ref.name}"
    )
    if enforce:
        return (c.REASON_REF_NOT_PERMITTED, message), None
    return None, message + " (allowed because ENFORCE_REFERENCE_GRANTS=false)"


def _not_found(ref: BackendRef, kind: str, namespace: str) -> tuple[str, str]:
    # The reference's message ("backendRef name: <name>") first, then what to change.
    return (
        c.REASON_BACKEND_NOT_FOUND,
        f"backendRef name: {ref.name}: {kind} {namespace}/{ref.name} does not exist: create it or fix "
        "the backendRef",
    )


def import_problem(annotations: dict[str, str], key: ObjectKey) -> tuple[str, str] | None:
    """Why a ServiceImport's annotations name no usable target group (the reference's reasons), or
    None. An external ARN excludes the export-lookup annotations and must name a Lattice target group."""
    arn = (annotations.get(TARGET_GROUP_ARN_ANNOTATION) or "").strip()
    if not arn:
        return None
    lookup = [a for a in _LOOKUP_ANNOTATIONS if (annotations.get(a) or "").strip()]
    if lookup:
        return (
            c.REASON_CONFLICTING_IMPORT_ANNOTATIONS,
            f"ServiceImport {key} sets {TARGET_GROUP_ARN_ANNOTATION} together with {', '.join(lookup)}: "
            "an external target group is used as is; remove one or the other",
        )
    if _TARGET_GROUP_ARN.fullmatch(arn) is None:
        return (
            c.REASON_INVALID_EXTERNAL_TARGET_GROUP,
            f"ServiceImport {key}: {TARGET_GROUP_ARN_ANNOTATION} {arn!r} is not a VPC Lattice target group "
            "ARN (arn:aws:vpc-lattice:<region>:<account>:targetgroup/tg-<17 characters>)",
        )
    return None


def resolve_backend(
    route: Route, ref: BackendRef, snapshot: RouteSnapshot, settings: BuildSettings
) -> ResolvedBackend:
    kind, group = ref.effective_kind, ref.effective_group
    namespace = ref.namespace_or(route.meta.namespace)
    if ref.weight is not None and not 0 <= ref.weight <= MAX_WEIGHT:
        return ResolvedBackend(
            ref,
            accepted_problem=f"backendRef {ref.name} has weight {ref.weight}; VPC Lattice weights are "
            f"0-{MAX_WEIGHT}: scale the weights down",
        )
    if not ((kind == "Service" and group == "") or (kind == "ServiceImport" and group in ("", AN_GROUP))):
        # The reference's message is the bare kind; ours starts the same and says what to change.
        message = (
            f"{kind}: backendRef {ref.name} cannot be routed to by VPC Lattice: "
            "use kind Service or ServiceImport"
        )
        return ResolvedBackend(ref, resolved_refs=(c.REASON_INVALID_KIND, message))
    refused, warning = _grant_check(
        route, ref, namespace, snapshot.reference_grants, settings.enforce_reference_grants
    )
    if refused is not None:
        return ResolvedBackend(ref, resolved_refs=refused)
    key = ObjectKey(namespace, ref.name)
    if kind == "ServiceImport":
        service_import = snapshot.service_imports.get(key)
        if service_import is None:
            return ResolvedBackend(ref, resolved_refs=_not_found(ref, kind, namespace))
        problem = import_problem(service_import.meta.annotations.as_dict(), key)
        if problem is not None:
            return ResolvedBackend(ref, resolved_refs=problem)
        annotations = service_import.meta.annotations
        imported = ImportedTargetGroup(
            export_name=(annotations.get(EXPORT_NAME_ANNOTATION) or "").strip() or ref.name,
            namespace=namespace,
            cluster=(annotations.get(CLUSTER_NAME_ANNOTATION) or "").strip() or None,
            vpc=(annotations.get(AWS_VPC_ANNOTATION) or "").strip() or None,
            external_arn=(annotations.get(TARGET_GROUP_ARN_ANNOTATION) or "").strip() or None,
        )
        return ResolvedBackend(ref, target_group=imported, warning=warning)
    service = snapshot.services.get(key)
    if service is None:
        return ResolvedBackend(ref, resolved_refs=_not_found(ref, kind, namespace))
    if ip_family(service, snapshot.endpoint_slices.get(key, ())) is None:
        return ResolvedBackend(
            ref,
            service=service,
            accepted_problem=f"{c.MSG_DUAL_STACK}: Service {key} has IPv4 and IPv6 endpoints; set "
            "spec.ipFamilyPolicy to SingleStack and spec.ipFamilies to [IPv4] or [IPv6] on it",
        )
    if ref.port is not None and not any(p.port == ref.port for p in service.ports):
        ports = ", ".join(str(p.port) for p in service.ports) or "none"
        message = (
            f"backendRef {ref.name} port {ref.port}: Service {key} has no port {ref.port} (its ports: "
            f"{ports}): fix the backendRef's port"
        )
        return ResolvedBackend(ref, resolved_refs=(c.REASON_BACKEND_NOT_FOUND, message))
    protocol_version = target_group_protocol(route.route_type, snapshot.target_group_policies.get(key))[1]
    identity = TargetGroupIdentity(
        cluster=settings.cluster,
        service_name=service.meta.name,
        service_namespace=service.meta.namespace,
        source_type=route.kind,
        protocol_version=protocol_version,
        route_name=route.meta.name,
        route_namespace=route.meta.namespace,
    )
    return ResolvedBackend(ref, target_group=identity, service=service, warning=warning)


def allowed_slice_port_names(service: Service, ports: Iterable[int | None]) -> set[str] | None:
    """Names of EndpointSlice ports to use; None = all. An unset port, or a matching unnamed Service
    port, allows all; a port matching no Service port allows nothing."""
    names: set[str] = set()
    for port in ports:
        if port is None or port == 0:
            return None
        for service_port in service.ports:
            if service_port.port == port:
                if not service_port.name:
                    return None
                names.add(service_port.name)
    return names


def build_targets(
    service: Service, slices: Sequence[EndpointSlice], ports: Iterable[int | None], ip_type: str
) -> tuple[TargetSpec, ...] | None:
    """Targets of one TG: every non-terminating endpoint address (ready or not) x allowed slice port.
    None when the Service is terminating (leave registered targets alone, as the reference does)."""
    if service.deleting:
        return None
    allowed = allowed_slice_port_names(service, ports)
    address_type = _ADDRESS_TYPES.get(ip_type, "IPv4")
    targets: dict[tuple[str, int], TargetSpec] = {}
    for endpoint_slice in slices:
        if endpoint_slice.address_type != address_type:
            continue
        slice_ports = [
            p.port for p in endpoint_slice.ports if p.port and (allowed is None or p.name in allowed)
        ]
        for endpoint in endpoint_slice.endpoints:
            if endpoint.is_terminating:
                continue
            pod = None
            if endpoint.target_kind == "Pod" and endpoint.target_name:
                pod = ObjectKey(endpoint.target_namespace or service.meta.namespace, endpoint.target_name)
            for address in endpoint.addresses:
                for port in slice_ports:
                    targets.setdefault((address, port), TargetSpec(address, port, endpoint.is_ready, pod))
    return tuple(targets[k] for k in sorted(targets))
