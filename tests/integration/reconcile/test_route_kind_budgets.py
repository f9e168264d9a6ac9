"""AWS calls of the other route kinds and of TargetGroupPolicy changes, on the fake endpoint, from
Kubernetes manifests through the real build (the same path as ``lattice-controller plan``).

Asserted: a GRPCRoute and a TLSRoute cost the HTTPRoute's cold-create writes; a health-check change
is one ``UpdateTargetGroup``; a protocol change is one replacement sequence (create the new target
group, register its targets, one ``UpdateRule`` moving the weight, then retire the old one); an idle
resync writes nothing; an invalid policy writes nothing. Run with ``-s`` for the table.
"""

from __future__ import annotations

from typing import Any

from lattice_controller.model.lattice import RouteLatticeState
from lattice_controller.plan import load_view
from lattice_controller.reconcile.build import BuildSettings, build_route
from tests.integration.reconcile.harness import CLUSTER, NETWORK, VPC, Calls, Harness

SETTINGS = BuildSettings("123456789012", CLUSTER, VPC)
NS = "shop"
CERT = "arn:aws:acm:us-west-2:123456789012:certificate/0e5c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"


def _line(name: str, calls: Calls) -> str:
    return f"{name:<48} {calls.read_count:>3} reads {calls.write_count:>3} writes  {calls.writes}"


def _gateway() -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": NETWORK, "namespace": NS},
        "spec": {
            "gatewayClassName": "amazon-vpc-lattice",
            "listeners": [
                {"name": "http", "port": 80, "protocol": "HTTP"},
                {
                    "name": "https",
                    "port": 443,
                    "protocol": "HTTPS",
                    "tls": {
                        "mode": "Terminate",
                        "options": {"application-networking.k8s.aws/certificate-arn": CERT},
                    },
                },
                {"name": "tls", "port": 444, "protocol": "TLS", "tls": {"mode": "Passthrough"}},
            ],
        },
    }


def _service(name: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"ports": [{"name": "http", "port": 80}]},
        },
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": f"{name}-1",
                "namespace": NS,
                "labels": {"kubernetes.io/service-name": name},
            },
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8090}],
            "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": True}}],
        },
    ]


def _route(kind: str, rules: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": "web", "namespace": NS},
        "spec": {"parentRefs": [{"name": NETWORK}], "rules": rules, **spec},
    }


def _policy(name: str = "tgp", created: str = "2026-01-01T00:00:00Z", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "application-networking.k8s.aws/v1alpha1",
        "kind": "TargetGroupPolicy",
        "metadata": {"name": name, "namespace": NS, "creationTimestamp": created},
        "spec": {"targetRef": {"group": "", "kind": "Service", "name": "web"}, **spec},
    }


HTTP_ROUTE = _route("HTTPRoute", [{"backendRefs": [{"name": "web", "port": 80}]}])
HTTP_ROUTE["spec"]["parentRefs"] = [{"name": NETWORK, "sectionName": "http"}]  # one listener, one rule


def desired(*docs: dict[str, Any]) -> RouteLatticeState:
    view = load_view([_gateway(), *_service("web"), *docs], SETTINGS)
    (route,) = view.routes()
    build = build_route(view.route_snapshot(route), SETTINGS)
    assert not build.problems, build.problems
    return build.desired


async def test_grpc_and_tls_routes_cost_the_http_create(harness: Harness) -> None:
    table = []
    kinds = {
        "GRPCRoute (HTTPS listener, one rule)": _route(
            "GRPCRoute", [{"backendRefs": [{"name": "web", "port": 80}]}]
        ),
        "TLSRoute (passthrough listener)": _route(
            "TLSRoute", [{"backendRefs": [{"name": "web", "port": 80}]}], hostnames=["web.example.com"]
        ),
    }
    for label, route in kinds.items():
        harness.new_cycle()
        state = desired(route)
        created = await harness.reconcile(state)
        table.append(_line(f"{label}: cold create", created.calls))
        assert created.calls.writes == {
            "CreateListener": 1,
            "CreateService": 1,
            "CreateServiceNetworkServiceAssociation": 1,
            "CreateTargetGroup": 1,
            "RegisterTargets": 1,
            **({"CreateRule": 1} if route["kind"] == "GRPCRoute" else {}),
        }, created.plan.describe()
        harness.new_cycle()
        idle = await harness.reconcile(state)
        table.append(_line(f"{label}: idle resync", idle.calls))
        assert idle.calls.write_count == 0
        harness.new_cycle()
        await harness.reconcile(
            desired(route | {"metadata": {**route["metadata"], "deletionTimestamp": "x"}})
        )
    print("\n" + "\n".join(table))


async def test_policy_changes_cost_one_update_or_one_replacement(harness: Harness) -> None:
    table = []

    async def step(label: str, state: RouteLatticeState) -> Calls:
        harness.new_cycle()
        result = await harness.reconcile(state)
        table.append(_line(label, result.calls))
        harness.new_cycle()
        idle = await harness.reconcile(state)
        assert idle.calls.write_count == 0, (label, idle.plan.describe())
        return result.calls

    await step("route, no policy", desired(HTTP_ROUTE))
    health = {"healthCheck": {"intervalSeconds": 7, "statusMatch": "200,204", "path": "/healthz"}}
    calls = await step("policy with a health check added", desired(HTTP_ROUTE, _policy(**health)))
    assert calls.writes == {"UpdateTargetGroup": 1}
    changed = {"healthCheck": {**health["healthCheck"], "intervalSeconds": 20}}
    calls = await step("health check interval changed", desired(HTTP_ROUTE, _policy(**changed)))
    assert calls.writes == {"UpdateTargetGroup": 1}
    invalid = _policy("broken", "2025-01-01T00:00:00Z", protocol="TCP", protocolVersion="HTTP1")
    calls = await step(
        "invalid older policy added (ignored)", desired(HTTP_ROUTE, _policy(**changed), invalid)
    )
    assert calls.write_count == 0
    calls = await step("policy removed: defaults back", desired(HTTP_ROUTE))
    assert calls.writes == {"UpdateTargetGroup": 1}

    replaced = await step(
        "protocol HTTPS: target group replaced", desired(HTTP_ROUTE, _policy(protocol="HTTPS"))
    )
    assert replaced.writes == {
        "CreateTargetGroup": 1,
        "RegisterTargets": 1,
        "UpdateRule": 1,
        "DeregisterTargets": 1,
        "DeleteTargetGroup": 1,
    }
    print("\n" + "\n".join(table))
