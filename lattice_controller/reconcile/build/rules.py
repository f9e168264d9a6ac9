"""Route rules → Lattice rule matches and priorities, with what Lattice cannot express.

A rule with several ``matches`` becomes one Lattice rule per match (all with the rule's action).

Each converter returns either a ``RuleMatch`` or a message that says what to change; a route with
any such message is not accepted (``Accepted=False/UnsupportedValue``) and nothing of it is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lattice_controller.model.k8s import RouteMatch, RouteRule, RouteType
from lattice_controller.model.lattice import HeaderMatchSpec, RuleMatch
from lattice_controller.model.naming import rule_priority_annotation

MAX_HEADER_MATCHES = 5
MAX_RULES = 100
MIN_PRIORITY = 1
MAX_PRIORITY = 100


def convert_matches(rule: RouteRule, rule_index: int, route_type: RouteType) -> tuple[RuleMatch, ...] | str:
    """One Lattice match per ``matches[]`` entry (a rule without matches matches everything), or the
    first message saying what Lattice cannot express."""
    where = f"spec.rules[{rule_index}]"
    if route_type is RouteType.TLS:
        return (RuleMatch(),)
    if not rule.matches:
        return (RuleMatch(method="POST") if route_type is RouteType.GRPC else RuleMatch(),)
    out = []
    for j, match in enumerate(rule.matches):
        converted = _convert_match(match, f"{where}.matches[{j}]", route_type)
        if isinstance(converted, str):
            return converted
        out.append(converted)
    return tuple(out)


def _convert_match(match: RouteMatch, where: str, route_type: RouteType) -> RuleMatch | str:
    headers = _convert_headers(match, where)
    if isinstance(headers, str):
        return headers
    if route_type is RouteType.GRPC:
        return _grpc_match(match, headers, where)
    return _http_match(match, headers, where)


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


@dataclass(frozen=True, slots=True)
class PlacedMatch:
    """One Lattice rule: match ``index`` of ``spec.rules[rule]`` at ``priority``."""

    rule: int
    index: int
    match: RuleMatch
    priority: int


def precedence(match: RuleMatch) -> tuple[int, int, int, int]:
    """Gateway API match precedence as a sort key (smaller first): an exact path, then the longest path,
    then a method, then the most header matches. A match without a path condition ranks as prefix "/".
    Query parameters never reach Lattice (rejected before)."""
    exact = 0 if match.path_kind == "exact" else 1
    length = len(match.path) if match.path_kind else 1
    return (exact, -length, 0 if match.method else 1, -len(match.headers))


def place_matches(
    rules: Sequence[Sequence[RuleMatch]], annotations: Mapping[str, str]
) -> tuple[list[PlacedMatch], list[str]]:
    """Every match of every rule with its Lattice priority, in priority order, and warnings.

    Without ``rule-<i>-priority`` annotations, priorities follow Gateway API precedence across the
    route (ties: rule order, then match order). With them, the reference's order applies: pinned
    rules first, each unpinned rule after the last placed one, and a rule's matches take consecutive
    priorities from the rule's own (duplicates or out-of-range values are reported by
    ``priority_problem``).
    """
    pinned = any(rule_priority_annotation(i) in annotations for i in range(len(rules)))
    if not pinned:
        ranked = sorted(
            ((precedence(m), i, j, m) for i, matches in enumerate(rules) for j, m in enumerate(matches)),
            key=lambda entry: entry[:3],
        )
        return [PlacedMatch(i, j, m, n) for n, (_, i, j, m) in enumerate(ranked, 1)], []
    firsts, warnings = rule_priorities([len(m) for m in rules], annotations)
    placed = [
        PlacedMatch(i, j, m, firsts[i] + j) for i, matches in enumerate(rules) for j, m in enumerate(matches)
    ]
    return sorted(placed, key=lambda p: (p.priority, p.rule, p.index)), warnings


def rule_priorities(counts: Sequence[int], annotations: Mapping[str, str]) -> tuple[list[int], list[str]]:
    """The first priority of each rule (rule ``i`` has ``counts[i]`` matches), and warnings for
    non-integer annotation values.

    Pinned rules (``rule-<i>-priority``) are placed first in index order; each unpinned rule, in
    index order, then starts after the last priority of the most recently placed rule (1 if none).
    """
    priorities: list[int | None] = [None] * len(counts)
    warnings = []
    last: int | None = None
    for i, count in enumerate(counts):
        text = annotations.get(rule_priority_annotation(i))
        if text is None:
            continue
        try:
            value = int(text.strip())
        except ValueError:
            warnings.append(f"{rule_priority_annotation(i)}={text!r} is not an integer; using {i + 1}")
            value = i + 1
        priorities[i] = value
        last = value + max(count, 1) - 1
    for i, count in enumerate(counts):
        if priorities[i] is None:
            priorities[i] = 1 if last is None else last + 1
            last = priorities[i] + max(count, 1) - 1  # type: ignore[operator]
    return [p if p is not None else 0 for p in priorities], warnings


def priority_problem(placed: Sequence[PlacedMatch]) -> str | None:
    seen: dict[int, PlacedMatch] = {}
    for p in placed:
        if not MIN_PRIORITY <= p.priority <= MAX_PRIORITY:
            return (
                f"{_where(p)} gets priority {p.priority}; VPC Lattice priorities are "
                f"{MIN_PRIORITY}-{MAX_PRIORITY}: fix the {rule_priority_annotation(p.rule)} annotations"
            )
        if p.priority in seen:
            return (
                f"{_where(seen[p.priority])} and {_where(p)} both get priority {p.priority}; "
                "priorities must be unique: fix the rule-<N>-priority annotations"
            )
        seen[p.priority] = p
    return None


def _where(p: PlacedMatch) -> str:
    return f"spec.rules[{p.rule}].matches[{p.index}]"
