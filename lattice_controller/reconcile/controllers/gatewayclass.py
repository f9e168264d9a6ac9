"""GatewayClass: classes with our controllerName get ``Accepted=True`` (docs/compatibility.md)."""

from __future__ import annotations

from lattice_controller.kube import kinds as k
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import Outcome, Success
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.status import gateway_class_status


class GatewayClassReconciler:
    name = "gatewayclass"
    kind = k.GATEWAY_CLASS

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx

    async def reconcile(self, key: ObjectKey) -> Outcome:
        store = self.ctx.store(k.GATEWAY_CLASS)
        gateway_class = store.get(key) if store else None
        if (
            gateway_class is None
            or gateway_class.controller_name != self.ctx.settings.controller_name
            or gateway_class.meta.deleting
        ):
            return Success()
        update = gateway_class_status(gateway_class, self.ctx.now())
        if update.changed:
            await self.ctx.writer.patch_status(self.ctx.kind(k.GATEWAY_CLASS), key, update.payload)
        return Success()
