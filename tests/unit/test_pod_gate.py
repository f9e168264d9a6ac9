"""A gated Pod that no route needs is let go (True/NotABackend) — after two looks 10 s apart — and the
triggers wake the Pod-keyed controller for the changes that can leave a Pod without a route."""

from __future__ import annotations

from typing import Any, cast

from lattice_controller.cache.controller_kinds import STORE_SPECS, detached_store
from lattice_controller.cache.store import Store
from lattice_controller.kube import kinds as k
from lattice_controller.kube.kinds import AnyKind
from lattice_controller.model.k8s.pod import READINESS_GATE
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import RequeueAfter, Success
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.controllers.pod_gate import POD_GATE_CONTROLLER, PodGateReconciler
from lattice_controller.reconcile.triggers import triggers
from tests.unit.test_build_helpers import SETTINGS

NS = "shop"
POD = ObjectKey(NS, "checkout-1")
KINDS: tuple[AnyKind, ...] = tuple(
    kind for kind in (*k.REQUIRED_KINDS, *k.OPTIONAL_KINDS, *k.CORE_KINDS) if kind.group_kind in STORE_SPECS
)


class Writes:
    def __init__(self) -> None:
        self.conditions: list[tuple[ObjectKey, dict[str, Any]]] = []

    async def patch_pod_condition(self, key: ObjectKey, condition: dict[str, Any]) -> None:
        self.conditions.append((key, condition))


def _meta(name: str, namespace: str = NS, rv: str = "1") -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "resourceVersion": rv, "generation": 1}


def _pod(name: str = POD.name, gated: bool = True, gate_status: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"readinessGates": [{"conditionType": READINESS_GATE}]} if gated else {}
    conditions = [{"type": READINESS_GATE, "status": gate_status}] if gate_status else []
    labels = {"app": "checkout"}
    return {"metadata": {**_meta(name), "labels": labels}, "spec": spec, "status": {"conditions": conditions}}


SERVICE = {"metadata": _meta("checkout"), "spec": {"selector": {"app": "checkout"}, "ports": [{"port": 80}]}}
GATEWAY_CLASS = {
    "metadata": _meta("amazon-vpc-lattice", ""),
    "spec": {"controllerName": SETTINGS.controller_name},
}
GATEWAY = {
    "metadata": _meta("gw"),
    "spec": {"gatewayClassName": "amazon-vpc-lattice", "listeners": [{"name": "http", "port": 80}]},
}
ROUTE = {
    "kind": "HTTPRoute",
    "metadata": _meta("shop"),
    "spec": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "checkout", "port": 80}]}]},
}


def _context(*objects: tuple[AnyKind, dict[str, Any]]) -> tuple[ControllerContext, Writes]:
    stores: dict[str, Store[Any]] = {}
    for kind in KINDS:
        stores[kind.group_kind] = detached_store(kind)
    for kind, obj in objects:
        stores[kind.group_kind].watched("ADDED", obj)
    writes = Writes()
    ctx = ControllerContext(
        stores=stores,
        kinds={},
        settings=SETTINGS,
        writer=cast(Any, writes),
        recorder=cast(Any, None),
        lattice=cast(Any, None),
        tags=cast(Any, None),
        inventory=cast(Any, None),
        now=lambda: "2026-12-01T00:00:00Z",
    )
    return ctx, writes


BACKEND = (
    (k.GATEWAY_CLASS, GATEWAY_CLASS),
    (k.GATEWAY, GATEWAY),
    (k.SERVICE, SERVICE),
    (k.HTTP_ROUTE, ROUTE),
)


async def test_a_pod_behind_a_route_is_left_to_the_route() -> None:
    ctx, writes = _context(*BACKEND, (k.POD, _pod(gate_status="False")))
    assert await PodGateReconciler(ctx).reconcile(POD) == Success()
    assert writes.conditions == []


async def test_a_pod_without_a_route_is_let_go_on_the_second_look_10_s_later() -> None:
    clock = [100.0]
    ctx, writes = _context((k.SERVICE, SERVICE), (k.POD, _pod(gate_status="False")))
    reconciler = PodGateReconciler(ctx, monotonic=lambda: clock[0])
    assert await reconciler.reconcile(POD) == RequeueAfter(10.0)
    clock[0] += 4
    assert await reconciler.reconcile(POD) == RequeueAfter(6.0)
    clock[0] += 6
    assert await reconciler.reconcile(POD) == Success()
    [(key, condition)] = writes.conditions
    assert key == POD
    assert (condition["type"], condition["status"], condition["reason"]) == (
        READINESS_GATE,
        "True",
        "NotABackend",
    )


async def test_a_pod_that_gets_a_route_meanwhile_is_not_let_go() -> None:
    clock = [0.0]
    ctx, writes = _context((k.SERVICE, SERVICE), (k.POD, _pod()))
    reconciler = PodGateReconciler(ctx, monotonic=lambda: clock[0])
    assert isinstance(await reconciler.reconcile(POD), RequeueAfter)
    for kind, obj in BACKEND:
        if kind != k.SERVICE:
            ctx.stores[kind.group_kind].watched("ADDED", obj)
    clock[0] += 30
    assert await reconciler.reconcile(POD) == Success()
    assert writes.conditions == []


async def test_ungated_ready_and_missing_pods_are_ignored() -> None:
    ctx, writes = _context((k.POD, _pod("plain", gated=False)), (k.POD, _pod("ready", gate_status="True")))
    reconciler = PodGateReconciler(ctx)
    for name in ("plain", "ready", "gone"):
        assert await reconciler.reconcile(ObjectKey(NS, name)) == Success()
    assert writes.conditions == []


def test_triggers_wake_waiting_gated_pods() -> None:
    ctx, _ = _context(
        *BACKEND,
        (k.POD, _pod("waiting", gate_status="False")),
        (k.POD, _pod("ready", gate_status="True")),
        (k.POD, _pod("plain", gated=False)),
    )
    waiting = {(POD_GATE_CONTROLLER, ObjectKey(NS, "waiting"))}
    pods = ctx.stores[k.POD.group_kind]
    # The Pod itself: only a gated one whose condition is not True.
    for name in ("waiting", "ready", "plain"):
        pod = pods.get(ObjectKey(NS, name))
        woken = {t for t in triggers(ctx, k.POD, None, pod) if t[0] == POD_GATE_CONTROLLER}
        assert woken == (waiting if name == "waiting" else set())
    # A route deleted, a Service changed: the waiting Pods of the backends' namespace.
    route = ctx.stores[k.HTTP_ROUTE.group_kind].get(ObjectKey(NS, "shop"))
    assert waiting <= triggers(ctx, k.HTTP_ROUTE, route, None)
    service = ctx.stores[k.SERVICE.group_kind].get(ObjectKey(NS, "checkout"))
    assert waiting <= triggers(ctx, k.SERVICE, service, None)
    # Nothing in another namespace.
    other = {**SERVICE, "metadata": _meta("checkout", "elsewhere")}
    ctx.stores[k.SERVICE.group_kind].watched("ADDED", other)
    elsewhere = ctx.stores[k.SERVICE.group_kind].get(ObjectKey("elsewhere", "checkout"))
    assert not {t for t in triggers(ctx, k.SERVICE, None, elsewhere) if t[0] == POD_GATE_CONTROLLER}
