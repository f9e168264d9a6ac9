"""Standalone mode (`application-networking.k8s.aws/standalone`): creation without associations,
route-over-gateway precedence, and toggling on a live route keeping its service and targets."""

from __future__ import annotations

from typing import Any

from e2e.harness.controller import ControllerProcess
from e2e.scenarios.support import (
    AN,
    DEFAULT_NETWORK,
    Scenario,
    annotate,
    backend,
    gateway,
    http_route,
    parent,
    pod_ips,
    scenario,
    targets_of,
    wait_value,
)

__all__ = ["scenario"]

STANDALONE = f"{AN}/standalone"
ARN_ANNOTATION = f"{AN}/lattice-service-arn"


def _networks(s: Scenario) -> dict[str, list[str]]:
    """Lattice service name → names of the networks it is associated with."""
    return {
        svc["name"]: sorted(a["serviceNetworkName"] for a in svc["associations"]) for svc in s.view().services
    }


def test_standalone_creation_precedence_and_transition(
    scenario: Scenario, controller: ControllerProcess
) -> None:
    s = scenario
    ns = s.namespace("alone")
    s.client.create_service_network(name="sa-gw")
    s.apply(
        gateway(ns, annotations={STANDALONE: "false"}),
        gateway(ns, "sa-gw", annotations={STANDALONE: "true"}),
        backend(ns, "web", replicas=1),
        http_route(ns, "plain", [parent()], [("web", 1)]),
        http_route(ns, "own", [parent()], [("web", 1)], annotations={STANDALONE: "true"}),
        http_route(ns, "by-gw", [parent("sa-gw")], [("web", 1)]),
        http_route(ns, "gw-false", [parent("sa-gw")], [("web", 1)], annotations={STANDALONE: "False"}),
    )
    expected = {
        f"plain-{ns}": [DEFAULT_NETWORK],
        f"own-{ns}": [],
        f"by-gw-{ns}": [],
        f"gw-false-{ns}": ["sa-gw"],
    }
    wait_value(lambda: _networks(s), lambda got: got == expected, what="associations per standalone mode")

    # Toggling on a live route: the service, its ARN annotation and its targets stay.
    pods = wait_value(lambda: pod_ips(s.plane, ns, "app=web"), lambda ips: len(ips) == 1, what="pod")
    wait_value(lambda: targets_of(s.view(), "web"), lambda t: t == pods, what="targets registered")
    route: dict[str, Any] = wait_value(
        lambda: s.route(ns, "own") or {},
        lambda r: ARN_ANNOTATION in r.get("metadata", {}).get("annotations", {}),
        what="ARN annotation",
    )
    arn = route["metadata"]["annotations"][ARN_ANNOTATION]
    service_name = f"own-{ns}"

    for value, networks in (
        (None, [DEFAULT_NETWORK]),
        ("true", []),
        ("bogus", [DEFAULT_NETWORK]),
        ("TRUE", []),
    ):
        annotate(s.plane, "httproute", ns, "own", standalone=value)
        wait_value(
            lambda: _networks(s).get(service_name),
            lambda got, want=networks: got == want,  # type: ignore[misc]
            what=f"standalone={value} → associations {networks}",
        )
        view = s.view()
        service = view.service(service_name)
        assert service is not None, value
        assert service["arn"] == arn, value
        assert targets_of(view, "web") == pods, value
        annotations = (s.route(ns, "own") or {})["metadata"]["annotations"]
        assert annotations[ARN_ANNOTATION] == arn, value
