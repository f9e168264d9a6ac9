"""The readiness gate's condition from Lattice target health (pure).

A Pod carrying the gate ``application-networking.k8s.aws/pod-readiness-gate`` is Ready only once its
condition of that type is True. The condition says what Lattice reports for the Pod's target:

| Lattice target status            | condition | reason                   | look again in 10 s |
|----------------------------------|-----------|--------------------------|--------------------|
| HEALTHY                          | True      | Healthy                  | no                 |
| UNAVAILABLE (health checks off)  | True      | HealthCheckUnavailable   | no                 |
| UNUSED (no rule forwards to it)  | False     | Unused                   | no                 |
| INITIAL                          | False     | Initial                  | yes                |
| UNHEALTHY, DRAINING, anything else | False   | Unhealthy                | yes                |
| not registered                   | False     | TargetNotFound           | yes                |

A Pod that stops being a backend of any route (and is not exported) gets True/``NotABackend``, so the
gate never holds a Pod back for a Service nobody routes to. When one route has several targets for a
Pod (several ports, several backends), the least healthy one decides. ``lastTransitionTime`` changes
only when the status flips; an unchanged condition is never written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s import Condition
from lattice_controller.model.k8s.pod import READINESS_GATE
from lattice_controller.model.keys import ObjectKey

RECHECK_SECONDS = 10.0
"""How soon target health is read again while a gated Pod's condition is not True."""

REASON_HEALTHY = "Healthy"
REASON_HEALTH_CHECK_UNAVAILABLE = "HealthCheckUnavailable"
REASON_UNUSED = "Unused"
REASON_INITIAL = "Initial"
REASON_UNHEALTHY = "Unhealthy"
REASON_TARGET_NOT_FOUND = "TargetNotFound"
REASON_NOT_A_BACKEND = "NotABackend"


@dataclass(frozen=True, slots=True)
class GateTarget:
    """One Lattice target of a gated Pod: where it is registered and what Lattice says of it
    (``status`` None: the target is not in the target group's listing)."""

    pod: ObjectKey
    target_group: str
    ip: str
    port: int
    status: str | None


@dataclass(frozen=True, slots=True)
class GateVerdict:
    status: str
    reason: str
    message: str
    recheck: bool
    severity: int
    """Higher is less healthy: the verdict of a Pod with several targets is its most severe one."""

    @property
    def ready(self) -> bool:
        return self.status == "True"


def verdict(target: GateTarget) -> GateVerdict:
    where = f"target {target.ip}:{target.port} in Lattice target group {target.target_group}"
    status = target.status
    if status == "HEALTHY":
        return GateVerdict("True", REASON_HEALTHY, f"{where} is HEALTHY", False, 0)
    if status == "UNAVAILABLE":
        message = f"{where} is UNAVAILABLE: health checks are off for this target group, so it takes traffic"
        return GateVerdict("True", REASON_HEALTH_CHECK_UNAVAILABLE, message, False, 0)
    if status == "UNUSED":
        message = f"{where} is UNUSED: no listener rule of a Lattice service forwards to this target group"
        return GateVerdict("False", REASON_UNUSED, message, False, 1)
    if status == "INITIAL":
        message = f"{where} is INITIAL: Lattice is registering it or has not finished its first health checks"
        return GateVerdict("False", REASON_INITIAL, message, True, 2)
    if status is None:
        message = f"{where} is not registered (yet); looking again in {RECHECK_SECONDS:.0f} s"
        return GateVerdict("False", REASON_TARGET_NOT_FOUND, message, True, 4)
    message = (
        f"Target health check status: {status} ({where}); the Pod stays NotReady until Lattice reports it"
        " HEALTHY: check that it answers the target group's health check (path, port, protocol, matcher)"
    )
    return GateVerdict("False", REASON_UNHEALTHY, message, True, 3)


def not_a_backend() -> GateVerdict:
    message = (
        "no route or ServiceExport of this controller uses a Service selecting this Pod any more;"
        " the readiness gate no longer holds it back"
    )
    return GateVerdict("True", REASON_NOT_A_BACKEND, message, False, 0)


def pod_verdicts(targets: Iterable[GateTarget]) -> dict[ObjectKey, GateVerdict]:
    """The deciding (least healthy) verdict per Pod."""
    out: dict[ObjectKey, GateVerdict] = {}
    for target in targets:
        found = verdict(target)
        current = out.get(target.pod)
        if current is None or found.severity > current.severity:
            out[target.pod] = found
    return out


def condition_patch(current: Condition | None, decided: GateVerdict, now: str) -> dict[str, Any] | None:
    """The condition to write for ``decided``, or None when the Pod already says exactly that.
    ``lastTransitionTime`` is kept unless the status flips."""
    if (
        current is not None
        and current.status == decided.status
        and current.reason == decided.reason
        and current.message == decided.message
    ):
        return None
    if current is None or current.status != decided.status or not current.last_transition_time:
        transition = now
    else:
        transition = current.last_transition_time
    return {
        "type": READINESS_GATE,
        "status": decided.status,
        "reason": decided.reason,
        "message": decided.message,
        "lastTransitionTime": transition,
    }
