"""Observed Lattice state shared by every reconcile of one resync cycle.

AWS cannot be watched, so reconciles observe through this inventory instead of calling List/Get
themselves. What is cached, and for how long:

* account-wide listings: services, service networks, target groups and the tags of all target
  groups (tagging API: one paginated ``GetResources``; Lattice-only mode: ``ListTagsForResource``
  per target group through the 60 s tag cache);
* tag-filtered listings (tagging API only, see ``inventory_tags``): ``arn → tags`` of the resources
  of some types carrying given tags — one ``GetResources`` per filter. The shared one, everything
  ManagedBy this controller, tells a route it has no service or target group yet without listing
  them all, and answers every route's tag reads (``tags_of_many``);
* scoped listings: listeners per service, rules per listener, targets per target group, service
  network associations per service, VPC associations per VPC.

Each listing is fetched at most once per cycle: concurrent askers share one in-flight request.
A listing lives until ``new_cycle()`` (a resync cycle starts, or a burst of reconciles is over) or
until a reconcile drops it (``invalidate`` after a NotFound or a Conflict, ``refresh_older_than``).
With periodic resync on, the resync driver calls
``new_cycle()`` when a cycle starts and the cycle lasts until every key it enqueued was handled, so
however long a cycle takes (1,000 routes: minutes), each listing is read once in it; with resync off
(``max_age_seconds`` set), a listing also expires that many seconds after it was fetched.

Writes made through ``LatticeApi`` are observed automatically: creates, updates and deletes of services,
networks, listeners, rules and target groups, (de)registrations of targets and service network
associations are applied to the cached listings in place (no re-list). A resource we just created has
nothing under it: its scoped listings (a service's listeners and associations, a listener's rules — its
default rule aside, which no reconcile reads — a target group's targets) start empty instead of being
listed. Targets we register show as ``INITIAL`` and those we deregister as ``DRAINING`` until the
listing is fetched again (next cycle): health is not known from a write, so a reader of target health
lists fresh. A write made while a listing is still being fetched is applied to the fetch's result when
it arrives (its pages may predate the write; every in-place change is idempotent, so pages that already
show it are not harmed): dropping the fetch instead let a burst of writes restart a long paginated
listing again and again. Out-of-band changes are seen at the next cycle. ``serviceArns`` of cached
target groups can lag: read the target group fresh (``LatticeApi.get_target_group``) before deleting it.

Items are the API's summary dicts in the compact form of ``aws.compact`` (the members no reconcile
reads dropped, strings interned; items from our writes likewise), shared between callers: treat them
as read-only. Scoped listings are keyed by the identifiers passed in: always pass ids (``svc-…``,
``listener-…``), never ARNs.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lattice_controller.aws.compact import Target, compact_item, compact_items, target_item
from lattice_controller.aws.inventory_tags import TARGET_GROUP_TAGS, RouteIndex, TaggedListings
from lattice_controller.aws.lattice import Json, LatticeApi
from lattice_controller.aws.listings import Listing, ListingKey
from lattice_controller.aws.tagging import TagStore

SERVICES: ListingKey = (Listing.SERVICES,)
SERVICE_NETWORKS: ListingKey = (Listing.SERVICE_NETWORKS,)
TARGET_GROUPS: ListingKey = (Listing.TARGET_GROUPS,)
_TAG_LISTINGS = frozenset({Listing.TAGGED, Listing.TARGET_GROUP_TAGS})
"""Listings of one ``arn → tags`` map (compacted by ``TagStore``), not of items."""


@dataclass(slots=True)
class InventoryStats:
    """How often a listing was served from the cache (hits) or fetched from AWS (fetches)."""

    hits: int = 0
    fetches: int = 0


Mutation = Callable[[list[Any]], None]


@dataclass(slots=True)
class _Listing:
    """One listing: in flight (``task``), then held (``items``; the finished task is let go: a task,
    its coroutine and its weak reference cost more than a scoped listing's items), or failed (``task``
    kept, done with an error)."""

    fetched_at: float
    task: asyncio.Future[Any] | None = None
    items: list[Any] | None = None
    pending: list[Mutation] | None = None  # writes seen while the fetch was in flight

    def settle(self, task: asyncio.Future[Any]) -> None:
        # The first done-callback of the fetch after _retrieve_outcome: it runs before any asker resumes.
        pending, self.pending = self.pending or [], None
        if task.cancelled() or task.exception() is not None:
            return
        items: list[Any] = task.result()
        for mutation in pending:
            mutation(items)
        self.items, self.task = items, None

    def failed(self) -> bool:
        task = self.task
        return task is not None and task.done() and (task.cancelled() or task.exception() is not None)

    def result(self) -> list[Any] | None:
        """The items of a successful fetch, its pending writes perhaps not applied yet (None: in
        flight or failed)."""
        if self.items is not None:
            return self.items
        if self.task is None or not self.task.done() or self.failed():
            return None
        items: list[Any] = self.task.result()
        return items


def _retrieve_outcome(task: asyncio.Future[Any]) -> None:
    # Every asker may have been cancelled; fetch the exception so asyncio does not report it as lost.
    if not task.cancelled():
        task.exception()


async def _compacted(listing: str, fetch: Callable[[], Awaitable[list[Any]]]) -> list[Any]:
    return compact_items(listing, await fetch())


def _matches(item: Mapping[str, Any], identifier: str) -> bool:
    return identifier in (item.get("id"), item.get("arn"))


class LatticeInventory(TaggedListings):
    def __init__(
        self,
        lattice: LatticeApi,
        tags: TagStore,
        *,
        max_age_seconds: float | None = 300.0,
        clock: Callable[[], float] = time.monotonic,
        on_fetch: Callable[[str], None] | None = None,
    ) -> None:
        self._lattice = lattice
        self._tags = tags
        self._max_age = math.inf if max_age_seconds is None else max_age_seconds
        self._clock = clock
        self._on_fetch = on_fetch
        self._listings: dict[ListingKey, _Listing] = {}
        self._tag_filters: dict[ListingKey, tuple[frozenset[str], dict[str, str]]] = {}
        self._route_index: dict[ListingKey, RouteIndex] = {}
        self._taken_service_names: set[str] = set()
        self.stats = InventoryStats()
        lattice.add_write_observer(self._on_write)
        tags.add_write_observer(self._on_tag_write)

    @property
    def lattice(self) -> LatticeApi:
        """The API this inventory lists through (observers use it for the few Get calls)."""
        return self._lattice

    # -- cycle control ---------------------------------------------------------------------------

    def new_cycle(self) -> None:
        """Forget everything; the next question re-lists. Called when a resync cycle starts, and when
        a burst of reconciles is over (``runtime.heap_release``): nothing reads the listings until the next
        change, and keeping 1,000 routes' listings costs megabytes."""
        self._listings.clear()
        self._route_index.clear()

    def invalidate(self, listing: Listing, *scope: str) -> None:
        """Drop one listing (``invalidate(Listing.LISTENERS, service_id)``) or, without a scope
        (``invalidate(Listing.RULES)``), every listing of that kind. Use after a NotFound/Conflict."""
        if not scope:
            for existing in [k for k in self._listings if k[0] == listing]:
                self._drop(existing)
        else:
            self._drop((listing, *scope))

    def refresh_older_than(self, listing: Listing, seconds: float) -> None:
        """Drop every listing of that kind fetched more than ``seconds`` ago: callers that must see
        other writers' changes share one fresh listing per ``seconds`` instead of one each."""
        now = self._clock()
        for key in [k for k, v in self._listings.items() if k[0] == listing and now - v.fetched_at > seconds]:
            self._drop(key)

    # -- account-wide listings -------------------------------------------------------------------

    async def services(self) -> list[Json]:
        return await self._listing(SERVICES, self._lattice.list_services)

    async def service_named(self, name: str) -> Json | None:
        return next((s for s in await self.services() if s.get("name") == name), None)

    async def service(self, identifier: str) -> Json | None:
        """The service with this id or ARN."""
        return next((s for s in await self.services() if _matches(s, identifier)), None)

    def services_loaded(self) -> bool:
        """Whether the services listing is held (or being fetched) this cycle: asking is free."""
        return SERVICES in self._listings

    def note_service_name_taken(self, name: str) -> None:
        """A ``CreateService`` for ``name`` met an existing service (ConflictException): lookups of
        that name must list services from now on instead of trusting tag-filtered listings."""
        self._taken_service_names.add(name)

    def service_name_taken(self, name: str) -> bool:
        return name in self._taken_service_names

    async def service_networks(self) -> list[Json]:
        return await self._listing(SERVICE_NETWORKS, self._lattice.list_service_networks)

    async def service_network_named(self, name_or_id: str) -> Json | None:
        """The service network with this name, id or ARN (gateways may name a network by id)."""
        networks = await self.service_networks()
        by_name = [n for n in networks if n.get("name") == name_or_id]
        if by_name:
            return by_name[0]
        return next((n for n in networks if _matches(n, name_or_id)), None)

    async def target_groups(self) -> list[Json]:
        return await self._listing(TARGET_GROUPS, self._lattice.list_target_groups)

    async def target_group(self, identifier: str) -> Json | None:
        return next((g for g in await self.target_groups() if _matches(g, identifier)), None)

    # -- scoped listings -------------------------------------------------------------------------

    async def listeners(self, service_id: str) -> list[Json]:
        return await self._listing(
            (Listing.LISTENERS, service_id), lambda: self._lattice.list_listeners(service_id)
        )

    async def rules(self, service_id: str, listener_id: str) -> list[Json]:
        return await self._listing(
            (Listing.RULES, service_id, listener_id),
            lambda: self._lattice.list_rules(service_id, listener_id),
        )

    async def targets(self, target_group_id: str) -> list[Json]:
        """``id``, ``port`` and ``status`` of each target (kept as ``Target`` tuples)."""
        kept: list[Target] = await self._listing(
            (Listing.TARGETS, target_group_id), lambda: self._lattice.list_targets(target_group_id)
        )
        return [target_item(t) for t in kept]

    async def service_associations(self, service_id: str) -> list[Json]:
        """Service network ↔ service associations of one service."""
        return await self._listing(
            (Listing.SERVICE_ASSOCIATIONS, service_id),
            lambda: self._lattice.list_service_network_service_associations(service_id=service_id),
        )

    async def vpc_associations(self, vpc_id: str) -> list[Json]:
        """Service network ↔ VPC associations of one VPC."""
        return await self._listing(
            (Listing.VPC_ASSOCIATIONS, vpc_id),
            lambda: self._lattice.list_service_network_vpc_associations(vpc_id=vpc_id),
        )

    # -- the cache -------------------------------------------------------------------------------

    async def _listing(self, key: ListingKey, fetch: Callable[[], Awaitable[list[Any]]]) -> list[Any]:
        listing = self._listings.get(key)
        now = self._clock()
        stale = listing is not None and (now - listing.fetched_at >= self._max_age or listing.failed())
        if listing is None or stale:
            self.stats.fetches += 1
            if self._on_fetch is not None:
                self._on_fetch(key[0])
            task = asyncio.ensure_future(fetch() if key[0] in _TAG_LISTINGS else _compacted(key[0], fetch))
            task.add_done_callback(_retrieve_outcome)
            listing = _Listing(now, task)
            task.add_done_callback(listing.settle)
            self._route_index.pop(key, None)
            self._listings[key] = listing
        else:
            self.stats.hits += 1
        if listing.items is not None:
            return list(listing.items)
        assert listing.task is not None
        # shield: one asker being cancelled must not cancel the fetch the others are waiting on.
        items: list[Any] = await asyncio.shield(listing.task)
        return list(items)

    def _mutate(self, key: ListingKey, mutation: Mutation) -> None:
        """Apply one of our writes to the listing ``key`` in place: now if it is loaded, when its
        fetch completes if it is in flight (before any asker sees the result)."""
        listing = self._listings.get(key)
        if listing is None:
            return
        if listing.items is not None:
            mutation(listing.items)
            return
        task = listing.task
        assert task is not None
        if not task.done() or listing.pending:
            if listing.pending is None:
                listing.pending = []
            listing.pending.append(mutation)
            return
        if listing.failed():
            self._drop(key)
            return
        mutation(task.result())

    def _seed(self, key: ListingKey, items: list[Any]) -> None:
        """A listing known without asking (the scoped listings of a resource we just created)."""
        if key in self._listings:
            return
        self._listings[key] = _Listing(self._clock(), items=items)

    def _drop(self, key: ListingKey) -> None:
        """Forget the listing ``key`` and what was derived from it (its ``RouteIndex``)."""
        self._listings.pop(key, None)
        self._route_index.pop(key, None)

    def _forget_tags_of(self, key: ListingKey, identifier: str) -> None:
        """Before a delete answered without an ARN: drop the tags of the item ``identifier`` of the
        loaded listing ``key`` from the tag-filtered listings."""
        listing = self._listings.get(key)
        for item in (listing.result() if listing is not None else None) or ():
            if _matches(item, identifier) and item.get("arn"):
                self._tagged_deleted(str(item["arn"]))

    def _upsert(self, key: ListingKey, item: Mapping[str, Any]) -> None:
        def upsert(items: list[Any]) -> None:
            for index, existing in enumerate(items):
                if existing.get("id") == item.get("id"):
                    items[index] = compact_item(key[0], {**existing, **item})
                    return
            items.append(compact_item(key[0], item))

        self._mutate(key, upsert)

    def _update_existing(self, key: ListingKey, identifier: str, fields: Mapping[str, Any]) -> None:
        def update(items: list[Any]) -> None:
            for index, existing in enumerate(items):
                if _matches(existing, identifier):
                    items[index] = compact_item(key[0], {**existing, **fields})

        self._mutate(key, update)

    def _loaded_items(self, key: ListingKey) -> list[Any] | None:
        """The items of a finished fetch of ``key`` (read-only), if there is one."""
        listing = self._listings.get(key)
        if listing is None or listing.pending:
            return None
        return listing.result()

    def _remove(self, key: ListingKey, identifier: str) -> None:
        def remove(items: list[Any]) -> None:
            items[:] = [i for i in items if not _matches(i, identifier)]

        self._mutate(key, remove)

    def _set_target_group_tags(self, arn: str, tags: Mapping[str, str] | None) -> None:
        """The loaded tags of all target groups: ``arn``'s are ``tags`` now (None: it is gone)."""

        def set_tags(listing: list[dict[str, dict[str, str]]]) -> None:
            if tags is None:
                listing[0].pop(arn, None)
            else:
                listing[0][arn] = dict(tags)

        self._mutate(TARGET_GROUP_TAGS, set_tags)

    # -- write observation -----------------------------------------------------------------------

    def _on_write(self, operation: str, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        handler = _WRITE_HANDLERS.get(operation)
        if handler is not None:
            handler(self, params, response)

    def _on_tag_write(self, arn: str, added: Mapping[str, str], removed: list[str]) -> None:
        self._tags_written_to_listings(arn, added, removed)
        if ":targetgroup/" not in arn:
            return

        def merge(listing: list[dict[str, dict[str, str]]]) -> None:
            merged = {k: v for k, v in listing[0].get(arn, {}).items() if k not in removed} | dict(added)
            listing[0][arn] = merged

        self._mutate(TARGET_GROUP_TAGS, merge)


def operation_created(params: Mapping[str, Any]) -> bool:
    """Whether a write shared by creates and updates was a create (only creates carry a client token)."""
    return "clientToken" in params


# Each handler applies one successful write to the cached listings (see the module docstring).
WriteHandler = Callable[[LatticeInventory, Mapping[str, Any], Mapping[str, Any]], None]


def _service_written(inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    inv._upsert(SERVICES, {k: v for k, v in response.items() if k != "idleTimeoutSeconds"})
    if operation_created(params) and response.get("arn"):
        inv._tagged_created(str(response["arn"]), params.get("tags"))
    if operation_created(params) and response.get("id"):
        inv._seed((Listing.LISTENERS, str(response["id"])), [])
        inv._seed((Listing.SERVICE_ASSOCIATIONS, str(response["id"])), [])


def _service_deleted(inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    service_id = str(response.get("id") or params["serviceIdentifier"])
    inv._remove(SERVICES, service_id)
    if response.get("arn"):
        inv._tagged_deleted(str(response["arn"]))
    inv.invalidate(Listing.LISTENERS, service_id)
    inv.invalidate(Listing.SERVICE_ASSOCIATIONS, service_id)
    for key in [k for k in inv._listings if k[0] == Listing.RULES and k[1] == service_id]:
        inv._drop(key)


def _network_written(inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    inv._upsert(SERVICE_NETWORKS, {k: v for k, v in response.items() if k != "sharingConfig"})


def _network_deleted(inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    inv._remove(SERVICE_NETWORKS, str(params["serviceNetworkIdentifier"]))
    inv.invalidate(Listing.VPC_ASSOCIATIONS)
    inv.invalidate(Listing.SERVICE_ASSOCIATIONS)


def _listener_written(inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    service_id = str(response.get("serviceId") or params["serviceIdentifier"])
    inv._upsert((Listing.LISTENERS, service_id), {k: v for k, v in response.items() if k != "defaultAction"})
    if operation_created(params) and response.get("arn"):
        inv._tagged_created(str(response["arn"]), params.get("tags"))
    if operation_created(params) and response.get("id"):
        inv._seed((Listing.RULES, service_id, str(response["id"])), [])


def _listener_deleted(inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    service_id, listener_id = str(params["serviceIdentifier"]), str(params["listenerIdentifier"])
    inv._forget_tags_of((Listing.LISTENERS, service_id), listener_id)
    inv._remove((Listing.LISTENERS, service_id), listener_id)
    inv.invalidate(Listing.RULES, service_id, listener_id)


def _rule_created(inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    key = (Listing.RULES, str(params["serviceIdentifier"]), str(params["listenerIdentifier"]))
    inv._upsert(key, {"isDefault": False, **response})
    if response.get("arn"):
        inv._tagged_created(str(response["arn"]), params.get("tags"))


def _rule_updated(inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    inv._upsert(
        (Listing.RULES, str(params["serviceIdentifier"]), str(params["listenerIdentifier"])), response
    )


def _rule_deleted(inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    key = (Listing.RULES, str(params["serviceIdentifier"]), str(params["listenerIdentifier"]))
    inv._forget_tags_of(key, str(params["ruleIdentifier"]))
    inv._remove(key, str(params["ruleIdentifier"]))


def _rules_batch_updated(
    inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]
) -> None:
    key = (Listing.RULES, str(params["serviceIdentifier"]), str(params["listenerIdentifier"]))
    for rule in response.get("successful") or []:
        inv._upsert(key, rule)
    if response.get("unsuccessful"):
        inv.invalidate(*key)


def _target_group_created(
    inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]
) -> None:
    config: Mapping[str, Any] = response.get("config") or params.get("config") or {}
    summary = {k: v for k, v in response.items() if k != "config"}
    for name in ("port", "protocol", "ipAddressType", "vpcIdentifier", "lambdaEventStructureVersion"):
        if name in config:
            summary[name] = config[name]
    summary["serviceArns"] = []
    inv._upsert(TARGET_GROUPS, summary)
    inv._set_target_group_tags(str(response["arn"]), params.get("tags") or {})
    inv._tagged_created(str(response["arn"]), params.get("tags"))
    if response.get("id"):
        inv._seed((Listing.TARGETS, str(response["id"])), [])


def _target_group_deleted(
    inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]
) -> None:
    identifier = str(response.get("id") or params["targetGroupIdentifier"])
    inv._remove(TARGET_GROUPS, identifier)
    inv.invalidate(Listing.TARGETS, identifier)
    if response.get("arn"):
        inv._set_target_group_tags(str(response["arn"]), None)
        inv._tagged_deleted(str(response["arn"]))


def _targets_now(
    inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any], status: str
) -> None:
    """The (de)registered targets (a batch's ``successful`` ones) are in ``status`` now."""
    changed = {(str(t.get("id")), int(t.get("port") or 0)) for t in response.get("successful") or []}

    def apply(items: list[Target]) -> None:
        kept = [t for t in items if (t[0], t[1]) not in changed]
        items[:] = kept + [(ip, port, status) for ip, port in sorted(changed)]

    inv._mutate((Listing.TARGETS, str(params["targetGroupIdentifier"])), apply)


def _targets_registered(
    inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]
) -> None:
    _targets_now(inv, params, response, "INITIAL")


def _targets_deregistered(
    inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]
) -> None:
    _targets_now(inv, params, response, "DRAINING")


def _service_association_created(
    inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]
) -> None:
    service_id, network = str(params["serviceIdentifier"]), str(params["serviceNetworkIdentifier"])
    if service_id.startswith("svc-") and network.startswith("sn-") and response.get("id"):
        item = {
            "id": response["id"],
            "arn": response.get("arn"),
            "status": response.get("status") or "CREATE_IN_PROGRESS",
            "serviceId": service_id,
            "serviceNetworkId": network,
        }
        names = [n.get("name") for n in inv._loaded_items(SERVICE_NETWORKS) or () if n.get("id") == network]
        if names:
            item["serviceNetworkName"] = names[0]
        inv._upsert((Listing.SERVICE_ASSOCIATIONS, service_id), item)
    else:
        inv.invalidate(Listing.SERVICE_ASSOCIATIONS)
    if response.get("arn"):
        inv._tagged_created(str(response["arn"]), params.get("tags"))


def _service_association_deleted(
    inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]
) -> None:
    # Lattice deletes it in the background: listings show it DELETE_IN_PROGRESS until it is gone.
    association = str(response.get("id") or params["serviceNetworkServiceAssociationIdentifier"])
    status = str(response.get("status") or "DELETE_IN_PROGRESS")
    for key in [k for k in inv._listings if k[0] == Listing.SERVICE_ASSOCIATIONS]:
        inv._update_existing(key, association, {"status": status})
    if response.get("arn"):
        inv._tagged_deleted(str(response["arn"]))


def _vpc_association_changed(
    inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]
) -> None:
    inv.invalidate(Listing.VPC_ASSOCIATIONS)


def _lattice_tags_changed(
    inv: LatticeInventory, params: Mapping[str, Any], response: Mapping[str, Any]
) -> None:
    inv._on_tag_write(str(params["resourceArn"]), params.get("tags") or {}, list(params.get("tagKeys") or []))


_WRITE_HANDLERS: dict[str, WriteHandler] = {
    "CreateService": _service_written,
    "UpdateService": _service_written,
    "DeleteService": _service_deleted,
    "CreateServiceNetwork": _network_written,
    "UpdateServiceNetwork": _network_written,
    "DeleteServiceNetwork": _network_deleted,
    "CreateListener": _listener_written,
    "UpdateListener": _listener_written,
    "DeleteListener": _listener_deleted,
    "CreateRule": _rule_created,
    "UpdateRule": _rule_updated,
    "DeleteRule": _rule_deleted,
    "BatchUpdateRule": _rules_batch_updated,
    "CreateTargetGroup": _target_group_created,
    "DeleteTargetGroup": _target_group_deleted,
    "RegisterTargets": _targets_registered,
    "DeregisterTargets": _targets_deregistered,
    "CreateServiceNetworkServiceAssociation": _service_association_created,
    "DeleteServiceNetworkServiceAssociation": _service_association_deleted,
    "CreateServiceNetworkVpcAssociation": _vpc_association_changed,
    "UpdateServiceNetworkVpcAssociation": _vpc_association_changed,
    "DeleteServiceNetworkVpcAssociation": _vpc_association_changed,
    "TagResource": _lattice_tags_changed,
    "UntagResource": _lattice_tags_changed,
}
