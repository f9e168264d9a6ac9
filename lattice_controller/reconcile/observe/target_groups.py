"""Observe a route's target groups: the ones the diff will keep (health check, targets) and the
route's others it may delete (read fresh: cached ``serviceArns`` can lag), plus ServiceExport
target groups named by ServiceImport backends.

Tagging-API mode: the shared ``GetResources`` of everything ManagedBy us names the route's groups;
only when it names some is the shared ``ListTargetGroups`` needed (a new route costs no TG read
beyond that one call). Lattice-only mode, and ServiceExport groups named by imports: one shared
``ListTargetGroups`` and one shared tag listing per cycle find them. ``GetTargetGroup``
only for a kept group whose ``lastUpdatedAt`` moved since its health check was last read (or for a
deletion candidate); ``ListTargets`` only where targets are synced or must be deregistered: a
kept group's through the inventory (once per cycle; our own (de)registrations update it in place,
and a group we created starts with none), a deletion candidate's fresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import replace
from typing import Any

from lattice_controller.aws.errors import NotFound
from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.inventory_tags import TaggedTargetGroup, resource_type
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.listings import Listing
from lattice_controller.aws.shapes import health_check_from_api, target_group_config_from_api
from lattice_controller.aws.tagging import TARGET_GROUP_RESOURCE_TYPE
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.lattice import ImportedTargetGroup, RouteLatticeState, TargetGroupSpec
from lattice_controller.model.lattice_observed import ObservedTarget, ObservedTargetGroup
from lattice_controller.reconcile.diff import find_target_group
from lattice_controller.reconcile.observe.details import DetailCache

TRANSITIONAL = frozenset({"CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS"})


def _pairs(tags: dict[str, str] | Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(dict(tags).items()))


class TargetGroupObserver:
    def __init__(
        self,
        desired: RouteLatticeState,
        inventory: LatticeInventory,
        lattice: LatticeApi,
        cluster: str,
        vpc_id: str,
        details: DetailCache,
        *,
        use_tagging_api: bool = False,
    ) -> None:
        self.use_tagging_api = use_tagging_api
        self.desired = desired
        self.inventory = inventory
        self.lattice = lattice
        self.cluster = cluster
        self.vpc_id = vpc_id
        self.details = details

    async def _route_groups(self) -> list[TaggedTargetGroup]:
        route = self.desired.route
        identity = {
            tag_keys.CLUSTER_NAME: self.cluster,
            tag_keys.ROUTE_NAME: route.name,
            tag_keys.ROUTE_NAMESPACE: route.namespace,
        }
        if not self.use_tagging_api:
            return await self.inventory.target_groups_tagged(identity)
        owned = await self.inventory.managed_of_route(
            {tag_keys.MANAGED_BY: self.desired.managed_by}, route.name, route.namespace
        )
        ours = {
            arn: tags
            for arn, tags in owned.items()
            if resource_type(arn) == TARGET_GROUP_RESOURCE_TYPE
            and all(tags.get(k) == v for k, v in identity.items())
        }
        if not ours:
            return []
        # The tagging API can still list deleted groups: only those Lattice lists exist.
        summaries = {str(g["arn"]): g for g in await self.inventory.target_groups()}
        return [TaggedTargetGroup(summaries[arn], tags) for arn, tags in ours.items() if arn in summaries]

    async def observe(self) -> tuple[ObservedTargetGroup, ...]:
        queries = [self._route_groups()]
        for imported in imported_exports(self.desired):
            queries.append(
                self.inventory.target_groups_tagged(
                    {
                        tag_keys.SOURCE_TYPE_KEY: tag_keys.SOURCE_TYPE_SERVICE_EXPORT,
                        tag_keys.SERVICE_NAME: imported.export_name,
                        tag_keys.SERVICE_NAMESPACE: imported.namespace,
                    }
                )
            )
        tagged: dict[str, TaggedTargetGroup] = {}
        for found in await asyncio.gather(*queries):
            for group in found:
                tagged.setdefault(group.arn, group)
        for arn in external_target_groups(self.desired):
            # Used as is, never changed: only whether it exists (the shared listing, no extra call).
            summary = await self.inventory.target_group(arn)
            if summary is not None and str(summary["arn"]) not in tagged:
                tagged[str(summary["arn"])] = TaggedTargetGroup(summary, {})
        reader = GroupReader(self.inventory, self.lattice, self.details)
        specs = () if self.desired.deleting else self.desired.target_groups
        return await reader.observe(tagged.values(), specs, self._route_owns)

    def _route_owns(self, tg: ObservedTargetGroup) -> bool:
        tags = tg.tag_dict()
        return (
            tags.get(tag_keys.SOURCE_TYPE_KEY) == tag_keys.route_source_type(self.desired.route_type)
            and tg.config.vpc == self.vpc_id
            and tg.status != "DELETE_IN_PROGRESS"
        )


class GroupReader:
    """Reads the details one owner's plan needs of target groups found by tags: for a group a spec
    keeps, its health check (only when it changed since last read) and targets; for one the owner may
    delete, fresh ``serviceArns``, status and targets; nothing more for the rest."""

    def __init__(self, inventory: LatticeInventory, lattice: LatticeApi, details: DetailCache) -> None:
        self.inventory = inventory
        self.lattice = lattice
        self.details = details

    async def observe(
        self,
        tagged: Iterable[TaggedTargetGroup],
        specs: Iterable[TargetGroupSpec],
        owns: Callable[[ObservedTargetGroup], bool],
    ) -> tuple[ObservedTargetGroup, ...]:
        groups = {group.arn: group for group in tagged}
        summaries = {arn: _summary_view(group) for arn, group in groups.items()}
        kept: dict[str, bool] = {}  # arn → whether its targets are needed
        for spec in specs:
            match = find_target_group(spec, summaries.values())
            if match is not None:
                needs_targets = spec.targets is not None and match.status not in TRANSITIONAL
                kept[match.arn] = kept.get(match.arn, False) or needs_targets
        work: list[Coroutine[Any, Any, ObservedTargetGroup | None]] = []
        for arn, group in groups.items():
            if arn in kept:
                work.append(self._kept(group, summaries[arn], kept[arn]))
            elif owns(summaries[arn]):
                work.append(self._deletion_candidate(group, summaries[arn]))
            else:
                work.append(_done(summaries[arn]))
        observed = await asyncio.gather(*work)
        return tuple(tg for tg in observed if tg is not None)

    async def _kept(
        self, group: TaggedTargetGroup, tg: ObservedTargetGroup, needs_targets: bool
    ) -> ObservedTargetGroup:
        health_check = None
        if tg.status not in TRANSITIONAL and group.summary.get("lastUpdatedAt") is not None:
            # No stamp: we created it in this cycle with the desired health check; nothing to compare.
            detail = self.details.get(group.summary)
            if detail is None:
                detail = await self.lattice.get_target_group(tg.id)
                self.details.put(detail)
            health_check = health_check_from_api((detail.get("config") or {}).get("healthCheck"))
        targets = await self._targets(tg.id) if needs_targets else ()
        return replace(tg, health_check=health_check, targets=targets)

    async def _deletion_candidate(
        self, group: TaggedTargetGroup, tg: ObservedTargetGroup
    ) -> ObservedTargetGroup | None:
        try:
            fresh = await self.lattice.get_target_group(tg.id)
        except NotFound:
            self.inventory.invalidate(Listing.TARGET_GROUPS)
            return None
        service_arns = tuple(str(a) for a in fresh.get("serviceArns") or ())
        status = str(fresh.get("status") or tg.status)
        # Fresh as well: whether targets are still draining decides when it can go.
        targets = await self._targets(tg.id, fresh=True) if status not in TRANSITIONAL else ()
        return replace(tg, status=status, service_arns=service_arns, targets=targets)

    async def _targets(self, target_group_id: str, *, fresh: bool = False) -> tuple[ObservedTarget, ...]:
        if fresh:
            items = await self.lattice.list_targets(target_group_id)
        else:
            items = await self.inventory.targets(target_group_id)
        return tuple(
            ObservedTarget(str(t["id"]), int(t.get("port") or 0), str(t.get("status") or "UNAVAILABLE"))
            for t in items
        )


async def _done(tg: ObservedTargetGroup) -> ObservedTargetGroup | None:
    return tg


def _summary_view(group: TaggedTargetGroup) -> ObservedTargetGroup:
    summary = group.summary
    return ObservedTargetGroup(
        str(summary["id"]),
        str(summary["arn"]),
        str(summary.get("name") or ""),
        target_group_config_from_api(summary, protocol_version=group.tags.get(tag_keys.PROTOCOL_VERSION, "")),
        status=str(summary.get("status") or "ACTIVE"),
        service_arns=tuple(str(a) for a in summary.get("serviceArns") or ()),
        tags=_pairs(group.tags),
    )


def external_target_groups(desired: RouteLatticeState) -> list[str]:
    """The ARNs of the external target groups (ServiceImport ``target-group-arn``) the route forwards to."""
    return list(dict.fromkeys(i.external_arn for i in _forwarded_imports(desired) if i.external_arn))


def imported_exports(desired: RouteLatticeState) -> list[ImportedTargetGroup]:
    """The ServiceImport backends the route forwards to that name an export (not an external ARN)."""
    return [i for i in _forwarded_imports(desired) if not i.external_arn]


def _forwarded_imports(desired: RouteLatticeState) -> list[ImportedTargetGroup]:
    found: dict[ImportedTargetGroup, None] = {}
    for listener in desired.listeners:
        actions = [listener.default_action] + [rule.action for rule in listener.rules]
        for action in actions:
            for weighted in action.forward:
                if isinstance(weighted.target_group, ImportedTargetGroup):
                    found[weighted.target_group] = None
    return list(found)
