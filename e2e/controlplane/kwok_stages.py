"""kwok's pod stages, with Pod readiness gates honoured as the kubelet honours them.

kwok's stock ``pod-ready`` stage marks a Pod Ready at once and also sets every readiness-gate condition
True itself, so a gate could never hold a Pod back. The kubelet does neither: a Pod with readiness gates
is Ready only while every gate's condition (written by a controller) is True. ``with_readiness_gates``
writes the stage set kwok runs: ``pod-ready`` without the gate conditions and, for a Pod with gates,
``Ready=False/ReadinessGatesNotReady``; plus a ``pod-readiness-gates`` stage that makes such a Pod Ready
once the controller has set the gate's condition (the type ``GATE``) True. Pods without gates are
unaffected.
"""

from __future__ import annotations

from pathlib import Path

GATE = "application-networking.k8s.aws/pod-readiness-gate"

_GATE_CONDITIONS = """      {{ range .spec.readinessGates }}
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: {{ .conditionType | Quote }}
      {{ end }}
"""
_READY = """      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Ready
"""
_READY_UNLESS_GATED = """      - lastTransitionTime: {{ $now | Quote }}
        {{ if .spec.readinessGates }}
        status: "False"
        reason: ReadinessGatesNotReady
        message: the conditions of the Pod's readiness gates are not all True
        {{ else }}
        status: "True"
        {{ end }}
        type: Ready
"""
_GATES_STAGE = f"""
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-readiness-gates
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Running'
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: 'NotIn'
      values:
      - 'True'
    - key: '.status.conditions.[] | select( .type == "{GATE}" ) | .status'
      operator: 'In'
      values:
      - 'True'
  next:
    statusTemplate: |
      conditions:
      - lastTransitionTime: {{{{ Now | Quote }}}}
        status: "True"
        type: Ready
"""


def with_readiness_gates(stock: str) -> str:
    """The stage set ``stock`` (kwok's YAML) changed as the module docstring says; ValueError if kwok's
    ``pod-ready`` stage no longer has the shape this expects."""
    start = stock.find("name: pod-ready\n")
    end = stock.find("\n---", start)
    if start < 0:
        raise ValueError("kwok stages: no pod-ready stage")
    end = len(stock) if end < 0 else end
    stage = stock[start:end]
    if _GATE_CONDITIONS not in stage or stage.count(_READY) != 1:
        raise ValueError(
            "kwok stages: the pod-ready stage changed shape; update e2e/controlplane/kwok_stages.py"
        )
    stage = stage.replace(_GATE_CONDITIONS, "").replace(_READY, _READY_UNLESS_GATED)
    return stock[:start] + stage + stock[end:].rstrip("\n-") + "\n" + _GATES_STAGE


def write_stages(stock: Path, directory: Path) -> Path:
    """Write the changed stage set next to the plane's other files and return its path."""
    out = directory / "kwok-stages.yaml"
    out.write_text(with_readiness_gates(stock.read_text()))
    return out
