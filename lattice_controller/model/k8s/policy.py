"""Interim record of the application-networking policies: metadata plus ``spec.targetRef``.

The policy stores (TargetGroupPolicy, VpcAssociationPolicy, AccessLogPolicy, IAMAuthPolicy) hold this
small view until each policy has a full record; the by-target index (``cache.policy_targets``) needs
only ``meta.key`` and a ``target_ref`` with ``group``, ``kind``, ``name`` and ``namespace``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s.common import Meta, parse_meta


@dataclass(frozen=True, slots=True)
class PolicyTargetRef:
    group: str
    kind: str
    name: str
    namespace: str | None = None
    section_name: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyView:
    meta: Meta
    target_ref: PolicyTargetRef | None


def _opt(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_policy_view(obj: Mapping[str, Any]) -> PolicyView:
    spec = obj.get("spec")
    ref = spec.get("targetRef") if isinstance(spec, Mapping) else None
    target = None
    if isinstance(ref, Mapping):
        target = PolicyTargetRef(
            group=str(ref.get("group") or ""),
            kind=str(ref.get("kind") or ""),
            name=str(ref.get("name") or ""),
            namespace=_opt(ref.get("namespace")),
            section_name=_opt(ref.get("sectionName")),
        )
    return PolicyView(parse_meta(obj), target)
