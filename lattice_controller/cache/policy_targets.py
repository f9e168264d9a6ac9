"""Interim records and the by-target index for the application-networking policies.

``model.k8s`` has no policy records yet, so the policy stores (TargetGroupPolicy, VpcAssociationPolicy,
AccessLogPolicy, IAMAuthPolicy) hold this small view: metadata plus ``spec.targetRef``. Replace
``parse_policy_view`` with the model's parsers when they exist; the index only needs ``meta.key`` and a
``target_ref`` with ``group``, ``kind``, ``name`` and ``namespace``.

Index values are ``Kind:ns/name`` (``target_value``), where ``ns`` is ``targetRef.namespace`` or, when unset,
the policy's own namespace. A policy naming another namespace is therefore found from that target, and its
reconcile reports the mismatch (the reference rejects or ignores such policies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s.common import Meta, parse_meta
from lattice_controller.model.keys import ObjectKey

POLICIES_BY_TARGET = "policies-by-target"


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


def target_value(kind: str, key: ObjectKey) -> str:
    """Value of ``POLICIES_BY_TARGET`` for the object ``kind`` ``key`` (e.g. ``Gateway``, ``ns/gw``)."""
    return f"{kind}:{key}"


def policy_targets(policy: Any) -> Iterable[str]:
    ref = policy.target_ref
    if ref is not None and ref.kind and ref.name:
        yield target_value(ref.kind, ObjectKey(ref.namespace or policy.meta.key.namespace, ref.name))
