"""Which Pods need the readiness gate: the cache query shared by the webhook and the condition writer."""

from __future__ import annotations

from typing import Any

import pytest

from lattice_controller._kits.clock import FakeClock
from lattice_controller.cache.cache import Cache
from lattice_controller.cache.controller_kinds import register_controller_kinds
from lattice_controller.cache.readiness_gate import INJECT_LABEL, GateQuery, GatingService, selects
from lattice_controller.kube import kinds as k
from lattice_controller.model.k8s import StrMap
from lattice_controller.model.keys import ObjectKey
from tests.unit.test_informer_fakeapi import FakeListWatch

OURS = "application-networking.k8s.aws/gateway-api-controller"
KINDS = [
    k.NAMESPACE,
    k.SERVICE,
    k.GATEWAY_CLASS,
    k.GATEWAY,
    k.HTTP_ROUTE,
    k.GRPC_ROUTE,
    k.TLS_ROUTE,
    k.SERVICE_EXPORT,
    k.REFERENCE_GRANT,
]
APP = {"app": "checkout"}


def obj(kind: str, name: str, ns: str = "", api: str = "v1", **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "resourceVersion": "1"}
    if ns:
        meta["namespace"] = ns
    meta.update(extra.pop("metadata", {}))
    return {"apiVersion": api, "kind": kind, "metadata": meta, **extra}


def route(
    name: str, ns: str, backend: str, *, kind: str = "HTTPRoute", backend_ns: str = "", gateway: str = "gw"
) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": backend, "port": 80}
    if backend_ns:
        ref["namespace"] = backend_ns
    return obj(
        kind,
        name,
        ns,
        "gateway.networking.k8s.io/v1",
        spec={"parentRefs": [{"name": gateway, "namespace": "infra"}], "rules": [{"backendRefs": [ref]}]},
    )


class World:
    def __init__(self, *, enforce: bool = True) -> None:
        cache = Cache(lambda kind: FakeListWatch(), clock=FakeClock())
        self.stores = register_controller_kinds(cache, KINDS)
        self.query = GateQuery(self.stores, OURS, enforce_reference_grants=enforce)
        gw_api = "gateway.networking.k8s.io/v1"
        self.add(k.GATEWAY_CLASS, obj("GatewayClass", "lattice", api=gw_api, spec={"controllerName": OURS}))
        self.add(k.GATEWAY_CLASS, obj("GatewayClass", "other", api=gw_api, spec={"controllerName": "x.io/c"}))
        self.add(k.GATEWAY, obj("Gateway", "gw", "infra", gw_api, spec={"gatewayClassName": "lattice"}))
        self.add(k.GATEWAY, obj("Gateway", "foreign", "infra", gw_api, spec={"gatewayClassName": "other"}))
        self.add(k.NAMESPACE, obj("Namespace", "store", metadata={"labels": {INJECT_LABEL: "enabled"}}))
        self.add(k.NAMESPACE, obj("Namespace", "plain"))
        self.add(k.NAMESPACE, obj("Namespace", "off", metadata={"labels": {INJECT_LABEL: "disabled"}}))

    def add(self, kind: Any, raw: dict[str, Any]) -> None:
        self.stores[kind.group_kind].watched("ADDED", raw)

    def delete(self, kind: Any, raw: dict[str, Any]) -> None:
        self.stores[kind.group_kind].watched("DELETED", raw)

    def service(self, name: str, ns: str = "store", selector: dict[str, str] | None = None) -> dict[str, Any]:
        raw = obj("Service", name, ns, spec={"selector": APP if selector is None else selector})
        self.add(k.SERVICE, raw)
        return raw


def test_backend_of_a_route_on_our_gateway_gates_pods_in_a_labelled_namespace() -> None:
    w = World()
    w.service("checkout")
    w.add(k.HTTP_ROUTE, route("r", "store", "checkout"))
    assert w.query.pod_needs_gate("store", {**APP, "pod-template-hash": "abc"})
    assert w.query.gating_services("store", APP) == (
        GatingService(ObjectKey("store", "checkout"), routes=(ObjectKey("store", "r"),)),
    )
    assert not w.query.pod_needs_gate("store", {"app": "other"})


@pytest.mark.parametrize("kind", ["GRPCRoute", "TLSRoute"])
def test_every_route_kind_counts(kind: str) -> None:
    w = World()
    w.service("checkout")
    store = {"GRPCRoute": k.GRPC_ROUTE, "TLSRoute": k.TLS_ROUTE}[kind]
    w.add(store, route("r", "store", "checkout", kind=kind))
    assert w.query.pod_needs_gate("store", APP)


@pytest.mark.parametrize("namespace", ["plain", "off", "missing"])
def test_unlabelled_namespaces_never_gate(namespace: str) -> None:
    w = World()
    w.service("checkout", namespace)
    w.add(k.HTTP_ROUTE, route("r", namespace, "checkout"))
    assert w.query.gating_services(namespace, APP)  # a backend, but the namespace did not opt in
    assert not w.query.pod_needs_gate(namespace, APP)


def test_routes_not_attached_to_our_gateways_do_not_gate() -> None:
    w = World()
    w.service("checkout")
    w.add(k.HTTP_ROUTE, route("foreign", "store", "checkout", gateway="foreign"))
    w.add(k.HTTP_ROUTE, route("dangling", "store", "checkout", gateway="missing"))
    assert not w.query.pod_needs_gate("store", APP)
    w.add(k.HTTP_ROUTE, route("r", "store", "checkout"))
    assert w.query.pod_needs_gate("store", APP)


def test_a_service_that_stops_being_a_backend_stops_gating() -> None:
    w = World()
    w.service("checkout")
    raw = route("r", "store", "checkout")
    w.add(k.HTTP_ROUTE, raw)
    assert w.query.service_needs_gate(ObjectKey("store", "checkout"))
    w.delete(k.HTTP_ROUTE, raw)
    assert not w.query.service_needs_gate(ObjectKey("store", "checkout"))
    assert not w.query.pod_needs_gate("store", APP)


def test_an_exported_service_gates() -> None:
    w = World()
    w.service("checkout")
    w.add(
        k.SERVICE_EXPORT, obj("ServiceExport", "checkout", "store", "application-networking.k8s.aws/v1alpha1")
    )
    assert w.query.gating_services("store", APP) == (
        GatingService(ObjectKey("store", "checkout"), exported=True),
    )


def test_a_service_without_selector_selects_no_pod() -> None:
    w = World()
    w.service("manual", selector={})
    w.add(k.HTTP_ROUTE, route("r", "store", "manual"))
    assert w.query.service_needs_gate(ObjectKey("store", "manual"))
    assert not w.query.pod_needs_gate("store", APP)


def test_cross_namespace_backend_needs_a_grant_when_enforced() -> None:
    for enforce in (True, False):
        w = World(enforce=enforce)
        w.service("checkout")
        w.add(k.HTTP_ROUTE, route("r", "web", "checkout", backend_ns="store"))
        assert w.query.pod_needs_gate("store", APP) is not enforce
    w = World()
    w.service("checkout")
    w.add(k.HTTP_ROUTE, route("r", "web", "checkout", backend_ns="store"))
    w.add(
        k.REFERENCE_GRANT,
        obj(
            "ReferenceGrant",
            "allow",
            "store",
            "gateway.networking.k8s.io/v1beta1",
            spec={
                "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "web"}],
                "to": [{"group": "", "kind": "Service"}],
            },
        ),
    )
    assert w.query.pod_needs_gate("store", APP)


def test_kinds_that_are_not_served_count_as_empty() -> None:
    query = GateQuery({}, OURS)
    assert not query.pod_needs_gate("store", APP)
    assert query.gating_services("store", APP) == ()


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({"app": "a"}, {"app": "a", "x": "y"}, True),
        ({"app": "a", "tier": "web"}, {"app": "a"}, False),
        ({"app": "a"}, {"app": "b"}, False),
        ({}, {"app": "a"}, False),
    ],
)
def test_selects(selector: dict[str, str], labels: dict[str, str], expected: bool) -> None:
    assert selects(StrMap.of(selector), labels) is expected
