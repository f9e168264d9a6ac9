"""Keep a route's external-dns ``DNSEndpoint`` (see ``build.dns_endpoint``) when that CRD is served.

Only called when the cache has a DNSEndpoint store, i.e. discovery found the CRD at start-up; when it
is absent, discovery's one log line says so and nothing else happens.
"""

from __future__ import annotations

import contextlib

import structlog

from lattice_controller.kube import kinds as k
from lattice_controller.kube.errors import Conflict
from lattice_controller.kube.kinds import Kind
from lattice_controller.model.k8s import Route
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.build.dns_endpoint import dns_endpoint_name, plan_dns_endpoint
from lattice_controller.reconcile.controllers.context import ControllerContext

log = structlog.get_logger(__name__)


async def sync_dns_endpoint(
    ctx: ControllerContext, route_kind: Kind[Route], route: Route, custom_domain: str, lattice_dns: str
) -> None:
    store = ctx.store(k.DNS_ENDPOINT)
    if store is None:
        return
    key = ObjectKey(route.meta.namespace, dns_endpoint_name(route))
    change = plan_dns_endpoint(
        route, ctx.kind(route_kind).api_version, custom_domain, lattice_dns, store.get(key)
    )
    kind = ctx.kind(k.DNS_ENDPOINT)
    if change.foreign:
        log.warning(
            "DNSEndpoint exists and is not owned by the route; leaving it alone", dns_endpoint=str(key)
        )
    elif change.action == "create":
        # Conflict: created meanwhile (the cache had not seen it yet); the next reconcile compares it.
        with contextlib.suppress(Conflict):
            await ctx.writer.create(kind, key.namespace, change.body)
    elif change.action == "patch":
        await ctx.writer.patch(kind, key, change.body)
