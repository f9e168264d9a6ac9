"""TargetGroupPolicy: its ``Accepted`` condition, and the policy that configures a target (pure).

The condition is the one every application-networking policy gets (``build.policies``: Invalid
target kind or namespace, TargetNotFound, Conflicted with the oldest valid policy winning, Accepted);
what is TargetGroupPolicy's own is the spec check below — protocol, version, TCP with a version,
health-check ranges — each message saying what to change (docs/route-kinds.md).

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
from lattice_controller.reconcile.build.inputs import TargetGroupPolicyConfig
from lattice_controller.reconcile.build.policies import (
    PolicyRules,
    accepted_condition,
    conflict_winner,
    target_problem,
)

AN_GROUP = "application-networking.k8s.aws"
TARGET_KINDS = (("", "Service"), (AN_GROUP, "ServiceExport"))
RULES = PolicyRules("TargetGroupPolicy", frozenset(TARGET_KINDS))
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


def spec_problem(policy: TargetGroupPolicy) -> str | None:
    """What in the spec VPC Lattice cannot take, each part saying what to change; None when fine."""
    problems = []
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
    return "; ".join(problems) or None


def invalid_reasons(policy: TargetGroupPolicy) -> list[str]:
    """Why the policy cannot be used at all (target kind/namespace, spec); empty when it is valid."""
    return [p for p in (target_problem(policy, RULES), spec_problem(policy)) if p]


def winner(policies: Iterable[TargetGroupPolicy]) -> TargetGroupPolicy | None:
    """The policy that configures a target among those naming it: the oldest valid one."""
    first = conflict_winner([p for p in policies if not invalid_reasons(p)])
    return first if isinstance(first, TargetGroupPolicy) else None


def policy_condition(
    policy: TargetGroupPolicy, rivals: Iterable[TargetGroupPolicy], target_exists: bool
) -> Condition:
    """The ``Accepted`` condition of ``policy``; ``rivals``: every policy naming the same target
    (``policy`` itself may be among them). Only valid rivals compete."""
    valid = [r for r in rivals if not r.meta.deleting and not invalid_reasons(r)]
    return accepted_condition(
        policy, RULES, target_exists=target_exists, rivals=valid, spec_problem=spec_problem(policy)
    )


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
