"""An object deleted while its reconcile runs: the 404 of our write is an expected race — the reconcile
ends successfully with an info line, never an error (nothing is retried)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from structlog.testing import capture_logs

from lattice_controller.kube.errors import NotFound
from lattice_controller.model.k8s.route import RouteType
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import Success
from lattice_controller.reconcile.controllers.gateway import GatewayReconciler
from lattice_controller.reconcile.controllers.route import RouteReconciler
from tests.unit.test_build_helpers import SETTINGS, gateway, route, snapshot


class GoneWriter:
    async def add_finalizer(self, *_: Any) -> bool:
        raise NotFound(404, "NotFound", 'httproutes "shop" not found')

    async def patch_status(self, *_: Any, **__: Any) -> bool:
        raise NotFound(404, "NotFound", "not found")


@dataclass
class Store:
    record: Any

    def get(self, _key: ObjectKey) -> Any:
        return self.record


@dataclass
class Ctx:
    record: Any
    writer: GoneWriter
    settings: Any = SETTINGS

    def store(self, _kind: Any) -> Store:
        return Store(self.record)

    def kind(self, kind: Any) -> Any:
        return kind

    def is_ours(self, _gateway: Any) -> bool:
        return True

    def route_snapshot(self, the_route: Any) -> Any:
        return snapshot(the_route)


async def test_route_deleted_mid_reconcile_is_not_an_error() -> None:
    r = route()
    reconciler = RouteReconciler(Ctx(r, GoneWriter()), RouteType.HTTP)  # type: ignore[arg-type]
    with capture_logs() as logs:
        outcome = await reconciler.reconcile(r.meta.key)
    assert outcome == Success()
    assert [e["log_level"] for e in logs] == ["info"]
    assert "404" in logs[0]["error"]


async def test_gateway_deleted_mid_reconcile_is_not_an_error() -> None:
    gw = gateway()
    reconciler = GatewayReconciler(Ctx(gw, GoneWriter()))  # type: ignore[arg-type]
    with capture_logs() as logs:
        outcome = await reconciler.reconcile(gw.meta.key)
    assert outcome == Success()
    assert [e["log_level"] for e in logs] == ["info"]
