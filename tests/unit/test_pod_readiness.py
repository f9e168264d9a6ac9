"""The readiness gate: the Pod record, and Lattice target health → the gate's condition (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from lattice_controller.model.k8s import Condition
from lattice_controller.model.k8s.common import EMPTY_STR_MAP
from lattice_controller.model.k8s.pod import READINESS_GATE, parse_pod
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.status.pod_readiness import (
    GateTarget,
    condition_patch,
    not_a_backend,
    pod_verdicts,
    verdict,
)

POD = ObjectKey("store-v2", "checkout-v2-abc")


def _pod(gated: bool, **status: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "x"}]}
    if gated:
        spec["readinessGates"] = [{"conditionType": READINESS_GATE}]
    return {
        "metadata": {
            "name": "checkout-v2-abc",
            "namespace": "store-v2",
            "resourceVersion": "7",
            "labels": {"app": "checkout-v2"},
            "annotations": {"big": "x" * 1000},
            "managedFields": [{"manager": "kcm"}],
        },
        "spec": spec,
        "status": status,
    }


def test_a_pod_without_the_gate_is_kept_as_its_key_only() -> None:
    pod = parse_pod(_pod(False, podIP="10.0.0.1", conditions=[{"type": "Ready", "status": "True"}]))
    assert pod.meta.key == POD
    assert pod.meta.resource_version == "7"
    assert not pod.gated
    assert pod.meta.labels is EMPTY_STR_MAP
    assert pod.gate_condition is None


def test_a_gated_pod_keeps_labels_and_the_gate_condition_only() -> None:
    pod = parse_pod(
        _pod(
            True,
            podIP="10.0.0.1",
            podIPs=[{"ip": "10.0.0.1"}, {"ip": "fd00::1"}],
            conditions=[
                {"type": "Ready", "status": "False"},
                {"type": READINESS_GATE, "status": "False", "reason": "Initial", "message": "m"},
            ],
        )
    )
    assert pod.gated
    assert pod.meta.labels.as_dict() == {"app": "checkout-v2"}
    assert pod.gate_condition is not None
    assert pod.gate_condition.reason == "Initial"
    assert not pod.gate_true
    # Pods of one ReplicaSet share one label set.
    other = _pod(True)
    other["metadata"]["name"] = "checkout-v2-def"
    assert parse_pod(other).meta.labels is pod.meta.labels


def test_a_malformed_pod_parses_without_raising() -> None:
    pod = parse_pod({"metadata": {"name": "p", "namespace": "n"}, "spec": {"readinessGates": "x"}})
    assert not pod.gated
    assert parse_pod(
        {"metadata": {"name": "p"}, "spec": {"readinessGates": [{"conditionType": READINESS_GATE}]}}
    ).gated


def _target(status: str | None, port: int = 8090) -> GateTarget:
    return GateTarget(POD, "k8s-store-v2-checkout-v2-x", "10.0.0.1", port, status)


@pytest.mark.parametrize(
    ("status", "expected", "reason", "recheck"),
    [
        ("HEALTHY", "True", "Healthy", False),
        ("UNAVAILABLE", "True", "HealthCheckUnavailable", False),
        ("UNUSED", "False", "Unused", False),
        ("INITIAL", "False", "Initial", True),
        ("UNHEALTHY", "False", "Unhealthy", True),
        ("DRAINING", "False", "Unhealthy", True),
        ("SOMETHING_NEW", "False", "Unhealthy", True),
        (None, "False", "TargetNotFound", True),
    ],
)
def test_lattice_target_status_maps_to_the_gate_condition(
    status: str | None, expected: str, reason: str, recheck: bool
) -> None:
    found = verdict(_target(status))
    assert (found.status, found.reason, found.recheck) == (expected, reason, recheck)
    assert "10.0.0.1:8090" in found.message
    assert "k8s-store-v2-checkout-v2-x" in found.message


def test_an_unhealthy_target_says_what_lattice_reports_and_what_to_check() -> None:
    message = verdict(_target("UNHEALTHY")).message
    assert message.startswith("Target health check status: UNHEALTHY")
    assert "health check" in message
    assert "NotReady" in message


def test_the_least_healthy_target_of_a_pod_decides() -> None:
    decided = pod_verdicts([_target("HEALTHY", 80), _target("INITIAL", 81), _target("UNHEALTHY", 82)])
    assert decided[POD].reason == "Unhealthy"
    assert pod_verdicts([_target("HEALTHY", 80), _target("UNAVAILABLE", 81)])[POD].status == "True"


def test_a_pod_no_longer_behind_any_route_is_let_go() -> None:
    assert not_a_backend().status == "True"
    assert not_a_backend().reason == "NotABackend"


def test_the_condition_is_written_only_on_change_and_keeps_its_transition_time() -> None:
    initial = verdict(_target("INITIAL"))
    first = condition_patch(None, initial, "T1")
    assert first == {
        "type": READINESS_GATE,
        "status": "False",
        "reason": "Initial",
        "message": initial.message,
        "lastTransitionTime": "T1",
    }
    current = Condition(READINESS_GATE, "False", "Initial", initial.message, last_transition_time="T1")
    assert condition_patch(current, initial, "T2") is None
    unhealthy = condition_patch(current, verdict(_target("UNHEALTHY")), "T3")
    assert unhealthy is not None
    assert unhealthy["lastTransitionTime"] == "T1"
    healthy = condition_patch(current, verdict(_target("HEALTHY")), "T4")
    assert healthy is not None
    assert healthy["status"] == "True"
    assert healthy["lastTransitionTime"] == "T4"
