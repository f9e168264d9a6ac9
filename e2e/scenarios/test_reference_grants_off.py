"""ENFORCE_REFERENCE_GRANTS=false restores the reference behaviour: a cross-namespace backendRef without
a ReferenceGrant is followed, and the route gets a Warning event saying so (docs/compatibility.md)."""

from __future__ import annotations

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.lattice_view import LatticeView
from e2e.scenarios.support import (
    apply,
    backend_rule,
    delete_namespaces,
    forwards,
    gateway_yaml,
    kubectl_json,
    lattice,
    live_targets,
    namespace_yaml,
    pod_ips,
    route_target_groups,
    route_yaml,
    rules_of,
    running_controller,
    service_yaml,
    unique_ns,
    wait_route_condition,
    wait_value,
)


def test_cross_namespace_backend_followed_with_a_warning(
    workloads: ControlPlane, fake_aws: FakeAws, aws_env: dict[str, str]
) -> None:
    ns1, ns2 = unique_ns("go"), unique_ns("gr")
    local, remote = f"{ns1}/local", f"{ns2}/remote"
    with running_controller(workloads, aws_env, ENFORCE_REFERENCE_GRANTS="false"):
        apply(
            workloads,
            namespace_yaml(ns1)
            + namespace_yaml(ns2)
            + gateway_yaml(ns1)
            + service_yaml(ns1, "local")
            + service_yaml(ns2, "remote", replicas=1)
            + route_yaml(ns1, "xref", backend_rule("local", remote)),
        )
        try:
            wait_route_condition(workloads, ns1, "xref", "ResolvedRefs", "True", timeout=60)
            ips = wait_value(
                lambda: pod_ips(workloads, ns2, "app=remote"), lambda s: len(s) == 1, what="remote pod"
            )

            def both_backends(view: LatticeView) -> bool:
                rules = rules_of(view, f"xref-{ns1}")
                groups = route_target_groups(view, ns1, "xref")
                return (
                    bool(rules)
                    and forwards(view, rules[0]) == {local: 1, remote: 1}
                    and remote in groups
                    and {t.split(":")[0] for t in live_targets(groups[remote])} == ips
                )

            wait_value(
                lambda: lattice(fake_aws), both_backends, what="remote backend followed without a grant"
            )
            events = kubectl_json(
                workloads, "get", "events", "-n", ns1, "--field-selector", "involvedObject.name=xref"
            )["items"]
            warnings = [e["message"] for e in events if e.get("type") == "Warning"]
            assert any("ENFORCE_REFERENCE_GRANTS=false" in m and "ReferenceGrant" in m for m in warnings), (
                events
            )
        finally:
            delete_namespaces(workloads, ns1, ns2)
