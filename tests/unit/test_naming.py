"""Lattice names: truncation rule, override validation messages, listener/TG/rule names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lattice_controller.model.naming import (
    InvalidServiceNameOverrideError,
    fallback_service_name,
    lattice_service_name,
    listener_name,
    route_service_name,
    rule_name,
    service_name_override,
    service_name_problem,
    target_group_name,
    target_group_suffix,
    truncate,
)

OVERRIDE = "application-networking.k8s.aws/service-name-override"


@pytest.mark.parametrize(
    ("name", "namespace", "expected"),
    [
        ("inventory", "default", "inventory-default"),
        ("a-very-long-route-name-indeed", "default", "a-very-long-route-na-default"),
        ("route-name-with-dash-at-20", "ns", "route-name-with-dash-ns"),
        ("r", "a-namespace-longer-than-18", "r-a-namespace-longer"),
        ("-lead", "ns-", "lead-ns"),
        ("abcdefghijklmnopqrs-", "n", "abcdefghijklmnopqrs-n"),
    ],
)
def test_lattice_service_name(name: str, namespace: str, expected: str) -> None:
    assert lattice_service_name(name, namespace) == expected


@given(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True), st.integers(1, 70))
def test_truncate_properties(name: str, length: int) -> None:
    out = truncate(name, length)
    assert len(out) <= length
    assert not out.startswith("-")
    assert not out.endswith("-")
    assert name.startswith(out.lstrip("-")) or name.lstrip("-").startswith(out)


@given(
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,251}[a-z0-9])?", fullmatch=True),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True),
)
def test_service_and_listener_names_fit_lattice(name: str, namespace: str) -> None:
    svc = lattice_service_name(name, namespace)
    assert len(svc) <= 39
    assert listener_name(name, namespace, 65535, "HTTPS").startswith(svc + "-")
    tg = target_group_name(namespace, name, [("k", "v")])
    assert len(tg) <= 128
    assert tg.startswith("k8s-")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ab", "service name must be at least 3 characters long"),
        ("a" * 41, "service name cannot exceed 40 characters"),
        ("Upper", "service name must contain only lowercase letters, numbers, and hyphens"),
        ("svc-x", "service name cannot start with 'svc-'"),
        ("-abc", "service name cannot start with a hyphen"),
        ("abc-", "service name cannot end with a hyphen"),
        ("a--b", "service name cannot contain double hyphens"),
    ],
)
def test_override_validation_messages(value: str, reason: str) -> None:
    with pytest.raises(InvalidServiceNameOverrideError) as info:
        service_name_override({OVERRIDE: value})
    assert str(info.value) == f"invalid service name override '{value}': {reason}"


def test_override_used_for_service_not_listener() -> None:
    ann = {OVERRIDE: "my-service"}
    assert route_service_name("r", "ns", ann) == "my-service"
    assert route_service_name("r", "ns", {OVERRIDE: ""}) == "r-ns"
    assert listener_name("r", "ns", 443, "HTTPS") == "r-ns-443-https"
    assert listener_name("r", "ns", 443, "TLS_PASSTHROUGH") == "r-ns-443-tls"


def test_target_group_name_is_deterministic() -> None:
    identity = [("a", "1"), ("b", "2")]
    assert target_group_name("ns", "svc", identity) == target_group_name(
        "ns", "svc", list(reversed(identity))
    )
    assert target_group_suffix(identity) != target_group_suffix([("a", "1"), ("b", "3")])
    suffix = target_group_suffix(identity)
    assert suffix == "loowehafsv"  # pinned: target groups are found again by name after an upgrade
    assert len(suffix) == 10
    assert suffix.isalpha()
    assert suffix.islower()
    assert target_group_name("n" * 60, "s" * 60, identity) == f"k8s-{'n' * 55}-{'s' * 55}-{suffix}"


def test_rule_name_is_stable_and_short() -> None:
    # Pinned: a rule is found again by this name after a restart or an upgrade.
    assert rule_name("prefix:/a", 3) == "k8s-d3f68f3a6e-rule-3"
    assert rule_name("prefix:/a", 3) != rule_name("prefix:/b", 3)
    assert rule_name("prefix:/a", 100).endswith("-rule-100")
    assert len(rule_name("x", 100)) <= 63


def test_fallback_names_part_routes_alike_up_to_the_truncation() -> None:
    # Both derive ``specific-host-matche-gateway-conformanc``; each fallback is its own and stable.
    specific = "specific-host-matches-listener-specific-host"
    wildcard = "specific-host-matches-listener-wildcard-host"
    namespace = "gateway-conformance-infra"
    assert lattice_service_name(specific, namespace) == lattice_service_name(wildcard, namespace)
    a, b = (fallback_service_name(name, namespace, "http") for name in (specific, wildcard))
    assert a != b
    assert a.startswith("specific-host-gateway-confor-")
    assert a == fallback_service_name(specific, namespace, "http")
    # An HTTPRoute and a GRPCRoute of one name: one derived name, two fallbacks.
    assert fallback_service_name("web", "default", "http") != fallback_service_name("web", "default", "grpc")


@given(
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,251}[a-z0-9])?", fullmatch=True),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["http", "grpc", "tls"]),
)
def test_a_fallback_name_is_valid_where_the_derived_name_is(name: str, namespace: str, kind: str) -> None:
    fallback = fallback_service_name(name, namespace, kind)
    assert len(fallback) <= 38
    if service_name_problem(lattice_service_name(name, namespace)) is None:
        assert service_name_problem(fallback) is None
