"""The ServiceNetwork record (cluster-scoped): metadata, the status conditions and the Lattice ids the
controller wrote. ``spec`` is empty: the Lattice name is ``metadata.name``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s.common import Condition, Meta, parse_conditions, parse_meta


@dataclass(frozen=True, slots=True)
class ServiceNetwork:
    meta: Meta
    conditions: tuple[Condition, ...] = ()
    arn: str = ""
    id: str = ""


def parse_service_network(obj: Mapping[str, Any]) -> ServiceNetwork:
    status = obj.get("status")
    status = status if isinstance(status, Mapping) else {}
    return ServiceNetwork(
        meta=parse_meta(obj),
        conditions=parse_conditions(status.get("conditions") or [], "status.conditions"),
        arn=str(status.get("serviceNetworkARN") or ""),
        id=str(status.get("serviceNetworkID") or ""),
    )
