"""Parsers of Kubernetes objects: round-trip of normal input, tolerance of odd input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lattice_controller.model.k8s import (
    LabelSelector,
    ParentRef,
    RouteType,
    StrMap,
    parse_endpoint_slice,
    parse_gateway,
    parse_gateway_class,
    parse_namespace,
    parse_reference_grant,
    parse_route,
    parse_service,
    parse_service_import,
    reference_permitted,
)
from lattice_controller.model.k8s.common import LabelSelectorRequirement, parse_conditions
from lattice_controller.model.keys import ObjectKey

HTTP_ROUTE: dict[str, Any] = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {
        "name": "inventory",
        "namespace": "shop",
        "uid": "u1",
        "resourceVersion": "42",
        "generation": 3,
        "labels": {"app": "inv"},
        "annotations": {"application-networking.k8s.aws/tags": "a=b"},
        "finalizers": ["httproute.k8s.aws/resources"],
        "creationTimestamp": "2026-01-01T00:00:00Z",
    },
    "spec": {
        "parentRefs": [{"name": "gw", "sectionName": "http"}],
        "hostnames": ["inv.example.com"],
        "rules": [
            {
                "matches": [
                    {
                        "path": {"type": "PathPrefix", "value": "/v1"},
                        "method": "GET",
                        "headers": [{"name": "x-a", "value": "1"}],
                        "queryParams": [{"type": "Exact", "name": "q", "value": "2"}],
                    }
                ],
                "backendRefs": [
                    {"name": "inv-v1", "port": 80, "weight": 75},
                    {"name": "inv-v2", "namespace": "other", "kind": "Service", "port": 8080, "weight": 25},
                ],
            }
        ],
    },
    "status": {
        "parents": [
            {
                "parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"},
                "controllerName": "application-networking.k8s.aws/gateway-api-controller",
                "conditions": [
                    {
                        "type": "Accepted",
                        "status": "True",
                        "reason": "Accepted",
                        "message": "",
                        "observedGeneration": 3,
                        "lastTransitionTime": "2026-01-01T00:00:00Z",
                    }
                ],
            }
        ]
    },
}


def test_http_route_parses_all_fields() -> None:
    route = parse_route(HTTP_ROUTE)
    assert route.route_type is RouteType.HTTP
    assert route.meta.key == ObjectKey("shop", "inventory")
    assert route.meta.generation == 3
    assert route.meta.annotations.get("application-networking.k8s.aws/tags") == "a=b"
    assert route.meta.finalizers == ("httproute.k8s.aws/resources",)
    assert not route.meta.deleting
    assert route.parent_refs == (ParentRef(name="gw", section_name="http"),)
    assert route.hostnames == ("inv.example.com",)
    (rule,) = route.rules
    (match,) = rule.matches
    assert (match.path_type, match.path_value, match.method) == ("PathPrefix", "/v1", "GET")
    assert match.headers[0].type is None
    assert match.query_params[0].name == "q"
    assert [b.effective_weight for b in rule.backend_refs] == [75, 25]
    assert rule.backend_refs[1].namespace_or("shop") == "other"
    assert rule.backend_refs[0].effective_kind == "Service"
    assert route.parents[0].conditions[0].observed_generation == 3
    assert route.parents[0].parent_ref.to_k8s() == HTTP_ROUTE["status"]["parents"][0]["parentRef"]
    assert route.problems == ()


def test_grpc_route_method_match() -> None:
    obj = {
        "kind": "GRPCRoute",
        "metadata": {"name": "g", "namespace": "n"},
        "spec": {"rules": [{"matches": [{"method": {"service": "pkg.Svc", "method": "Get"}}]}]},
    }
    route = parse_route(obj)
    assert route.route_type is RouteType.GRPC
    gm = route.rules[0].matches[0].grpc_method
    assert gm is not None
    assert (gm.type, gm.service, gm.method) == (None, "pkg.Svc", "Get")


@pytest.mark.parametrize(
    ("obj", "problem_fragment"),
    [
        ({"metadata": {"name": "r"}, "spec": {"rules": "nope"}}, "spec.rules: expected a list"),
        ({"metadata": {"name": "r"}, "spec": {"parentRefs": [{"name": "g", "port": "x"}]}}, "port"),
        (
            {"metadata": {"name": "r"}, "spec": {"rules": [{"backendRefs": [{"name": "s", "weight": "7"}]}]}},
            "weight",
        ),
        ({"metadata": ["bad"]}, "metadata: expected an object"),
        ("not an object", "expected an object"),
    ],
)
def test_route_odd_input_is_reported_not_raised(obj: Any, problem_fragment: str) -> None:
    route = parse_route(obj, RouteType.HTTP)
    assert any(problem_fragment in p for p in route.problems), route.problems


def test_string_weight_is_kept_as_int_and_reported() -> None:
    route = parse_route(
        {"metadata": {"name": "r"}, "spec": {"rules": [{"backendRefs": [{"name": "s", "weight": "7"}]}]}},
        RouteType.HTTP,
    )
    assert route.rules[0].backend_refs[0].weight == 7


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_no_parser_raises_on_arbitrary_json(value: Any) -> None:
    for parse in (
        parse_gateway,
        parse_gateway_class,
        parse_service,
        parse_endpoint_slice,
        parse_namespace,
        parse_reference_grant,
        parse_service_import,
    ):
        parse(value)
        parse({"metadata": value, "spec": value, "status": value})
    for rt in RouteType:
        parse_route({"metadata": {"name": "x"}, "spec": {"rules": [value], "parentRefs": value}}, rt)
        parse_route({"spec": {"rules": [{"matches": [value], "backendRefs": [value]}]}}, rt)


def test_gateway_listeners() -> None:
    gw = parse_gateway(
        {
            "metadata": {"name": "gw", "namespace": "infra", "annotations": {"x": "y"}},
            "spec": {
                "gatewayClassName": "amazon-vpc-lattice",
                "listeners": [
                    {"name": "http", "port": 80, "protocol": "HTTP"},
                    {
                        "name": "https",
                        "port": 443,
                        "protocol": "HTTPS",
                        "hostname": "*.example.com",
                        "tls": {
                            "mode": "Terminate",
                            "options": {"application-networking.k8s.aws/certificate-arn": "arn:c"},
                        },
                        "allowedRoutes": {
                            "namespaces": {"from": "Selector", "selector": {"matchLabels": {"team": "a"}}},
                            "kinds": [{"kind": "GRPCRoute"}],
                        },
                    },
                ],
            },
        }
    )
    http, https = gw.listeners
    assert (http.name, http.port, http.protocol, http.namespaces_from) == ("http", 80, "HTTP", "Same")
    assert https.tls_mode == "Terminate"
    assert https.tls_options.get("application-networking.k8s.aws/certificate-arn") == "arn:c"
    assert https.namespaces_selector is not None
    assert https.namespaces_selector.matches(StrMap.of({"team": "a"})) is True
    assert https.allowed_kinds[0].kind == "GRPCRoute"
    assert https.allowed_kinds[0].group is None


def test_gateway_class() -> None:
    gc = parse_gateway_class(
        {
            "metadata": {"name": "c"},
            "spec": {"controllerName": "application-networking.k8s.aws/gateway-api-controller"},
        }
    )
    assert gc.meta.key == ObjectKey("", "c")
    assert gc.controller_name.endswith("gateway-api-controller")


def test_service_and_endpoint_slice() -> None:
    svc = parse_service(
        {
            "metadata": {"name": "s", "namespace": "n", "deletionTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {
                "ports": [{"name": "http", "port": 80, "targetPort": "web"}],
                "ipFamilies": ["IPv4"],
                "selector": {"app": "s"},
            },
        }
    )
    assert svc.deleting
    assert svc.ports[0].target_port == "web"
    assert svc.ip_families == ("IPv4",)
    es = parse_endpoint_slice(
        {
            "metadata": {"name": "s-1", "namespace": "n", "labels": {"kubernetes.io/service-name": "s"}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080}],
            "endpoints": [
                {
                    "addresses": ["10.0.0.1"],
                    "conditions": {"ready": False, "terminating": False},
                    "targetRef": {"kind": "Pod", "name": "p1"},
                },
                {"addresses": ["10.0.0.2"], "conditions": {}},
            ],
        }
    )
    assert es.service_name == "s"
    assert es.endpoints[0].ready is False
    assert not es.endpoints[0].is_ready
    assert es.endpoints[1].is_ready
    assert not es.endpoints[1].is_terminating
    assert es.endpoints[0].target_kind == "Pod"


def test_namespace_and_reference_grant() -> None:
    ns = parse_namespace({"metadata": {"name": "n", "labels": {"a": "b"}}})
    assert ns.labels.get("a") == "b"
    grant = parse_reference_grant(
        {
            "metadata": {"name": "g", "namespace": "backend"},
            "spec": {
                "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "front"}],
                "to": [{"group": "", "kind": "Service"}],
            },
        }
    )
    args = ("gateway.networking.k8s.io", "HTTPRoute", "front", "", "Service", "backend", "svc")
    assert reference_permitted([grant], *args)
    assert not reference_permitted([], *args)
    assert not reference_permitted(
        [grant], "gateway.networking.k8s.io", "GRPCRoute", "front", "", "Service", "backend", "svc"
    )
    assert reference_permitted([], "g", "k", "same", "", "Service", "same", "svc")


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        (LabelSelector(), {}, True),
        (LabelSelector(StrMap.of({"a": "1"})), {"a": "1"}, True),
        (LabelSelector(StrMap.of({"a": "1"})), {"a": "2"}, False),
        (
            LabelSelector(match_expressions=(LabelSelectorRequirement("a", "In", ("1", "2")),)),
            {"a": "2"},
            True,
        ),
        (LabelSelector(match_expressions=(LabelSelectorRequirement("a", "NotIn", ("1",)),)), {}, True),
        (LabelSelector(match_expressions=(LabelSelectorRequirement("a", "Exists"),)), {}, False),
        (LabelSelector(match_expressions=(LabelSelectorRequirement("a", "DoesNotExist"),)), {}, True),
        (LabelSelector(match_expressions=(LabelSelectorRequirement("a", "Bogus"),)), {}, None),
        (LabelSelector(match_expressions=(LabelSelectorRequirement("a", "In"),)), {}, None),
    ],
)
def test_label_selector(selector: LabelSelector, labels: dict[str, str], expected: bool | None) -> None:
    assert selector.matches(StrMap.of(labels)) is expected


def test_last_applied_configuration_is_not_kept() -> None:
    meta = parse_namespace(
        {
            "metadata": {
                "name": "n",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "a": "b"},
            }
        }
    ).meta
    assert meta.annotations.as_dict() == {"a": "b"}


def test_condition_type_status_and_reason_are_one_string_each_across_statuses() -> None:
    def raw() -> list[dict[str, object]]:
        # Built at run time, as JSON parsing builds them: equal strings, distinct objects.
        return [{"type": "".join(["Accep", "ted"]), "status": "".join(["Tr", "ue"]), "reason": "".join("Ok")}]

    first, second = parse_conditions(raw(), "c")[0], parse_conditions(raw(), "c")[0]
    assert (first.type, first.status, first.reason) == ("Accepted", "True", "Ok")
    assert first.type is second.type
    assert first.status is second.status
    assert first.reason is second.reason
