"""The Events of the policy kinds and ServiceNetwork, with the Go controller's reasons and messages:
Normal ``Reconciling`` ("Started reconciling") and ``Reconciled`` ("Successfully reconciled"), Warning
``FailedReconcile`` ("Reconcile failed: …").

Written only for work: a new generation, a first reconcile or a deletion (``Reconciling`` and, once
done, ``Reconciled``), a status that changed, or a failure. An idle resync writes no Event, so it
costs the API server nothing (the Go controller recorded two Events per resync).
"""

from __future__ import annotations

from dataclasses import dataclass

from lattice_controller.kube.events import InvolvedObject
from lattice_controller.reconcile.controllers.context import ControllerContext

RECONCILING = "Reconciling"
RECONCILED = "Reconciled"
FAILED_RECONCILE = "FailedReconcile"
MSG_RECONCILING = "Started reconciling"
MSG_RECONCILED = "Successfully reconciled"


@dataclass(slots=True)
class LifecycleEvents:
    ctx: ControllerContext
    involved: InvolvedObject
    fresh: bool
    """A new generation, a first reconcile or a deletion: ``Reconciling``/``Reconciled`` are recorded."""

    async def started(self) -> None:
        if self.fresh:
            await self.ctx.recorder.normal(self.involved, RECONCILING, MSG_RECONCILING)

    async def succeeded(self, *, changed: bool = False) -> None:
        if self.fresh or changed:
            await self.ctx.recorder.normal(self.involved, RECONCILED, MSG_RECONCILED)

    async def failed(self, message: str) -> None:
        await self.ctx.recorder.warning(self.involved, FAILED_RECONCILE, f"Reconcile failed: {message}")
