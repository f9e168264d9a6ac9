"""Route build: status conditions, validation messages, desired Lattice state."""

from __future__ import annotations

import pytest

from lattice_controller.model.k8s import RouteType
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import (
    PROTOCOL_TLS_PASSTHROUGH,
    RuleAction,
    TargetGroupIdentity,
    TargetSpec,
)
from lattice_controller.reconcile.build import BuildSettings, build_route
from tests.unit.test_build_helpers import (
    SETTINGS,
    endpoint_slice,
    gateway,
    grant,
    route,
    service,
    snapshot,
)


def conds(build_parents: tuple, index: int = 0) -> dict[str, tuple[str, str, str]]:  # type: ignore[type-arg]
    return {c.type: (c.status, c.reason, c.message) for c in build_parents[index].conditions}


def ab_route():  # type: ignore[no-untyped-def]
    return route(
        rules=[
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/cart"}}],
                "backendRefs": [
                    {"name": "cart-v1", "port": 80, "weight": 75},
                    {"name": "cart-v2", "namespace": "backend", "port": 8080, "weight": 25},
                ],
            }
        ]
    )


def ab_snapshot(with_grant: bool):  # type: ignore[no-untyped-def]
    return snapshot(
        ab_route(),
        services=[
            service("cart-v1", "front"),
            service("cart-v2", "backend", ports=[{"name": "web", "port": 8080}]),
        ],
        slices=[
            endpoint_slice("cart-v1", "front", ["10.0.0.1"], 8080),
            endpoint_slice("cart-v2", "backend", ["10.0.1.1", "10.0.1.2"], 9090, port_name="web"),
        ],
        grants=[grant("backend", "front")] if with_grant else [],
    )


def test_ab_weighted_with_cross_namespace_grant() -> None:
    result = build_route(ab_snapshot(with_grant=True), SETTINGS)
    assert conds(result.parents) == {
        "Accepted": ("True", "Accepted", ""),
        "ResolvedRefs": ("True", "ResolvedRefs", ""),
    }
    desired = result.desired
    assert desired.service is not None
    assert desired.service.name == "shop-front"
    assert [a.service_network.name_or_id for a in desired.associations] == ["gw"]
    (listener,) = desired.listeners
    assert (listener.name, listener.port, listener.protocol) == ("shop-front-80-http", 80, "HTTP")
    assert listener.default_action == RuleAction.fixed(404)
    (rule,) = listener.rules
    assert rule.priority == 1
    assert (rule.match.path_kind, rule.match.path) == ("prefix", "/cart")
    weights = {
        (w.target_group.service_namespace, w.target_group.service_name): w.weight for w in rule.action.forward
    }  # type: ignore[union-attr]
    assert weights == {("front", "cart-v1"): 75, ("backend", "cart-v2"): 25}
    tgs = {tg.identity.service_name: tg for tg in desired.target_groups}
    assert set(tgs) == {"cart-v1", "cart-v2"}
    assert tgs["cart-v2"].targets == (
        TargetSpec("10.0.1.1", 9090, True, ObjectKey("backend", "pod-10.0.1.1")),
        TargetSpec("10.0.1.2", 9090, True, ObjectKey("backend", "pod-10.0.1.2")),
    )
    assert tgs["cart-v1"].config.port == 80
    assert tgs["cart-v1"].identity == TargetGroupIdentity(
        "dev", "cart-v1", "front", "HTTPRoute", "HTTP1", "shop", "front"
    )


def test_ab_without_grant_is_ref_not_permitted_and_its_share_goes_to_an_empty_target_group() -> None:
    result = build_route(ab_snapshot(with_grant=False), SETTINGS)
    status, reason, message = conds(result.parents)["ResolvedRefs"]
    assert (status, reason) == ("False", "RefNotPermitted")
    assert "create a ReferenceGrant in namespace backend" in message
    assert conds(result.parents)["Accepted"][1] == "Accepted"
    # No target group for the refused backend: its 25 % goes to a target group without targets (5xx).
    names = [tg.identity.service_name for tg in result.desired.target_groups]
    assert names == ["cart-v1", "5xx-invalid-backends"]
    invalid = result.desired.target_groups[1]
    assert invalid.targets == ()
    assert invalid.name.startswith("k8s-front-5xx-invalid-backends-")
    (rule,) = result.desired.listeners[0].rules
    assert [(w.target_group, w.weight) for w in rule.action.forward] == [
        (result.desired.target_groups[0].identity, 75),
        (invalid.identity, 25),
    ]


def test_a_rule_with_only_invalid_backends_is_a_fixed_500() -> None:
    result = build_route(snapshot(route(rules=[{"backendRefs": [{"name": "ghost", "port": 80}]}])), SETTINGS)
    (rule,) = result.desired.listeners[0].rules
    assert rule.action == RuleAction.fixed(500)
    assert result.desired.target_groups == ()


def test_grants_not_enforced_allows_with_warning() -> None:
    settings = BuildSettings("1", "dev", "vpc", enforce_reference_grants=False)
    result = build_route(ab_snapshot(with_grant=False), settings)
    assert conds(result.parents)["ResolvedRefs"][1] == "ResolvedRefs"
    assert len(result.desired.target_groups) == 2
    assert any("ENFORCE_REFERENCE_GRANTS=false" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        (
            {"matches": [{"path": {"type": "RegularExpression", "value": "/a.*"}}]},
            "RegularExpression is not supported",
        ),
        ({"matches": [{"queryParams": [{"name": "q", "value": "1"}]}]}, "cannot match query parameters"),
        ({"matches": [{"headers": [{"name": f"h{i}", "value": "v"} for i in range(6)]}]}, "at most 5"),
        ({"matches": [{"headers": [{"type": "RegularExpression", "name": "h", "value": "v"}]}]}, "use Exact"),
        (
            {"matches": [{"path": {"value": f"/{i}"}} for i in range(101)]},
            "at most 100 rules per listener, one per match",
        ),
        ({"backendRefs": [{"name": "svc", "weight": 1000}]}, "weights are 0-999"),
        ({"backendRefs": [{"name": "svc"}] * 11}, "at most 10 target groups"),
        (
            {"filters": [{"type": "RequestHeaderModifier", "requestHeaderModifier": {}}], "backendRefs": []},
            "spec.rules[0].filters: RequestHeaderModifier is not supported by VPC Lattice",
        ),
        (
            {"filters": [{"type": "RequestRedirect", "requestRedirect": {}}]},
            "RequestRedirect is not supported",
        ),
        ({"filters": [{"type": "URLRewrite", "urlRewrite": {}}]}, "URLRewrite is not supported"),
    ],
)
def test_unsupported_rules_are_not_accepted_and_nothing_is_built(rule: dict, fragment: str) -> None:  # type: ignore[type-arg]
    result = build_route(snapshot(route(rules=[rule])), SETTINGS)
    status, reason, message = conds(result.parents)["Accepted"]
    assert (status, reason) == ("False", "UnsupportedValue")
    assert fragment in message
    assert result.desired.service is None
    assert result.desired.target_groups == ()


def test_backend_kind_and_missing_service() -> None:
    bad_kind = build_route(
        snapshot(route(rules=[{"backendRefs": [{"name": "x", "kind": "ConfigMap"}]}])), SETTINGS
    )
    status, reason, message = conds(bad_kind.parents)["ResolvedRefs"]
    assert (status, reason) == ("False", "InvalidKind")
    assert message.startswith("ConfigMap: ")
    assert "use kind Service or ServiceImport" in message
    assert bad_kind.desired.listeners[0].rules[0].action == RuleAction.fixed(500)
    missing = build_route(snapshot(route(rules=[{"backendRefs": [{"name": "nope"}]}])), SETTINGS)
    status, reason, message = conds(missing.parents)["ResolvedRefs"]
    assert (status, reason) == ("False", "BackendNotFound")
    assert message.startswith("backendRef name: nope: ")
    assert "create it or fix the backendRef" in message
    assert missing.desired.target_groups == ()


def test_dual_stack_service_with_endpoints_of_both_families() -> None:
    slices = [endpoint_slice(), endpoint_slice(ips=["fd00::1"], address_type="IPv6")]
    snap = snapshot(route(), services=[service(families=["IPv4", "IPv6"])], slices=slices)
    status, reason, message = conds(build_route(snap, SETTINGS).parents)["Accepted"]
    assert (status, reason) == ("False", "UnsupportedValue")
    assert message.startswith("Dual stack Service is not supported")
    assert "[IPv4] or [IPv6]" in message


def test_two_family_service_takes_the_family_of_the_endpoints_present() -> None:
    """A selectorless headless Service gets both families from the API server; its EndpointSlices
    (possibly one per family, one of them empty) tell which one is used."""
    cases = [
        ([endpoint_slice(ips=[]), endpoint_slice(ips=["fd00::1", "fd00::2"], address_type="IPv6")], "IPV6"),
        ([endpoint_slice(), endpoint_slice(ips=[], address_type="IPv6")], "IPV4"),
        ([], "IPV4"),  # no endpoints yet: the Service's first family
    ]
    for slices, ip_type in cases:
        snap = snapshot(route(), services=[service(families=["IPv4", "IPv6"])], slices=slices)
        result = build_route(snap, SETTINGS)
        assert conds(result.parents)["Accepted"][:2] == ("True", "Accepted")
        (tg,) = result.desired.target_groups
        assert tg.config.ip_address_type == ip_type
        family = {"IPV4": ".", "IPV6": ":"}[ip_type]
        assert tg.targets is not None
        assert all(family in t.ip for t in tg.targets)


def test_invalid_override_message() -> None:
    r = route(annotations={"application-networking.k8s.aws/service-name-override": "svc-bad"})
    _status, reason, message = conds(build_route(snapshot(r), SETTINGS).parents)["Accepted"]
    assert reason == "UnsupportedValue"
    assert message == "invalid service name override 'svc-bad': service name cannot start with 'svc-'"


@pytest.mark.parametrize(
    ("parent_ref", "listeners", "expected"),
    [
        ({"name": "gw", "namespace": "infra", "port": 81}, None, ("False", "NoMatchingParent", "")),
        (
            {"name": "gw", "namespace": "infra", "sectionName": "nope"},
            None,
            ("False", "NoMatchingParent", ""),
        ),
        (
            {"name": "gw", "namespace": "infra"},
            [{"name": "http", "port": 80, "protocol": "HTTP"}],
            (
                "False",
                "NotAllowedByListeners",
                "No matching listeners allow this route. Check Gateway listener allowedRoutes policies",
            ),
        ),
        (
            {"name": "gw", "namespace": "infra"},
            [
                {
                    "name": "h",
                    "port": 80,
                    "protocol": "HTTP",
                    "hostname": "other.com",
                    "allowedRoutes": {"namespaces": {"from": "All"}},
                }
            ],
            ("False", "NoMatchingListenerHostname", "No matching listener hostname for this route"),
        ),
    ],
)
def test_parent_acceptance(parent_ref: dict, listeners: list | None, expected: tuple) -> None:  # type: ignore[type-arg]
    r = route(parent_refs=[parent_ref], hostnames=["shop.example.com"])
    result = build_route(snapshot(r, gateways=[gateway(listeners=listeners)]), SETTINGS)
    assert conds(result.parents)["Accepted"] == expected
    assert result.desired.service is None
    assert any("rejected by all Gateway listeners" in w for w in result.warnings)


def test_not_our_gateway_is_irrelevant() -> None:
    r = route(parent_refs=[{"name": "other", "namespace": "infra"}])
    result = build_route(snapshot(r, gateways=[gateway("other", class_name="someone-else")]), SETTINGS)
    assert not result.relevant
    assert result.parents == ()


def test_priorities_from_annotations() -> None:
    rules = [{"matches": [{"path": {"type": "PathPrefix", "value": f"/{i}"}}]} for i in range(4)]
    ann = {
        "application-networking.k8s.aws/rule-2-priority": "10",
        "application-networking.k8s.aws/rule-0-priority": "5",
    }
    result = build_route(snapshot(route(rules=rules, annotations=ann)), SETTINGS)
    assert [(r.match.path, r.priority) for r in result.desired.listeners[0].rules] == [
        ("/0", 5),
        ("/2", 10),
        ("/1", 11),
        ("/3", 12),
    ]


def test_each_match_is_a_lattice_rule_ordered_by_gateway_api_precedence() -> None:
    rules = [
        {
            "matches": [{"path": {"value": "/"}}, {"path": {"type": "Exact", "value": "/v2/cart"}}],
            "backendRefs": [{"name": "svc", "port": 80}],
        },
        {
            "matches": [
                {"path": {"value": "/v2"}},
                {"path": {"value": "/v2"}, "headers": [{"name": "v", "value": "3"}]},
            ],
            "backendRefs": [{"name": "svc", "port": 80, "weight": 3}],
        },
    ]
    result = build_route(snapshot(route(rules=rules)), SETTINGS)
    assert conds(result.parents)["Accepted"][:2] == ("True", "Accepted")
    lattice_rules = result.desired.listeners[0].rules
    assert [(str(r.match), r.priority) for r in lattice_rules] == [
        ("exact /v2/cart", 1),
        ("prefix /v2 v=3", 2),
        ("prefix /v2", 3),
        ("prefix /", 4),
    ]
    assert [r.action.forward[0].weight for r in lattice_rules] == [1, 3, 3, 1]


def test_duplicate_priority_is_rejected() -> None:
    rules = [{"matches": [{"path": {"value": f"/{i}"}}]} for i in range(2)]
    ann = {
        "application-networking.k8s.aws/rule-1-priority": "1",
        "application-networking.k8s.aws/rule-0-priority": "1",
    }
    _status, reason, message = conds(
        build_route(snapshot(route(rules=rules, annotations=ann)), SETTINGS).parents
    )["Accepted"]
    assert reason == "UnsupportedValue"
    assert "both get priority 1" in message


def test_same_service_two_ports_one_target_group_with_merged_targets() -> None:
    svc = service(ports=[{"name": "a", "port": 80}, {"name": "b", "port": 81}])
    slices = [
        endpoint_slice(ips=["10.0.0.1"], port=8080, port_name="a"),
        endpoint_slice(ips=["10.0.0.1"], port=8081, port_name="b"),
    ]
    rules = [
        {"matches": [{"path": {"value": "/a"}}], "backendRefs": [{"name": "svc", "port": 80}]},
        {"matches": [{"path": {"value": "/b"}}], "backendRefs": [{"name": "svc", "port": 81}]},
    ]
    result = build_route(snapshot(route(rules=rules), services=[svc], slices=slices), SETTINGS)
    (tg,) = result.desired.target_groups
    assert [(t.ip, t.port) for t in tg.targets or ()] == [("10.0.0.1", 8080), ("10.0.0.1", 8081)]


def test_targets_skip_terminating_keep_not_ready() -> None:
    slices = [
        endpoint_slice(ips=["10.0.0.1"], ready=False),
        endpoint_slice(ips=["10.0.0.2"], ready=False, terminating=True),
    ]
    (tg,) = build_route(snapshot(route(), slices=slices), SETTINGS).desired.target_groups
    assert [(t.ip, t.ready) for t in tg.targets or ()] == [("10.0.0.1", False)]


def test_backend_port_matching_no_service_port_is_backend_not_found_naming_the_port() -> None:
    r = route(
        rules=[{"backendRefs": [{"name": "svc", "port": 9999, "weight": 10}, {"name": "svc", "port": 80}]}]
    )
    result = build_route(snapshot(r), SETTINGS)
    status, reason, message = conds(result.parents)["ResolvedRefs"]
    assert (status, reason) == ("False", "BackendNotFound")
    assert "backendRef svc port 9999: Service front/svc has no port 9999 (its ports: 80)" in message
    (rule,) = result.desired.listeners[0].rules
    assert [(w.target_group.service_name, w.weight) for w in rule.action.forward] == [  # type: ignore[union-attr]
        ("svc", 1),
        ("5xx-invalid-backends", 10),
    ]


def test_grpc_route_https_listener_and_tls_passthrough() -> None:
    https = [
        {
            "name": "https",
            "port": 443,
            "protocol": "HTTPS",
            "allowedRoutes": {"namespaces": {"from": "All"}},
            "tls": {
                "mode": "Terminate",
                "options": {"application-networking.k8s.aws/certificate-arn": "arn:cert"},
            },
        }
    ]
    g = route(
        kind="GRPCRoute",
        rules=[
            {"matches": [{"method": {"service": "pkg.S", "method": "M"}}], "backendRefs": [{"name": "svc"}]}
        ],
    )
    result = build_route(snapshot(g, gateways=[gateway(listeners=https)]), SETTINGS)
    (listener,) = result.desired.listeners
    assert listener.name == "shop-front-443-https"
    assert result.desired.service is not None
    assert result.desired.service.certificate_arn == "arn:cert"
    rule = listener.rules[0]
    assert (rule.match.path_kind, rule.match.path, rule.match.method) == ("exact", "/pkg.S/M", "POST")
    assert result.desired.target_groups[0].identity.protocol_version == "GRPC"

    tls = [
        {
            "name": "tls",
            "port": 443,
            "protocol": "TLS",
            "tls": {"mode": "Passthrough"},
            "allowedRoutes": {"namespaces": {"from": "All"}},
        }
    ]
    t = route(
        kind="TLSRoute", hostnames=["a.example.com"], rules=[{"backendRefs": [{"name": "svc", "port": 80}]}]
    )
    result = build_route(snapshot(t, gateways=[gateway(listeners=tls)]), SETTINGS)
    (listener,) = result.desired.listeners
    assert (listener.name, listener.protocol) == ("shop-front-443-tls", PROTOCOL_TLS_PASSTHROUGH)
    assert listener.default_action.forward
    assert listener.rules == ()
    tg = result.desired.target_groups[0]
    assert (tg.config.protocol, tg.config.protocol_version, tg.identity.source_type) == (
        "TCP",
        "",
        "TLSRoute",
    )


def test_standalone_and_override() -> None:
    r = route(annotations={"application-networking.k8s.aws/standalone": "TRUE"})
    assert build_route(snapshot(r), SETTINGS).desired.associations == ()
    settings = BuildSettings(
        "1", "dev", "vpc", default_service_network="default-sn", service_network_override=True
    )
    desired = build_route(snapshot(route()), settings).desired
    assert [a.service_network.name_or_id for a in desired.associations] == ["default-sn"]


def test_deleting_route_wants_cleanup_even_without_accepted_parents() -> None:
    r = route(deleting=True, parent_refs=[{"name": "gone"}])
    result = build_route(snapshot(r), SETTINGS)
    assert result.desired.deleting
    assert result.desired.service is not None
    assert result.desired.service.name == "shop-front"


def test_route_type_values() -> None:
    assert RouteType.GRPC.finalizer == "grpcroute.k8s.aws/resources"
    assert RouteType.TLS.kind == "TLSRoute"


def test_route_dependencies() -> None:
    from lattice_controller.reconcile.build import route_dependencies

    r = route(
        rules=[
            {"backendRefs": [{"name": "a"}, {"name": "b", "namespace": "other"}, {"name": "a"}]},
            {
                "backendRefs": [
                    {"name": "imp", "kind": "ServiceImport", "group": "application-networking.k8s.aws"}
                ]
            },
        ],
        parent_refs=[{"name": "gw", "namespace": "infra"}, {"name": "local"}],
    )
    deps = route_dependencies(r)
    assert deps.gateways == (ObjectKey("infra", "gw"), ObjectKey("front", "local"))
    assert deps.services == (ObjectKey("front", "a"), ObjectKey("other", "b"))
    assert deps.service_imports == (ObjectKey("front", "imp"),)
    assert deps.grant_namespaces == ("other",)
    assert deps.namespaces == ("front",)


OVERRIDE = "application-networking.k8s.aws/service-name-override"


@pytest.mark.parametrize(
    ("name", "annotations", "fragment"),
    [
        ("b18.dotted.name", {}, "listener names b18.dotted.name-front-<port>-<protocol>"),
        ("b18.dotted.name", {OVERRIDE: "dotted"}, "rename the route"),
        ("a--b", {}, "listener names a--b-front-<port>-<protocol>"),
        ("svc-payments", {}, "service name svc-payments-front derived from the route's name and namespace"),
    ],
)
def test_derived_lattice_names_are_validated_before_anything_is_built(
    name: str, annotations: dict[str, str], fragment: str
) -> None:
    build = build_route(snapshot(route(name=name, annotations=annotations)), SETTINGS)
    (parent,) = build.parents
    accepted = parent.conditions[0]
    assert (accepted.status, accepted.reason) == ("False", "UnsupportedValue")
    assert fragment in accepted.message
    assert build.desired.service is None
    if name == "svc-payments":
        assert OVERRIDE in accepted.message


def test_an_override_fixes_a_service_name_prefix_and_a_double_hyphen_service_is_rejected() -> None:
    fixed = build_route(snapshot(route(name="svc-payments", annotations={OVERRIDE: "payments"})), SETTINGS)
    assert fixed.parents[0].conditions[0].status == "True"
    bad_backend = build_route(
        snapshot(
            route(rules=[{"backendRefs": [{"name": "a--b", "port": 80}]}]),
            services=[service(name="a--b")],
        ),
        SETTINGS,
    )
    message = bad_backend.parents[0].conditions[0].message
    assert "derived from Service front/a--b is invalid" in message
    assert "rename the Service" in message


def test_an_ignored_duplicate_rule_gets_no_target_group_and_the_caveat_is_in_accepted() -> None:
    rules = [
        {"matches": [{"path": {"value": "/a"}}], "backendRefs": [{"name": "svc", "port": 80}]},
        {"matches": [{"path": {"value": "/a"}}], "backendRefs": [{"name": "other", "port": 80}]},
        {"matches": [{"path": {"value": "/z"}}], "backendRefs": [{"name": "svc", "port": 80, "weight": 0}]},
    ]
    result = build_route(snapshot(route(rules=rules), services=[service(), service(name="other")]), SETTINGS)
    status, reason, message = conds(result.parents)["Accepted"]
    assert (status, reason) == ("True", "Accepted")
    assert "spec.rules[1] has the same match as spec.rules[0]; it is ignored" in message
    assert "spec.rules[2]: every backendRef has weight 0, so the rule forwards no traffic" in message
    assert [tg.identity.service_name for tg in result.desired.target_groups] == ["svc"]
    assert not any("same match" in w for w in result.warnings)
    assert len(result.notes) == 2


def test_second_hostname_is_reported() -> None:
    result = build_route(snapshot(route(hostnames=["a.example.com", "b.example.com"])), SETTINGS)
    status, _, message = conds(result.parents)["Accepted"]
    assert status == "True"
    assert "a.example.com is used and b.example.com ignored" in message
    assert result.desired.service is not None
    assert result.desired.service.custom_domain == "a.example.com"


def test_grpc_route_on_http_listener_says_it_needs_https() -> None:
    g = route(kind="GRPCRoute", rules=[{"backendRefs": [{"name": "svc"}]}])
    result = build_route(snapshot(g), SETTINGS)
    status, reason, message = conds(result.parents)["Accepted"]
    assert (status, reason) == ("False", "NotAllowedByListeners")
    assert message.startswith("No matching listeners allow this route")
    assert "GRPCRoute attaches to HTTPS listeners only; listener" in message
    assert result.desired.service is None


def test_tls_route_on_terminating_tls_listener_is_unsupported() -> None:
    terminate = [
        {
            "name": "tls",
            "port": 443,
            "protocol": "TLS",
            "tls": {"mode": "Terminate"},
            "allowedRoutes": {"namespaces": {"from": "All"}},
        }
    ]
    t = route(kind="TLSRoute", hostnames=["a.example.com"], rules=[{"backendRefs": [{"name": "svc"}]}])
    result = build_route(snapshot(t, gateways=[gateway(listeners=terminate)]), SETTINGS)
    status, reason, message = conds(result.parents)["Accepted"]
    assert (status, reason) == ("False", "UnsupportedValue")
    assert "set tls.mode: Passthrough" in message
    assert result.desired.service is None


def test_tls_route_on_http_listener_says_it_needs_passthrough() -> None:
    t = route(kind="TLSRoute", hostnames=["a.example.com"], rules=[{"backendRefs": [{"name": "svc"}]}])
    message = conds(build_route(snapshot(t), SETTINGS).parents)["Accepted"][2]
    assert "TLSRoute attaches to TLS listeners with tls.mode Passthrough only" in message
