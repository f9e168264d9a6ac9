"""HTTPRoute → Lattice rules and target groups (docs/compatibility.md: routing behaviour)."""

from __future__ import annotations

from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import ControllerProcess
from e2e.harness.lattice_view import LatticeView
from e2e.scenarios.support import (
    ASSIGNED_DOMAIN_ANNOTATION,
    SERVICE_ARN_ANNOTATION,
    apply,
    backend_rule,
    delete_namespaces,
    event_reasons,
    eventually,
    forwards,
    gateway_yaml,
    get_json,
    lattice,
    live_targets,
    namespace_yaml,
    pod_ips,
    route_target_groups,
    route_yaml,
    rules_of,
    service_yaml,
    unique_ns,
    wait_route_condition,
    wait_value,
)

HEADER_RULE = """    - matches:
        - headers:
            - {type: Exact, name: x-tenant, value: blue}
            - {name: x-version, value: "2"}
      backendRefs:
        - {name: svc1, port: 80}
"""
METHOD_RULES = """    - matches:
        - method: GET
      backendRefs:
        - {name: svc1, port: 80}
    - matches:
        - method: POST
      backendRefs:
        - {name: svc2, port: 80}
"""


def _path(rule: dict[str, Any]) -> tuple[str, str] | None:
    match = rule.get("match", {}).get("httpMatch", {}).get("pathMatch", {}).get("match", {})
    return next(iter(match.items()), None)


def test_paths_headers_methods_annotations_events(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns = unique_ns("rt")
    apply(
        workloads,
        namespace_yaml(ns)
        + gateway_yaml(ns)
        + service_yaml(ns, "svc1")
        + service_yaml(ns, "svc2")
        + route_yaml(ns, "paths", backend_rule("svc1", path="/api") + backend_rule("svc2", path="/web"))
        + route_yaml(ns, "headers", HEADER_RULE)
        + route_yaml(ns, "methods", METHOD_RULES),
    )
    try:
        names = {r: f"{r}-{ns}" for r in ("paths", "headers", "methods")}
        view = wait_value(
            lambda: lattice(fake_aws),
            lambda v: all(
                (rules := rules_of(v, names[r])) is not None
                and len(rules) == n
                and all(forwards(v, x) for x in rules)
                for r, n in (("paths", 2), ("headers", 1), ("methods", 2))
            ),
            what="three services with their rules",
        )
        paths = rules_of(view, names["paths"]) or []
        assert {_path(r): forwards(view, r) for r in paths} == {
            ("prefix", "/api"): {f"{ns}/svc1": 1},
            ("prefix", "/web"): {f"{ns}/svc2": 1},
        }, view.describe()

        (header_rule,) = rules_of(view, names["headers"]) or []
        headers = header_rule["match"]["httpMatch"].get("headerMatches", [])
        assert sorted((h["name"], h["match"]["exact"]) for h in headers) == [
            ("x-tenant", "blue"),
            ("x-version", "2"),
        ]
        assert forwards(view, header_rule) == {f"{ns}/svc1": 1}

        methods = rules_of(view, names["methods"]) or []
        assert {r["match"]["httpMatch"].get("method"): forwards(view, r) for r in methods} == {
            "GET": {f"{ns}/svc1": 1},
            "POST": {f"{ns}/svc2": 1},
        }, view.describe()

        for route, service_name in names.items():
            service = view.service(service_name) or {}
            annotations = wait_value(
                lambda route=route: (get_json(workloads, "httproute", ns, route) or {})["metadata"].get(
                    "annotations", {}
                ),
                lambda a: SERVICE_ARN_ANNOTATION in a and ASSIGNED_DOMAIN_ANNOTATION in a,
                timeout=30,
                what=f"{route} annotations",
            )
            assert annotations[SERVICE_ARN_ANNOTATION] == service["arn"]
            assert annotations[ASSIGNED_DOMAIN_ANNOTATION] == service["dnsEntry"]["domainName"]
            eventually(
                lambda route=route: "DeploySucceed" in event_reasons(workloads, ns, route),
                timeout=30,
                what=f"DeploySucceed event on {route}",
            )
    finally:
        delete_namespaces(workloads, ns)


def test_target_groups_per_route_and_backend_changes(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns = unique_ns("tg")
    apply(
        workloads,
        namespace_yaml(ns)
        + gateway_yaml(ns)
        + service_yaml(ns, "svc1", replicas=2)
        + service_yaml(ns, "svc2")
        + service_yaml(ns, "svc3")
        + route_yaml(ns, "one", backend_rule("svc1", "svc2"))
        + route_yaml(ns, "two", backend_rule("svc1"))
        + route_yaml(ns, "badport", backend_rule("svc1", port=9999)),
    )
    svc1, svc2, svc3 = f"{ns}/svc1", f"{ns}/svc2", f"{ns}/svc3"
    try:
        ips = wait_value(lambda: pod_ips(workloads, ns, "app=svc1"), lambda s: len(s) == 2, what="svc1 pods")
        expected = {f"{ip}:8090" for ip in ips}

        def settled(v: LatticeView) -> bool:
            one, two, bad = (route_target_groups(v, ns, r) for r in ("one", "two", "badport"))
            return (
                set(one) == {svc1, svc2}
                and set(two) == {svc1}
                and set(bad) == set()
                and live_targets(one[svc1]) == expected
                and live_targets(two[svc1]) == expected
                and bool(rules_of(v, f"badport-{ns}"))
            )

        view = wait_value(lambda: lattice(fake_aws), settled, what="TGs of three routes with svc1 targets")
        one, two, bad = (route_target_groups(view, ns, r) for r in ("one", "two", "badport"))
        # Two routes to the same Service: two distinct TGs, each with the pods.
        assert len({one[svc1]["id"], two[svc1]["id"]}) == 2
        # A backendRef port matching no Service port: ResolvedRefs=False naming the port, no target
        # group, and the rule (its only backend invalid) answers 500.
        assert bad == {}
        (bad_rule,) = rules_of(view, f"badport-{ns}") or []
        assert bad_rule["action"] == {"fixedResponse": {"statusCode": 500}}
        resolved = wait_route_condition(workloads, ns, "badport", "ResolvedRefs", "False", "BackendNotFound")
        assert f"Service {svc1} has no port 9999 (its ports: 80)" in resolved["message"], resolved

        # svc1+svc2 → svc1+svc3: svc2's TG is deleted (no leak), svc3's created, svc1's kept.
        patch = '[{"op":"replace","path":"/spec/rules/0/backendRefs/1/name","value":"svc3"}]'
        out = workloads.kubectl("patch", "httproute", "one", "-n", ns, "--type=json", "-p", patch)
        assert out.returncode == 0, out.stderr
        # The view reads rules before target groups: wait for both to agree, not just the TG list.
        view = wait_value(
            lambda: lattice(fake_aws),
            lambda v: (
                set(route_target_groups(v, ns, "one")) == {svc1, svc3}
                and not any(
                    tg["tags"].get("application-networking.k8s.aws/ServiceName") == "svc2"
                    for tg in v.target_groups
                )
                and [forwards(v, r) for r in rules_of(v, f"one-{ns}") or []] == [{svc1: 1, svc3: 1}]
            ),
            what="svc2 TG replaced by svc3 TG",
        )
        now_one = route_target_groups(view, ns, "one")
        assert now_one[svc1]["id"] == one[svc1]["id"]
        (rule,) = rules_of(view, f"one-{ns}") or []
        assert forwards(view, rule) == {svc1: 1, svc3: 1}

        # Deleting route "two" removes its service and its TG only.
        assert workloads.kubectl("delete", "httproute", "two", "-n", ns, "--wait=false").returncode == 0
        view = wait_value(
            lambda: lattice(fake_aws),
            lambda v: v.service(f"two-{ns}") is None and not route_target_groups(v, ns, "two"),
            what="route two's service and TG gone",
        )
        assert {k: tg["id"] for k, tg in route_target_groups(view, ns, "one").items()} == {
            k: tg["id"] for k, tg in now_one.items()
        }
        assert live_targets(route_target_groups(view, ns, "one")[svc1]) == expected
        assert route_target_groups(view, ns, "badport") == {}
    finally:
        delete_namespaces(workloads, ns)
