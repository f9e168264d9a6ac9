"""The controller's indexes over real model records, and the registration catalogue."""

from __future__ import annotations

from typing import Any

from lattice_controller._kits.clock import FakeClock
from lattice_controller.cache import indexes
from lattice_controller.cache.cache import Cache
from lattice_controller.cache.controller_kinds import register_controller_kinds
from lattice_controller.cache.policy_targets import POLICIES_BY_TARGET, target_value
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
    stores = register_controller_kinds(cache, [k.HTTP_ROUTE, k.ENDPOINT_SLICE, k.REFERENCE_GRANT, k.EVENT])
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


def test_policies_are_indexed_by_target() -> None:
    cache = Cache(lambda kind: FakeListWatch(), clock=FakeClock())
    stores = register_controller_kinds(cache, [k.TARGET_GROUP_POLICY, k.ACCESS_LOG_POLICY])
    tgps = stores[k.TARGET_GROUP_POLICY.group_kind]

    def policy(name: str, rv: int, target: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "metadata": {"namespace": "app", "name": name, "resourceVersion": str(rv)},
            "spec": {"targetRef": target},
        }

    tgps.watched("ADDED", policy("p1", 1, {"group": "", "kind": "Service", "name": "svc"}))
    tgps.watched(
        "ADDED", policy("p2", 2, {"group": "", "kind": "Service", "name": "svc", "namespace": "other"})
    )
    tgps.watched("ADDED", policy("p3", 3, None))
    svc = target_value("Service", ObjectKey("app", "svc"))
    assert svc == "Service:app/svc"
    assert tgps.index_keys(POLICIES_BY_TARGET, svc) == {ObjectKey("app", "p1")}
    assert tgps.index_keys(POLICIES_BY_TARGET, "Service:other/svc") == {ObjectKey("app", "p2")}
    tgps.watched("MODIFIED", policy("p1", 4, {"group": "", "kind": "Service", "name": "svc2"}))
    assert tgps.index_keys(POLICIES_BY_TARGET, svc) == frozenset()
    assert k.ACCESS_LOG_POLICY.group_kind in stores
