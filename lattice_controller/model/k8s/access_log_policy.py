"""The AccessLogPolicy record: metadata, ``spec.targetRef``, ``spec.destinationArn`` and the conditions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s.common import Condition, Meta, parse_conditions
from lattice_controller.model.k8s.policy import PolicyTargetRef, parse_policy_view


@dataclass(frozen=True, slots=True)
class AccessLogPolicy:
    meta: Meta
    target_ref: PolicyTargetRef | None
    destination_arn: str
    conditions: tuple[Condition, ...] = ()


def parse_access_log_policy(obj: Mapping[str, Any]) -> AccessLogPolicy:
    view = parse_policy_view(obj)
    spec = obj.get("spec")
    destination = spec.get("destinationArn") if isinstance(spec, Mapping) else None
    status = obj.get("status")
    conditions = status.get("conditions") if isinstance(status, Mapping) else None
    return AccessLogPolicy(
        meta=view.meta,
        target_ref=view.target_ref,
        destination_arn=destination if isinstance(destination, str) else "",
        conditions=parse_conditions(conditions or [], "status.conditions"),
    )
