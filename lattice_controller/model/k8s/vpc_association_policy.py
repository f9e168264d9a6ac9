"""The VpcAssociationPolicy record: metadata, ``spec.targetRef``, security groups, ``associateWithVpc``
(unset means true) and the status conditions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s.common import Condition, Meta, parse_conditions
from lattice_controller.model.k8s.policy import PolicyTargetRef, parse_policy_view


@dataclass(frozen=True, slots=True)
class VpcAssociationPolicy:
    meta: Meta
    target_ref: PolicyTargetRef | None
    security_group_ids: tuple[str, ...] = ()
    associate_with_vpc: bool = True
    conditions: tuple[Condition, ...] = ()


def parse_vpc_association_policy(obj: Mapping[str, Any]) -> VpcAssociationPolicy:
    view = parse_policy_view(obj)
    spec = obj.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    groups = spec.get("securityGroupIds")
    status = obj.get("status")
    conditions = status.get("conditions") if isinstance(status, Mapping) else None
    return VpcAssociationPolicy(
        meta=view.meta,
        target_ref=view.target_ref,
        security_group_ids=tuple(str(g) for g in groups) if isinstance(groups, list) else (),
        associate_with_vpc=spec.get("associateWithVpc") is not False,
        conditions=parse_conditions(conditions or [], "status.conditions"),
    )
