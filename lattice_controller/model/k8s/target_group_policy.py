"""TargetGroupPolicy (application-networking.k8s.aws/v1alpha1): target-group protocol and health
check for a Service or ServiceExport (docs/route-kinds.md).

Values are kept as written (``None`` when absent) so validation can say what is wrong with them;
the parser never raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lattice_controller.model.k8s._parse import as_map, as_str, opt_bool, opt_int, opt_str
from lattice_controller.model.k8s.common import Condition, Meta, parse_conditions, parse_meta
from lattice_controller.model.k8s.policy import PolicyTargetRef


@dataclass(frozen=True, slots=True)
class HealthCheckPolicy:
    """``spec.healthCheck`` as written; unset fields take Lattice's defaults for the target group."""

    enabled: bool | None = None
    interval_seconds: int | None = None
    timeout_seconds: int | None = None
    healthy_threshold_count: int | None = None
    unhealthy_threshold_count: int | None = None
    status_match: str | None = None
    path: str | None = None
    port: int | None = None
    protocol: str | None = None
    protocol_version: str | None = None


@dataclass(frozen=True, slots=True)
class TargetGroupPolicy:
    meta: Meta
    target_ref: PolicyTargetRef | None
    protocol: str | None = None
    protocol_version: str | None = None
    health_check: HealthCheckPolicy | None = None
    conditions: tuple[Condition, ...] = ()


def _health_check(value: Any) -> HealthCheckPolicy | None:
    if not isinstance(value, dict):
        return None
    path = "spec.healthCheck"
    return HealthCheckPolicy(
        enabled=opt_bool(value.get("enabled")),
        interval_seconds=opt_int(value.get("intervalSeconds"), f"{path}.intervalSeconds"),
        timeout_seconds=opt_int(value.get("timeoutSeconds"), f"{path}.timeoutSeconds"),
        healthy_threshold_count=opt_int(value.get("healthyThresholdCount"), f"{path}.healthyThresholdCount"),
        unhealthy_threshold_count=opt_int(
            value.get("unhealthyThresholdCount"), f"{path}.unhealthyThresholdCount"
        ),
        status_match=opt_str(value.get("statusMatch")),
        path=opt_str(value.get("path")),
        port=opt_int(value.get("port"), f"{path}.port"),
        protocol=opt_str(value.get("protocol")),
        protocol_version=opt_str(value.get("protocolVersion")),
    )


def parse_target_group_policy(obj: Any) -> TargetGroupPolicy:
    obj = as_map(obj, "")
    spec = as_map(obj.get("spec"), "spec")
    ref = spec.get("targetRef")
    target = None
    if isinstance(ref, dict):
        target = PolicyTargetRef(
            group=as_str(ref.get("group")),
            kind=as_str(ref.get("kind")),
            name=as_str(ref.get("name")),
            namespace=opt_str(ref.get("namespace")),
        )
    status = as_map(obj.get("status"), "status")
    return TargetGroupPolicy(
        meta=parse_meta(obj),
        target_ref=target,
        protocol=opt_str(spec.get("protocol")),
        protocol_version=opt_str(spec.get("protocolVersion")),
        health_check=_health_check(spec.get("healthCheck")),
        conditions=parse_conditions(status.get("conditions"), "status.conditions"),
    )
