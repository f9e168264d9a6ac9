"""ServiceImport: nothing to do in Lattice (routes resolve imports themselves, see
``build.backends``), except letting a deleted import go: the reference puts the finalizer
``serviceimport.k8s.aws/resource`` on every import, so imports it managed would otherwise stay
Terminating after the switch. This controller never adds it (it guards nothing)."""

from __future__ import annotations

from lattice_controller.kube import kinds as k
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import Outcome, Success
from lattice_controller.reconcile.controllers.context import ControllerContext

FINALIZER = "serviceimport.k8s.aws/resource"


class ServiceImportReconciler:
    name = "serviceimport"
    kind = k.SERVICE_IMPORT
    resync = False  # it reads only the cache: nothing can drift

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx

    async def reconcile(self, key: ObjectKey) -> Outcome:
        store = self.ctx.store(k.SERVICE_IMPORT)
        record = store.get(key) if store else None
        if record is not None and record.meta.deleting and FINALIZER in record.meta.finalizers:
            await self.ctx.writer.remove_finalizer(self.ctx.kind(k.SERVICE_IMPORT), key, FINALIZER)
        return Success()
