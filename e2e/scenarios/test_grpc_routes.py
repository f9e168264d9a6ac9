"""GRPCRoute on HTTPS listeners: service/method matches become Lattice path matches with POST, header
matches are kept, target groups speak GRPC; matches Lattice cannot express are route conditions."""

from __future__ import annotations

from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import ControllerProcess
from e2e.scenarios.support import (
    apply,
    delete_namespaces,
    forwards,
    lattice,
    namespace_yaml,
    route_target_groups,
    route_yaml,
    rules_of,
    service_fingerprint,
    service_yaml,
    unique_ns,
    wait_route_condition,
    wait_value,
    writes,
)
from e2e.scenarios.support_kinds import (
    CERT_ARN,
    grpc_rule,
    kinds_gateway_yaml,
    service_detail,
    target_group_detail,
)

GRPC_RULES = (
    grpc_rule("svc1", "grpcbin.GRPCBin", "HeadersUnary", headers={"x-tenant": "blue"})
    + grpc_rule("svc2", "helloworld.Greeter")
    + grpc_rule("svc2", headers={"x-canary": "1"})
    + grpc_rule("svc1")
)


def _match(rule: dict[str, Any]) -> tuple[Any, ...]:
    http = rule["match"]["httpMatch"]
    path = next(iter(http.get("pathMatch", {}).get("match", {}).items()), None)
    headers = tuple(sorted((h["name"], h["match"]["exact"]) for h in http.get("headerMatches", [])))
    return path, http.get("method"), headers


def test_grpc_matches_become_post_path_rules_on_https(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns = unique_ns("grpc")
    apply(
        workloads,
        namespace_yaml(ns)
        + kinds_gateway_yaml(ns)
        + service_yaml(ns, "svc1")
        + service_yaml(ns, "svc2")
        + route_yaml(ns, "greeter", GRPC_RULES, kind="GRPCRoute"),
    )
    try:
        name = f"greeter-{ns}"
        view = wait_value(
            lambda: lattice(fake_aws),
            lambda v: (
                len(rules_of(v, name) or []) == 4 and all(forwards(v, r) for r in rules_of(v, name) or [])
            ),
            what="GRPC service with four rules",
        )
        service = view.service(name) or {}
        assert [(lst["protocol"], lst["port"]) for lst in service["listeners"]] == [("HTTPS", 443)]
        assert service["listeners"][0]["name"] == f"greeter-{ns}-443-https"
        detail = service_detail(fake_aws, service["id"])
        assert detail.get("certificateArn") == CERT_ARN

        rules = rules_of(view, name) or []
        assert [(_match(r), forwards(view, r)) for r in rules] == [
            (
                (("exact", "/grpcbin.GRPCBin/HeadersUnary"), "POST", (("x-tenant", "blue"),)),
                {f"{ns}/svc1": 1},
            ),
            ((("prefix", "/helloworld.Greeter/"), "POST", ()), {f"{ns}/svc2": 1}),
            ((("prefix", "/"), "POST", (("x-canary", "1"),)), {f"{ns}/svc2": 1}),
            ((("prefix", "/"), "POST", ()), {f"{ns}/svc1": 1}),
        ], view.describe()

        groups = route_target_groups(view, ns, "greeter")
        assert set(groups) == {f"{ns}/svc1", f"{ns}/svc2"}
        for tg in groups.values():
            config = target_group_detail(fake_aws, tg["id"])["config"]
            assert (config["protocol"], config["protocolVersion"], config["port"]) == ("HTTP", "GRPC", 80)
            assert tg["tags"]["application-networking.k8s.aws/SourceTypeKey"] == "GRPCRoute"
            assert tg["tags"]["application-networking.k8s.aws/ProtocolVersion"] == "GRPC"
        wait_route_condition(workloads, ns, "greeter", "Accepted", "True", "Accepted", kind="grpcroute")
        wait_route_condition(workloads, ns, "greeter", "ResolvedRefs", "True", kind="grpcroute")
    finally:
        delete_namespaces(workloads, ns)


BAD_GRPC: dict[str, tuple[str, str | None, str, tuple[str, ...]]] = {
    # name → (rules, sectionName, Accepted reason, words of the message)
    "on-http": (grpc_rule("svc1", "a.B"), "http", "NotAllowedByListeners", ("GRPCRoute attaches to HTTPS",)),
    "method-only": (
        grpc_rule("svc1", method="Get"),
        None,
        "UnsupportedValue",
        ("a method without a service", "add the service"),
    ),
    "regex-method": (
        grpc_rule("svc1", "a.B", "Get.*", method_type="RegularExpression"),
        None,
        "UnsupportedValue",
        ("RegularExpression", "use Exact"),
    ),
    "six-headers": (
        grpc_rule("svc1", "a.B", headers={f"x-h{i}": "v" for i in range(6)}),
        None,
        "UnsupportedValue",
        ("6 header matches", "at most 5"),
    ),
}


def test_grpc_bad_input_is_a_condition_without_aws_writes(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns = unique_ns("grpcbad")
    apply(
        workloads,
        namespace_yaml(ns)
        + kinds_gateway_yaml(ns)
        + service_yaml(ns, "svc1")
        + route_yaml(ns, "good", grpc_rule("svc1", "a.B"), kind="GRPCRoute"),
    )
    try:
        wait_value(
            lambda: lattice(fake_aws), lambda v: bool(rules_of(v, f"good-{ns}")), what="good GRPC route"
        )
        controller.wait_quiet()
        before = service_fingerprint(lattice(fake_aws), f"good-{ns}")
        fake_aws.admin.reset_counters()
        apply(
            workloads,
            "".join(
                route_yaml(ns, name, rules, kind="GRPCRoute", section=section)
                for name, (rules, section, _, _) in BAD_GRPC.items()
            ),
        )
        for name, (_, _, reason, words) in BAD_GRPC.items():
            accepted = wait_route_condition(workloads, ns, name, "Accepted", "False", kind="grpcroute")
            assert accepted["reason"] == reason, (name, accepted)
            for word in words:
                assert word in accepted["message"], (name, word, accepted["message"])
        controller.wait_quiet()
        counters = fake_aws.admin.counters()
        assert writes(counters) == {}, counters
        view = lattice(fake_aws)
        assert {s["name"] for s in view.services} == {f"good-{ns}"}, view.describe()
        assert service_fingerprint(view, f"good-{ns}") == before
    finally:
        delete_namespaces(workloads, ns)
