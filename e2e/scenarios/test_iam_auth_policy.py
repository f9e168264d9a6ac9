"""IAMAuthPolicy with a real controller process: a policy on a route applied together with the route
(its service appears later), one on the Gateway's network, bad input, a conflict, and delete."""

from __future__ import annotations

import json
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

DOCUMENT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    }
)


def auth_policy(ns: str, name: str, kind: str, target: str, document: str = DOCUMENT) -> dict[str, Any]:
    return {
        "apiVersion": "application-networking.k8s.aws/v1alpha1",
        "kind": "IAMAuthPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "targetRef": {"group": "gateway.networking.k8s.io", "kind": kind, "name": target},
            "policy": document,
        },
    }


def accepted(s: Scenario, ns: str, name: str) -> tuple[str, str]:
    obj = get_json(s.plane, "iamauthpolicy", ns, name) or {}
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c["type"] == "Accepted":
            return c["status"], c["reason"]
    return "", ""


def auth(s: Scenario, kind: str, resource_id: str) -> tuple[str, str | None]:
    if kind == "network":
        auth_type = s.client.get_service_network(serviceNetworkIdentifier=resource_id)["authType"]
    else:
        auth_type = s.client.get_service(serviceIdentifier=resource_id)["authType"]
    try:
        document = s.client.get_auth_policy(resourceIdentifier=resource_id)["policy"]
    except s.client.exceptions.ResourceNotFoundException:
        document = None
    return auth_type, document


def test_iam_auth_policy_on_route_and_gateway(scenario: Scenario) -> None:
    s = scenario
    install_gateway_crds(s.plane.rest(), manifest_path("manifests/crds"))  # idempotent
    s.start_controller()
    ns = s.namespace("iap")
    service_name = f"secure-{ns}"
    s.apply(
        gateway(ns),
        backend(ns, "secure-backend"),
        http_route(ns, "secure", [parent()], [("secure-backend", 1)]),
        auth_policy(ns, "route-auth", "HTTPRoute", "secure"),
        auth_policy(ns, "net-auth", "Gateway", DEFAULT_NETWORK),
        auth_policy(ns, "broken", "HTTPRoute", "secure", document="{not json"),
        auth_policy(ns, "tls", "TLSRoute", "secure"),
    )
    service_id = eventually(
        lambda: (s.view().service(service_name) or {}).get("id"), what=f"Lattice service {service_name}"
    )
    wait_value(
        lambda: auth(s, "service", service_id),
        lambda found: found == ("AWS_IAM", DOCUMENT),
        what="the route's service with AWS_IAM and the policy",
    )
    network_id = next(
        n["id"] for n in s.client.list_service_networks()["items"] if n["name"] == DEFAULT_NETWORK
    )
    wait_value(
        lambda: auth(s, "network", network_id),
        lambda found: found == ("AWS_IAM", DOCUMENT),
        what="the Gateway's network with AWS_IAM and the policy",
    )
    for name in ("route-auth", "net-auth"):
        wait_value(lambda n=name: accepted(s, ns, n), lambda found: found == ("True", "Accepted"), what=name)  # type: ignore[misc]
    route_auth = get_json(s.plane, "iamauthpolicy", ns, "route-auth") or {}
    assert route_auth["metadata"]["annotations"][f"{AN}/iam-auth-policy-resource-id"] == service_id
    assert route_auth["metadata"]["finalizers"] == ["application-networking.k8s.aws/iam-auth-policy"]
    # Bad input: a condition, no finalizer; the good policy on the same route is not disturbed.
    for name in ("broken", "tls"):
        wait_value(lambda n=name: accepted(s, ns, n), lambda found: found == ("False", "Invalid"), what=name)  # type: ignore[misc]
        assert not (get_json(s.plane, "iamauthpolicy", ns, name) or {})["metadata"].get("finalizers")

    # A second valid policy on the route is Conflicted (the first holds it).
    s.apply(auth_policy(ns, "route-auth-2", "HTTPRoute", "secure"))
    wait_value(
        lambda: accepted(s, ns, "route-auth-2"),
        lambda found: found == ("False", "Conflicted"),
        what="conflict",
    )

    # Delete the holder: auth off and the policy gone from the service, then the newer one takes over.
    out = s.plane.kubectl("delete", "iamauthpolicy", "route-auth", "-n", ns, "--wait=false")
    assert out.returncode == 0, out.stderr
    wait_deleted(s.plane, "iamauthpolicy", ns, "route-auth")
    wait_value(
        lambda: accepted(s, ns, "route-auth-2"), lambda found: found == ("True", "Accepted"), what="handover"
    )
    wait_value(
        lambda: auth(s, "service", service_id),
        lambda found: found == ("AWS_IAM", DOCUMENT),
        what="the newer policy applied to the service",
    )
    out = s.plane.kubectl("delete", "iamauthpolicy", "route-auth-2", "net-auth", "-n", ns, "--wait=false")
    assert out.returncode == 0, out.stderr
    wait_deleted(s.plane, "iamauthpolicy", ns, "route-auth-2")
    wait_deleted(s.plane, "iamauthpolicy", ns, "net-auth")
    assert auth(s, "service", service_id) == ("NONE", None)
    assert auth(s, "network", network_id) == ("NONE", None)
