"""ReferenceGrant (gateway.networking.k8s.io) record, parser and the permission check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s._parse import as_list, as_map, as_str, opt_str
from lattice_controller.model.k8s.common import Meta, parse_meta


@dataclass(frozen=True, slots=True)
class GrantFrom:
    group: str
    kind: str
    namespace: str


@dataclass(frozen=True, slots=True)
class GrantTo:
    group: str
    kind: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceGrant:
    meta: Meta
    from_: tuple[GrantFrom, ...] = ()
    to: tuple[GrantTo, ...] = ()

    def permits(
        self, from_group: str, from_kind: str, from_namespace: str, to_group: str, to_kind: str, to_name: str
    ) -> bool:
        """Does this grant (living in the target namespace) allow the reference?"""
        if not any(
            f.group == from_group and f.kind == from_kind and f.namespace == from_namespace
            for f in self.from_
        ):
            return False
        return any(
            t.group == to_group and t.kind == to_kind and (not t.name or t.name == to_name) for t in self.to
        )


def parse_reference_grant(obj: Any) -> ReferenceGrant:
    obj = as_map(obj, "")
    spec = as_map(obj.get("spec"), "spec")
    froms = []
    for raw in as_list(spec.get("from"), "spec.from"):
        f = as_map(raw, "")
        froms.append(GrantFrom(as_str(f.get("group")), as_str(f.get("kind")), as_str(f.get("namespace"))))
    tos = []
    for raw in as_list(spec.get("to"), "spec.to"):
        t = as_map(raw, "")
        tos.append(GrantTo(as_str(t.get("group")), as_str(t.get("kind")), opt_str(t.get("name"))))
    return ReferenceGrant(meta=parse_meta(obj), from_=tuple(froms), to=tuple(tos))


def reference_permitted(
    grants: Iterable[ReferenceGrant],
    from_group: str,
    from_kind: str,
    from_namespace: str,
    to_group: str,
    to_kind: str,
    to_namespace: str,
    to_name: str,
) -> bool:
    """Same-namespace references are always allowed; others need a grant in the target namespace."""
    if from_namespace == to_namespace:
        return True
    return any(
        g.meta.namespace == to_namespace
        and g.permits(from_group, from_kind, from_namespace, to_group, to_kind, to_name)
        for g in grants
    )
