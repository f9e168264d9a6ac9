"""Listener rules: the default rule of each listener, CRUD, and BatchUpdateRule with unique priorities."""

from __future__ import annotations

from typing import Any

from e2e.fakeaws import knobs, lookup, validate
from e2e.fakeaws.errors import LatticeError, conflict, quota_exceeded, validation_error
from e2e.fakeaws.idempotency import create_once
from e2e.fakeaws.ids import iso, new_id, now, touched
from e2e.fakeaws.pagination import paginate
from e2e.fakeaws.records import Listener, Rule
from e2e.fakeaws.registry import Args, Reply, drop_none, operation, required
from e2e.fakeaws.state import LatticeState

MIN_PRIORITY, MAX_PRIORITY = 1, 100
MAX_RULES_PER_BATCH = 10
DEFAULT_RULE_NAME = "default"
_DEFAULT_RULE_SORT = 10**9  # the default rule is evaluated, and listed, last


def make_default_rule(state: LatticeState, listener: Listener) -> Rule:
    rule_id = new_id("rule")
    return Rule(
        id=rule_id,
        arn=f"{listener.arn}/rule/{rule_id}",
        seq=state.next_seq(),
        created_at=listener.created_at,
        updated_at=listener.created_at,
        service_id=listener.service_id,
        listener_id=listener.id,
        name=DEFAULT_RULE_NAME,
        is_default=True,
        priority=None,
        match=None,
        action=None,
    )


def rule_view(state: LatticeState, rule: Rule) -> dict[str, Any]:
    action = state.listeners[rule.listener_id].default_action if rule.is_default else rule.action
    return drop_none(
        {
            "arn": rule.arn,
            "id": rule.id,
            "name": rule.name,
            "isDefault": rule.is_default,
            "match": rule.match,
            "priority": rule.priority,
            "action": action,
            "createdAt": iso(rule.created_at),
            "lastUpdatedAt": iso(rule.updated_at),
        }
    )


def _priority(value: Any) -> int:
    return validate.int_range(value, "priority", MIN_PRIORITY, MAX_PRIORITY)


def _no_rules_on_passthrough(listener: Listener) -> None:
    if listener.protocol == "TLS_PASSTHROUGH":
        raise validation_error(
            "Rules are not supported on TLS_PASSTHROUGH listeners; use the default action.",
            "listenerIdentifier",
        )


@operation("CreateRule")
def create_rule(state: LatticeState, args: Args) -> Reply:
    listener = lookup.listener(state, args.get("serviceIdentifier"), args.get("listenerIdentifier"))
    _no_rules_on_passthrough(listener)
    name = validate.name(required(args, "name"), "name", 63, forbidden_prefix="rule-")
    priority = _priority(required(args, "priority"))
    match = validate.rule_match(required(args, "match"))
    action = validate.rule_action(state, required(args, "action"), "action")
    tags = validate.tags(args.get("tags"))

    def create() -> tuple[str, Rule]:
        siblings = [r for r in lookup.listener_rules(state, listener) if not r.is_default]
        for sibling in siblings:
            if sibling.name == name:
                raise conflict(
                    f"A rule with the name '{name}' already exists on listener {listener.id}.",
                    "RULE",
                    sibling.id,
                )
            if sibling.priority == priority:
                raise conflict(
                    f"Priority {priority} is already used by rule {sibling.id} on listener {listener.id}.",
                    "RULE",
                    sibling.id,
                )
        limit = knobs.current().max_rules_per_listener
        if len(siblings) >= limit:
            raise quota_exceeded(
                f"Listener {listener.id} already has {limit} rules, the maximum.", "RULE", "L-5A1BB3F4"
            )
        rule_id, stamp = new_id("rule"), now()
        rule = Rule(
            id=rule_id,
            arn=f"{listener.arn}/rule/{rule_id}",
            seq=state.next_seq(),
            created_at=stamp,
            updated_at=stamp,
            tags=tags,
            service_id=listener.service_id,
            listener_id=listener.id,
            name=name,
            is_default=False,
            priority=priority,
            match=match,
            action=action,
        )
        state.rules[rule_id] = rule
        return rule_id, rule

    rule = create_once(state, "CreateRule", args, state.rules.get, create)
    view = rule_view(state, rule)
    return 201, {k: view[k] for k in ("arn", "id", "name", "match", "priority", "action") if k in view}


@operation("GetRule")
def get_rule(state: LatticeState, args: Args) -> Reply:
    listener = lookup.listener(state, args.get("serviceIdentifier"), args.get("listenerIdentifier"))
    return 200, rule_view(state, lookup.rule(state, listener, args.get("ruleIdentifier")))


@operation("ListRules")
def list_rules(state: LatticeState, args: Args) -> Reply:
    listener = lookup.listener(state, args.get("serviceIdentifier"), args.get("listenerIdentifier"))
    page, token = paginate(
        lookup.listener_rules(state, listener),
        args,
        lambda r: (_DEFAULT_RULE_SORT if r.is_default else r.priority, r.seq),
    )
    keys = ("arn", "id", "name", "isDefault", "priority", "createdAt", "lastUpdatedAt")
    items = [{k: v for k, v in rule_view(state, r).items() if k in keys} for r in page]
    return 200, drop_none({"items": items, "nextToken": token})


def _checked_update(state: LatticeState, rule: Rule, update: Args) -> dict[str, Any]:
    """The validated changes of one update (keys priority/match/action); raises LatticeError."""
    if rule.is_default:
        raise validation_error(
            "The default rule cannot be updated; use UpdateListener to change the default action.",
            "ruleIdentifier",
        )
    changes: dict[str, Any] = {}
    if update.get("priority") is not None:
        changes["priority"] = _priority(update["priority"])
    if update.get("match") is not None:
        changes["match"] = validate.rule_match(update["match"])
    if update.get("action") is not None:
        changes["action"] = validate.rule_action(state, update["action"], "action")
    return changes


def _apply(rule: Rule, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(rule, key, value)
    rule.updated_at = touched(rule.updated_at)


@operation("UpdateRule")
def update_rule(state: LatticeState, args: Args) -> Reply:
    listener = lookup.listener(state, args.get("serviceIdentifier"), args.get("listenerIdentifier"))
    rule = lookup.rule(state, listener, args.get("ruleIdentifier"))
    changes = _checked_update(state, rule, args)
    if "priority" in changes:
        for other in lookup.listener_rules(state, listener):
            if other.id != rule.id and other.priority == changes["priority"]:
                raise conflict(
                    f"Priority {changes['priority']} is already used by rule {other.id} on listener "
                    f"{listener.id}.",
                    "RULE",
                    other.id,
                )
    _apply(rule, changes)
    view = rule_view(state, rule)
    return 200, {
        k: view[k] for k in ("arn", "id", "name", "isDefault", "match", "priority", "action") if k in view
    }


@operation("DeleteRule")
def delete_rule(state: LatticeState, args: Args) -> Reply:
    listener = lookup.listener(state, args.get("serviceIdentifier"), args.get("listenerIdentifier"))
    rule = lookup.rule(state, listener, args.get("ruleIdentifier"))
    if rule.is_default:
        raise validation_error("The default rule of a listener cannot be deleted.", "ruleIdentifier")
    del state.rules[rule.id]
    return 204, None


@operation("BatchUpdateRule")
def batch_update_rule(state: LatticeState, args: Args) -> Reply:
    """Applies every valid update whose final priority is unique on the listener; the rest fail per rule."""
    listener = lookup.listener(state, args.get("serviceIdentifier"), args.get("listenerIdentifier"))
    updates = required(args, "rules")
    if not isinstance(updates, list) or not 1 <= len(updates) <= MAX_RULES_PER_BATCH:
        raise validation_error(f"rules must contain between 1 and {MAX_RULES_PER_BATCH} updates", "rules")
    failures: list[dict[str, Any]] = []
    planned: dict[str, tuple[Rule, dict[str, Any], str]] = {}
    for update in updates:
        identifier = update.get("ruleIdentifier")
        try:
            rule = lookup.rule(state, listener, identifier)
            if rule.id in planned:
                raise validation_error(f"Rule {rule.id} appears more than once in the batch", "rules")
            planned[rule.id] = (rule, _checked_update(state, rule, update), identifier)
        except LatticeError as error:
            failures.append(
                {"ruleIdentifier": identifier, "failureCode": error.code, "failureMessage": error.message}
            )
    rejected: set[str] = set()
    while True:  # reject updates whose final priority collides, until the remaining plan is consistent
        final = {r.id: r.priority for r in lookup.listener_rules(state, listener) if not r.is_default}
        for rule_id, (_, changes, _) in planned.items():
            if rule_id not in rejected and "priority" in changes:
                final[rule_id] = changes["priority"]
        holders: dict[int | None, list[str]] = {}
        for rule_id, priority in final.items():
            holders.setdefault(priority, []).append(rule_id)
        clashing = {
            rid
            for ids in holders.values()
            if len(ids) > 1
            for rid in ids
            if rid in planned and rid not in rejected and "priority" in planned[rid][1]
        }
        if not clashing:
            break
        rejected |= clashing
    successes: list[dict[str, Any]] = []
    for rule_id, (rule, changes, identifier) in planned.items():
        if rule_id in rejected:
            failures.append(
                {
                    "ruleIdentifier": identifier,
                    "failureCode": "ConflictException",
                    "failureMessage": f"Priority {changes['priority']} would not be unique on listener "
                    f"{listener.id}.",
                }
            )
            continue
        _apply(rule, changes)
        view = rule_view(state, rule)
        successes.append(
            {
                k: view[k]
                for k in ("arn", "id", "name", "isDefault", "match", "priority", "action")
                if k in view
            }
        )
    return 200, {"successful": successes, "unsuccessful": failures}
