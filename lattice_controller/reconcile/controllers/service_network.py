"""ServiceNetwork: a VPC Lattice service network created (or, with an opt-in, adopted) and deleted with a
cluster-scoped object of the same name (the decisions are in ``build.service_network``; docs/policies.md).

Upsert: finalizer ``servicenetwork.k8s.aws/resources``; the network of that name from the shared
listing, created with our ``ManagedBy`` tag and the object's additional tags when absent; an existing one
is checked for ownership and gets only the tag changes that differ. Status: ``Accepted``, ``Programmed``,
``serviceNetworkARN``/``serviceNetworkID``, written only when they change; an idle resync makes no write.
Delete: blocked (``Programmed=False/DeleteBlocked``, retried) while one of our Gateways maps to the
network or Lattice counts associations on it; then the network is deleted if ours, handed back if
adopted, left alone otherwise, and the finalizer removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from lattice_controller.aws.errors import AwsError, Conflict, NotFound
from lattice_controller.aws.listings import Listing
from lattice_controller.kube import kinds as k
from lattice_controller.kube.errors import NotFound as KubeNotFound
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.k8s import Condition
from lattice_controller.model.k8s.service_network import ServiceNetwork
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.outcomes import Outcome, RequeueAfter, Success
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.build import service_network as sn
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.controllers.lifecycle_events import LifecycleEvents
from lattice_controller.reconcile.controllers.route import describe_aws_error
from lattice_controller.reconcile.status import merge_conditions

SERVICE_NETWORK_FINALIZER = "servicenetwork.k8s.aws/resources"
DELETE_BLOCKED_RETRY_SECONDS = 30.0

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Status:
    accepted: Condition
    programmed: Condition
    arn: str = ""
    id: str = ""


class ServiceNetworkReconciler:
    name = "servicenetwork"
    kind = k.SERVICE_NETWORK

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx

    async def reconcile(self, key: ObjectKey) -> Outcome:
        try:
            return await self._reconcile(key)
        except KubeNotFound as error:
            # Deleted while we worked (no finalizer of ours yet, or already removed): nothing to write.
            log.info("service network object gone before its status/finalizer was written", error=str(error))
            return Success()

    async def _reconcile(self, key: ObjectKey) -> Outcome:
        ctx = self.ctx
        store = ctx.store(k.SERVICE_NETWORK)
        record = store.get(key) if store else None
        if record is None:
            return Success()
        generation = record.meta.generation
        stored = next((x for x in record.conditions if x.type == c.PROGRAMMED), None)
        events = LifecycleEvents(
            ctx,
            ctx.involved(k.SERVICE_NETWORK, key, record.meta.uid),
            fresh=(
                # A deletion that waits has said so already: its retries record nothing new.
                (record.meta.deleting and (stored is None or stored.reason not in sn.DELETE_WAIT_REASONS))
                or SERVICE_NETWORK_FINALIZER not in record.meta.finalizers
                or stored is None
                or stored.observed_generation != generation
            ),
        )
        if record.meta.deleting:
            if SERVICE_NETWORK_FINALIZER not in record.meta.finalizers:
                return Success()
            await events.started()
            return await self._delete(record, events)
        problem = sn.name_problem(key.name)
        if problem is not None:
            invalid = _Status(
                sn.accepted(generation, problem), sn.programmed(generation, c.REASON_INVALID, problem)
            )
            if await self._write_status(record, invalid):
                await events.failed(problem)
            return Success()
        await events.started()
        if SERVICE_NETWORK_FINALIZER not in record.meta.finalizers:
            await ctx.writer.add_finalizer(ctx.kind(k.SERVICE_NETWORK), key, SERVICE_NETWORK_FINALIZER)
        accepted = sn.accepted(generation)
        try:
            network, conflict = await self._ensure(record)
        except AwsError as error:
            text = describe_aws_error(error)
            failed = sn.programmed(generation, sn.REASON_RECONCILE_ERROR, text)
            await self._write_status(record, _Status(accepted, failed, record.arn, record.id))
            await events.failed(text)
            raise
        if conflict is not None:
            status = _Status(accepted, sn.programmed(generation, c.REASON_CONFLICTED, conflict))
            if await self._write_status(record, status):
                await events.failed(conflict)
            return Success()
        status = _Status(accepted, sn.programmed(generation), str(network["arn"]), str(network["id"]))
        changed = await self._write_status(record, status)
        await events.succeeded(changed=changed)
        return Success()

    async def _network(self, name: str) -> dict[str, Any] | None:
        """The account's own network named ``name`` (re-listed once when the cycle's listing lacks it)."""
        inventory = self.ctx.inventory
        for attempt in range(2):
            found = [n for n in await inventory.service_networks() if n.get("name") == name]
            if found:
                return found[0]
            if attempt == 0:
                inventory.invalidate(Listing.SERVICE_NETWORKS)
        return None

    async def _ensure(self, record: ServiceNetwork) -> tuple[dict[str, Any], str | None]:
        """The network, created or brought to our tags; or the reason it is not ours."""
        ctx, name = self.ctx, record.meta.key.name
        additional = tag_keys.additional_tags(record.meta.annotations.as_dict())
        network = await self._network(name)
        if network is None:
            try:
                created = await ctx.lattice.create_service_network(
                    name,
                    client_token=f"servicenetwork-{record.meta.uid or name}"[:64],
                    tags=tag_keys.creation_tags({tag_keys.MANAGED_BY: ctx.settings.managed_by}, additional),
                )
            finally:
                ctx.inventory.invalidate(Listing.SERVICE_NETWORKS)
            return created, None
        arn = str(network["arn"])
        existing = await ctx.tags.tags_of(arn)
        ownership = sn.network_ownership(name, existing, ctx.settings)
        if not ownership.owned:
            return network, ownership.conflict
        change = tag_keys.tag_change(existing, additional, ownership.managed)
        if change.untag:
            await ctx.tags.untag(arn, change.untag)
        if change.tag:
            await ctx.tags.tag(arn, change.tag_dict)
        return network, None

    async def _delete(self, record: ServiceNetwork, events: LifecycleEvents) -> Outcome:
        ctx, key = self.ctx, record.meta.key
        gateways_store = ctx.store(k.GATEWAY)
        ours = [g for g in (gateways_store.records() if gateways_store else ()) if ctx.is_ours(g)]
        blocked = sn.delete_blocked_message(key.name, sn.gateways_using(key.name, ours, ctx.settings), 0, 0)
        reason = sn.REASON_DELETE_BLOCKED
        if blocked is None:
            ctx.inventory.invalidate(Listing.SERVICE_NETWORKS)  # association counts of now
            network = await self._network(key.name)
            try:
                blocked = await self._remove(key.name, network) if network is not None else None
            except Conflict as error:  # an association made since the listing
                reason, blocked = sn.REASON_DELETE_ERROR, describe_aws_error(error)
        if blocked is not None:
            log.info("service network deletion blocked", name=key.name, reason=blocked)
            await self._report_blocked(record, reason, blocked, events)
            return RequeueAfter(DELETE_BLOCKED_RETRY_SECONDS)
        await ctx.writer.remove_finalizer(ctx.kind(k.SERVICE_NETWORK), key, SERVICE_NETWORK_FINALIZER)
        await events.succeeded(changed=True)
        return Success()

    async def _remove(self, name: str, network: dict[str, Any]) -> str | None:
        """Delete the network if ours, hand it back if adopted, else leave it; or why it must wait."""
        ctx, arn = self.ctx, str(network["arn"])
        removal = sn.network_removal(await ctx.tags.tags_of(arn), ctx.settings)
        if removal.release:
            await ctx.tags.untag(arn, removal.untag)
        if not removal.delete:
            log.info("service network not deleted: not created by this controller", name=name, arn=arn)
            return None
        blocked = sn.delete_blocked_message(
            name,
            [],
            int(network.get("numberOfAssociatedServices") or 0),
            int(network.get("numberOfAssociatedVPCs") or 0),
        )
        if blocked is not None:
            return blocked
        try:
            await ctx.lattice.delete_service_network(str(network["id"]))
        except NotFound:
            pass  # already gone
        finally:
            ctx.inventory.invalidate(Listing.SERVICE_NETWORKS)
        return None

    async def _report_blocked(
        self, record: ServiceNetwork, reason: str, message: str, events: LifecycleEvents
    ) -> None:
        generation = record.meta.generation
        accepted = next((x for x in record.conditions if x.type == c.ACCEPTED), sn.accepted(generation))
        status = _Status(accepted, sn.programmed(generation, reason, message), record.arn, record.id)
        if await self._write_status(record, status):
            await events.failed(message)

    async def _write_status(self, record: ServiceNetwork, status: _Status) -> bool:
        """Write ``status`` if it differs from the stored one; whether it did."""
        ctx = self.ctx
        conditions = merge_conditions(
            record.conditions, (status.accepted, status.programmed), ctx.now(), keep_others=True
        )
        if (conditions, status.arn, status.id) == (record.conditions, record.arn, record.id):
            return False
        payload: dict[str, Any] = {"conditions": [x.to_k8s() for x in conditions]}
        if status.arn:
            payload |= {"serviceNetworkARN": status.arn, "serviceNetworkID": status.id}
        await ctx.writer.patch_status(ctx.kind(k.SERVICE_NETWORK), record.meta.key, payload)
        return True
