"""TargetGroupPolicy: health checks applied in place and reset when the policy goes; a protocol change
replaces the target group with the weight moved in one rule update; statuses Accepted / Conflicted
(oldest wins) / TargetNotFound / Invalid with observedGeneration; bad policies write nothing to AWS."""

from __future__ import annotations

import time
from typing import Any

from e2e.controlplane.plane import ControlPlane
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import ControllerProcess
from e2e.scenarios.support import (
    apply,
    backend_rule,
    condition,
    delete_namespaces,
    eventually,
    forwards,
    gateway_yaml,
    get_json,
    lattice,
    namespace_yaml,
    route_target_groups,
    route_yaml,
    rules_of,
    service_fingerprint,
    service_yaml,
    unique_ns,
    wait_value,
    writes,
)
from e2e.scenarios.support_kinds import target_group_detail

DEFAULT_CHECK = {
    "enabled": True,
    "path": "/",
    "protocol": "HTTP",
    "protocolVersion": "HTTP1",
    "healthCheckIntervalSeconds": 30,
    "healthCheckTimeoutSeconds": 5,
    "healthyThresholdCount": 5,
    "unhealthyThresholdCount": 2,
    "matcher": {"httpCode": "200"},
}


def policy_yaml(namespace: str, name: str, target: str, spec: str = "", target_extra: str = "") -> str:
    """A TargetGroupPolicy on Service `target`; `spec` holds further spec lines (2-space indented)."""
    return f"""apiVersion: application-networking.k8s.aws/v1alpha1
kind: TargetGroupPolicy
metadata:
  name: {name}
  namespace: {namespace}
spec:
  targetRef: {{group: "", kind: Service, name: {target}{target_extra}}}
{spec}---
"""


def accepted(plane: ControlPlane, namespace: str, name: str) -> dict[str, Any] | None:
    policy = get_json(plane, "targetgrouppolicy", namespace, name) or {}
    found = condition((policy.get("status") or {}).get("conditions"), "Accepted")
    if found is not None:
        found = {**found, "generation": policy["metadata"]["generation"]}
    return found


def wait_policy(
    plane: ControlPlane, namespace: str, name: str, reason: str, generation: int = 1
) -> dict[str, Any]:
    return wait_value(
        lambda: accepted(plane, namespace, name) or {},
        lambda c: c.get("reason") == reason and c.get("observedGeneration") == generation,
        timeout=60,
        what=f"TargetGroupPolicy {namespace}/{name} {reason} at generation {generation}",
    )


def health_check(fake: FakeAws, namespace: str, route: str, service: str) -> dict[str, Any] | None:
    tg = route_target_groups(lattice(fake), namespace, route).get(f"{namespace}/{service}")
    if tg is None:
        return None
    check: dict[str, Any] = target_group_detail(fake, tg["id"])["config"].get("healthCheck", {})
    return check


def test_health_check_and_protocol_follow_the_policy(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns = unique_ns("tgp")
    apply(
        workloads,
        namespace_yaml(ns)
        + gateway_yaml(ns)
        + service_yaml(ns, "svc1", replicas=1)
        + route_yaml(ns, "web", backend_rule("svc1")),
    )
    try:
        name = f"web-{ns}"
        check = wait_value(
            lambda: health_check(fake_aws, ns, "web", "svc1"), bool, what="target group with its health check"
        )
        assert {k: check.get(k) for k in DEFAULT_CHECK} == DEFAULT_CHECK

        hc = "  healthCheck: {intervalSeconds: 7, statusMatch: '200,204', path: /healthz}\n"
        apply(workloads, policy_yaml(ns, "hc", "svc1", hc))
        check = wait_value(
            lambda: health_check(fake_aws, ns, "web", "svc1") or {},
            lambda c: c.get("healthCheckIntervalSeconds") == 7,
            what="health check from the policy",
        )
        assert (check["matcher"], check["path"], check["enabled"]) == (
            {"httpCode": "200,204"},
            "/healthz",
            True,
        )
        condition_ = wait_policy(workloads, ns, "hc", "Accepted")
        assert condition_["status"] == "True"

        workloads.kubectl("delete", "targetgrouppolicy", "hc", "-n", ns)
        check = wait_value(
            lambda: health_check(fake_aws, ns, "web", "svc1") or {},
            lambda c: c.get("healthCheckIntervalSeconds") == 30,
            what="health check back to the defaults",
        )
        assert {k: check.get(k) for k in DEFAULT_CHECK} == DEFAULT_CHECK

        # Protocol and version: a new target group, the rule moved to it in one update, the old one gone.
        controller.wait_quiet()
        old = route_target_groups(lattice(fake_aws), ns, "web")[f"{ns}/svc1"]["id"]
        fake_aws.admin.reset_counters()
        apply(workloads, policy_yaml(ns, "proto", "svc1", "  protocol: HTTPS\n  protocolVersion: HTTP2\n"))

        def replaced() -> dict[str, Any] | None:
            view = lattice(fake_aws)
            groups = route_target_groups(view, ns, "web")
            (rule,) = rules_of(view, name) or [{}]
            tg = groups.get(f"{ns}/svc1")
            done = tg is not None and tg["id"] != old and len(groups) == 1 and forwards(view, rule)
            return tg if done else None

        new = eventually(replaced, what="HTTPS/HTTP2 target group in place of the old one")
        config = target_group_detail(fake_aws, new["id"])["config"]
        assert (config["protocol"], config["protocolVersion"]) == ("HTTPS", "HTTP2")
        controller.wait_quiet()
        counts = writes(fake_aws.admin.counters())
        assert counts.get("vpc-lattice:UpdateRule") == 1, counts
        assert counts.get("vpc-lattice:CreateTargetGroup") == 1, counts
        assert counts.get("vpc-lattice:DeleteTargetGroup") == 1, counts
        assert lattice(fake_aws).target_group_by_id(old) is None

        workloads.kubectl("delete", "targetgrouppolicy", "proto", "-n", ns)
        back = wait_value(
            lambda: route_target_groups(lattice(fake_aws), ns, "web").get(f"{ns}/svc1") or {},
            lambda tg: bool(tg) and tg["id"] != new["id"],
            what="HTTP/HTTP1 target group back",
        )
        config = target_group_detail(fake_aws, back["id"])["config"]
        assert (config["protocol"], config["protocolVersion"]) == ("HTTP", "HTTP1")
    finally:
        workloads.kubectl("delete", "targetgrouppolicy", "--all", "-n", ns)
        delete_namespaces(workloads, ns)


def test_policy_statuses_and_bad_policies(
    workloads: ControlPlane, fake_aws: FakeAws, controller: ControllerProcess
) -> None:
    ns = unique_ns("tgps")
    apply(
        workloads,
        namespace_yaml(ns)
        + gateway_yaml(ns)
        + service_yaml(ns, "svc1")
        + route_yaml(ns, "web", backend_rule("svc1")),
    )
    try:
        name = f"web-{ns}"
        wait_value(lambda: lattice(fake_aws), lambda v: bool(rules_of(v, name)), what="route built")
        controller.wait_quiet()
        before = service_fingerprint(lattice(fake_aws), name)
        fake_aws.admin.reset_counters()

        # Enabled health check = the default for HTTP1: accepted, nothing to change in Lattice.
        apply(workloads, policy_yaml(ns, "first", "svc1", "  healthCheck: {enabled: true}\n"))
        wait_policy(workloads, ns, "first", "Accepted")
        time.sleep(1.1)  # creationTimestamp has one-second resolution: "second" is strictly younger
        apply(
            workloads,
            policy_yaml(ns, "second", "svc1", "  healthCheck: {intervalSeconds: 9}\n")
            + policy_yaml(ns, "missing", "ghost")
            + policy_yaml(ns, "tcp-version", "svc1", "  protocol: TCP\n  protocolVersion: HTTP1\n")
            + policy_yaml(ns, "elsewhere", "svc1", target_extra=", namespace: kube-system")
            + policy_yaml(ns, "wrong-kind", "svc1").replace(
                'group: "", kind: Service', "group: apps, kind: Deployment"
            ),
        )
        conflicted = wait_policy(workloads, ns, "second", "Conflicted")
        assert conflicted["message"].startswith(f"targetRef has conflict, policy={ns}/first"), conflicted
        missing = wait_policy(workloads, ns, "missing", "TargetNotFound")
        assert missing["message"] == f"targetRef not found, target={ns}/ghost"
        for policy, words in {
            "tcp-version": "cannot be used with protocol TCP",
            "elsewhere": "does not match the TargetGroupPolicy's namespace",
            "wrong-kind": "is not supported by TargetGroupPolicy",
        }.items():
            invalid = wait_policy(workloads, ns, policy, "Invalid")
            assert invalid["status"] == "False"
            assert words in invalid["message"], (policy, invalid)

        # Lattice's ranges are the CRD's: the API server refuses the object, naming the field.
        out = workloads.kubectl(
            "apply",
            "-f",
            "-",
            input=policy_yaml(ns, "too-slow", "svc1", "  healthCheck: {intervalSeconds: 301}\n"),
        )
        assert out.returncode != 0, out.stdout
        assert "intervalSeconds" in out.stderr, out.stderr

        controller.wait_quiet()
        assert writes(fake_aws.admin.counters()) == {}
        assert service_fingerprint(lattice(fake_aws), name) == before

        # The target appears: TargetNotFound turns Accepted without touching the policy.
        apply(workloads, service_yaml(ns, "ghost"))
        wait_policy(workloads, ns, "missing", "Accepted")
        # The winner goes: the younger policy takes over and its health check is applied.
        workloads.kubectl("delete", "targetgrouppolicy", "first", "-n", ns)
        wait_policy(workloads, ns, "second", "Accepted")
        wait_value(
            lambda: health_check(fake_aws, ns, "web", "svc1") or {},
            lambda c: c.get("healthCheckIntervalSeconds") == 9,
            what="the remaining policy's health check",
        )
        # A spec change is reported against the new generation.
        out = workloads.kubectl(
            "patch",
            "targetgrouppolicy",
            "second",
            "-n",
            ns,
            "--type=merge",
            "-p",
            '{"spec":{"healthCheck":{"intervalSeconds":11}}}',
        )
        assert out.returncode == 0, out.stderr
        wait_policy(workloads, ns, "second", "Accepted", generation=2)
    finally:
        workloads.kubectl("delete", "targetgrouppolicy", "--all", "-n", ns)
        delete_namespaces(workloads, ns)
