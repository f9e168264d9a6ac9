"""Gateway listener `allowedRoutes` (namespaces From Same/All/Selector, kinds) decide which parentRefs
of a route are accepted and which Lattice listeners its service gets."""

from __future__ import annotations

from typing import Any

from e2e.harness.controller import ControllerProcess
from e2e.scenarios.support import (
    Scenario,
    accepted,
    backend,
    eventually,
    gateway,
    http_route,
    listener,
    parent,
    parent_conditions,
    scenario,
    wait_value,
)

__all__ = ["scenario"]

CERT_ARN = "arn:aws:acm:us-west-2:123456789012:certificate/0e5c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
NOT_ALLOWED = ("False", "NotAllowedByListeners")
ACCEPTED = ("True", "Accepted")


def _listeners(s: Scenario, service_name: str) -> list[tuple[str, int]] | None:
    service = s.view().service(service_name)
    if not service:
        return None
    return sorted((lst["protocol"], lst["port"]) for lst in service["listeners"])


def _listener_protocols(s: Scenario, service_name: str) -> list[str]:
    service: dict[str, Any] = s.view().service(service_name) or {"listeners": []}
    return [lst["detail"]["protocol"] for lst in service["listeners"]]


def test_allowed_routes_namespaces_and_kinds(scenario: Scenario, controller: ControllerProcess) -> None:
    s = scenario
    gw_ns = s.namespace("gw")
    other = s.namespace("other")
    prod = s.namespace("prod", labels={"env": "prod"})
    for network in ("mixed", "selector", "two-http", "split"):
        s.client.create_service_network(name=network)

    s.apply(
        gateway(gw_ns, "same-only", [listener("http")]),
        gateway(
            gw_ns,
            "mixed",
            [listener("http"), listener("https", 443, "HTTPS", allowed_from="All", certificate_arn=CERT_ARN)],
        ),
        gateway(gw_ns, "selector", [listener("http", allowed_from="Selector", selector={"env": "prod"})]),
        gateway(
            gw_ns,
            "two-http",
            [listener("http", allowed_from="All"), listener("http1", 81, allowed_from="All")],
        ),
        gateway(gw_ns, "split", [listener("open", allowed_from="All"), listener("closed", 81)]),
        gateway(
            gw_ns,
            "grpc-only",
            [
                listener(
                    "https", 443, "HTTPS", allowed_from="All", kinds=["GRPCRoute"], certificate_arn=CERT_ARN
                )
            ],
        ),
        backend(other, "be"),
        backend(prod, "be"),
        http_route(other, "r-same", [parent("same-only", ns=gw_ns)], [("be", 1)]),
        http_route(other, "r-mixed", [parent("mixed", ns=gw_ns)], [("be", 1)]),
        http_route(prod, "r-selector", [parent("selector", ns=gw_ns)], [("be", 1)]),
        http_route(other, "r-selector", [parent("selector", ns=gw_ns)], [("be", 1)]),
        http_route(
            other,
            "r-two",
            [parent("two-http", "http", ns=gw_ns), parent("two-http", "http1", ns=gw_ns)],
            [("be", 1)],
        ),
        http_route(
            other,
            "r-split",
            [parent("split", "open", ns=gw_ns), parent("split", "closed", ns=gw_ns)],
            [("be", 1)],
        ),
        http_route(other, "r-grpc", [parent("grpc-only", ns=gw_ns)], [("be", 1)]),
    )

    expected: dict[tuple[str, str], list[tuple[str, str]]] = {
        (other, "r-same"): [NOT_ALLOWED],
        (other, "r-mixed"): [ACCEPTED],
        (prod, "r-selector"): [ACCEPTED],
        (other, "r-selector"): [NOT_ALLOWED],
        (other, "r-two"): [ACCEPTED, ACCEPTED],
        (other, "r-split"): [ACCEPTED, NOT_ALLOWED],
        (other, "r-grpc"): [NOT_ALLOWED],
    }

    def statuses() -> dict[tuple[str, str], list[tuple[str, str]]]:
        return {key: accepted(s.route(*key)) for key in expected}

    wait_value(statuses, lambda got: got == expected, what="Accepted per parentRef")
    message = parent_conditions(s.route(other, "r-same"))[0]["Accepted"][2]
    assert "allowedRoutes" in message, message

    # Lattice: only the accepted listeners exist, and rejected routes have no service at all.
    eventually(lambda: _listeners(s, f"r-mixed-{other}") == [("HTTPS", 443)], what="only an HTTPS listener")
    eventually(lambda: _listeners(s, f"r-two-{other}") == [("HTTP", 80), ("HTTP", 81)], what="two listeners")
    eventually(lambda: _listeners(s, f"r-split-{other}") == [("HTTP", 80)], what="only the open listener")
    eventually(lambda: _listeners(s, f"r-selector-{prod}") == [("HTTP", 80)], what="selector route")
    view = s.view()
    for name in ("r-same", "r-selector", "r-grpc"):
        assert view.service(f"{name}-{other}") is None, name
    assert _listener_protocols(s, f"r-mixed-{other}") == ["HTTPS"]
    mixed = s.view().service(f"r-mixed-{other}") or {}
    assert s.client.get_service(serviceIdentifier=mixed["id"]).get("certificateArn") == CERT_ARN

    def networks(name: str) -> list[str]:
        service: dict[str, Any] = s.view().service(name) or {"associations": []}
        return sorted(a["serviceNetworkName"] for a in service["associations"])

    eventually(lambda: networks(f"r-mixed-{other}") == ["mixed"], what="association to mixed")
    eventually(lambda: networks(f"r-two-{other}") == ["two-http"], what="one association for two parentRefs")
