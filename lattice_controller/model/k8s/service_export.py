"""ServiceExport (application-networking.k8s.aws/v1alpha1): a Service of this cluster offered to
routes of any cluster as VPC Lattice target groups (docs/multi-cluster.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s._parse import Problems, as_list, as_map, as_str, opt_int
from lattice_controller.model.k8s.common import Meta, parse_meta

AN_GROUP = "application-networking.k8s.aws"
FEDERATION_ANNOTATION = AN_GROUP + "/federation"
FEDERATION_VALUE = "amazon-vpc-lattice"
SERVICE_NAME_ANNOTATION = AN_GROUP + "/service-name"
PORT_ANNOTATION = AN_GROUP + "/port"


@dataclass(frozen=True, slots=True)
class ExportedPort:
    port: int
    route_type: str  # HTTP, GRPC or TLS (the CRD's enum)


@dataclass(frozen=True, slots=True)
class ServiceExport:
    meta: Meta
    exported_ports: tuple[ExportedPort, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def federated(self) -> bool:
        """Only exports opted in with ``federation: amazon-vpc-lattice`` are acted on (as the
        reference does: any other export is left entirely alone)."""
        return (self.meta.annotations.get(FEDERATION_ANNOTATION) or "").strip() == FEDERATION_VALUE

    @property
    def service_name(self) -> str:
        """The exported Service: the ``service-name`` annotation, else the export's own name."""
        return (self.meta.annotations.get(SERVICE_NAME_ANNOTATION) or "").strip() or self.meta.key.name

    @property
    def legacy_ports(self) -> tuple[str, ...]:
        """The ``port`` annotation's comma-separated Service ports (used without ``exportedPorts``)."""
        raw = self.meta.annotations.get(PORT_ANNOTATION) or ""
        return tuple(p.strip() for p in raw.split(",") if p.strip())


def parse_service_export(obj: Any) -> ServiceExport:
    problems = Problems()
    obj = as_map(obj, "", problems)
    spec = as_map(obj.get("spec"), "spec", problems)
    ports = []
    for i, raw in enumerate(as_list(spec.get("exportedPorts"), "spec.exportedPorts", problems)):
        entry = as_map(raw, f"spec.exportedPorts[{i}]", problems)
        port = opt_int(entry.get("port"), f"spec.exportedPorts[{i}].port", problems)
        if port is not None:
            ports.append(ExportedPort(port, as_str(entry.get("routeType"), "", problems)))
    return ServiceExport(
        meta=parse_meta(obj, problems), exported_ports=tuple(ports), problems=problems.freeze()
    )
