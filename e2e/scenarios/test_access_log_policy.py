"""AccessLogPolicy with a real controller process: subscriptions on the Gateway's network and on a
route's service (applied before the service exists), an in-place destination change, a second policy of
the same destination type Conflicted, and delete."""

from __future__ import annotations

from typing import Any

from e2e.controlplane.crds import install_gateway_crds
from e2e.scenarios.support import (
    AN,
    DEFAULT_NETWORK,
    Scenario,
    backend,
    eventually,
    gateway,
    get_json,
    http_route,
    manifest_path,
    parent,
    scenario,
    wait_deleted,
    wait_value,
)

__all__ = ["scenario"]

LOGS = "arn:aws:logs:us-west-2:123456789012:log-group:access"
BUCKET = "arn:aws:s3:::access-logs"


def log_policy(ns: str, name: str, kind: str, target: str, destination: str) -> dict[str, Any]:
    return {
        "apiVersion": "application-networking.k8s.aws/v1alpha1",
        "kind": "AccessLogPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "targetRef": {"group": "gateway.networking.k8s.io", "kind": kind, "name": target},
            "destinationArn": destination,
        },
    }


def destinations(s: Scenario, resource_id: str) -> list[str]:
    items = s.client.list_access_log_subscriptions(resourceIdentifier=resource_id)["items"]
    return sorted(i["destinationArn"] for i in items)


def accepted(s: Scenario, ns: str, name: str) -> tuple[str, str]:
    obj = get_json(s.plane, "accesslogpolicy", ns, name) or {}
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c["type"] == "Accepted":
            return c["status"], c["reason"]
    return "", ""


def test_access_log_policies_on_network_and_route(scenario: Scenario) -> None:
    s = scenario
    install_gateway_crds(s.plane.rest(), manifest_path("manifests/crds"))  # idempotent
    s.start_controller()
    ns = s.namespace("alp")
    service_name = f"logged-{ns}"
    s.apply(
        gateway(ns),
        backend(ns, "logged-backend"),
        http_route(ns, "logged", [parent()], [("logged-backend", 1)]),
        log_policy(ns, "net-logs", "Gateway", DEFAULT_NETWORK, LOGS),
        log_policy(ns, "route-logs", "HTTPRoute", "logged", BUCKET),
    )
    service_id = eventually(
        lambda: (s.view().service(service_name) or {}).get("id"), what=f"Lattice service {service_name}"
    )
    network_id = eventually(
        lambda: next(
            (n["id"] for n in s.client.list_service_networks()["items"] if n["name"] == DEFAULT_NETWORK), None
        ),
        what="the default network",
    )
    wait_value(lambda: destinations(s, network_id), lambda d: d == [LOGS], what="the network's subscription")
    wait_value(
        lambda: destinations(s, service_id), lambda d: d == [BUCKET], what="the service's subscription"
    )
    route_policy = wait_value(
        lambda: get_json(s.plane, "accesslogpolicy", ns, "route-logs") or {},
        lambda p: AN + "/accessLogSubscription" in p.get("metadata", {}).get("annotations", {}),
        what="the subscription annotation",
    )
    assert route_policy["metadata"]["annotations"][AN + "/accessLogSubscriptionResourceName"] == service_name

    s.apply(log_policy(ns, "net-logs", "Gateway", DEFAULT_NETWORK, LOGS + "-2"))
    wait_value(lambda: destinations(s, network_id), lambda d: d == [LOGS + "-2"], what="the new log group")
    s.apply(log_policy(ns, "net-logs-2", "Gateway", DEFAULT_NETWORK, LOGS + "-3"))
    wait_value(lambda: accepted(s, ns, "net-logs-2"), lambda a: a == ("False", "Conflicted"), what="conflict")

    out = s.plane.kubectl(
        "delete", "accesslogpolicy", "net-logs", "net-logs-2", "route-logs", "-n", ns, "--wait=false"
    )
    assert out.returncode == 0, out.stderr
    for name in ("net-logs", "net-logs-2", "route-logs"):
        wait_deleted(s.plane, "accesslogpolicy", ns, name)
    assert destinations(s, network_id) == []
    assert destinations(s, service_id) == []
