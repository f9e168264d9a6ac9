"""Reading and writing tags of Lattice resources, in both lookup modes of the Go
controller (tagging API, or Lattice calls only).

* Tagging-API mode (default): ``tag:GetResources`` with resource-type and tag filters, ARN lists in
  chunks of 100, ``tag:TagResources`` / ``tag:UntagResources``.
* Lattice-only mode (``DISABLE_TAGGING_SERVICE_API=true``): ``ListTargetGroups`` + per-ARN
  ``ListTagsForResource``, and Lattice ``TagResource`` / ``UntagResource``.

Ownership reads (``tags_of``) always use Lattice ``ListTagsForResource`` through an LRU cache
(1000 entries, 60 s). Unlike the reference, the cache is invalidated by every tag write this
process makes, whichever API it goes through, and by deletes.
"""

from __future__ import annotations

import sys
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from lattice_controller.aws.compact import TagMaps
from lattice_controller.aws.errors import make_error
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.pagination import collect_pages, each_page
from lattice_controller.aws.session import TAGGING
from lattice_controller.aws.transport import AwsTransport

ARNS_PER_GET_RESOURCES = 100
RESOURCES_PER_PAGE = 100
"""The largest ``GetResources`` page (the API's default is smaller): fewer pages per listing."""
TARGET_GROUP_RESOURCE_TYPE = "vpc-lattice:targetgroup"
SERVICE_RESOURCE_TYPE = "vpc-lattice:service"

Tags = dict[str, str]
TagWriteObserver = Callable[[str, Mapping[str, str], list[str]], None]
"""Called as ``observer(arn, added_tags, removed_keys)`` after a tagging-API write."""


class TagCache:
    """LRU of ``arn → tags`` whose entries expire ``ttl_seconds`` after they were stored."""

    def __init__(
        self,
        *,
        max_entries: int = 1000,
        ttl_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[str, tuple[float, Tags]] = OrderedDict()
        self._max_entries = max_entries
        self._ttl = ttl_seconds
        self._clock = clock

    def get(self, arn: str) -> Tags | None:
        entry = self._entries.get(arn)
        if entry is None:
            return None
        stored_at, tags = entry
        if self._clock() - stored_at >= self._ttl:
            del self._entries[arn]
            return None
        self._entries.move_to_end(arn)
        return dict(tags)

    def put(self, arn: str, tags: Mapping[str, str]) -> None:
        self._entries[arn] = (self._clock(), dict(tags))
        self._entries.move_to_end(arn)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def invalidate(self, arn: str) -> None:
        self._entries.pop(arn, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _tag_pairs(mapping: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(t["Key"]), str(t.get("Value", ""))) for t in mapping.get("Tags") or []]


def _tag_list(mapping: Mapping[str, Any]) -> Tags:
    return dict(_tag_pairs(mapping))


class TagStore:
    """Tag reads and writes for Lattice resources; ``use_tagging_api`` picks the mode."""

    def __init__(
        self,
        lattice: LatticeApi,
        transport: AwsTransport,
        *,
        use_tagging_api: bool = True,
        cache: TagCache | None = None,
    ) -> None:
        self._lattice = lattice
        self._transport = transport
        self.use_tagging_api = use_tagging_api
        self.cache = cache or TagCache()
        self._write_observers: list[TagWriteObserver] = []
        lattice.add_write_observer(self._on_lattice_write)

    def add_write_observer(self, observer: TagWriteObserver) -> None:
        """Observe tag writes made through the tagging API (Lattice-mode writes are observed on
        ``LatticeApi`` as ``TagResource``/``UntagResource``)."""
        self._write_observers.append(observer)

    # -- reads -----------------------------------------------------------------------------------

    async def tags_of(self, arn: str) -> Tags:
        """Tags of one Lattice resource (ownership reads), from the 60 s cache when possible."""
        cached = self.cache.get(arn)
        if cached is not None:
            return cached
        tags = await self._lattice.list_tags_for_resource(arn)
        self.cache.put(arn, tags)
        return dict(tags)

    async def tags_of_many(self, arns: Sequence[str]) -> dict[str, Tags]:
        """Tags for each ARN. Tagging API: ``GetResources(ResourceARNList)`` per 100 ARNs (untagged or
        unknown ARNs map to ``{}``); Lattice mode: ``tags_of`` per ARN."""
        if not self.use_tagging_api:
            return {arn: await self.tags_of(arn) for arn in arns}
        found: dict[str, Tags] = {arn: {} for arn in arns}
        unique = list(found)
        for start in range(0, len(unique), ARNS_PER_GET_RESOURCES):
            chunk = unique[start : start + ARNS_PER_GET_RESOURCES]
            for mapping in await self._get_resources(ResourceARNList=chunk):
                found[str(mapping["ResourceARN"])] = _tag_list(mapping)
        return found

    async def tagged_resources(
        self, resource_type: str | Sequence[str], tags: Mapping[str, str] | None = None
    ) -> dict[str, Tags]:
        """Tagging API only: ``arn → tags`` of every tagged resource of ``resource_type`` (one type,
        e.g. ``"vpc-lattice:targetgroup"``, or several in one call) carrying all of ``tags``.

        Built page by page in compact form (``aws.compact``): ARNs and tags interned, equal tag maps
        shared — read-only."""
        if not self.use_tagging_api:
            raise RuntimeError("tagged_resources needs the tagging API (DISABLE_TAGGING_SERVICE_API is set)")
        types = [resource_type] if isinstance(resource_type, str) else list(resource_type)
        params: dict[str, Any] = {"ResourceTypeFilters": types, "ResourcesPerPage": RESOURCES_PER_PAGE}
        if tags:
            params["TagFilters"] = [{"Key": k, "Values": [v]} for k, v in tags.items()]
        found: dict[str, Tags] = {}
        maps = TagMaps()
        async for page in each_page(
            self._get_resources_page(params), items_key="ResourceTagMappingList", token_key="PaginationToken"
        ):
            for mapping in page:
                found[sys.intern(str(mapping["ResourceARN"]))] = maps.shared(_tag_pairs(mapping))
        return found

    async def find_target_groups(self, tags: Mapping[str, str], *, vpc_id: str) -> dict[str, Tags]:
        """``arn → tags`` of target groups carrying all ``tags``, the Go controller's lookup.

        An empty filter matches nothing. The tagging API does not filter by VPC; callers that need
        the VPC compare ``vpcIdentifier`` from the target group itself (the inventory does)."""
        if not tags:
            return {}
        if self.use_tagging_api:
            return await self.tagged_resources(TARGET_GROUP_RESOURCE_TYPE, tags)
        matches: dict[str, Tags] = {}
        for group in await self._lattice.list_target_groups(vpc_id=vpc_id):
            arn = str(group["arn"])
            group_tags = await self.tags_of(arn)
            if all(group_tags.get(k) == v for k, v in tags.items()):
                matches[arn] = group_tags
        return matches

    async def _get_resources(self, **params: Any) -> list[dict[str, Any]]:
        return await collect_pages(
            self._get_resources_page(params), items_key="ResourceTagMappingList", token_key="PaginationToken"
        )

    def _get_resources_page(
        self, params: Mapping[str, Any]
    ) -> Callable[[str | None], Awaitable[dict[str, Any]]]:
        async def page(token: str | None) -> dict[str, Any]:
            request = dict(params, PaginationToken=token) if token else params
            return await self._transport.call(TAGGING, "GetResources", request)

        return page

    # -- writes ----------------------------------------------------------------------------------

    async def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        """Add or overwrite ``tags`` on ``arn``."""
        if not tags:
            return
        if self.use_tagging_api:
            response = await self._transport.call(
                TAGGING, "TagResources", {"ResourceARNList": [arn], "Tags": dict(tags)}
            )
            self.cache.invalidate(arn)
            _raise_failed(response, "TagResources")
            for observer in self._write_observers:
                observer(arn, tags, [])
        else:
            await self._lattice.tag_resource(arn, tags)

    async def untag(self, arn: str, tag_keys: Sequence[str]) -> None:
        """Remove ``tag_keys`` from ``arn``."""
        if not tag_keys:
            return
        if self.use_tagging_api:
            response = await self._transport.call(
                TAGGING, "UntagResources", {"ResourceARNList": [arn], "TagKeys": list(tag_keys)}
            )
            self.cache.invalidate(arn)
            _raise_failed(response, "UntagResources")
            for observer in self._write_observers:
                observer(arn, {}, list(tag_keys))
        else:
            await self._lattice.untag_resource(arn, tag_keys)

    def _on_lattice_write(
        self, operation: str, params: Mapping[str, Any], response: Mapping[str, Any]
    ) -> None:
        if operation in ("TagResource", "UntagResource"):
            self.cache.invalidate(str(params["resourceArn"]))
        elif operation.startswith("Delete") and response.get("arn"):
            self.cache.invalidate(str(response["arn"]))


def _raise_failed(response: Mapping[str, Any], operation: str) -> None:
    """The tagging API reports per-ARN failures in the body of a 200; surface them as errors."""
    failed: Mapping[str, Any] = response.get("FailedResourcesMap") or {}
    for arn, info in failed.items():
        raise make_error(
            TAGGING,
            operation,
            str(info.get("ErrorCode") or "Unknown"),
            f"{arn}: {info.get('ErrorMessage', '')}",
        )
