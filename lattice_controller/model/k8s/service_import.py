"""ServiceImport (application-networking.k8s.aws/v1alpha1): only what route backends need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s._parse import as_list, as_map, as_str, opt_int
from lattice_controller.model.k8s.common import Meta, parse_meta


@dataclass(frozen=True, slots=True)
class ServiceImport:
    """Its annotations (export-name, aws-vpc, aws-eks-cluster-name, target-group-arn) drive the
    target group lookup (docs/compatibility.md: ServiceImport backends); ports are informational
    (backendRef ports are ignored)."""

    meta: Meta
    ports: tuple[int, ...] = ()
    type: str = ""


def parse_service_import(obj: Any) -> ServiceImport:
    obj = as_map(obj, "")
    spec = as_map(obj.get("spec"), "spec")
    ports = []
    for raw in as_list(spec.get("ports"), "spec.ports"):
        port = opt_int(as_map(raw, "").get("port"), "port")
        if port is not None:
            ports.append(port)
    return ServiceImport(meta=parse_meta(obj), ports=tuple(ports), type=as_str(spec.get("type")))
