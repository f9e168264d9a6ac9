"""TLSRoute on a TLS passthrough listener: a TLS_PASSTHROUGH Lattice listener whose default action
forwards, weighted, to TCP target groups; the hostname is the service's custom domain. What Lattice
cannot express (no hostname, two rules, a terminating TLS listener) is a route condition."""

from __future__ import annotations

from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import ControllerProcess
from e2e.harness.lattice_view import LatticeView
from e2e.scenarios.support import SERVICE_NAME_TAG as NAME_TAG
from e2e.scenarios.support import SERVICE_NAMESPACE_TAG as NAMESPACE_TAG
from e2e.scenarios.support import (
    apply,
    delete_namespaces,
    lattice,
    live_targets,
    namespace_yaml,
    pod_ips,
    route_target_groups,
    route_yaml,
    service_fingerprint,
    service_yaml,
    tg_of,
    unique_ns,
    wait_route_condition,
    wait_value,
    writes,
)
from e2e.scenarios.support_kinds import kinds_gateway_yaml, service_detail, target_group_detail


def tls_rule(*backends: tuple[str, int]) -> str:
    return "    - backendRefs:\n" + "".join(
        f"        - {{name: {name}, port: 80, weight: {weight}}}\n" for name, weight in backends
    )


def default_forward(view: LatticeView, service_name: str) -> dict[str, int] | None:
    """`{"ns/service": weight}` of the first listener's default forward action (None without one)."""
    service = view.service(service_name)
    if not service or not service["listeners"]:
        return None
    action: dict[str, Any] = service["listeners"][0]["detail"].get("defaultAction", {})
    out = {}
    for ref in action.get("forward", {}).get("targetGroups", []):
        tg = tg_of(view, ref["targetGroupIdentifier"])
        out[f"{tg['tags'].get(NAMESPACE_TAG)}/{tg['tags'].get(NAME_TAG)}" if tg else "?"] = ref["weight"]
    return out or None


def test_tls_passthrough_forwards_weighted_to_tcp_target_groups(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns = unique_ns("tls")
    apply(
        workloads,
        namespace_yaml(ns)
        + kinds_gateway_yaml(ns)
        + service_yaml(ns, "svc1", replicas=2)
        + service_yaml(ns, "svc2")
        + route_yaml(
            ns,
            "secure",
            tls_rule(("svc1", 80), ("svc2", 20)),
            kind="TLSRoute",
            hostnames=("secure.example.com",),
        ),
    )
    try:
        name = f"secure-{ns}"
        ips = wait_value(
            lambda: pod_ips(workloads, ns, "app=svc1"), lambda found: len(found) == 2, what="pods"
        )
        view = wait_value(
            lambda: lattice(fake_aws),
            lambda v: (
                default_forward(v, name) == {f"{ns}/svc1": 80, f"{ns}/svc2": 20}
                and {
                    t.split(":")[0] for t in live_targets(route_target_groups(v, ns, "secure")[f"{ns}/svc1"])
                }
                == ips
            ),
            what="TLS passthrough listener forwarding 80/20 with svc1's pods registered",
        )
        service = view.service(name) or {}
        (listener,) = service["listeners"]
        assert (listener["name"], listener["protocol"], listener["port"]) == (
            f"secure-{ns}-444-tls",
            "TLS_PASSTHROUGH",
            444,
        )
        assert [r for r in listener["rules"] if not r.get("isDefault")] == []
        assert service_detail(fake_aws, service["id"]).get("customDomainName") == "secure.example.com"
        for tg in route_target_groups(view, ns, "secure").values():
            detail = target_group_detail(fake_aws, tg["id"])
            assert detail["config"]["protocol"] == "TCP"
            assert not detail["config"].get("protocolVersion")
            assert detail["config"].get("healthCheck", {}).get("enabled") is False
            assert tg["tags"]["application-networking.k8s.aws/SourceTypeKey"] == "TLSRoute"
        wait_route_condition(workloads, ns, "secure", "Accepted", "True", kind="tlsroute")

        # A weight change rewrites the listener's default action with one UpdateListener.
        controller.wait_quiet()
        fake_aws.admin.reset_counters()
        apply(
            workloads,
            route_yaml(
                ns,
                "secure",
                tls_rule(("svc1", 10), ("svc2", 90)),
                kind="TLSRoute",
                hostnames=("secure.example.com",),
            ),
        )
        wait_value(
            lambda: lattice(fake_aws),
            lambda v: default_forward(v, name) == {f"{ns}/svc1": 10, f"{ns}/svc2": 90},
            what="weights moved to 10/90",
        )
        controller.wait_quiet()
        assert writes(fake_aws.admin.counters()) == {"vpc-lattice:UpdateListener": 1}
    finally:
        delete_namespaces(workloads, ns)


TERMINATING_GATEWAY = "terminating"


def test_tls_bad_input_is_a_condition_without_aws_writes(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns = unique_ns("tlsbad")
    apply(
        workloads,
        namespace_yaml(ns)
        + kinds_gateway_yaml(ns)
        + kinds_gateway_yaml(ns, TERMINATING_GATEWAY, tls_mode="Terminate")
        + service_yaml(ns, "svc1")
        + route_yaml(ns, "good", tls_rule(("svc1", 1)), kind="TLSRoute", hostnames=("good.example.com",)),
    )
    try:
        wait_value(
            lambda: lattice(fake_aws), lambda v: bool(default_forward(v, f"good-{ns}")), what="good TLS route"
        )
        controller.wait_quiet()
        before = service_fingerprint(lattice(fake_aws), f"good-{ns}")
        fake_aws.admin.reset_counters()

        # v1 requires a hostname and exactly one rule; the still-served v1alpha2 accepts both.
        out = workloads.kubectl(
            "apply", "-f", "-", input=route_yaml(ns, "v1-no-host", tls_rule(("svc1", 1)), kind="TLSRoute")
        )
        assert out.returncode != 0, out.stdout
        assert "hostnames" in out.stderr, out.stderr
        bad = {
            "no-hostname": (
                route_yaml(ns, "no-hostname", tls_rule(("svc1", 1)), kind="TLSRoute", version="v1alpha2"),
                "UnsupportedValue",
                ("must specify at least one hostname", "custom domain"),
            ),
            "two-rules": (
                route_yaml(
                    ns,
                    "two-rules",
                    tls_rule(("svc1", 1)) + tls_rule(("svc1", 2)),
                    kind="TLSRoute",
                    hostnames=("two.example.com",),
                    version="v1alpha2",
                ),
                "UnsupportedValue",
                ("2 rules", "exactly 1 rule"),
            ),
            "terminating": (
                route_yaml(
                    ns,
                    "terminating",
                    tls_rule(("svc1", 1)),
                    gateway=TERMINATING_GATEWAY,
                    kind="TLSRoute",
                    hostnames=("term.example.com",),
                ),
                "UnsupportedValue",
                ("tls.mode Terminate", "set tls.mode: Passthrough"),
            ),
            "on-https": (
                route_yaml(
                    ns,
                    "on-https",
                    tls_rule(("svc1", 1)),
                    kind="TLSRoute",
                    hostnames=("https.example.com",),
                    section="https",
                ),
                "NotAllowedByListeners",
                ("TLSRoute attaches to TLS listeners with tls.mode Passthrough only",),
            ),
        }
        apply(workloads, "".join(manifest for manifest, _, _ in bad.values()))
        for route, (_, reason, words) in bad.items():
            accepted = wait_route_condition(workloads, ns, route, "Accepted", "False", kind="tlsroute")
            assert accepted["reason"] == reason, (route, accepted)
            for word in words:
                assert word in accepted["message"], (route, word, accepted["message"])
        controller.wait_quiet()
        counters = fake_aws.admin.counters()
        assert writes(counters) == {}, counters
        view = lattice(fake_aws)
        assert {s["name"] for s in view.services} == {f"good-{ns}"}, view.describe()
        assert service_fingerprint(view, f"good-{ns}") == before
    finally:
        delete_namespaces(workloads, ns)
