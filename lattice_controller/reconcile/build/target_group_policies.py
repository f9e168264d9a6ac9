"""TargetGroupPolicy: its ``Accepted`` condition, and the policy that configures a target (pure).

A policy is checked in this order (docs/route-kinds.md):
* ``Invalid``: a target that is not a core Service or an application-networking ServiceExport, a
  targetRef in another namespace, or values VPC Lattice refuses (protocol, version, TCP with a
  version, health-check ranges) — each message says what to change;
* ``TargetNotFound``: the target does not exist (``targetRef not found, target=<ns>/<name>``);
* ``Conflicted``: an older valid policy targets the same object (oldest ``creationTimestamp``
  wins, then name) — ``targetRef has conflict, policy=<winner>``;
* ``Accepted`` otherwise.

The policy configuring a target is the oldest *valid* policy naming it. It is computed from the
policies themselves, not from their written status, so a route never waits for the policy's status
write (the reference ignores a policy until its own controller has marked it Accepted).
"""

from __future__ import annotations

from collections.abc import Iterable

from lattice_controller.model.k8s import Condition
from lattice_controller.model.k8s.target_group_policy import HealthCheckPolicy, TargetGroupPolicy
from lattice_controller.model.lattice import (
    PROTOCOL_HTTP,
    PROTOCOL_HTTPS,
    PROTOCOL_TCP,
    VERSION_GRPC,
    VERSION_HTTP1,
    VERSION_HTTP2,
    HealthCheckSpec,
)
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.build.inputs import TargetGroupPolicyConfig

AN_GROUP = "application-networking.k8s.aws"
TARGET_KINDS = (("", "Service"), (AN_GROUP, "ServiceExport"))
PROTOCOLS = (PROTOCOL_HTTP, PROTOCOL_HTTPS, PROTOCOL_TCP)
VERSIONS = (VERSION_HTTP1, VERSION_HTTP2, VERSION_GRPC)
HEALTH_CHECK_PROTOCOLS = (PROTOCOL_HTTP, PROTOCOL_HTTPS)
HEALTH_CHECK_VERSIONS = (VERSION_HTTP1, VERSION_HTTP2)
# Lattice's accepted ranges (also the CRD's, which the API server enforces first).
RANGES = {
    "intervalSeconds": (5, 300),
    "timeoutSeconds": (1, 120),
    "healthyThresholdCount": (2, 10),
    "unhealthyThresholdCount": (2, 10),
    "port": (1, 65535),
}

REASON_TARGET_NOT_FOUND = "TargetNotFound"


def target_kind(policy: TargetGroupPolicy) -> str | None:
    """``Service`` or ``ServiceExport`` when the targetRef names one of them, else None."""
    ref = policy.target_ref
    if ref is None:
        return None
    for group, kind in TARGET_KINDS:
        if ref.group == group and ref.kind == kind:
            return kind
    return None


def _ranges(health: HealthCheckPolicy) -> list[str]:
    values = {
        "intervalSeconds": health.interval_seconds,
        "timeoutSeconds": health.timeout_seconds,
        "healthyThresholdCount": health.healthy_threshold_count,
        "unhealthyThresholdCount": health.unhealthy_threshold_count,
        "port": health.port,
    }
    out = []
    for name, value in values.items():
        low, high = RANGES[name]
        if value is not None and not low <= value <= high:
            out.append(f"spec.healthCheck.{name} is {value}; VPC Lattice accepts {low}-{high}")
    if health.protocol is not None and health.protocol not in HEALTH_CHECK_PROTOCOLS:
        out.append(
            f"spec.healthCheck.protocol {health.protocol!r} is not one of {', '.join(HEALTH_CHECK_PROTOCOLS)}"
        )
    if health.protocol_version is not None and health.protocol_version not in HEALTH_CHECK_VERSIONS:
        out.append(
            f"spec.healthCheck.protocolVersion {health.protocol_version!r} is not one of "
            f"{', '.join(HEALTH_CHECK_VERSIONS)}"
        )
    return out


def invalid_reasons(policy: TargetGroupPolicy) -> list[str]:
    """What makes the policy unusable, each saying what to change; empty when it is valid."""
    ref = policy.target_ref
    if ref is None:
        return ["spec.targetRef is missing: name the Service or ServiceExport to configure"]
    problems = []
    if target_kind(policy) is None:
        problems.append(
            f'targetRef {ref.group or "core"}/{ref.kind} is not supported: target a Service (group "") '
            f"or a ServiceExport (group {AN_GROUP})"
        )
    namespace = policy.meta.key.namespace
    if ref.namespace is not None and ref.namespace != namespace:
        problems.append(
            f"targetRef.namespace {ref.namespace} is not the policy's namespace {namespace}: a "
            "TargetGroupPolicy configures targets in its own namespace; create it there or drop "
            "targetRef.namespace"
        )
    if policy.protocol is not None and policy.protocol not in PROTOCOLS:
        problems.append(f"spec.protocol {policy.protocol!r} is not one of {', '.join(PROTOCOLS)}")
    if policy.protocol == PROTOCOL_TCP and policy.protocol_version:
        problems.append(
            f"spec.protocolVersion {policy.protocol_version} cannot be used with protocol TCP: remove it"
        )
    elif policy.protocol_version is not None and policy.protocol_version not in VERSIONS:
        problems.append(
            f"spec.protocolVersion {policy.protocol_version!r} is not one of {', '.join(VERSIONS)}"
        )
    if policy.health_check is not None:
        problems += _ranges(policy.health_check)
    return problems


def _order(policy: TargetGroupPolicy) -> tuple[str, str]:
    return policy.meta.creation_timestamp, policy.meta.key.name


def winner(policies: Iterable[TargetGroupPolicy]) -> TargetGroupPolicy | None:
    """The policy that configures a target among those naming it: the oldest valid one."""
    valid = [p for p in policies if not invalid_reasons(p)]
    return min(valid, key=_order) if valid else None


def policy_condition(
    policy: TargetGroupPolicy, rivals: Iterable[TargetGroupPolicy], target_exists: bool
) -> Condition:
    """The ``Accepted`` condition of ``policy``; ``rivals``: every policy naming the same target
    (``policy`` itself may be among them)."""
    generation = policy.meta.generation
    problems = invalid_reasons(policy)
    if problems:
        return c.condition(c.ACCEPTED, c.REASON_INVALID, "; ".join(problems), generation)
    ref = policy.target_ref
    assert ref is not None
    if not target_exists:
        message = f"targetRef not found, target={policy.meta.key.namespace}/{ref.name}"
        return c.condition(c.ACCEPTED, REASON_TARGET_NOT_FOUND, message, generation)
    first = winner([*rivals, policy])
    if first is not None and first.meta.key != policy.meta.key:
        message = (
            f"targetRef has conflict, policy={first.meta.key}: the oldest policy for a target wins; "
            "delete one of them or target another object"
        )
        return c.condition(c.ACCEPTED, c.REASON_CONFLICTED, message, generation)
    return c.condition(c.ACCEPTED, c.REASON_ACCEPTED, "", generation)


def policy_config(policy: TargetGroupPolicy) -> TargetGroupPolicyConfig:
    """What a valid policy asks of its target's target groups."""
    health = policy.health_check
    check = None
    if health is not None:
        check = HealthCheckSpec(
            enabled=health.enabled,
            protocol=health.protocol,
            protocol_version=health.protocol_version,
            path=health.path,
            port=health.port,
            matcher=health.status_match,
            interval_seconds=health.interval_seconds,
            timeout_seconds=health.timeout_seconds,
            healthy_threshold=health.healthy_threshold_count,
            unhealthy_threshold=health.unhealthy_threshold_count,
        )
    return TargetGroupPolicyConfig(policy.protocol, policy.protocol_version, check)


def resolve(policies: Iterable[TargetGroupPolicy]) -> TargetGroupPolicyConfig | None:
    """The configuration of one target from the policies naming it (None: no valid policy)."""
    first = winner(policies)
    return policy_config(first) if first is not None else None
