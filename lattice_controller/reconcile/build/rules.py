"""Route rules → Lattice rule matches and priorities, with what Lattice cannot express.

Each converter returns either a ``RuleMatch`` or a message that says what to change; a route with
any such message is not accepted (``Accepted=False/UnsupportedValue``) and nothing of it is built.
"""

from __future__ import annotations

from collections.abc import Mapping

from lattice_controller.model.k8s import RouteMatch, RouteRule, RouteType
from lattice_controller.model.lattice import HeaderMatchSpec, RuleMatch
from lattice_controller.model.naming import rule_priority_annotation

MAX_HEADER_MATCHES = 5
MAX_RULES = 100
MIN_PRIORITY = 1
MAX_PRIORITY = 100


def convert_match(rule: RouteRule, rule_index: int, route_type: RouteType) -> RuleMatch | str:
    where = f"spec.rules[{rule_index}]"
    if len(rule.matches) > 1:
        return (
            f"{where} has {len(rule.matches)} matches; VPC Lattice supports one match per rule: "
            "split it into one rule per match"
        )
    if route_type is RouteType.TLS:
        return RuleMatch()
    if not rule.matches:
        return RuleMatch(method="POST") if route_type is RouteType.GRPC else RuleMatch()
    match = rule.matches[0]
    headers = _convert_headers(match, f"{where}.matches[0]")
    if isinstance(headers, str):
        return headers
    if route_type is RouteType.GRPC:
        return _grpc_match(match, headers, f"{where}.matches[0]")
    return _http_match(match, headers, f"{where}.matches[0]")


def _convert_headers(match: RouteMatch, where: str) -> tuple[HeaderMatchSpec, ...] | str:
    if match.query_params:
        return f"{where}.queryParams: VPC Lattice cannot match query parameters: remove them"
    if len(match.headers) > MAX_HEADER_MATCHES:
        return (
            f"{where}.headers: {len(match.headers)} header matches; VPC Lattice allows at most "
            f"{MAX_HEADER_MATCHES}: remove some"
        )
    out = []
    for i, header in enumerate(match.headers):
        kind = header.type or "Exact"
        if kind != "Exact":
            return f"{where}.headers[{i}].type: {kind} is not supported by VPC Lattice: use Exact"
        out.append(HeaderMatchSpec(header.name, header.value, case_sensitive=False))
    return tuple(out)


def _http_match(match: RouteMatch, headers: tuple[HeaderMatchSpec, ...], where: str) -> RuleMatch | str:
    method = match.method or None
    if not match.has_path:
        return RuleMatch(path_kind=None, path="", method=method, headers=headers)
    path_type = match.path_type or "PathPrefix"
    value = match.path_value if match.path_value is not None else "/"
    if path_type == "Exact":
        kind = "exact"
    elif path_type == "PathPrefix":
        kind = "prefix"
    else:
        return f"{where}.path.type: {path_type} is not supported by VPC Lattice: use Exact or PathPrefix"
    return RuleMatch(path_kind=kind, path=value, method=method, headers=headers)


def _grpc_match(match: RouteMatch, headers: tuple[HeaderMatchSpec, ...], where: str) -> RuleMatch | str:
    method = match.grpc_method
    if method is None or (not method.service and not method.method):
        # Header-only match: the Go controller crashes here; prefix / + POST is intended
        # (docs/compatibility.md).
        return RuleMatch(path_kind="prefix", path="/", method="POST", headers=headers)
    if (method.type or "Exact") != "Exact":
        return f"{where}.method.type: {method.type} is not supported by VPC Lattice: use Exact"
    if not method.service:
        return f"{where}.method: a method without a service is not supported by VPC Lattice: add the service"
    if not method.method:
        return RuleMatch(path_kind="prefix", path=f"/{method.service}/", method="POST", headers=headers)
    return RuleMatch(
        path_kind="exact", path=f"/{method.service}/{method.method}", method="POST", headers=headers
    )


def rule_priorities(rule_count: int, annotations: Mapping[str, str]) -> tuple[list[int], list[str]]:
    """Priorities per rule index, and warnings for non-integer annotation values.

    Pinned rules (``rule-<i>-priority``) are placed first in index order; each unpinned rule, in
    index order, then gets the priority of the most recently placed rule + 1 (1 if none).
    """
    priorities: list[int | None] = [None] * rule_count
    warnings = []
    last: int | None = None
    for i in range(rule_count):
        text = annotations.get(rule_priority_annotation(i))
        if text is None:
            continue
        try:
            value = int(text.strip())
        except ValueError:
            warnings.append(f"{rule_priority_annotation(i)}={text!r} is not an integer; using {i + 1}")
            value = i + 1
        priorities[i] = value
        last = value
    for i in range(rule_count):
        if priorities[i] is None:
            priorities[i] = 1 if last is None else last + 1
            last = priorities[i]
    return [p if p is not None else 0 for p in priorities], warnings


def priority_problem(priorities: list[int]) -> str | None:
    seen: dict[int, int] = {}
    for i, priority in enumerate(priorities):
        if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
            return (
                f"spec.rules[{i}] gets priority {priority}; VPC Lattice priorities are "
                f"{MIN_PRIORITY}-{MAX_PRIORITY}: fix the {rule_priority_annotation(i)} annotations"
            )
        if priority in seen:
            return (
                f"spec.rules[{seen[priority]}] and spec.rules[{i}] both get priority {priority}; "
                "priorities must be unique: fix the rule-<N>-priority annotations"
            )
        seen[priority] = i
    return None
