"""Unsupported or invalid routes become status conditions saying what to change; no AWS write is made
for them, and nothing else (the valid parts, other routes) is disturbed.

Where the Gateway API CRD's own validation rejects an input (more than 16 headers, a relative path),
kubectl apply fails and the controller never sees it: that is asserted instead.
"""

from __future__ import annotations

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import ControllerProcess
from e2e.harness.lattice_view import LatticeView
from e2e.scenarios.support import (
    AN,
    apply,
    backend_rule,
    delete_namespaces,
    forwards,
    gateway_yaml,
    get_json,
    lattice,
    live_targets,
    namespace_yaml,
    pod_ips,
    route_condition,
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


def _match_rule(match: str, backend: str = "svc1") -> str:
    """One rule with the given match (YAML lines indented for `- matches:` items) → `backend`."""
    return f"    - matches:\n{match}      backendRefs:\n        - {{name: {backend}, port: 80}}\n"


def _headers(count: int) -> str:
    lines = "".join(f"            - {{name: x-h{i}, value: v{i}}}\n" for i in range(count))
    return f"        - headers:\n{lines}"


DUAL_STACK_SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: dual
  namespace: {ns}
spec:
  clusterIP: None
  ipFamilyPolicy: RequireDualStack
  ports:
    - {{name: http, port: 80}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: dual-ip4
  namespace: {ns}
  labels: {{kubernetes.io/service-name: dual}}
addressType: IPv4
ports: [{{name: http, port: 80, protocol: TCP}}]
endpoints: [{{addresses: [10.244.9.1]}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: dual-ip6
  namespace: {ns}
  labels: {{kubernetes.io/service-name: dual}}
addressType: IPv6
ports: [{{name: http, port: 80, protocol: TCP}}]
endpoints: [{{addresses: ["fd00::9:1"]}}]
---
"""

# route name → (spec.rules YAML, annotations, words the Accepted message must contain)
INVALID_ROUTES: dict[str, tuple[str, dict[str, str] | None, tuple[str, ...]]] = {
    "regex-path": (
        _match_rule("        - path: {type: RegularExpression, value: '/a.*'}\n"),
        None,
        ("RegularExpression", "use Exact or PathPrefix"),
    ),
    "query-param": (
        _match_rule("        - queryParams:\n            - {name: debug, value: 'on'}\n"),
        None,
        ("query parameters", "remove"),
    ),
    "six-headers": (_match_rule(_headers(6)), None, ("6 header matches", "at most 5")),
    "regex-header": (
        _match_rule("        - headers:\n            - {type: RegularExpression, name: x-a, value: 'b.*'}\n"),
        None,
        ("RegularExpression", "use Exact"),
    ),
    "too-many-matches": (
        "".join(
            _match_rule(
                "".join(f"        - path: {{type: PathPrefix, value: /r{r}m{m}}}\n" for m in range(51))
            )
            for r in range(2)
        ),
        None,
        ("102 matches in 2 rules", "at most 100 rules per listener, one per match"),
    ),
    "dual-stack": (
        backend_rule("dual"),
        None,
        ("Dual stack Service is not supported", "IPv4 and IPv6 endpoints", "SingleStack"),
    ),
    "big-weight": (
        "    - backendRefs:\n        - {name: svc1, port: 80, weight: 1000}\n",
        None,
        ("weight 1000", "0-999"),
    ),
    "eleven-backends": (
        "    - backendRefs:\n" + "".join(f"        - {{name: svc1, port: {8000 + i}}}\n" for i in range(11)),
        None,
        ("11 backendRefs", "at most 10"),
    ),
    "priority-101": (
        backend_rule("svc1", path="/a") + backend_rule("svc1", path="/b"),
        {f"{AN}/rule-0-priority": "101"},
        ("priority 101", "1-100", "rule-0-priority"),
    ),
    "header-modifier": (
        "    - matches:\n        - path: {type: PathPrefix, value: /h}\n"
        "      filters:\n        - type: RequestHeaderModifier\n"
        "          requestHeaderModifier: {set: [{name: x-a, value: b}]}\n"
        "      backendRefs:\n        - {name: svc1, port: 80}\n",
        None,
        ("RequestHeaderModifier is not supported by VPC Lattice", "remove the filter"),
    ),
    "redirect-only": (
        "    - matches:\n        - path: {type: PathPrefix, value: /old}\n"
        "      filters:\n        - type: RequestRedirect\n"
        "          requestRedirect: {hostname: example.com, statusCode: 301}\n",
        None,
        ("RequestRedirect is not supported by VPC Lattice",),
    ),
    "url-rewrite": (
        "    - matches:\n        - path: {type: PathPrefix, value: /v1}\n"
        "      filters:\n        - type: URLRewrite\n"
        "          urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}\n"
        "      backendRefs:\n        - {name: svc1, port: 80}\n",
        None,
        ("URLRewrite is not supported by VPC Lattice",),
    ),
    "same-priority": (
        backend_rule("svc1", path="/a") + backend_rule("svc1", path="/b"),
        {f"{AN}/rule-0-priority": "7", f"{AN}/rule-1-priority": "7"},
        ("both get priority 7", "unique"),
    ),
}


REMOVE_QUERY = '[{"op":"remove","path":"/spec/rules/0/matches/0/queryParams"}]'


def _service_names(view: LatticeView) -> set[str]:
    return {s["name"] for s in view.services}


def test_invalid_routes_make_no_aws_writes_and_disturb_nothing(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns = unique_ns("bad")
    apply(
        workloads,
        namespace_yaml(ns)
        + gateway_yaml(ns)
        + service_yaml(ns, "svc1")
        + DUAL_STACK_SERVICE.format(ns=ns)
        + route_yaml(ns, "good", backend_rule("svc1", path="/good")),
    )
    try:
        wait_value(
            lambda: lattice(fake_aws), lambda v: bool(rules_of(v, f"good-{ns}")), what="good route built"
        )
        controller.wait_quiet()
        good_before = service_fingerprint(lattice(fake_aws), f"good-{ns}")
        fake_aws.admin.reset_counters()

        # The API server rejects some inputs itself: the controller never sees them.
        rejected = {
            "seventeen-headers": (_match_rule(_headers(17)), "must have at most 16 items"),
            "relative-path": (
                _match_rule("        - path: {type: PathPrefix, value: api}\n"),
                "must be an absolute path",
            ),
        }
        for name, (rules, words) in rejected.items():
            out = workloads.kubectl("apply", "-f", "-", input=route_yaml(ns, name, rules))
            assert out.returncode != 0, f"{name} was accepted by the API server"
            assert words in out.stderr, out.stderr

        apply(
            workloads,
            "".join(
                route_yaml(ns, name, rules, annotations=a) for name, (rules, a, _) in INVALID_ROUTES.items()
            ),
        )
        for name, (_, _, words) in INVALID_ROUTES.items():
            accepted = wait_route_condition(workloads, ns, name, "Accepted", "False", timeout=30)
            assert accepted["reason"] == "UnsupportedValue", (name, accepted)
            for word in words:
                assert word in accepted["message"], (name, word, accepted["message"])
        controller.wait_quiet()
        counters = fake_aws.admin.counters()
        assert writes(counters) == {}, counters
        view = lattice(fake_aws)
        assert _service_names(view) == {f"good-{ns}"}, view.describe()
        assert service_fingerprint(view, f"good-{ns}") == good_before

        # A valid route created next to the invalid ones is built as usual.
        apply(workloads, route_yaml(ns, "fresh", backend_rule("svc1", path="/fresh")))
        view = wait_value(
            lambda: lattice(fake_aws), lambda v: bool(rules_of(v, f"fresh-{ns}")), what="fresh route built"
        )
        (fresh_rule,) = rules_of(view, f"fresh-{ns}") or []
        assert forwards(view, fresh_rule) == {f"{ns}/svc1": 1}
        wait_route_condition(workloads, ns, "fresh", "Accepted", "True", timeout=30)

        # An existing valid route edited to become invalid: rejected, its Lattice resources untouched.
        controller.wait_quiet()
        fake_aws.admin.reset_counters()
        patch = (
            '[{"op":"add","path":"/spec/rules/0/matches/0/queryParams","value":[{"name":"v","value":"1"}]}]'
        )
        out = workloads.kubectl("patch", "httproute", "good", "-n", ns, "--type=json", "-p", patch)
        assert out.returncode == 0, out.stderr
        accepted = wait_route_condition(
            workloads, ns, "good", "Accepted", "False", "UnsupportedValue", timeout=30
        )
        assert "query parameters" in accepted["message"]
        controller.wait_quiet()
        counters = fake_aws.admin.counters()
        assert writes(counters) == {}, counters
        assert service_fingerprint(lattice(fake_aws), f"good-{ns}") == good_before
        for name in INVALID_ROUTES:
            found = route_condition(get_json(workloads, "httproute", ns, name), "Accepted") or {}
            assert found.get("reason") == "UnsupportedValue", (name, found)

        # Fixing an invalid route builds it.
        out = workloads.kubectl(
            "patch", "httproute", "query-param", "-n", ns, "--type=json", "-p", REMOVE_QUERY
        )
        assert out.returncode == 0, out.stderr
        wait_route_condition(workloads, ns, "query-param", "Accepted", "True", timeout=30)
        view = wait_value(
            lambda: lattice(fake_aws),
            lambda v: bool(rules_of(v, f"query-param-{ns}")),
            what="fixed route built",
        )
        assert forwards(view, (rules_of(view, f"query-param-{ns}") or [])[0]) == {f"{ns}/svc1": 1}
    finally:
        delete_namespaces(workloads, ns)


GRANT = """apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata:
  name: allow-{ns1}
  namespace: {ns2}
spec:
  from:
    - {{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: {ns1}}}
  to:
    - {{group: "", kind: Service, name: remote}}
"""

UNKNOWN_KIND_RULE = """    - backendRefs:
        - {name: local, port: 80}
        - {group: "", kind: ConfigMap, name: settings, port: 80}
"""


def test_backend_refs_resolved_refs_and_reference_grants(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns1 = unique_ns("xa")
    ns2 = unique_ns("xb")
    local, remote = f"{ns1}/local", f"{ns2}/remote"
    invalid = f"{ns1}/5xx-invalid-backends"
    apply(
        workloads,
        namespace_yaml(ns1)
        + namespace_yaml(ns2)
        + gateway_yaml(ns1)
        + service_yaml(ns1, "local")
        + service_yaml(ns2, "remote", replicas=1)
        + route_yaml(ns1, "xref", backend_rule("local", remote))
        + route_yaml(ns1, "kind", UNKNOWN_KIND_RULE)
        + route_yaml(ns1, "missing", backend_rule("local", "nosuch"))
        + route_yaml(
            ns1,
            "bad-port",
            "    - backendRefs:\n        - {name: local, port: 80}\n        - {name: local, port: 9999}\n",
        ),
    )
    try:
        # Invalid backends: ResolvedRefs=False; their share of the rule goes to a target group with no
        # targets (Lattice answers it with a 5xx), the valid backend keeps its own share.
        expected = {
            "xref": ("RefNotPermitted", ("ReferenceGrant", ns2)),
            "kind": ("InvalidKind", ("ConfigMap", "use kind Service or ServiceImport")),
            "missing": ("BackendNotFound", (f"{ns1}/nosuch", "create it")),
            "bad-port": ("BackendNotFound", ("port 9999", f"Service {ns1}/local has no port 9999")),
        }
        for name, (reason, words) in expected.items():
            resolved = wait_route_condition(workloads, ns1, name, "ResolvedRefs", "False", reason, timeout=30)
            for word in words:
                assert word in resolved["message"], (name, resolved)

        def local_and_5xx(v: LatticeView) -> bool:
            for name in expected:
                rules = rules_of(v, f"{name}-{ns1}")
                if not rules or forwards(v, rules[0]) != {local: 1, invalid: 1}:
                    return False
                groups = route_target_groups(v, ns1, name)
                if set(groups) != {local, invalid} or groups[invalid]["targets"]:
                    return False
            return True

        view = wait_value(
            lambda: lattice(fake_aws), local_and_5xx, what="rules forwarding to the valid backend and 5xx"
        )
        assert not any(tg["tags"].get(f"{AN}/ServiceNamespace") == ns2 for tg in view.target_groups)

        # Creating the missing Service resolves the reference: its TG joins the rule.
        apply(workloads, service_yaml(ns1, "nosuch"))
        wait_route_condition(workloads, ns1, "missing", "ResolvedRefs", "True", timeout=30)
        wait_value(
            lambda: lattice(fake_aws),
            lambda v: (
                bool(rules := rules_of(v, f"missing-{ns1}"))
                and forwards(v, rules[0]) == {local: 1, f"{ns1}/nosuch": 1}
                and invalid not in route_target_groups(v, ns1, "missing")
            ),
            timeout=30,
            what="created Service joins the rule",
        )

        # Adding the grant: the remote TG appears with the pod, and the rule forwards to both.
        ips = wait_value(
            lambda: pod_ips(workloads, ns2, "app=remote"), lambda s: len(s) == 1, what="remote pod"
        )
        apply(workloads, GRANT.format(ns1=ns1, ns2=ns2))
        wait_route_condition(workloads, ns1, "xref", "ResolvedRefs", "True", timeout=30)

        def both(v: LatticeView) -> bool:
            rules = rules_of(v, f"xref-{ns1}")
            tgs = route_target_groups(v, ns1, "xref")
            return (
                bool(rules)
                and forwards(v, rules[0]) == {local: 1, remote: 1}
                and remote in tgs
                and live_targets(tgs[remote]) == {f"{ip}:8090" for ip in ips}
            )

        view = wait_value(lambda: lattice(fake_aws), both, timeout=30, what="remote TG with its pod")
        remote_tg = route_target_groups(view, ns1, "xref")[remote]["id"]

        # Removing the grant revokes at once: its share gets 5xx, its targets are deregistered.
        out = workloads.kubectl("delete", "referencegrant", f"allow-{ns1}", "-n", ns2)
        assert out.returncode == 0, out.stderr
        resolved = wait_route_condition(
            workloads, ns1, "xref", "ResolvedRefs", "False", "RefNotPermitted", timeout=15
        )
        assert "ReferenceGrant" in resolved["message"]

        def revoked(v: LatticeView) -> bool:
            rules = rules_of(v, f"xref-{ns1}")
            tg = v.target_group_by_id(remote_tg)
            return (
                bool(rules)
                and forwards(v, rules[0]) == {local: 1, invalid: 1}
                and (tg is None or not live_targets(tg))
            )

        wait_value(lambda: lattice(fake_aws), revoked, timeout=15, what="grant revoked in Lattice")
    finally:
        delete_namespaces(workloads, ns1, ns2)
