"""The IAMAuthPolicy record: metadata, ``spec.targetRef``, the policy document and the status conditions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s.common import Condition, Meta, parse_conditions
from lattice_controller.model.k8s.policy import PolicyTargetRef, parse_policy_view


@dataclass(frozen=True, slots=True)
class IamAuthPolicy:
    meta: Meta
    target_ref: PolicyTargetRef | None
    policy: str
    conditions: tuple[Condition, ...] = ()


def parse_iam_auth_policy(obj: Mapping[str, Any]) -> IamAuthPolicy:
    view = parse_policy_view(obj)
    spec = obj.get("spec")
    document = spec.get("policy") if isinstance(spec, Mapping) else None
    status = obj.get("status")
    conditions = status.get("conditions") if isinstance(status, Mapping) else None
    return IamAuthPolicy(
        meta=view.meta,
        target_ref=view.target_ref,
        policy=document if isinstance(document, str) else "",
        conditions=parse_conditions(conditions or [], "status.conditions"),
    )
