"""A gated Pod that no route needs any more: its readiness-gate condition is set True.

The route reconciler writes the condition of the Pods behind its target groups (``pod_readiness``).
A Pod whose Services stopped being backends of our routes (route changed or deleted, Service selector
changed) would otherwise keep a False condition, and stay NotReady, for ever. This reconciler, keyed
by Pod, asks the cache (``cache.readiness_gate.GateQuery``) whether a Service selecting the Pod is
still a backend of one of our routes; when none is, on two looks ``SETTLE_SECONDS`` apart (a Pod, its
Service and its route arrive in the cache in any order), it writes True/``NotABackend``. An exported
Service with no route counts as no backend: the gate waits only for targets of route target groups.
Never reads AWS.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

from lattice_controller.cache.readiness_gate import GateQuery
from lattice_controller.kube import kinds as k
from lattice_controller.kube.errors import NotFound
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import Outcome, RequeueAfter, Success
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.status.pod_readiness import RECHECK_SECONDS, condition_patch, not_a_backend

POD_GATE_CONTROLLER = "podreadinessgate"
SETTLE_SECONDS = RECHECK_SECONDS

log = structlog.get_logger(__name__)


class PodGateReconciler:
    name = POD_GATE_CONTROLLER
    kind = k.POD
    resync = False

    def __init__(self, ctx: ControllerContext, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ctx = ctx
        self.query = GateQuery(
            ctx.stores,
            ctx.settings.controller_name,
            enforce_reference_grants=ctx.settings.enforce_reference_grants,
        )
        self._monotonic = monotonic
        self._unrouted_since: dict[ObjectKey, float] = {}

    async def reconcile(self, key: ObjectKey) -> Outcome:
        store = self.ctx.store(k.POD)
        pod = store.get(key) if store else None
        if pod is None or not pod.gated or pod.gate_true or pod.meta.deleting:
            self._unrouted_since.pop(key, None)
            return Success()
        labels = pod.meta.labels.as_dict()
        if any(gating.routes for gating in self.query.gating_services(key.namespace, labels)):
            self._unrouted_since.pop(key, None)  # the route reconciler writes its condition
            return Success()
        now = self._monotonic()
        since = self._unrouted_since.setdefault(key, now)
        if now - since < SETTLE_SECONDS:
            return RequeueAfter(SETTLE_SECONDS - (now - since))
        del self._unrouted_since[key]
        patch = condition_patch(pod.gate_condition, not_a_backend(), self.ctx.now())
        if patch is not None:
            try:
                await self.ctx.writer.patch_pod_condition(key, patch)
            except NotFound:
                return Success()
            log.info("pod readiness gate released", pod=str(key), reason=patch["reason"])
        return Success()
