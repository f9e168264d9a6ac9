"""Records shared by every Kubernetes kind: string maps, object metadata, status conditions."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s._parse import (
    Problems,
    as_list,
    as_map,
    as_str,
    opt_int,
    str_pairs,
    str_tuple,
)
from lattice_controller.model.keys import ObjectKey


@dataclass(frozen=True, slots=True)
class StrMap:
    """An immutable string→string mapping stored as sorted pairs (labels, annotations, options)."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, str] | None = None) -> StrMap:
        return cls(tuple(sorted(mapping.items()))) if mapping else EMPTY_STR_MAP

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.pairs:
            if k == key:
                return v
        return default

    def __contains__(self, key: object) -> bool:
        return any(k == key for k, _ in self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self.pairs)

    def as_dict(self) -> dict[str, str]:
        return dict(self.pairs)


EMPTY_STR_MAP = StrMap()


def str_map(value: Any, path: str = "", problems: Problems | None = None) -> StrMap:
    pairs = str_pairs(value, path, problems)
    return StrMap(pairs) if pairs else EMPTY_STR_MAP


@dataclass(frozen=True, slots=True)
class Meta:
    """The metadata fields the controller reads from any object."""

    key: ObjectKey
    uid: str = ""
    resource_version: str = ""
    generation: int = 0
    labels: StrMap = EMPTY_STR_MAP
    annotations: StrMap = EMPTY_STR_MAP
    finalizers: tuple[str, ...] = ()
    deletion_timestamp: str | None = None
    creation_timestamp: str = ""

    @property
    def deleting(self) -> bool:
        return self.deletion_timestamp is not None

    @property
    def namespace(self) -> str:
        return self.key.namespace

    @property
    def name(self) -> str:
        return self.key.name

    def annotation(self, key: str) -> str | None:
        return self.annotations.get(key)


# Never read by the controller and often kilobytes per object: not kept in the cache.
DROPPED_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})


def parse_meta(obj: Any, problems: Problems | None = None) -> Meta:
    """Metadata; ``managedFields`` and ``DROPPED_ANNOTATIONS`` are not kept (memory budget)."""
    md = as_map(as_map(obj, "", problems).get("metadata"), "metadata", problems)
    annotations = as_map(md.get("annotations"), "metadata.annotations", problems)
    if any(k in DROPPED_ANNOTATIONS for k in annotations):
        annotations = {k: v for k, v in annotations.items() if k not in DROPPED_ANNOTATIONS}
    deletion = md.get("deletionTimestamp")
    return Meta(
        key=ObjectKey(
            as_str(md.get("namespace"), "metadata.namespace", problems),
            as_str(md.get("name"), "metadata.name", problems),
        ),
        uid=as_str(md.get("uid")),
        resource_version=as_str(md.get("resourceVersion")),
        generation=opt_int(md.get("generation"), "metadata.generation", problems) or 0,
        labels=str_map(md.get("labels"), "metadata.labels", problems),
        annotations=str_map(annotations, "metadata.annotations", problems),
        finalizers=str_tuple(md.get("finalizers"), "metadata.finalizers", problems),
        deletion_timestamp=None if deletion is None else as_str(deletion),
        creation_timestamp=as_str(md.get("creationTimestamp")),
    )


@dataclass(frozen=True, slots=True)
class Condition:
    """A ``metav1.Condition`` as stored in a status."""

    type: str
    status: str
    reason: str = ""
    message: str = ""
    observed_generation: int | None = None
    last_transition_time: str = ""

    def to_k8s(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "lastTransitionTime": self.last_transition_time,
        }
        if self.observed_generation is not None:
            out["observedGeneration"] = self.observed_generation
        return out


def parse_conditions(value: Any, path: str, problems: Problems | None = None) -> tuple[Condition, ...]:
    out = []
    for i, raw in enumerate(as_list(value, path, problems)):
        c = as_map(raw, f"{path}[{i}]", problems)
        out.append(
            Condition(
                # Few-valued: one string object each across every cached status.
                type=sys.intern(as_str(c.get("type"))),
                status=sys.intern(as_str(c.get("status"))),
                reason=sys.intern(as_str(c.get("reason"))),
                message=as_str(c.get("message")),
                observed_generation=opt_int(c.get("observedGeneration"), f"{path}[{i}].observedGeneration"),
                last_transition_time=as_str(c.get("lastTransitionTime")),
            )
        )
    return tuple(out)


def find_condition(conditions: tuple[Condition, ...], type_: str) -> Condition | None:
    for c in conditions:
        if c.type == type_:
            return c
    return None


@dataclass(frozen=True, slots=True)
class LabelSelectorRequirement:
    key: str
    operator: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A ``metav1.LabelSelector``; ``matches`` returns None when the selector itself is invalid."""

    match_labels: StrMap = EMPTY_STR_MAP
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()

    def matches(self, labels: StrMap) -> bool | None:
        for k, v in self.match_labels.pairs:
            if labels.get(k) != v:
                return False
        for req in self.match_expressions:
            present = req.key in labels
            value = labels.get(req.key)
            if req.operator == "In":
                if not req.values:
                    return None
                if value not in req.values:
                    return False
            elif req.operator == "NotIn":
                if not req.values:
                    return None
                if value in req.values:
                    return False
            elif req.operator == "Exists":
                if req.values:
                    return None
                if not present:
                    return False
            elif req.operator == "DoesNotExist":
                if req.values:
                    return None
                if present:
                    return False
            else:
                return None
        return True


def parse_label_selector(value: Any, path: str, problems: Problems | None = None) -> LabelSelector:
    sel = as_map(value, path, problems)
    exprs = []
    for i, raw in enumerate(as_list(sel.get("matchExpressions"), f"{path}.matchExpressions", problems)):
        e = as_map(raw, f"{path}.matchExpressions[{i}]", problems)
        exprs.append(
            LabelSelectorRequirement(
                key=as_str(e.get("key")),
                operator=as_str(e.get("operator")),
                values=str_tuple(e.get("values")),
            )
        )
    return LabelSelector(str_map(sel.get("matchLabels"), f"{path}.matchLabels", problems), tuple(exprs))
