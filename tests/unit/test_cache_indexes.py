"""The controller's indexes over real model records, and the registration catalogue."""

from __future__ import annotations

from typing import Any

from lattice_controller._kits.clock import FakeClock
from lattice_controller.cache import indexes
from lattice_controller.cache.cache import Cache
from lattice_controller.cache.controller_kinds import register_controller_kinds
from lattice_controller.kube import kinds as k
from lattice_controller.model.keys import ObjectKey
from tests.unit.test_informer_fakeapi import FakeListWatch


def route(
    ns: str, name: str, rv: int, parents: list[dict[str, Any]], backends: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"namespace": ns, "name": name, "resourceVersion": str(rv)},
        "spec": {"parentRefs": parents, "rules": [{"backendRefs": backends}]},
    }


def test_route_indexes_follow_parent_and_backend_changes() -> None:
    cache = Cache(lambda kind: FakeListWatch(), clock=FakeClock())
    stores = register_controller_kinds(cache, [k.HTTP_ROUTE, k.ENDPOINT_SLICE, k.REFERENCE_GRANT, k.POD])
    assert set(stores) == {k.HTTP_ROUTE.group_kind, k.ENDPOINT_SLICE.group_kind, k.REFERENCE_GRANT.group_kind}
    routes = stores[k.HTTP_ROUTE.group_kind]
    routes.watched(
        "ADDED",
        route(
            "app",
            "r1",
            1,
            [
                {"name": "gw"},
                {"name": "gw2", "namespace": "infra"},
                {"name": "x", "kind": "Service", "group": ""},
            ],
            [
                {"name": "svc", "port": 80},
                {"name": "svc", "port": 81},
                {"name": "other", "namespace": "b"},
                {"name": "imp", "kind": "ServiceImport", "group": "application-networking.k8s.aws"},
                {"name": "weird", "kind": "Unknown", "group": "example.com"},
            ],
        ),
    )
    assert routes.index_keys(indexes.ROUTES_BY_PARENT_GATEWAY, "app/gw") == {ObjectKey("app", "r1")}
    assert routes.index_keys(indexes.ROUTES_BY_PARENT_GATEWAY, "infra/gw2") == {ObjectKey("app", "r1")}
    assert sorted(routes.index_values(indexes.ROUTES_BY_PARENT_GATEWAY)) == ["app/gw", "infra/gw2"]
    assert sorted(routes.index_values(indexes.ROUTES_BY_BACKEND)) == [
        "Service:app/svc",
        "Service:b/other",
        "ServiceImport:app/imp",
    ]
    assert indexes.backend_value("Service", ObjectKey("app", "svc")) == "Service:app/svc"
    routes.watched("MODIFIED", route("app", "r1", 2, [{"name": "gw"}], [{"name": "svc2"}]))
    assert sorted(routes.index_values(indexes.ROUTES_BY_PARENT_GATEWAY)) == ["app/gw"]
    assert sorted(routes.index_values(indexes.ROUTES_BY_BACKEND)) == ["Service:app/svc2"]

    slices = stores[k.ENDPOINT_SLICE.group_kind]
    slices.watched(
        "ADDED",
        {
            "metadata": {
                "namespace": "app",
                "name": "svc-abc",
                "resourceVersion": "3",
                "labels": {"kubernetes.io/service-name": "svc"},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.1"]}],
        },
    )
    assert slices.index_keys(indexes.ENDPOINT_SLICES_BY_SERVICE, "app/svc") == {ObjectKey("app", "svc-abc")}

    grants = stores[k.REFERENCE_GRANT.group_kind]
    grants.watched("ADDED", {"metadata": {"namespace": "b", "name": "g", "resourceVersion": "4"}, "spec": {}})
    assert grants.index_keys(indexes.BY_NAMESPACE, "b") == {ObjectKey("b", "g")}
