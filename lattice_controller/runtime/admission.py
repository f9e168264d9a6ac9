"""The Pod mutation of the readiness-gate webhook, as pure functions over AdmissionReview JSON.

``review_response(review, needs_gate)`` answers one ``admission.k8s.io/v1`` AdmissionReview: on CREATE of
a Pod that ``needs_gate(namespace, labels)`` and does not yet carry the gate, a JSONPatch adding it; anything
else is allowed unchanged. Never denies a Pod, never does I/O: the question is answered by the caller from
the cache.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

NeedsGate = Callable[[str, Mapping[str, str]], bool]

ADMISSION_API_VERSION = "admission.k8s.io/v1"


class BadReview(ValueError):
    """The request body is not an AdmissionReview this webhook can answer (HTTP 400)."""


def gate_patch(pod: Mapping[str, Any], gate: str) -> list[dict[str, Any]]:
    """JSONPatch operations adding readiness gate ``gate`` to ``pod``; empty when it already has it."""
    spec = pod.get("spec")
    gates = spec.get("readinessGates") if isinstance(spec, Mapping) else None
    entry = {"conditionType": gate}
    if not isinstance(gates, list) or not gates:
        return [{"op": "add", "path": "/spec/readinessGates", "value": [entry]}]
    if any(isinstance(g, Mapping) and g.get("conditionType") == gate for g in gates):
        return []
    return [{"op": "add", "path": "/spec/readinessGates/-", "value": entry}]


def pod_labels(pod: Mapping[str, Any]) -> dict[str, str]:
    metadata = pod.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    if not isinstance(labels, Mapping):
        return {}
    return {str(k): str(v) for k, v in labels.items() if isinstance(v, str)}


def review_response(review: Any, needs_gate: NeedsGate, gate: str, warning: str = "") -> dict[str, Any]:
    """The AdmissionReview answering ``review`` (allowed, with the gate patch when the Pod needs it)."""
    request = review.get("request") if isinstance(review, Mapping) else None
    if not isinstance(request, Mapping) or not isinstance(request.get("uid"), str):
        raise BadReview("expected an admission.k8s.io/v1 AdmissionReview with request.uid")
    response: dict[str, Any] = {"uid": request["uid"], "allowed": True}
    if warning:
        response["warnings"] = [warning]
    pod = request.get("object")
    if request.get("operation") == "CREATE" and _is_pod(request) and isinstance(pod, Mapping):
        namespace = request.get("namespace") or _pod_namespace(pod)
        patch = gate_patch(pod, gate) if not warning and needs_gate(namespace, pod_labels(pod)) else []
        if patch:
            response["patchType"] = "JSONPatch"
            response["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
    return {"apiVersion": ADMISSION_API_VERSION, "kind": "AdmissionReview", "response": response}


def _is_pod(request: Mapping[str, Any]) -> bool:
    resource = request.get("resource")
    if not isinstance(resource, Mapping):
        return False
    return (
        resource.get("group", "") == ""
        and resource.get("resource") == "pods"
        and not request.get("subResource")
    )


def _pod_namespace(pod: Mapping[str, Any]) -> str:
    metadata = pod.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, Mapping) else None
    return namespace if isinstance(namespace, str) else ""
