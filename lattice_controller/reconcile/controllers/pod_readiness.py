"""After a route's targets are registered: the readiness-gate condition of its gated Pods.

Reads no AWS of its own: the target statuses come from the ``ListTargets`` listings the route's deploy
already made (``Deployed.observed``). A target missing from that listing was registered by this very
deploy, so nothing is written for its Pod yet; the route is looked at again in ``RECHECK_SECONDS`` and
its fresh listing decides. Only the listings of target groups with a Pod still waiting are dropped from
the shared inventory for that recheck, so a waiting Pod costs one ``ListTargets`` per target group every
10 s and nothing else. Pods whose condition is already True are not looked at (as with the Go controller).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import structlog

from lattice_controller.aws.listings import Listing
from lattice_controller.kube import kinds as k
from lattice_controller.kube.errors import KubeError, NotFound
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import RouteLatticeState
from lattice_controller.model.lattice_observed import ObservedRouteState
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.diff import find_target_group
from lattice_controller.reconcile.status.pod_readiness import (
    GateTarget,
    condition_patch,
    pod_verdicts,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class GateResult:
    written: int = 0
    waiting: int = 0
    """Gated Pods whose target's health is still to be read again (the route is looked at again in 10 s)."""


async def write_gate_conditions(
    ctx: ControllerContext,
    desired: RouteLatticeState,
    observed: ObservedRouteState,
    registered: Collection[tuple[str, int]] = (),
    created_target_groups: Mapping[str, str] | None = None,
) -> GateResult:
    """``registered``: the (ip, port) targets this deploy registered; the pre-deploy listing says
    nothing of them (a reused Pod IP may still be listed DRAINING from its previous Pod).
    ``created_target_groups``: name → id of the target groups this deploy created (their target
    listings, known from our writes, are read fresh for the next look at a gated Pod in them)."""
    pods = ctx.store(k.POD)
    if pods is None or desired.deleting:
        return GateResult()
    targets: list[GateTarget] = []
    just_registered: set[ObjectKey] = set()
    listings: dict[ObjectKey, set[str]] = {}  # Pod → ids of the target groups its targets are in
    for spec in desired.target_groups:
        if not spec.targets:
            continue
        match = None
        for target in spec.targets:
            if target.pod is None or target.ready:
                continue
            pod = pods.get(target.pod)
            if pod is None or not pod.gated or pod.gate_true or pod.meta.deleting:
                continue
            if match is None:
                match = find_target_group(spec, observed.target_groups)
            status = None
            if match is not None:
                status = next(
                    (t.status for t in match.targets if (t.ip, t.port) == (target.ip, target.port)), None
                )
                listings.setdefault(target.pod, set()).add(match.id)
            elif spec.name in (created_target_groups or {}):
                listings.setdefault(target.pod, set()).add((created_target_groups or {})[spec.name])
            if status is None or (target.ip, target.port) in registered:
                just_registered.add(target.pod)
            else:
                name = match.name if match is not None else spec.name
                targets.append(GateTarget(target.pod, name, target.ip, target.port, status))
    written = 0
    waiting = set(just_registered)
    now = ctx.now()
    for key, decided in pod_verdicts(targets).items():
        if key in just_registered:
            continue
        if decided.recheck:  # UNUSED is not re-checked: it changes with the route, which triggers it
            waiting.add(key)
        pod = pods.get(key)
        patch = condition_patch(pod.gate_condition if pod else None, decided, now)
        if patch is None:
            continue
        try:
            await ctx.writer.patch_pod_condition(key, patch)
        except NotFound:
            continue  # deleted meanwhile
        except KubeError as error:  # the route is fine; the Pod is looked at again with the recheck
            log.warning("pod readiness gate not written", pod=str(key), error=str(error))
            waiting.add(key)
            continue
        written += 1
        log.info("pod readiness gate", pod=str(key), status=decided.status, reason=decided.reason)
    for tg_id in {tg_id for key in waiting for tg_id in listings.get(key, ())}:
        ctx.inventory.invalidate(Listing.TARGETS, tg_id)
    return GateResult(written, len(waiting))
