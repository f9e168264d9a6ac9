"""Cache record → snapshot → build, for every kind a route's build reads, and the trigger that
wakes the route when a record of that kind changes.

The records go in as the API server sends them (dicts, through the stores' parsers and indexes, as
the reflectors feed them); the snapshot is the reconciler's own (``CacheView.route_snapshot``).
"""

from __future__ import annotations

from typing import Any

import pytest

from lattice_controller.cache.controller_kinds import STORE_SPECS, detached_store
from lattice_controller.cache.store import Store
from lattice_controller.kube import kinds as k
from lattice_controller.kube.kinds import AnyKind
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import ImportedTargetGroup
from lattice_controller.reconcile.build import build_route
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.controllers.context import CacheView
from lattice_controller.reconcile.triggers import GATEWAY_CONTROLLER, triggers
from tests.unit.test_build_helpers import SETTINGS

ROUTE = ObjectKey("front", "shop")
CACHED_KINDS: tuple[AnyKind, ...] = tuple(
    kind for kind in (*k.REQUIRED_KINDS, *k.OPTIONAL_KINDS, *k.CORE_KINDS) if kind.group_kind in STORE_SPECS
)


def view(*objects: tuple[AnyKind, dict[str, Any]]) -> CacheView:
    """A cache view over real stores (parsers + indexes of the controller) holding ``objects``."""
    stores: dict[str, Store[Any]] = {}
    for kind in CACHED_KINDS:
        stores[kind.group_kind] = detached_store(kind)
    for kind, obj in objects:
        stores[kind.group_kind].watched("ADDED", obj)
    return CacheView(stores, {}, SETTINGS)


def meta(name: str, namespace: str = "", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "resourceVersion": "1", "generation": 1, **extra}
    if namespace:
        out["namespace"] = namespace
    return out


GATEWAY_CLASS = (
    k.GATEWAY_CLASS,
    {
        "metadata": meta("amazon-vpc-lattice"),
        "spec": {"controllerName": SETTINGS.controller_name},
    },
)


def gateway(from_: str = "All", selector: dict[str, str] | None = None) -> tuple[AnyKind, dict[str, Any]]:
    namespaces: dict[str, Any] = {"from": from_}
    if selector is not None:
        namespaces["selector"] = {"matchLabels": selector}
    listener = {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": namespaces}}
    return (
        k.GATEWAY,
        {
            "metadata": meta("gw", "infra"),
            "spec": {"gatewayClassName": "amazon-vpc-lattice", "listeners": [listener]},
        },
    )


def route(backend: dict[str, Any]) -> tuple[AnyKind, dict[str, Any]]:
    return (
        k.HTTP_ROUTE,
        {
            "kind": "HTTPRoute",
            "metadata": meta(ROUTE.name, ROUTE.namespace),
            "spec": {
                "parentRefs": [{"name": "gw", "namespace": "infra"}],
                "rules": [{"backendRefs": [{"port": 80, **backend}]}],
            },
        },
    )


def service(namespace: str = "front") -> tuple[AnyKind, dict[str, Any]]:
    return (
        k.SERVICE,
        {
            "metadata": meta("web", namespace),
            "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}], "ipFamilies": ["IPv4"]},
        },
    )


def endpoint_slice(ip: str, namespace: str = "front") -> tuple[AnyKind, dict[str, Any]]:
    return (
        k.ENDPOINT_SLICE,
        {
            "metadata": meta("web-x", namespace, labels={"kubernetes.io/service-name": "web"}),
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080}],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
        },
    )


def namespace(labels: dict[str, str]) -> tuple[AnyKind, dict[str, Any]]:
    return (k.NAMESPACE, {"metadata": meta("front", labels=labels)})


REFERENCE_GRANT = (
    k.REFERENCE_GRANT,
    {
        "metadata": meta("allow", "back"),
        "spec": {
            "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "front"}],
            "to": [{"group": "", "kind": "Service"}],
        },
    },
)
SERVICE_IMPORT = (
    k.SERVICE_IMPORT,
    {
        "metadata": meta(
            "remote", "front", annotations={"application-networking.k8s.aws/aws-eks-cluster-name": "east"}
        ),
        "spec": {"ports": [{"port": 80}]},
    },
)
LOCAL = {"name": "web"}
REMOTE = {"name": "remote", "kind": "ServiceImport", "group": "application-networking.k8s.aws"}
CROSS = {"name": "web", "namespace": "back"}


def conditions(ctx: CacheView) -> dict[str, tuple[str, str]]:
    the_route = ctx.routes()[0]
    build = build_route(ctx.route_snapshot(the_route), SETTINGS)
    if not build.parents:
        return {}
    return {x.type: (x.status, x.reason) for x in build.parents[0].conditions}


def targets(ctx: CacheView) -> list[str]:
    build = build_route(ctx.route_snapshot(ctx.routes()[0]), SETTINGS)
    return [t.ip for tg in build.desired.target_groups for t in tg.targets]


BASE = (GATEWAY_CLASS, gateway(), service(), endpoint_slice("10.0.0.1"))
ACCEPTED = {"Accepted": ("True", c.REASON_ACCEPTED), "ResolvedRefs": ("True", c.REASON_RESOLVED_REFS)}


def test_gateway_class_and_gateway_records_make_the_route_ours() -> None:
    assert conditions(view(route(LOCAL), *BASE)) == ACCEPTED
    assert conditions(view(route(LOCAL), gateway(), service(), endpoint_slice("10.0.0.1"))) == {}
    assert conditions(view(route(LOCAL), GATEWAY_CLASS, service(), endpoint_slice("10.0.0.1"))) == {}


def test_service_record_resolves_the_backend() -> None:
    found = conditions(view(route(LOCAL), GATEWAY_CLASS, gateway(), endpoint_slice("10.0.0.1")))
    assert found["ResolvedRefs"] == ("False", c.REASON_BACKEND_NOT_FOUND)


def test_endpoint_slice_records_are_the_targets() -> None:
    assert targets(view(route(LOCAL), *BASE)) == ["10.0.0.1"]
    assert targets(view(route(LOCAL), GATEWAY_CLASS, gateway(), service(), endpoint_slice("10.0.0.9"))) == [
        "10.0.0.9"
    ]


def test_reference_grant_record_permits_the_cross_namespace_backend() -> None:
    records = (GATEWAY_CLASS, gateway(), service("back"), endpoint_slice("10.0.0.1", "back"))
    assert conditions(view(route(CROSS), *records))["ResolvedRefs"] == ("False", c.REASON_REF_NOT_PERMITTED)
    assert conditions(view(route(CROSS), *records, REFERENCE_GRANT)) == ACCEPTED


def test_namespace_record_labels_select_the_route() -> None:
    selective = gateway("Selector", {"team": "shop"})
    records = (GATEWAY_CLASS, selective, service(), endpoint_slice("10.0.0.1"))
    assert conditions(view(route(LOCAL), *records, namespace({"team": "shop"}))) == ACCEPTED
    refused = conditions(view(route(LOCAL), *records, namespace({"team": "other"})))
    assert refused["Accepted"] == ("False", c.REASON_NOT_ALLOWED_BY_LISTENERS)


def test_service_import_record_resolves_the_imported_backend() -> None:
    records = (GATEWAY_CLASS, gateway())
    missing = conditions(view(route(REMOTE), *records))
    assert missing["ResolvedRefs"] == ("False", c.REASON_BACKEND_NOT_FOUND)
    ctx = view(route(REMOTE), *records, SERVICE_IMPORT)
    assert conditions(ctx) == ACCEPTED
    build = build_route(ctx.route_snapshot(ctx.routes()[0]), SETTINGS)
    (listener,) = build.desired.listeners
    (forward,) = listener.rules[0].action.forward or ()
    assert isinstance(forward.target_group, ImportedTargetGroup)
    assert (forward.target_group.export_name, forward.target_group.cluster) == ("remote", "east")


# -- triggers: a change of each input kind wakes the route -----------------------------------------

ROUTE_KEY = ("httproute", ROUTE)


def changed(ctx: CacheView, kind: AnyKind, obj: dict[str, Any]) -> set[tuple[str, ObjectKey]]:
    """Keys for ``obj`` appearing in ``ctx``'s cache (the listener sees the parsed record)."""
    record = STORE_SPECS[kind.group_kind].parse(obj)
    return triggers(ctx, kind, None, record)


@pytest.mark.parametrize(
    ("backend", "extra", "change"),
    [
        (LOCAL, (), GATEWAY_CLASS),
        (LOCAL, (), gateway()),
        (LOCAL, (), service()),
        (LOCAL, (), endpoint_slice("10.0.0.7")),
        (LOCAL, (), namespace({"team": "shop"})),
        (CROSS, (), REFERENCE_GRANT),
        (REMOTE, (), SERVICE_IMPORT),
        (
            LOCAL,
            (),
            (
                k.TARGET_GROUP_POLICY,
                {
                    "metadata": meta("hc", "front"),
                    "spec": {"targetRef": {"group": "", "kind": "Service", "name": "web"}},
                },
            ),
        ),
    ],
    ids=lambda v: v[0].kind if isinstance(v, tuple) and v and hasattr(v[0], "kind") else None,
)
def test_a_change_of_each_input_kind_wakes_the_route(
    backend: dict[str, Any], extra: tuple[Any, ...], change: tuple[AnyKind, dict[str, Any]]
) -> None:
    ctx = view(route(backend), GATEWAY_CLASS, gateway(), *extra)
    assert ROUTE_KEY in changed(ctx, *change)


def test_a_route_change_wakes_the_route_and_its_gateway() -> None:
    ctx = view(*BASE)
    assert changed(ctx, *route(LOCAL)) == {ROUTE_KEY, (GATEWAY_CONTROLLER, ObjectKey("infra", "gw"))}


def test_every_cached_kind_has_a_written_route_to_keys() -> None:
    ctx = view()
    for kind in CACHED_KINDS:
        # Raises for a kind with no entry in the trigger table.
        triggers(ctx, kind, None, None)


def test_a_kind_without_a_route_to_keys_is_refused() -> None:
    with pytest.raises(KeyError, match="no trigger route"):
        triggers(view(), k.EVENT, None, None)


def test_a_secret_reference_grant_wakes_the_gateway_that_names_its_namespace_and_permits_the_ref() -> None:
    listener = {
        "name": "https",
        "port": 443,
        "protocol": "HTTPS",
        "tls": {"certificateRefs": [{"kind": "Secret", "name": "cert", "namespace": "certs"}]},
    }
    https_gateway = (
        k.GATEWAY,
        {
            "metadata": meta("gw", "infra"),
            "spec": {"gatewayClassName": "amazon-vpc-lattice", "listeners": [listener]},
        },
    )
    grant = (
        k.REFERENCE_GRANT,
        {
            "metadata": meta("certs", "certs"),
            "spec": {
                "from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "infra"}],
                "to": [{"group": "", "kind": "Secret"}],
            },
        },
    )
    ctx = view(GATEWAY_CLASS, https_gateway)
    assert (GATEWAY_CONTROLLER, ObjectKey("infra", "gw")) in changed(ctx, *grant)
    record = ctx.store(k.GATEWAY).get(ObjectKey("infra", "gw"))  # type: ignore[union-attr]
    assert ctx.certificate_grants(record) == []
    with_grant = view(GATEWAY_CLASS, https_gateway, grant)
    assert [g.meta.key.name for g in with_grant.certificate_grants(record)] == ["certs"]
    # The unrelated route grant of another namespace wakes no gateway.
    assert (GATEWAY_CONTROLLER, ObjectKey("infra", "gw")) not in changed(ctx, *REFERENCE_GRANT)
