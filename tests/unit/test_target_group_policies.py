"""TargetGroupPolicy: parsing, the Accepted condition, which policy configures a Service, and the
route snapshot taking it from the cache."""

from __future__ import annotations

from typing import Any

import pytest

from lattice_controller.model.k8s.target_group_policy import TargetGroupPolicy, parse_target_group_policy
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import HealthCheckSpec
from lattice_controller.plan import load_view
from lattice_controller.reconcile.build import BuildSettings, build_route
from lattice_controller.reconcile.build.target_group_policies import (
    invalid_reasons,
    policy_condition,
    resolve,
)

SETTINGS = BuildSettings("123456789012", "dev", "vpc-1")


def tgp(
    name: str = "p",
    namespace: str = "front",
    target: str = "svc",
    created: str = "2026-01-01T00:00:00Z",
    generation: int = 1,
    **spec: Any,
) -> TargetGroupPolicy:
    ref = spec.pop("targetRef", {"group": "", "kind": "Service", "name": target})
    return parse_target_group_policy(
        {
            "metadata": {
                "name": name,
                "namespace": namespace,
                "creationTimestamp": created,
                "generation": generation,
                "uid": name,
            },
            "spec": {"targetRef": ref, **spec},
        }
    )


def test_parse_keeps_every_field() -> None:
    policy = tgp(
        protocol="HTTPS",
        protocolVersion="HTTP2",
        healthCheck={
            "enabled": True,
            "intervalSeconds": 7,
            "timeoutSeconds": 3,
            "healthyThresholdCount": 2,
            "unhealthyThresholdCount": 4,
            "statusMatch": "200,204",
            "path": "/healthz",
            "port": 8443,
            "protocol": "HTTPS",
            "protocolVersion": "HTTP2",
        },
    )
    assert (policy.protocol, policy.protocol_version) == ("HTTPS", "HTTP2")
    config = resolve([policy])
    assert config is not None
    assert config.health_check == HealthCheckSpec(
        enabled=True,
        protocol="HTTPS",
        protocol_version="HTTP2",
        path="/healthz",
        port=8443,
        matcher="200,204",
        interval_seconds=7,
        timeout_seconds=3,
        healthy_threshold=2,
        unhealthy_threshold=4,
    )


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (
            {"targetRef": {"group": "apps", "kind": "Deployment", "name": "svc"}},
            "is not supported by TargetGroupPolicy",
        ),
        (
            {"targetRef": {"group": "", "kind": "Service", "name": "svc", "namespace": "other"}},
            "does not match the TargetGroupPolicy's namespace",
        ),
        ({"protocol": "TCP", "protocolVersion": "HTTP1"}, "cannot be used with protocol TCP"),
        ({"protocol": "UDP"}, "is not one of HTTP, HTTPS, TCP"),
        ({"protocolVersion": "HTTP3"}, "is not one of HTTP1, HTTP2, GRPC"),
        ({"healthCheck": {"intervalSeconds": 301}}, "intervalSeconds is 301; VPC Lattice accepts 5-300"),
        ({"healthCheck": {"timeoutSeconds": 0}}, "timeoutSeconds is 0"),
        ({"healthCheck": {"healthyThresholdCount": 11}}, "healthyThresholdCount is 11"),
        ({"healthCheck": {"port": 70000}}, "port is 70000"),
        ({"healthCheck": {"protocol": "TCP"}}, "spec.healthCheck.protocol 'TCP'"),
    ],
)
def test_invalid_policies_say_what_to_change(spec: dict[str, Any], words: str) -> None:
    policy = tgp(**spec)
    condition = policy_condition(policy, [policy], target_exists=True)
    assert (condition.status, condition.reason) == ("False", "Invalid")
    assert words in condition.message
    assert resolve([policy]) is None


def test_target_not_found_conflicted_accepted() -> None:
    older = tgp("b-old", created="2026-01-01T00:00:00Z", generation=3)
    newer = tgp("a-new", created="2026-01-02T00:00:00Z")
    missing = policy_condition(older, [older], target_exists=False)
    assert (missing.status, missing.reason, missing.message) == (
        "False",
        "TargetNotFound",
        "targetRef not found, target=front/svc",
    )
    assert missing.observed_generation == 3
    accepted = policy_condition(older, [older, newer], target_exists=True)
    assert (accepted.status, accepted.reason) == ("True", "Accepted")
    conflicted = policy_condition(newer, [older, newer], target_exists=True)
    assert (conflicted.status, conflicted.reason) == ("False", "Conflicted")
    assert conflicted.message.startswith("targetRef has conflict, policy=front/b-old")
    # Same creation time: the name decides.
    twin = tgp("a-twin", created="2026-01-01T00:00:00Z")
    assert policy_condition(older, [older, twin], target_exists=True).reason == "Conflicted"
    # An invalid older policy does not block a valid newer one.
    broken = tgp("0-broken", created="2025-01-01T00:00:00Z", protocol="TCP", protocolVersion="HTTP2")
    assert policy_condition(newer, [broken, newer], target_exists=True).reason == "Accepted"
    assert resolve([broken, newer]) == resolve([newer])


def test_valid_policy_is_resolved_for_a_route_from_the_cache() -> None:
    docs = [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "front"},
            "spec": {
                "gatewayClassName": "amazon-vpc-lattice",
                "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "svc", "namespace": "front"},
            "spec": {"ports": [{"name": "http", "port": 80}]},
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "shop", "namespace": "front"},
            "spec": {
                "parentRefs": [{"name": "gw"}],
                "rules": [{"backendRefs": [{"name": "svc", "port": 80}]}],
            },
        },
        {
            "apiVersion": "application-networking.k8s.aws/v1alpha1",
            "kind": "TargetGroupPolicy",
            "metadata": {"name": "tgp", "namespace": "front", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {
                "targetRef": {"group": "", "kind": "Service", "name": "svc"},
                "protocol": "HTTPS",
                "protocolVersion": "HTTP2",
                "healthCheck": {"intervalSeconds": 7, "statusMatch": "200,204"},
            },
        },
        {
            "apiVersion": "application-networking.k8s.aws/v1alpha1",
            "kind": "TargetGroupPolicy",
            "metadata": {"name": "later", "namespace": "front", "creationTimestamp": "2026-02-01T00:00:00Z"},
            "spec": {"targetRef": {"group": "", "kind": "Service", "name": "svc"}, "protocol": "HTTP"},
        },
    ]
    view = load_view(docs, SETTINGS)
    (route,) = view.routes()
    snapshot = view.route_snapshot(route)
    assert set(snapshot.target_group_policies) == {ObjectKey("front", "svc")}
    (tg,) = build_route(snapshot, SETTINGS).desired.target_groups
    assert (tg.config.protocol, tg.config.protocol_version, tg.identity.protocol_version) == (
        "HTTPS",
        "HTTP2",
        "HTTP2",
    )
    assert tg.health_check is not None
    assert (tg.health_check.interval_seconds, tg.health_check.matcher) == (7, "200,204")


def test_no_policy_means_no_invalid_reasons_for_defaults() -> None:
    assert invalid_reasons(tgp()) == []
