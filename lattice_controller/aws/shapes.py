"""Lattice API wire shapes ↔ model records, both directions: rule matches and actions, health
checks, target group configs and identifiers.

Part of the AWS edge: the pure core never sees a request dict. Readers (observe) and writers (apply)
share this module so a value written and read back compares equal; a shape the model cannot express
reads back as ``None`` (the diff then treats the rule as foreign and replaces it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lattice_controller.model.lattice import (
    PROTOCOL_TCP,
    HeaderMatchSpec,
    HealthCheckSpec,
    RuleMatch,
    TargetGroupConfig,
)
from lattice_controller.model.lattice_observed import ObservedAction, ObservedForward

Json = dict[str, Any]


def resource_id(identifier: str) -> str:
    """The id inside an ARN (``…/targetgroup/tg-…`` → ``tg-…``); an id is returned unchanged.

    The inventory keys its scoped listings by ids, and Lattice reports ``targetGroupIdentifier`` in
    rule actions as ids, so every identifier we send goes through here."""
    if identifier.startswith("arn:"):
        return identifier.rsplit("/", 1)[-1]
    return identifier


# -- rule matches ---------------------------------------------------------------------------------


def match_to_api(match: RuleMatch) -> Json:
    http: Json = {}
    if match.path_kind is not None:
        http["pathMatch"] = {
            "match": {match.path_kind: match.path},
            "caseSensitive": match.path_case_sensitive,
        }
    if match.method:
        http["method"] = match.method
    if match.headers:
        http["headerMatches"] = [
            {"name": h.name, "match": {"exact": h.exact}, "caseSensitive": h.case_sensitive}
            for h in match.headers
        ]
    return {"httpMatch": http}


def match_from_api(match: Mapping[str, Any] | None) -> RuleMatch | None:
    """``None`` for a match the model cannot express (e.g. a ``contains`` header match)."""
    if not match:
        return None
    http: Mapping[str, Any] = match.get("httpMatch") or {}
    path_kind: str | None = None
    path = "/"
    case_sensitive = True
    path_match: Mapping[str, Any] | None = http.get("pathMatch")
    if path_match:
        inner: Mapping[str, Any] = path_match.get("match") or {}
        kinds = [k for k in ("exact", "prefix") if inner.get(k) is not None]
        if len(kinds) != 1 or len(inner) != 1:
            return None
        path_kind = kinds[0]
        path = str(inner[path_kind])
        case_sensitive = bool(path_match.get("caseSensitive", False))
    headers: list[HeaderMatchSpec] = []
    for header in http.get("headerMatches") or []:
        value: Mapping[str, Any] = header.get("match") or {}
        if set(value) != {"exact"}:
            return None
        headers.append(
            HeaderMatchSpec(
                str(header["name"]), str(value["exact"]), bool(header.get("caseSensitive", False))
            )
        )
    method = http.get("method") or None
    return RuleMatch(path_kind, path, case_sensitive, method, tuple(headers))


# -- actions --------------------------------------------------------------------------------------


def fixed_action(status: int) -> Json:
    return {"fixedResponse": {"statusCode": status}}


def forward_action(target_groups: list[tuple[str, int]]) -> Json:
    """``target_groups``: (identifier, weight); identifiers are sent as ids."""
    return {
        "forward": {
            "targetGroups": [
                {"targetGroupIdentifier": resource_id(tg), "weight": weight} for tg, weight in target_groups
            ]
        }
    }


def action_from_api(action: Mapping[str, Any] | None) -> ObservedAction | None:
    if not action:
        return None
    fixed: Mapping[str, Any] | None = action.get("fixedResponse")
    if fixed is not None:
        return ObservedAction(fixed_status=int(fixed["statusCode"]))
    forward: Mapping[str, Any] = action.get("forward") or {}
    return ObservedAction(
        tuple(
            ObservedForward(resource_id(str(g["targetGroupIdentifier"])), int(g.get("weight", 1)))
            for g in forward.get("targetGroups") or []
        )
    )


# -- target groups --------------------------------------------------------------------------------


def health_check_to_api(check: HealthCheckSpec) -> Json:
    fields: Json = {
        "enabled": check.enabled,
        "protocol": check.protocol,
        "protocolVersion": check.protocol_version,
        "path": check.path,
        "port": check.port,
        "matcher": {"httpCode": check.matcher} if check.matcher else None,
        "healthCheckIntervalSeconds": check.interval_seconds,
        "healthCheckTimeoutSeconds": check.timeout_seconds,
        "healthyThresholdCount": check.healthy_threshold,
        "unhealthyThresholdCount": check.unhealthy_threshold,
    }
    return {k: v for k, v in fields.items() if v is not None}


def health_check_from_api(check: Mapping[str, Any] | None) -> HealthCheckSpec | None:
    if check is None:
        return None
    matcher: Mapping[str, Any] = check.get("matcher") or {}

    def number(key: str) -> int | None:
        value = check.get(key)
        return None if value is None else int(value)

    enabled = check.get("enabled")
    return HealthCheckSpec(
        enabled=None if enabled is None else bool(enabled),
        protocol=check.get("protocol"),
        protocol_version=check.get("protocolVersion"),
        path=check.get("path"),
        port=number("port"),
        matcher=matcher.get("httpCode"),
        interval_seconds=number("healthCheckIntervalSeconds"),
        timeout_seconds=number("healthCheckTimeoutSeconds"),
        healthy_threshold=number("healthyThresholdCount"),
        unhealthy_threshold=number("unhealthyThresholdCount"),
    )


def target_group_config_to_api(config: TargetGroupConfig, health_check: HealthCheckSpec | None) -> Json:
    out: Json = {
        "port": config.port,
        "protocol": config.protocol,
        "vpcIdentifier": config.vpc,
        "ipAddressType": config.ip_address_type,
    }
    if config.protocol_version and config.protocol != PROTOCOL_TCP:
        out["protocolVersion"] = config.protocol_version
    if health_check is not None:
        out["healthCheck"] = health_check_to_api(health_check)
    return out


def target_group_config_from_api(
    summary: Mapping[str, Any], config: Mapping[str, Any] | None = None, protocol_version: str = ""
) -> TargetGroupConfig:
    """From a ``ListTargetGroups`` summary (flat fields), or a ``GetTargetGroup`` ``config``.

    Summaries lack ``protocolVersion``; callers pass the ``ProtocolVersion`` tag instead."""
    source: Mapping[str, Any] = config if config is not None else summary
    return TargetGroupConfig(
        vpc=str(source.get("vpcIdentifier") or ""),
        ip_address_type=str(source.get("ipAddressType") or "IPV4"),
        protocol=str(source.get("protocol") or ""),
        protocol_version=str(source.get("protocolVersion") or protocol_version),
        port=int(source.get("port") or 0),
        type=str(summary.get("type") or "IP"),
    )
