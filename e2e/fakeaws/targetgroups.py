"""Target groups, their `serviceArns`, and targets with the INITIAL → HEALTHY and DRAINING lifecycles.

Target status is computed when read, from timestamps and the knobs, so no background thread is needed:
deregistered → DRAINING until `draining_seconds` pass, then gone; TG not used by any service → UNUSED;
health checks disabled, or a TCP TG → UNAVAILABLE; otherwise INITIAL for `initial_seconds`, then HEALTHY
(per target group or target, `health` can change both: UNHEALTHY, held INITIAL, other timings).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from e2e.fakeaws import health as health_rules
from e2e.fakeaws import knobs, lookup, validate
from e2e.fakeaws.errors import conflict, validation_error
from e2e.fakeaws.idempotency import create_once
from e2e.fakeaws.ids import iso, new_id, now, touched
from e2e.fakeaws.pagination import paginate
from e2e.fakeaws.records import Target, TargetGroup
from e2e.fakeaws.registry import Args, Reply, drop_none, operation, required
from e2e.fakeaws.state import LatticeState

TG_TYPES = ("IP", "LAMBDA", "INSTANCE", "ALB")
TG_PROTOCOLS = ("HTTP", "HTTPS", "TCP")
PROTOCOL_VERSIONS = ("HTTP1", "HTTP2", "GRPC")
HEALTH_CHECK_DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "protocol": "HTTP",
    "protocolVersion": "HTTP1",
    "path": "/",
    "healthCheckIntervalSeconds": 30,
    "healthCheckTimeoutSeconds": 5,
    "healthyThresholdCount": 5,
    "unhealthyThresholdCount": 2,
    "matcher": {"httpCode": "200"},
}


def service_arns(state: LatticeState, tg_id: str) -> list[str]:
    """ARNs of services with a listener default action or a rule that forwards to the target group."""
    arns: set[str] = set()
    for listener in state.listeners.values():
        if _forwards_to(listener.default_action, tg_id):
            arns.add(listener.service_arn)
    for rule in state.rules.values():
        if not rule.is_default and _forwards_to(rule.action, tg_id):
            arns.add(state.listeners[rule.listener_id].service_arn)
    return sorted(arns)


def _forwards_to(action: dict[str, Any] | None, tg_id: str) -> bool:
    groups = ((action or {}).get("forward") or {}).get("targetGroups") or []
    return any(group.get("targetGroupIdentifier") == tg_id for group in groups)


def _config(tg_type: str, raw: Any) -> dict[str, Any]:
    config = dict(raw or {})
    if tg_type == "LAMBDA":
        extra = set(config) - {"lambdaEventStructureVersion"}
        if extra:
            raise validation_error(
                f"config.{sorted(extra)[0]} is not supported for LAMBDA target groups", "config"
            )
        config.setdefault("lambdaEventStructureVersion", "V1")
        return config
    for field in ("port", "protocol", "vpcIdentifier"):
        if config.get(field) is None:
            raise validation_error(
                f"config.{field} is required for {tg_type} target groups", f"config.{field}"
            )
    validate.int_range(config["port"], "config.port", 1, 65535)
    config["protocol"] = validate.enum(config["protocol"], "config.protocol", TG_PROTOCOLS)
    if config["protocol"] != "TCP":
        config["protocolVersion"] = validate.enum(
            config.get("protocolVersion"), "config.protocolVersion", PROTOCOL_VERSIONS, default="HTTP1"
        )
    if tg_type == "IP":
        config["ipAddressType"] = validate.enum(
            config.get("ipAddressType"), "config.ipAddressType", ("IPV4", "IPV6"), default="IPV4"
        )
    if tg_type != "ALB":
        config["healthCheck"] = _health_check({}, config.get("healthCheck"))
    return config


def _health_check(current: dict[str, Any], update: Any) -> dict[str, Any]:
    if update is not None and not isinstance(update, dict):
        raise validation_error("healthCheck must be a structure", "healthCheck")
    merged = HEALTH_CHECK_DEFAULTS | current | dict(update or {})
    validate.int_range(merged["healthCheckIntervalSeconds"], "healthCheck.healthCheckIntervalSeconds", 5, 300)
    validate.int_range(merged["healthCheckTimeoutSeconds"], "healthCheck.healthCheckTimeoutSeconds", 1, 120)
    validate.int_range(merged["healthyThresholdCount"], "healthCheck.healthyThresholdCount", 2, 10)
    validate.int_range(merged["unhealthyThresholdCount"], "healthCheck.unhealthyThresholdCount", 2, 10)
    validate.enum(merged["protocol"], "healthCheck.protocol", TG_PROTOCOLS)
    if merged.get("port") is not None:
        validate.int_range(merged["port"], "healthCheck.port", 1, 65535)
    return merged


def _tg_view(state: LatticeState, tg: TargetGroup) -> dict[str, Any]:
    return drop_none(
        {
            "id": tg.id,
            "arn": tg.arn,
            "name": tg.name,
            "type": tg.type,
            "config": tg.config,
            "createdAt": iso(tg.created_at),
            "lastUpdatedAt": iso(tg.updated_at),
            "status": tg.status,
            "serviceArns": service_arns(state, tg.id),
        }
    )


def _pick(view: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: view[k] for k in keys if k in view}


@operation("CreateTargetGroup")
def create_target_group(state: LatticeState, args: Args) -> Reply:
    name = validate.name(required(args, "name"), "name", 128, forbidden_prefix="tg-")
    tg_type = validate.enum(required(args, "type"), "type", TG_TYPES)
    config = _config(tg_type, args.get("config"))
    tags = validate.tags(args.get("tags"))

    def create() -> tuple[str, TargetGroup]:
        for existing in state.target_groups.values():
            if existing.name == name:
                raise conflict(
                    f"A target group with the name '{name}' already exists.", "TARGET_GROUP", existing.id
                )
        tg_id, stamp = new_id("tg"), now()
        tg = TargetGroup(
            id=tg_id,
            arn=state.arn(f"targetgroup/{tg_id}"),
            seq=state.next_seq(),
            created_at=stamp,
            updated_at=stamp,
            tags=tags,
            name=name,
            type=tg_type,
            config=config,
        )
        state.target_groups[tg_id] = tg
        state.targets[tg_id] = {}
        return tg_id, tg

    tg = create_once(state, "CreateTargetGroup", args, state.target_groups.get, create)
    return 201, _pick(_tg_view(state, tg), "id", "arn", "name", "type", "config", "status")


@operation("GetTargetGroup")
def get_target_group(state: LatticeState, args: Args) -> Reply:
    return 200, _tg_view(state, lookup.target_group(state, args.get("targetGroupIdentifier")))


@operation("ListTargetGroups")
def list_target_groups(state: LatticeState, args: Args) -> Reply:
    groups = list(state.target_groups.values())
    if args.get("vpcIdentifier"):
        groups = [tg for tg in groups if tg.config.get("vpcIdentifier") == args["vpcIdentifier"]]
    if args.get("targetGroupType"):
        groups = [tg for tg in groups if tg.type == args["targetGroupType"]]
    page, token = paginate(groups, args, lambda tg: tg.seq)
    items = [
        drop_none(
            {
                "id": tg.id,
                "arn": tg.arn,
                "name": tg.name,
                "type": tg.type,
                "createdAt": iso(tg.created_at),
                "port": tg.config.get("port"),
                "protocol": tg.config.get("protocol"),
                "ipAddressType": tg.config.get("ipAddressType"),
                "vpcIdentifier": tg.config.get("vpcIdentifier"),
                "lastUpdatedAt": iso(tg.updated_at),
                "status": tg.status,
                "serviceArns": service_arns(state, tg.id),
                "lambdaEventStructureVersion": tg.config.get("lambdaEventStructureVersion"),
            }
        )
        for tg in page
    ]
    return 200, drop_none({"items": items, "nextToken": token})


@operation("UpdateTargetGroup")
def update_target_group(state: LatticeState, args: Args) -> Reply:
    tg = lookup.target_group(state, args.get("targetGroupIdentifier"))
    if tg.type in ("LAMBDA", "ALB"):
        raise validation_error(f"Health checks are not supported for {tg.type} target groups", "healthCheck")
    tg.config["healthCheck"] = _health_check(
        tg.config.get("healthCheck") or {}, required(args, "healthCheck")
    )
    tg.updated_at = touched(tg.updated_at)
    return 200, _pick(_tg_view(state, tg), "id", "arn", "name", "type", "config", "status")


@operation("DeleteTargetGroup")
def delete_target_group(state: LatticeState, args: Args) -> Reply:
    tg = lookup.target_group(state, args.get("targetGroupIdentifier"))
    users = service_arns(state, tg.id)
    if users:
        raise conflict(
            f"Target group {tg.id} is in use by {', '.join(users)}; remove it from their listeners "
            "and rules first.",
            "TARGET_GROUP",
            tg.id,
        )
    del state.target_groups[tg.id]
    state.targets.pop(tg.id, None)
    return 200, {"id": tg.id, "arn": tg.arn, "status": "DELETE_IN_PROGRESS"}


# --- targets -------------------------------------------------------------------------------------------


def _live_targets(state: LatticeState, tg: TargetGroup) -> dict[tuple[str, int | None], Target]:
    """The TG's targets with finished drains purged."""
    targets = state.targets.setdefault(tg.id, {})
    moment = now()
    for key in [k for k, t in targets.items() if t.draining_until is not None and t.draining_until <= moment]:
        del targets[key]
    return targets


def _requested(tg: TargetGroup, args: Args) -> list[tuple[str, int | None]]:
    name = "targets"
    raw = required(args, name)
    limit = knobs.current().max_targets_per_call
    if not isinstance(raw, list) or len(raw) > limit:
        raise validation_error(f"{name} must contain at most {limit} targets", name)
    keys: list[tuple[str, int | None]] = []
    for target in raw:
        port = target.get("port")
        if tg.type == "LAMBDA":
            port = None
        elif port is None:
            port = tg.config.get("port")
        else:
            validate.int_range(port, "targets.port", 1, 65535)
        keys.append((str(target.get("id")), port))
    return keys


def _target_problem(tg: TargetGroup, target_id: str) -> str | None:
    if tg.type != "IP":
        return None
    try:
        address = ipaddress.ip_address(target_id)
    except ValueError:
        return f"{target_id} is not an IP address"
    wanted = 6 if tg.config.get("ipAddressType") == "IPV6" else 4
    return None if address.version == wanted else f"{target_id} is not an IPv{wanted} address"


def _target_ref(key: tuple[str, int | None]) -> dict[str, Any]:
    return drop_none({"id": key[0], "port": key[1]})


@operation("RegisterTargets")
def register_targets(state: LatticeState, args: Args) -> Reply:
    tg = lookup.target_group(state, args.get("targetGroupIdentifier"))
    targets = _live_targets(state, tg)
    successful: list[dict[str, Any]] = []
    unsuccessful: list[dict[str, Any]] = []
    limit = knobs.current().max_targets_per_group
    for key in _requested(tg, args):
        problem = _target_problem(tg, key[0])
        if problem:
            unsuccessful.append(
                _target_ref(key) | {"failureCode": "InvalidTarget", "failureMessage": problem}
            )
            continue
        existing = targets.get(key)
        if existing is None:
            if len(targets) >= limit:
                unsuccessful.append(
                    _target_ref(key)
                    | {
                        "failureCode": "ServiceQuotaExceededException",
                        "failureMessage": f"Target group {tg.id} already has {limit} targets, the maximum.",
                    }
                )
                continue
            targets[key] = Target(key[0], key[1], state.next_seq(), now())
        elif existing.draining_until is not None:
            existing.draining_until = None
            existing.registered_at = now()
        successful.append(_target_ref(key))
    return 200, {"successful": successful, "unsuccessful": unsuccessful}


@operation("DeregisterTargets")
def deregister_targets(state: LatticeState, args: Args) -> Reply:
    tg = lookup.target_group(state, args.get("targetGroupIdentifier"))
    targets = _live_targets(state, tg)
    drain_until = now() + knobs.current().draining_seconds
    successful: list[dict[str, Any]] = []
    for key in _requested(tg, args):
        existing = targets.get(key)
        if existing is not None and existing.draining_until is None:
            existing.draining_until = drain_until
        successful.append(_target_ref(key))
    _live_targets(state, tg)  # a zero drain time removes them at once
    return 200, {"successful": successful, "unsuccessful": []}


def target_status(state: LatticeState, tg: TargetGroup, target: Target) -> str:
    if target.draining_until is not None:
        return "DRAINING"
    if not service_arns(state, tg.id):
        return "UNUSED"
    health = tg.config.get("healthCheck") or {}
    if tg.type in ("LAMBDA", "ALB") or tg.config.get("protocol") == "TCP" or not health.get("enabled", True):
        return "UNAVAILABLE"
    rule = health_rules.rule_for(tg.id, target.id, target.port)
    initial = knobs.current().initial_seconds
    if rule is not None and rule.initial_seconds is not None:
        initial = rule.initial_seconds
    if now() < target.registered_at + initial:
        return "INITIAL"
    return rule.status if rule is not None and rule.status else "HEALTHY"


_REASONS = {
    "UNUSED": "TargetGroupNotInUse",
    "UNAVAILABLE": "HealthCheckDisabled",
    "INITIAL": "Elb.RegistrationInProgress",
    "DRAINING": "Target.DeregistrationInProgress",
    "UNHEALTHY": "Target.FailedHealthChecks",
}


@operation("ListTargets")
def list_targets(state: LatticeState, args: Args) -> Reply:
    tg = lookup.target_group(state, args.get("targetGroupIdentifier"))
    targets = list(_live_targets(state, tg).values())
    if args.get("targets"):
        wanted = set(_requested(tg, args))
        targets = [t for t in targets if (t.id, t.port) in wanted]
    page, token = paginate(targets, args, lambda t: t.seq)
    items = []
    for target in page:
        status = target_status(state, tg, target)
        items.append(
            drop_none(
                {"id": target.id, "port": target.port, "status": status, "reasonCode": _REASONS.get(status)}
            )
        )
    return 200, drop_none({"items": items, "nextToken": token})
