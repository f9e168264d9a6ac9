"""Gateway → service network lookup and status (``Accepted`` is honest: docs/compatibility.md).

No AWS write: the service network's lifecycle belongs to DEFAULT_SERVICE_NETWORK or to its owner.
Deletion is blocked (finalizer kept) while any route still names the gateway as a parent.
"""

from __future__ import annotations

import structlog

from lattice_controller.aws.listings import Listing
from lattice_controller.kube import kinds as k
from lattice_controller.kube.errors import NotFound
from lattice_controller.model.k8s import Gateway
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import Outcome, RequeueAfter, Success
from lattice_controller.reconcile.build import ServiceNetworkLookup, build_gateway
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.observe import find_service_network
from lattice_controller.reconcile.status import gateway_status
from lattice_controller.reconcile.status.conditions import merge_conditions

GATEWAY_FINALIZER = "gateway.k8s.aws/resources"
DELETE_BLOCKED_RETRY_SECONDS = 30.0
REASON_DELETE_BLOCKED = "DeleteBlocked"
MAX_ROUTES_IN_MESSAGE = 5
NETWORK_PENDING_RETRY_SECONDS = 60.0

log = structlog.get_logger(__name__)


class GatewayReconciler:
    name = "gateway"
    kind = k.GATEWAY

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx

    async def reconcile(self, key: ObjectKey) -> Outcome:
        try:
            return await self._reconcile(key)
        except NotFound as error:
            # Deleted while we worked (no finalizer of ours yet, or already removed): nothing to write.
            log.info("gateway gone before its status/finalizer was written", error=str(error))
            return Success()

    async def _reconcile(self, key: ObjectKey) -> Outcome:
        ctx = self.ctx
        store = ctx.store(k.GATEWAY)
        gateway = store.get(key) if store else None
        if gateway is None or not ctx.is_ours(gateway):
            return Success()
        kind = ctx.kind(k.GATEWAY)
        if gateway.meta.deleting:
            if GATEWAY_FINALIZER not in gateway.meta.finalizers:
                return Success()
            users = sorted(str(r.meta.key) for r in ctx.routes_of_gateway(key))
            if users:
                log.info("gateway deletion blocked", routes=users[:5])
                await self._report_delete_blocked(gateway, users)
                return RequeueAfter(DELETE_BLOCKED_RETRY_SECONDS)
            await ctx.writer.remove_finalizer(kind, key, GATEWAY_FINALIZER)
            return Success()
        if GATEWAY_FINALIZER not in gateway.meta.finalizers:
            await ctx.writer.add_finalizer(kind, key, GATEWAY_FINALIZER)
        settings = ctx.settings
        network = settings.default_service_network if settings.override_active else key.name
        found = await find_service_network(network, ctx.inventory, vpc_id=settings.vpc)
        if found.not_found:
            # Listings are shared per resync cycle; a network created since must not wait for the next one.
            ctx.inventory.invalidate(Listing.SERVICE_NETWORKS)
            ctx.inventory.invalidate(Listing.VPC_ASSOCIATIONS)
            found = await find_service_network(network, ctx.inventory, vpc_id=settings.vpc)
        lookup = ServiceNetworkLookup(
            arn=found.network.arn if found.network else None, conflict=found.conflict is not None
        )
        namespaces_store = ctx.store(k.NAMESPACE)
        namespaces = {n.meta.key.name: n for n in namespaces_store.records()} if namespaces_store else {}
        build = build_gateway(
            gateway,
            ctx.routes_of_gateway(key),
            namespaces,
            lookup,
            settings.controller_name,
            ctx.certificate_grants(gateway),
        )
        update = gateway_status(gateway, build, ctx.now())
        if update.changed:
            await ctx.writer.patch_status(kind, key, update.payload)
        return RequeueAfter(NETWORK_PENDING_RETRY_SECONDS) if found.not_found else Success()

    async def _report_delete_blocked(self, gateway: Gateway, routes: list[str]) -> None:
        """``Programmed=False/DeleteBlocked`` naming the routes, and a Warning event, when it changes."""
        ctx, key = self.ctx, gateway.meta.key
        shown = ", ".join(routes[:MAX_ROUTES_IN_MESSAGE]) + (
            " …" if len(routes) > MAX_ROUTES_IN_MESSAGE else ""
        )
        message = (
            f"deletion waits for {len(routes)} route(s) still attached: {shown}; delete them or remove "
            "this Gateway from their parentRefs"
        )
        blocked = c.condition(c.PROGRAMMED, REASON_DELETE_BLOCKED, message, gateway.meta.generation)
        conditions = merge_conditions(gateway.conditions, (blocked,), ctx.now(), keep_others=True)
        if conditions == gateway.conditions:
            return
        await ctx.writer.patch_status(
            ctx.kind(k.GATEWAY), key, {"conditions": [x.to_k8s() for x in conditions]}
        )
        involved = ctx.involved(k.GATEWAY, key, gateway.meta.uid)
        await ctx.recorder.warning(involved, REASON_DELETE_BLOCKED, message)
