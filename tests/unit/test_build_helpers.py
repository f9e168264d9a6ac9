"""Builders of Kubernetes records for the build/diff/status tests (plus a sanity test of them)."""

from __future__ import annotations

from typing import Any

from lattice_controller.model.k8s import (
    EndpointSlice,
    Gateway,
    GatewayClass,
    ReferenceGrant,
    Route,
    Service,
    parse_endpoint_slice,
    parse_gateway,
    parse_gateway_class,
    parse_reference_grant,
    parse_route,
    parse_service,
)
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.build import CONTROLLER_NAME, BuildSettings, RouteSnapshot

SETTINGS = BuildSettings(account="123456789012", cluster="dev", vpc="vpc-0abc")


def gateway_class(name: str = "amazon-vpc-lattice", controller: str = CONTROLLER_NAME) -> GatewayClass:
    return parse_gateway_class({"metadata": {"name": name}, "spec": {"controllerName": controller}})


def gateway(
    name: str = "gw",
    namespace: str = "infra",
    listeners: list[dict[str, Any]] | None = None,
    annotations: dict[str, str] | None = None,
    class_name: str = "amazon-vpc-lattice",
) -> Gateway:
    if listeners is None:
        listeners = [
            {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}
        ]
    return parse_gateway(
        {
            "metadata": {
                "name": name,
                "namespace": namespace,
                "generation": 1,
                "annotations": annotations or {},
            },
            "spec": {"gatewayClassName": class_name, "listeners": listeners},
        }
    )


def route(
    name: str = "shop",
    namespace: str = "front",
    rules: list[dict[str, Any]] | None = None,
    kind: str = "HTTPRoute",
    parent_refs: list[dict[str, Any]] | None = None,
    annotations: dict[str, str] | None = None,
    hostnames: list[str] | None = None,
    deleting: bool = False,
    generation: int = 2,
) -> Route:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "generation": generation,
        "annotations": annotations or {},
    }
    if deleting:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    spec: dict[str, Any] = {
        "parentRefs": parent_refs if parent_refs is not None else [{"name": "gw", "namespace": "infra"}],
        "rules": rules if rules is not None else [{"backendRefs": [{"name": "svc", "port": 80}]}],
    }
    if hostnames:
        spec["hostnames"] = hostnames
    return parse_route({"kind": kind, "metadata": metadata, "spec": spec})


def service(
    name: str = "svc",
    namespace: str = "front",
    ports: list[dict[str, Any]] | None = None,
    families: list[str] | None = None,
) -> Service:
    return parse_service(
        {
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "ports": ports if ports is not None else [{"name": "http", "port": 80, "targetPort": 8080}],
                "ipFamilies": families if families is not None else ["IPv4"],
            },
        }
    )


def endpoint_slice(
    service_name: str = "svc",
    namespace: str = "front",
    ips: list[str] | None = None,
    port: int = 8080,
    port_name: str = "http",
    ready: bool = True,
    terminating: bool = False,
    address_type: str = "IPv4",
) -> EndpointSlice:
    return parse_endpoint_slice(
        {
            "metadata": {
                "name": f"{service_name}-{address_type.lower()}",
                "namespace": namespace,
                "labels": {"kubernetes.io/service-name": service_name},
            },
            "addressType": address_type,
            "ports": [{"name": port_name, "port": port}],
            "endpoints": [
                {
                    "addresses": [ip],
                    "conditions": {"ready": ready, "terminating": terminating},
                    "targetRef": {"kind": "Pod", "name": f"pod-{ip}", "namespace": namespace},
                }
                for ip in (ips if ips is not None else ["10.0.0.1", "10.0.0.2"])
            ],
        }
    )


def grant(namespace: str, from_namespace: str, kind: str = "HTTPRoute") -> ReferenceGrant:
    return parse_reference_grant(
        {
            "metadata": {"name": "allow", "namespace": namespace},
            "spec": {
                "from": [{"group": "gateway.networking.k8s.io", "kind": kind, "namespace": from_namespace}],
                "to": [{"group": "", "kind": "Service"}],
            },
        }
    )


def snapshot(
    the_route: Route,
    services: list[Service] | None = None,
    slices: list[EndpointSlice] | None = None,
    gateways: list[Gateway] | None = None,
    grants: list[ReferenceGrant] | None = None,
) -> RouteSnapshot:
    gws = gateways if gateways is not None else [gateway()]
    svcs = services if services is not None else [service()]
    by_service: dict[ObjectKey, list[EndpointSlice]] = {}
    for s in slices if slices is not None else [endpoint_slice()]:
        by_service.setdefault(ObjectKey(s.meta.namespace, s.service_name or ""), []).append(s)
    gc = gateway_class()
    return RouteSnapshot(
        route=the_route,
        gateways={g.meta.key: g for g in gws},
        gateway_classes={gc.meta.name: gc},
        services={s.meta.key: s for s in svcs},
        endpoint_slices={k: tuple(v) for k, v in by_service.items()},
        reference_grants=tuple(grants or ()),
    )


def test_helpers_build_consistent_records() -> None:
    snap = snapshot(route())
    assert snap.route.parent_refs[0].namespace == "infra"
    assert ObjectKey("front", "svc") in snap.services
    assert ObjectKey("front", "svc") in snap.endpoint_slices
