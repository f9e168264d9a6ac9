"""Match conversion (HTTP/GRPC), priorities, listener attachment helpers."""

from __future__ import annotations

import pytest

from lattice_controller.model.k8s import RouteType, StrMap, parse_namespace, parse_route
from lattice_controller.model.lattice import HeaderMatchSpec, RuleMatch
from lattice_controller.reconcile.build.attachment import hostnames_intersect, namespace_allowed
from lattice_controller.reconcile.build.rules import (
    PlacedMatch,
    convert_matches,
    place_matches,
    priority_problem,
    rule_priorities,
)
from tests.unit.test_build_helpers import gateway


def rule_of(kind: str, match: dict | None) -> object:  # type: ignore[type-arg]
    rule = {"matches": [match]} if match is not None else {}
    return parse_route({"kind": kind, "metadata": {"name": "r"}, "spec": {"rules": [rule]}}).rules[0]


@pytest.mark.parametrize(
    ("kind", "match", "expected"),
    [
        ("HTTPRoute", None, RuleMatch()),
        ("HTTPRoute", {"path": {"type": "Exact", "value": "/x"}}, RuleMatch("exact", "/x")),
        ("HTTPRoute", {"path": {"value": "/p"}}, RuleMatch("prefix", "/p")),
        ("HTTPRoute", {"path": {}}, RuleMatch("prefix", "/")),
        ("HTTPRoute", {"method": "GET"}, RuleMatch(None, "", method="GET")),
        (
            "HTTPRoute",
            {"headers": [{"name": "X-Env", "value": "prod"}]},
            RuleMatch(None, "", headers=(HeaderMatchSpec("X-Env", "prod"),)),
        ),
        ("GRPCRoute", None, RuleMatch(method="POST")),
        ("GRPCRoute", {"method": {"service": "a.B"}}, RuleMatch("prefix", "/a.B/", method="POST")),
        (
            "GRPCRoute",
            {"method": {"service": "a.B", "method": "C"}},
            RuleMatch("exact", "/a.B/C", method="POST"),
        ),
        (
            "GRPCRoute",
            {"headers": [{"name": "h", "value": "v"}]},
            RuleMatch("prefix", "/", method="POST", headers=(HeaderMatchSpec("h", "v"),)),
        ),
        ("GRPCRoute", {"method": {"method": "C"}}, "a method without a service"),
        ("GRPCRoute", {"method": {"type": "RegularExpression", "service": "a"}}, "use Exact"),
    ],
)
def test_convert_match(kind: str, match: dict | None, expected: RuleMatch | str) -> None:  # type: ignore[type-arg]
    route_type = RouteType.from_kind(kind)
    assert route_type is not None
    result = convert_matches(rule_of(kind, match), 0, route_type)  # type: ignore[arg-type]
    if isinstance(expected, str):
        assert isinstance(result, str)
        assert expected in result
    else:
        assert result == (expected,)


def test_match_key_ignores_header_order_and_name_case() -> None:
    a = RuleMatch(headers=(HeaderMatchSpec("A", "1"), HeaderMatchSpec("b", "2")))
    b = RuleMatch(headers=(HeaderMatchSpec("B", "2"), HeaderMatchSpec("a", "1")))
    assert a.key() == b.key()
    assert RuleMatch("exact", "/").key() != RuleMatch("prefix", "/").key()


@pytest.mark.parametrize(
    ("counts", "annotations", "expected", "warns"),
    [
        ([1, 1, 1], {}, [1, 2, 3], 0),
        ([1, 1, 1], {"application-networking.k8s.aws/rule-1-priority": "7"}, [8, 7, 9], 0),
        ([1, 1], {"application-networking.k8s.aws/rule-0-priority": "x"}, [1, 2], 1),
        ([1, 1, 1], {"application-networking.k8s.aws/rule-2-priority": "1"}, [2, 3, 1], 0),
        # A rule with several matches takes consecutive priorities from its own.
        ([2, 3, 1], {"application-networking.k8s.aws/rule-1-priority": "10"}, [13, 10, 15], 0),
    ],
)
def test_rule_priorities(
    counts: list[int], annotations: dict[str, str], expected: list[int], warns: int
) -> None:
    priorities, warnings = rule_priorities(counts, annotations)
    assert priorities == expected
    assert len(warnings) == warns


def placed(*priorities: int) -> list[PlacedMatch]:
    return [PlacedMatch(i, 0, RuleMatch(), p) for i, p in enumerate(priorities)]


def test_priority_problem() -> None:
    assert priority_problem(placed(1, 2)) is None
    assert "1-100" in (priority_problem(placed(0)) or "")
    assert "both get priority 3" in (priority_problem(placed(3, 3)) or "")


def test_gateway_api_precedence_across_rules_and_matches() -> None:
    exact = RuleMatch("exact", "/a")
    long_prefix = RuleMatch("prefix", "/abc")
    short_prefix = RuleMatch("prefix", "/a")
    with_method = RuleMatch("prefix", "/a", method="GET")
    with_headers = RuleMatch("prefix", "/a", method="GET", headers=(HeaderMatchSpec("h", "v"),))
    root = RuleMatch()
    rules = [[root, short_prefix], [with_method, exact], [long_prefix, with_headers]]
    result, warnings = place_matches(rules, {})
    assert warnings == []
    assert [(p.match, p.priority) for p in result] == [
        (exact, 1),
        (long_prefix, 2),
        (with_headers, 3),
        (with_method, 4),
        (short_prefix, 5),
        (root, 6),
    ]
    assert [(p.rule, p.index) for p in result] == [(1, 1), (2, 0), (2, 1), (1, 0), (0, 1), (0, 0)]


def test_precedence_ties_keep_rule_then_match_order() -> None:
    a, b, c = RuleMatch("prefix", "/x"), RuleMatch("prefix", "/y"), RuleMatch("prefix", "/z")
    result, _ = place_matches([[b], [c, a]], {})
    assert [p.match for p in result] == [b, c, a]


def test_pinned_rules_keep_the_reference_order_with_consecutive_match_priorities() -> None:
    a, b, c = RuleMatch("prefix", "/a"), RuleMatch("exact", "/b"), RuleMatch("exact", "/c")
    result, _ = place_matches([[a], [b, c]], {"application-networking.k8s.aws/rule-0-priority": "5"})
    assert [(p.match, p.priority) for p in result] == [(a, 5), (b, 6), (c, 7)]


@pytest.mark.parametrize(
    ("route_hosts", "listener_host", "expected"),
    [
        ((), "a.com", True),
        (("a.com",), None, True),
        (("a.com",), "a.com", True),
        (("x.a.com",), "*.a.com", True),
        (("*.a.com",), "y.x.a.com", True),
        (("a.com",), "*.a.com", False),
        (("b.com",), "a.com", False),
    ],
)
def test_hostnames_intersect(route_hosts: tuple[str, ...], listener_host: str | None, expected: bool) -> None:
    assert hostnames_intersect(route_hosts, listener_host) is expected


def test_namespace_policies() -> None:
    gw = gateway(
        listeners=[
            {"name": "same", "port": 1, "protocol": "HTTP"},
            {
                "name": "sel",
                "port": 2,
                "protocol": "HTTP",
                "allowedRoutes": {
                    "namespaces": {"from": "Selector", "selector": {"matchLabels": {"team": "a"}}}
                },
            },
        ]
    )
    same, sel = gw.listeners
    team_a = {"front": parse_namespace({"metadata": {"name": "front", "labels": {"team": "a"}}})}
    assert namespace_allowed("infra", gw, same, {})
    assert not namespace_allowed("front", gw, same, {})
    assert namespace_allowed("front", gw, sel, team_a)
    assert not namespace_allowed("front", gw, sel, {})
    assert StrMap.of({"team": "a"}) == team_a["front"].labels
