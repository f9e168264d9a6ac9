"""Server-side checks botocore does not do (patterns, maxima, enums) for Lattice request members."""

from __future__ import annotations

import re
from typing import Any

from e2e.fakeaws import knobs
from e2e.fakeaws.errors import not_found, validation_error
from e2e.fakeaws.ids import resolve_id
from e2e.fakeaws.state import LatticeState

_NAME = re.compile(r"(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+")
MAX_TAGS = 50


def name(value: Any, field: str, max_length: int, forbidden_prefix: str | None = None) -> str:
    if not isinstance(value, str) or not 3 <= len(value) <= max_length or not _NAME.fullmatch(value):
        raise validation_error(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must be 3-{max_length} lowercase letters, digits or single hyphens, "
            "not starting or ending with a hyphen",
            field,
        )
    if forbidden_prefix and value.startswith(forbidden_prefix):
        raise validation_error(f"{field} must not start with '{forbidden_prefix}'", field)
    return value


def enum(value: Any, field: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if value not in allowed:
        raise validation_error(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]",
            field,
        )
    return str(value)


def int_range(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise validation_error(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must have value between {low} and {high}",
            field,
        )
    return value


def tags(value: Any, field: str = "tags") -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise validation_error(f"{field} must be a map", field)
    if len(value) > MAX_TAGS:
        raise validation_error(f"{field}: at most {MAX_TAGS} tags per resource", field)
    for key, tag_value in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            raise validation_error(f"Invalid tag key '{key}'", field)
        if not isinstance(tag_value, str) or len(tag_value) > 256:
            raise validation_error(f"Invalid value for tag '{key}'", field)
    return dict(value)


def rule_action(state: LatticeState, action: Any, field: str) -> dict[str, Any]:
    """A checked copy of a RuleAction: exactly one of forward/fixedResponse; target groups resolved to ids."""
    if not isinstance(action, dict) or len([k for k in ("forward", "fixedResponse") if action.get(k)]) != 1:
        raise validation_error(f"{field} must contain exactly one of forward or fixedResponse", field)
    if action.get("fixedResponse"):
        status = action["fixedResponse"].get("statusCode")
        if status not in (404, 500):
            raise validation_error(
                f"{field}.fixedResponse.statusCode: only 404 and 500 are supported, got {status}", field
            )
        return {"fixedResponse": {"statusCode": status}}
    groups = action["forward"].get("targetGroups") or []
    limit = knobs.current().max_target_groups_per_action
    if not 1 <= len(groups) <= limit:
        raise validation_error(
            f"{field}.forward.targetGroups must contain between 1 and {limit} target groups, "
            f"got {len(groups)}",
            field,
        )
    resolved: list[dict[str, Any]] = []
    seen: set[str] = set()
    for group in groups:
        tg_id = resolve_id(group.get("targetGroupIdentifier"), "tg", "targetGroupIdentifier")
        if tg_id not in state.target_groups:
            raise not_found("TARGET_GROUP", tg_id, "target group")
        if tg_id in seen:
            raise validation_error(f"{field}: target group {tg_id} is listed twice", field)
        seen.add(tg_id)
        entry: dict[str, Any] = {"targetGroupIdentifier": tg_id}
        if group.get("weight") is not None:
            entry["weight"] = int_range(group["weight"], f"{field}.forward.targetGroups.weight", 0, 999)
        resolved.append(entry)
    return {"forward": {"targetGroups": resolved}}


def rule_match(match: Any, field: str = "match") -> dict[str, Any]:
    if not isinstance(match, dict) or not isinstance(match.get("httpMatch"), dict):
        raise validation_error(f"{field} must contain httpMatch", field)
    http = match["httpMatch"]
    headers = http.get("headerMatches")
    limit = knobs.current().max_header_matches
    if headers is not None:
        if not isinstance(headers, list) or not 1 <= len(headers) <= limit:
            raise validation_error(
                f"{field}.httpMatch.headerMatches must have between 1 and {limit} items", field
            )
        for header in headers:
            kinds = [k for k in ("exact", "prefix", "contains") if (header.get("match") or {}).get(k)]
            if not header.get("name") or len(kinds) != 1:
                raise validation_error(
                    f"{field}: each header match needs a name and exactly one match type", field
                )
    path = http.get("pathMatch")
    if path is not None:
        kinds = [k for k in ("exact", "prefix") if (path.get("match") or {}).get(k)]
        if len(kinds) != 1 or not str(path["match"][kinds[0]]).startswith("/"):
            raise validation_error(
                f"{field}.httpMatch.pathMatch needs exactly one of exact or prefix, starting with /", field
            )
    method = http.get("method")
    if method is not None and not isinstance(method, str):
        raise validation_error(f"{field}.httpMatch.method must be a string", field)
    return {"httpMatch": dict(http)}
