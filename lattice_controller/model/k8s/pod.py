"""The Pod record: only what the readiness gate needs, so 10,000 cached Pods stay small.

A Pod matters to the controller only when it carries the readiness gate
``application-networking.k8s.aws/pod-readiness-gate`` (``spec.readinessGates`` cannot change after
creation). Such a Pod keeps its labels (to find the Services selecting it) and the gate's condition as
last written; any other Pod is kept as its key and resourceVersion only. Its targets are found through
EndpointSlices (their endpoints name the Pod), so its IPs are not kept. Pods of one ReplicaSet have the
same labels: one label set object is shared by all of them, and the strings repeated across Pods
(namespaces, label keys and values, condition status, reason and time) are interned.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s._parse import as_list, as_map, as_str
from lattice_controller.model.k8s.common import EMPTY_STR_MAP, Condition, StrMap, str_map
from lattice_controller.model.keys import ObjectKey

READINESS_GATE = "application-networking.k8s.aws/pod-readiness-gate"
"""The readiness gate the webhook injects and the condition type the controller writes."""


@dataclass(frozen=True, slots=True)
class PodMeta:
    key: ObjectKey
    resource_version: str = ""
    labels: StrMap = EMPTY_STR_MAP
    deleting: bool = False


@dataclass(frozen=True, slots=True)
class Pod:
    meta: PodMeta
    gated: bool = False
    gate_condition: Condition | None = None
    """The Pod's condition of type ``READINESS_GATE`` (None: not written yet)."""

    @property
    def gate_true(self) -> bool:
        return self.gate_condition is not None and self.gate_condition.status == "True"


def has_readiness_gate(spec: Any) -> bool:
    """Whether a Pod spec (decoded JSON) lists the readiness gate."""
    gates = as_list(as_map(spec, "").get("readinessGates"), "")
    return any(as_map(g, "").get("conditionType") == READINESS_GATE for g in gates)


def parse_pod(obj: Any) -> Pod:
    obj = as_map(obj, "")
    md = as_map(obj.get("metadata"), "")
    key = ObjectKey(sys.intern(as_str(md.get("namespace"))), as_str(md.get("name")))
    resource_version = as_str(md.get("resourceVersion"))
    deleting = md.get("deletionTimestamp") is not None
    if not has_readiness_gate(obj.get("spec")):
        return Pod(PodMeta(key, resource_version, deleting=deleting))
    status = as_map(obj.get("status"), "")
    condition = None
    for raw in as_list(status.get("conditions"), ""):
        c = as_map(raw, "")
        if c.get("type") == READINESS_GATE:
            condition = Condition(
                type=READINESS_GATE,
                status=sys.intern(as_str(c.get("status"))),
                reason=sys.intern(as_str(c.get("reason"))),
                message=as_str(c.get("message")),
                last_transition_time=sys.intern(as_str(c.get("lastTransitionTime"))),
            )
    labels = _shared_labels(md.get("labels"))
    return Pod(PodMeta(key, resource_version, labels, deleting), True, condition)


_LABEL_SETS: dict[tuple[tuple[str, str], ...], StrMap] = {}
_LABEL_SETS_MAX = 8192


def _shared_labels(raw: Any) -> StrMap:
    """The Pod's labels as a ``StrMap`` shared with every other Pod of the same labels (a memo of at most
    ``_LABEL_SETS_MAX`` sets, emptied when full: sharing is an optimisation, never needed for meaning)."""
    pairs = tuple((sys.intern(k), sys.intern(v)) for k, v in str_map(raw).pairs)
    if not pairs:
        return EMPTY_STR_MAP
    found = _LABEL_SETS.get(pairs)
    if found is None:
        if len(_LABEL_SETS) >= _LABEL_SETS_MAX:
            _LABEL_SETS.clear()
        found = _LABEL_SETS[pairs] = StrMap(pairs)
    return found
