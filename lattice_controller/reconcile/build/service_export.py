"""ServiceExport → the target groups other clusters' routes forward to (pure; docs/multi-cluster.md).

One target group per ``spec.exportedPorts`` entry (its port; protocol by route type, a TargetGroupPolicy
on the export may change it; targets on that Service port only), or, without entries, one on port 80
whose targets the legacy ``port`` annotation narrows. Tags: ClusterName, ServiceName (= the *export's*
name, which importers look up), ServiceNamespace, SourceTypeKey=ServiceExport, ProtocolVersion, plus the
export's ``tags`` annotation. Health checks come from the policy on the Service named like the export,
else the policy on the export itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.k8s import EndpointSlice, Service
from lattice_controller.model.k8s.service_export import ServiceExport
from lattice_controller.model.lattice import (
    PROTOCOL_HTTP,
    PROTOCOL_TCP,
    VERSION_GRPC,
    VERSION_HTTP1,
    TargetGroupConfig,
    TargetGroupIdentity,
    TargetGroupSpec,
)
from lattice_controller.reconcile.build.backends import build_targets, ip_address_type, ip_family
from lattice_controller.reconcile.build.inputs import BuildSettings, TargetGroupPolicyConfig

ROUTE_TYPE_PROTOCOLS = {
    "HTTP": (PROTOCOL_HTTP, VERSION_HTTP1),
    "GRPC": (PROTOCOL_HTTP, VERSION_GRPC),
    "TLS": (PROTOCOL_TCP, ""),
}
LEGACY_PORT = 80


@dataclass(frozen=True, slots=True)
class ExportSnapshot:
    """What one export's build reads. ``service_policy``: the TargetGroupPolicy configuration of the
    Service named like the export; ``export_policy``: that of the export itself."""

    export: ServiceExport
    service: Service | None = None
    endpoint_slices: Sequence[EndpointSlice] = ()
    service_policy: TargetGroupPolicyConfig | None = None
    export_policy: TargetGroupPolicyConfig | None = None


@dataclass(frozen=True, slots=True)
class ExportBuild:
    """``problem``: why nothing can be built (the Service is missing, ...), to report; the export's
    existing groups are then left as they are."""

    target_groups: tuple[TargetGroupSpec, ...] = ()
    problem: str | None = None


def export_identity_tags(export: ServiceExport, cluster: str) -> dict[str, str]:
    """The tags every target group of this export in this cluster carries (its others vary)."""
    return {
        tag_keys.CLUSTER_NAME: cluster,
        tag_keys.SERVICE_NAME: export.meta.key.name,
        tag_keys.SERVICE_NAMESPACE: export.meta.key.namespace,
        tag_keys.SOURCE_TYPE_KEY: tag_keys.SOURCE_TYPE_SERVICE_EXPORT,
    }


def _protocol(route_type: str | None, policy: TargetGroupPolicyConfig | None) -> tuple[str, str]:
    protocol, version = ROUTE_TYPE_PROTOCOLS.get(route_type or "HTTP", (PROTOCOL_HTTP, VERSION_HTTP1))
    if policy is not None and policy.protocol:
        protocol = policy.protocol
    if protocol == PROTOCOL_TCP:
        return PROTOCOL_TCP, ""
    if policy is not None and policy.protocol_version:
        version = policy.protocol_version
    return protocol, version


def _legacy_ports(export: ServiceExport) -> tuple[list[int | None], str | None]:
    ports: list[int | None] = []
    for text in export.legacy_ports:
        if not text.isdigit():
            return [], (
                f"annotation application-networking.k8s.aws/port value {text!r} is not a port number: "
                "list Service ports separated by commas, or use spec.exportedPorts"
            )
        ports.append(int(text))
    return ports or [None], None


def build_export(snapshot: ExportSnapshot, settings: BuildSettings) -> ExportBuild:
    export, service = snapshot.export, snapshot.service
    key = export.meta.key
    if service is None:
        return ExportBuild(
            problem=f"Service {key.namespace}/{export.service_name} of ServiceExport {key} does not "
            "exist: create it, or name the exported Service with the annotation "
            "application-networking.k8s.aws/service-name"
        )
    if ip_family(service, snapshot.endpoint_slices) is None:
        return ExportBuild(
            problem=f"Dual stack Service is not supported: Service {service.meta.key} has IPv4 and IPv6 "
            "endpoints; set spec.ipFamilyPolicy to SingleStack and spec.ipFamilies to [IPv4] or [IPv6]"
        )
    ip_type = ip_address_type(service, snapshot.endpoint_slices)
    health_policy = snapshot.service_policy or snapshot.export_policy
    health_check = health_policy.health_check if health_policy else None
    additional = tuple(sorted(tag_keys.additional_tags(export.meta.annotations.as_dict()).items()))
    entries: list[tuple[int, str, str, list[int | None]]] = []
    if export.exported_ports:
        for entry in export.exported_ports:
            protocol, version = _protocol(entry.route_type, snapshot.export_policy)
            entries.append((entry.port, protocol, version, [entry.port]))
    else:
        ports, problem = _legacy_ports(export)
        if problem is not None:
            return ExportBuild(problem=problem)
        protocol, version = _protocol(None, health_policy)
        entries.append((LEGACY_PORT, protocol, version, ports))
    specs: dict[tuple[int, str, str], TargetGroupSpec] = {}
    for port, protocol, version, target_ports in entries:
        identity = TargetGroupIdentity(
            cluster=settings.cluster,
            service_name=key.name,
            service_namespace=key.namespace,
            source_type=tag_keys.SOURCE_TYPE_SERVICE_EXPORT,
            protocol_version=version,
        )
        config = TargetGroupConfig(
            vpc=settings.vpc, ip_address_type=ip_type, protocol=protocol, protocol_version=version, port=port
        )
        specs.setdefault(
            (port, protocol, version),
            TargetGroupSpec(
                identity,
                config,
                settings.managed_by,
                health_check=health_check,
                additional_tags=additional,
                targets=build_targets(service, snapshot.endpoint_slices, target_ports, ip_type),
            ),
        )
    return ExportBuild(tuple(specs.values()))
