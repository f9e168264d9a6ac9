"""Tag listings of the Lattice inventory, and the tag reads they serve.

The tags of all target groups (``target_group_tags``: tagging API, one paginated ``GetResources``;
Lattice-only mode, ``ListTagsForResource`` per target group through the 60 s tag cache) back
``target_groups_tagged``. The rest of this module is tagging-API mode only.

A tag-filtered listing is ``arn → tags`` of the resources of some types carrying given tags: one
paginated ``GetResources`` per filter per resync cycle. The one every route shares is everything
ManagedBy this controller of every Lattice type (``MANAGED_RESOURCE_TYPES``: services, listeners,
rules, service network associations, target groups): it names the services and target groups a route owns, and
``tags_of_many`` answers a route's tag reads from it instead of one ``GetResources(ResourceARNList)``
per route. ARNs it does not list (untagged, foreign ManagedBy, created by someone else since) are
still read individually, and only those: ownership and takeover rules see their real tags.

Creates, deletes and tag writes of this process are applied to loaded listings in place; out-of-band
changes are seen next cycle. The tagging API can lag and list deleted resources: join its ARNs with a
Lattice listing before trusting them. This module is the tag half of ``LatticeInventory`` (a mixin):
it never calls Lattice itself and holds no cache of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lattice_controller.aws.lattice import Json
from lattice_controller.aws.listings import Listing, ListingKey
from lattice_controller.aws.tagging import TARGET_GROUP_RESOURCE_TYPE, Tags, TagStore
from lattice_controller.model import tags as tag_keys

TARGET_GROUP_TAGS: ListingKey = (Listing.TARGET_GROUP_TAGS,)
MANAGED_RESOURCE_TYPES = ("vpc-lattice",)
"""The filter of the shared ManagedBy listing: every Lattice type in one call — services, listeners,
rules, service network associations and target groups (and our few networks and VPC associations).
A whole-service filter, because the tagging API's names of nested types (``vpc-lattice:service/
listener``, ``…/listener/rule``) differ between AWS and emulators; types are told apart by ARN."""


def resource_type(arn: str) -> str:
    """The tagging API's resource type of a Lattice ARN: ``…:service/svc-1`` → ``vpc-lattice:service``,
    ``…:service/svc-1/listener/l-1`` → ``vpc-lattice:service/listener``."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return ""
    return f"{parts[2]}:" + "/".join(parts[5].split("/")[0::2])


def matches_type_filter(arn: str, resource_types: Collection[str]) -> bool:
    """Whether ``arn`` passes ``ResourceTypeFilters`` of ``resource_types``: a type (``"vpc-lattice:
    service"``) matches exactly, a bare service (``"vpc-lattice"``) matches all its types."""
    kind = resource_type(arn)
    return kind in resource_types or kind.split(":", 1)[0] in resource_types


@dataclass(frozen=True, slots=True)
class TaggedTargetGroup:
    """A target group summary (``ListTargetGroups`` item) with its tags."""

    summary: Mapping[str, Any]
    tags: Mapping[str, str]

    @property
    def id(self) -> str:
        return str(self.summary["id"])

    @property
    def arn(self) -> str:
        return str(self.summary["arn"])


@dataclass(slots=True)
class RouteIndex:
    """A tag-filtered listing's resources grouped by the route tags they carry (``K8SRouteName``,
    ``K8SRouteNamespace``): built once per listing and kept current by our own writes, so a route
    finds its own resources without scanning everything ManagedBy us (a scan per reconcile made a
    burst of N routes cost N² work)."""

    listing: dict[str, Tags]
    by_route: dict[tuple[str, str], dict[str, Tags]]

    @classmethod
    def build(cls, listing: dict[str, Tags]) -> RouteIndex:
        index = cls(listing, {})
        for arn, tags in listing.items():
            index.add(arn, tags)
        return index

    def add(self, arn: str, tags: Tags) -> None:
        route = (tags.get(tag_keys.ROUTE_NAME), tags.get(tag_keys.ROUTE_NAMESPACE))
        if route[0] is not None and route[1] is not None:
            self.by_route.setdefault((route[0], route[1]), {})[arn] = tags

    def remove(self, arn: str) -> None:
        for found in self.by_route.values():
            found.pop(arn, None)


class TaggedListings:
    """The tag-filtered listings of ``LatticeInventory``; it provides the cache primitives below."""

    _tags: TagStore
    _tag_filters: dict[ListingKey, tuple[frozenset[str], dict[str, str]]]
    _route_index: dict[ListingKey, RouteIndex]

    # -- provided by the inventory's cache ------------------------------------------------------

    async def _listing(self, key: ListingKey, fetch: Callable[[], Awaitable[list[Any]]]) -> list[Any]:
        raise NotImplementedError

    def _mutate(self, key: ListingKey, mutation: Callable[[list[Any]], None]) -> None:
        raise NotImplementedError

    def _drop(self, key: ListingKey) -> None:
        raise NotImplementedError

    async def target_groups(self) -> list[Json]:
        raise NotImplementedError

    # -- reads ------------------------------------------------------------------------------------

    async def tagged(self, resource_types: Sequence[str], tags: Mapping[str, str]) -> dict[str, Tags]:
        """Tagging API only: ``arn → tags`` of resources of ``resource_types`` (``"vpc-lattice:service"``,
        ``"vpc-lattice:targetgroup"``, …) carrying every pair of ``tags``: one ``GetResources`` per
        filter per cycle. Creates, deletes and tag writes of this process keep it current."""
        _, listing = await self._tagged_listing(resource_types, tags)
        return dict(listing)

    async def _tagged_listing(
        self, resource_types: Sequence[str], tags: Mapping[str, str]
    ) -> tuple[ListingKey, dict[str, Tags]]:
        """The listing's key and its live dict (shared: never modify it, never hand it out)."""
        types = frozenset(resource_types)
        key = (Listing.TAGGED, *sorted(types), "|", *sorted(f"{k}={v}" for k, v in tags.items()))
        self._tag_filters[key] = (types, dict(tags))
        listing: list[dict[str, Tags]] = await self._listing(
            key, lambda: self._fetch_tagged(sorted(types), dict(tags))
        )
        return key, listing[0]

    async def managed(self, managed_tags: Mapping[str, str]) -> dict[str, Tags]:
        """The shared listing: ``MANAGED_RESOURCE_TYPES`` carrying ``managed_tags`` (our ManagedBy)."""
        return await self.tagged(MANAGED_RESOURCE_TYPES, managed_tags)

    async def managed_of_route(
        self, managed_tags: Mapping[str, str], route_name: str, route_namespace: str
    ) -> dict[str, Tags]:
        """The part of ``managed(managed_tags)`` tagged with this route's name and namespace (its
        services and target groups), looked up in a ``RouteIndex`` instead of scanned."""
        key, listing = await self._tagged_listing(MANAGED_RESOURCE_TYPES, managed_tags)
        index = self._route_index.get(key)
        if index is None or index.listing is not listing:
            index = self._route_index[key] = RouteIndex.build(listing)
        return dict(index.by_route.get((route_name, route_namespace), {}))

    async def tags_of_many(self, arns: Sequence[str], *, managed_tags: Mapping[str, str]) -> dict[str, Tags]:
        """Tags of each ARN (``{}`` for untagged or unknown ones), as ``TagStore.tags_of_many`` gives
        them. Tagging API: ARNs in the shared ``managed(managed_tags)`` listing are answered from it;
        only the others cost a ``GetResources(ResourceARNList)`` (per 100). Lattice-only mode:
        ``TagStore.tags_of_many`` unchanged (``ListTagsForResource`` per ARN through the tag cache)."""
        if not self._tags.use_tagging_api:
            return await self._tags.tags_of_many(arns)
        listed = (await self._tagged_listing(MANAGED_RESOURCE_TYPES, managed_tags))[1] if arns else {}
        found = {arn: dict(listed[arn]) for arn in arns if arn in listed}
        missing = [arn for arn in dict.fromkeys(arns) if arn not in found]
        if missing:
            found |= await self._tags.tags_of_many(missing)
        return found

    async def target_group_tags(self) -> dict[str, Tags]:
        """``arn → tags`` for every target group (untagged ones map to ``{}``)."""
        listing: list[dict[str, Tags]] = await self._listing(TARGET_GROUP_TAGS, self._fetch_target_group_tags)
        return dict(listing[0])

    async def target_groups_tagged(
        self, tags: Mapping[str, str], *, vpc_id: str | None = None
    ) -> list[TaggedTargetGroup]:
        """Target groups carrying every pair of ``tags`` (an empty filter matches nothing),
        optionally only those in ``vpc_id``. Costs at most one ``ListTargetGroups`` and one tag
        listing per cycle, however many reconciles ask."""
        if not tags:
            return []
        groups = await self.target_groups()
        all_tags = await self.target_group_tags()
        found: list[TaggedTargetGroup] = []
        for group in groups:
            if vpc_id is not None and group.get("vpcIdentifier") != vpc_id:
                continue
            group_tags = all_tags.get(str(group["arn"]), {})
            if all(group_tags.get(k) == v for k, v in tags.items()):
                found.append(TaggedTargetGroup(group, group_tags))
        return found

    async def _fetch_target_group_tags(self) -> list[dict[str, Tags]]:
        if self._tags.use_tagging_api:
            return [await self._tags.tagged_resources(TARGET_GROUP_RESOURCE_TYPE)]
        arns = [str(g["arn"]) for g in await self.target_groups()]
        return [await self._tags.tags_of_many(arns)]

    async def _fetch_tagged(self, types: list[str], tags: dict[str, str]) -> list[dict[str, Tags]]:
        return [await self._tags.tagged_resources(types, tags)]

    # -- applying our own writes ------------------------------------------------------------------

    def _for_tagged_listings(
        self, change: Callable[[ListingKey, frozenset[str], dict[str, str], dict[str, Tags]], None]
    ) -> None:
        """Apply ``change(key, types, tags, listing)`` to every tag-filtered listing held or in flight."""
        for key, (types, tags) in list(self._tag_filters.items()):

            def mutation(
                loaded: list[Any],
                key: ListingKey = key,
                types: frozenset[str] = types,
                tags: dict[str, str] = tags,
            ) -> None:
                change(key, types, tags, loaded[0])

            self._mutate(key, mutation)

    def _indexed(self, key: ListingKey, listing: dict[str, Tags]) -> RouteIndex | None:
        index = self._route_index.get(key)
        return index if index is not None and index.listing is listing else None

    def _tagged_created(self, arn: str, tags: Mapping[str, str] | None) -> None:
        """A resource we created with ``tags`` (a create without tags matches no filter)."""
        tags = dict(tags or {})

        def created(
            key: ListingKey, types: frozenset[str], wanted: dict[str, str], found: dict[str, Tags]
        ) -> None:
            if matches_type_filter(arn, types) and all(tags.get(k) == v for k, v in wanted.items()):
                found[arn] = dict(tags)
                index = self._indexed(key, found)
                if index is not None:
                    index.add(arn, found[arn])

        self._for_tagged_listings(created)

    def _tagged_deleted(self, arn: str) -> None:
        def deleted(
            key: ListingKey, types: frozenset[str], wanted: dict[str, str], found: dict[str, Tags]
        ) -> None:
            found.pop(arn, None)
            index = self._indexed(key, found)
            if index is not None:
                index.remove(arn)

        self._for_tagged_listings(deleted)

    def _tags_written_to_listings(self, arn: str, added: Mapping[str, str], removed: list[str]) -> None:
        added = dict(added)

        def written(
            key: ListingKey, types: frozenset[str], wanted: dict[str, str], found: dict[str, Tags]
        ) -> None:
            if not matches_type_filter(arn, types):
                return
            index = self._indexed(key, found)
            if index is not None:
                index.remove(arn)
            if arn in found:
                found[arn] = {k: v for k, v in found[arn].items() if k not in removed} | added
                if not all(found[arn].get(k) == v for k, v in wanted.items()):
                    del found[arn]
                elif index is not None:
                    index.add(arn, found[arn])
            elif any(k in wanted for k in added):
                self._drop(key)  # it may match now; its other tags are unknown here

        self._for_tagged_listings(written)
