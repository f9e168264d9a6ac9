"""ServiceExport (application-networking.k8s.aws/v1alpha1): only its existence and metadata for now
(a TargetGroupPolicy may name one); the export's own target groups are not built yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s._parse import as_map
from lattice_controller.model.k8s.common import Meta, parse_meta


@dataclass(frozen=True, slots=True)
class ServiceExport:
    meta: Meta


def parse_service_export(obj: Any) -> ServiceExport:
    return ServiceExport(meta=parse_meta(as_map(obj, "")))
