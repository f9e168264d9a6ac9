"""Rule priorities pinned by `application-networking.k8s.aws/rule-<N>-priority` (docs/compatibility.md)."""

from __future__ import annotations

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import ControllerProcess
from e2e.scenarios.support import (
    AN,
    apply,
    backend_rule,
    delete_namespaces,
    forwards,
    gateway_yaml,
    lattice,
    namespace_yaml,
    route_yaml,
    rules_of,
    service_yaml,
    unique_ns,
    wait_value,
    writes,
)


def test_rule_priority_annotations(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns = unique_ns("prio")
    rules = (
        backend_rule("api", path="/api")
        + backend_rule("v2", path="/api/v2")
        + backend_rule("special", path="/api/special")
    )
    annotations = {
        f"{AN}/rule-0-priority": "1",
        f"{AN}/rule-1-priority": "100",
        f"{AN}/rule-2-priority": "50",
    }
    apply(
        workloads,
        namespace_yaml(ns)
        + gateway_yaml(ns)
        + service_yaml(ns, "api")
        + service_yaml(ns, "v2")
        + service_yaml(ns, "special")
        + route_yaml(ns, "prio", rules, annotations=annotations),
    )
    try:
        view = wait_value(
            lambda: lattice(fake_aws),
            lambda v: len(rules_of(v, f"prio-{ns}") or []) == 3,
            what="three rules",
        )
        found = {
            r["match"]["httpMatch"]["pathMatch"]["match"]["prefix"]: (r["priority"], forwards(view, r))
            for r in rules_of(view, f"prio-{ns}") or []
        }
        assert found == {
            "/api": (1, {f"{ns}/api": 1}),
            "/api/v2": (100, {f"{ns}/v2": 1}),
            "/api/special": (50, {f"{ns}/special": 1}),
        }, view.describe()
        ids = {r["id"] for r in rules_of(view, f"prio-{ns}") or []}

        # Re-pinning one rule by annotation only: the same rules, one BatchUpdateRule, nothing recreated.
        controller.wait_quiet()
        fake_aws.admin.reset_counters()
        out = workloads.kubectl(
            "annotate", "--overwrite", "httproute", "prio", "-n", ns, f"{AN}/rule-1-priority=60"
        )
        assert out.returncode == 0, out.stderr
        view = wait_value(
            lambda: lattice(fake_aws),
            lambda v: sorted(r["priority"] for r in rules_of(v, f"prio-{ns}") or []) == [1, 50, 60],
            timeout=30,
            what="rule-1 re-pinned to 60",
        )
        assert {r["id"] for r in rules_of(view, f"prio-{ns}") or []} == ids
        controller.wait_quiet()
        assert writes(fake_aws.admin.counters()) == {"vpc-lattice:BatchUpdateRule": 1}, (
            fake_aws.admin.counters()
        )
    finally:
        delete_namespaces(workloads, ns)
