"""Observe what exists in Lattice for one route, with as few AWS calls as the diff allows.

Account-wide listings (services, target groups and their tags, service networks) come from the
shared inventory: one call each per resync cycle, however many routes ask. With the tagging API, one
shared ``GetResources`` of the services and target groups ManagedBy us comes first: a route none of
them belongs to is new, and needs neither ``ListServices`` nor ``ListTargetGroups`` (a same-named
service we cannot see that way surfaces as a ConflictException on create; see ``_surely_absent``).
Per route: the service's associations and listeners, each HTTP(S) listener's rules, and their tags —
in tagging-API mode from the same shared ManagedBy listing (which also covers listeners, rules and
associations), with one ``GetResources(ResourceARNList)`` only for those it does not list (untagged
or foreign: ownership and takeover need their real tags) — and targets of the target groups the diff
will sync or delete. Details missing from List summaries are fetched only where the diff looks at
them and the ``DetailCache`` does not already hold them: ``GetRule`` (match/action),
``GetTargetGroup`` (health check), ``GetListener`` (TLS passthrough default action), ``GetService``
(certificate). Target groups that may be deleted are always read fresh, because cached
``serviceArns`` can lag.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.inventory_tags import resource_type
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.shapes import (
    action_from_api,
    match_from_api,
)
from lattice_controller.aws.tagging import SERVICE_RESOURCE_TYPE, TagStore
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.lattice import (
    PROTOCOL_TLS_PASSTHROUGH,
    RouteLatticeState,
    ServiceSpec,
)
from lattice_controller.model.lattice_observed import (
    ObservedAction,
    ObservedAssociation,
    ObservedListener,
    ObservedRouteState,
    ObservedRule,
    ObservedService,
    ObservedServiceNetwork,
    ObservedStaleService,
)
from lattice_controller.reconcile.observe.details import DetailCache
from lattice_controller.reconcile.observe.networks import service_network_candidates
from lattice_controller.reconcile.observe.target_groups import TargetGroupObserver

Json = dict[str, Any]
_ROUTE_SOURCE_TYPES = frozenset(
    {tag_keys.SOURCE_TYPE_HTTP_ROUTE, tag_keys.SOURCE_TYPE_GRPC_ROUTE, tag_keys.SOURCE_TYPE_TLS_ROUTE}
)


def _pairs(tags: Mapping[str, str] | None) -> tuple[tuple[str, str], ...] | None:
    return None if tags is None else tuple(sorted(tags.items()))


class _RouteObserver:
    def __init__(
        self,
        desired: RouteLatticeState,
        inventory: LatticeInventory,
        tags: TagStore,
        lattice: LatticeApi,
        cluster: str,
        vpc_id: str,
        details: DetailCache,
    ) -> None:
        self.desired = desired
        self.inventory = inventory
        self.tags = tags
        self.lattice = lattice
        self.cluster = cluster
        self.vpc_id = vpc_id
        self.details = details

    # -- the service and what hangs off it -------------------------------------------------------

    async def service_part(
        self, spec: ServiceSpec, name: str, summary: Json | None, summary_tags: Mapping[str, str] | None
    ) -> tuple[ObservedService | None, tuple[ObservedAssociation, ...], tuple[ObservedListener, ...]]:
        """The route's service ``summary`` (None: absent) under ``name``, with what hangs off it;
        ``summary_tags``: its tags when ``locate`` already read them."""
        if summary is None:
            return None, (), ()
        service_id = str(summary["id"])
        association_items, listener_items = await asyncio.gather(
            self.inventory.service_associations(service_id), self.inventory.listeners(service_id)
        )
        if self.desired.deleting:
            rules_by_listener: list[list[ObservedRule]] = [[] for _ in listener_items]
            defaults: list[ObservedAction | None] = [None for _ in listener_items]
        else:
            rules_by_listener = list(
                await asyncio.gather(*(self._rules(service_id, item) for item in listener_items))
            )
            defaults = list(
                await asyncio.gather(*(self._default_action(service_id, item) for item in listener_items))
            )
        arns = [] if summary_tags is not None else [str(summary["arn"])]
        arns += [str(a["arn"]) for a in association_items]
        if not self.desired.deleting:
            arns += [str(i["arn"]) for i in listener_items]
            arns += [r.arn for rules in rules_by_listener for r in rules if not r.is_default]
        all_tags = await self.inventory.tags_of_many(arns, managed_tags=self._managed_tags()) if arns else {}
        if summary_tags is not None:
            all_tags[str(summary["arn"])] = dict(summary_tags)
        certificate = await self._certificate(spec, summary)
        dns: Mapping[str, Any] = summary.get("dnsEntry") or {}
        service = ObservedService(
            service_id,
            str(summary["arn"]),
            str(summary.get("name") or name),
            status=str(summary.get("status") or "ACTIVE"),
            dns_name=str(dns.get("domainName") or ""),
            custom_domain=summary.get("customDomainName"),
            certificate_arn=certificate,
            tags=_pairs(all_tags.get(str(summary["arn"]))),
        )
        associations = tuple(
            ObservedAssociation(
                str(a["id"]),
                str(a["arn"]),
                str(a.get("serviceNetworkId") or ""),
                str(a.get("serviceNetworkName") or ""),
                status=str(a.get("status") or "ACTIVE"),
                tags=_pairs(all_tags.get(str(a["arn"]))),
            )
            for a in association_items
        )
        listeners = tuple(
            ObservedListener(
                str(item["id"]),
                str(item["arn"]),
                str(item.get("name") or ""),
                int(item.get("port") or 0),
                str(item.get("protocol") or ""),
                default_action=default,
                rules=tuple(r if r.is_default else _with_tags(r, all_tags.get(r.arn)) for r in rules),
                tags=_pairs(all_tags.get(str(item["arn"]))) if not self.desired.deleting else (),
            )
            for item, rules, default in zip(listener_items, rules_by_listener, defaults, strict=True)
        )
        return service, associations, listeners

    async def locate(self, spec: ServiceSpec) -> tuple[str, Json | None, Mapping[str, str] | None]:
        """The name the route's service lives under, its summary (None: to be created under that
        name) and, when read here, its tags. The derived name, unless another route's service holds
        it (routes alike up to the truncation, an HTTPRoute and a GRPCRoute of one name): then
        ``spec.fallback_name``, which a service of this route already there also keeps, so a route
        never moves between the two (docs/compatibility.md, "Deliberately different")."""
        if await self._surely_absent(spec):
            return spec.name, None, None
        derived = await self.inventory.service_named(spec.name)
        if spec.fallback_name is None:
            return spec.name, derived, None
        fallback = await self.inventory.service_named(spec.fallback_name)
        found = [s for s in (fallback, derived) if s is not None]
        if not found:
            return spec.name, None, None
        tags = await self.inventory.tags_of_many(
            [str(s["arn"]) for s in found], managed_tags=self._managed_tags()
        )
        if fallback is not None and self._of_this_route(tags.get(str(fallback["arn"])) or {}):
            return spec.fallback_name, fallback, tags.get(str(fallback["arn"]))
        if derived is not None and self._of_another_route(tags.get(str(derived["arn"])) or {}):
            known = None if fallback is None else tags.get(str(fallback["arn"]))
            return spec.fallback_name, fallback, known
        return spec.name, derived, None if derived is None else tags.get(str(derived["arn"]))

    def _of_this_route(self, tags: Mapping[str, str]) -> bool:
        return tags.get(tag_keys.MANAGED_BY) == self.desired.managed_by and not self._of_another_route(tags)

    def _of_another_route(self, tags: Mapping[str, str]) -> bool:
        """The Route* tags name a route, and not this one (a missing RouteType tag matches any)."""
        name, namespace = tags.get(tag_keys.ROUTE_NAME), tags.get(tag_keys.ROUTE_NAMESPACE)
        if name is None and namespace is None:
            return False
        route = self.desired.route
        if (name, namespace) != (route.name, route.namespace):
            return True
        route_type = tags.get(tag_keys.ROUTE_TYPE)
        return route_type is not None and route_type != self.desired.route_type

    async def _surely_absent(self, spec: ServiceSpec) -> bool:
        """Tagging-API shortcut for a route's first deploy: when no service ManagedBy us carries
        this route's tags, the service is planned without listing all services. A same-named
        service we do not see this way (untagged, foreign, taken over) makes ``CreateService``
        fail with ConflictException; apply records the name as taken and the retry lists services,
        so adoption and conflict rules still apply. Deletes and warm cycles always use the listing."""
        inventory = self.inventory
        if (
            self.desired.deleting
            or not self.tags.use_tagging_api
            or inventory.services_loaded()
            or inventory.service_name_taken(spec.name)
        ):
            return False
        owned = await inventory.managed_of_route(self._managed_tags(), spec.route.name, spec.route.namespace)
        return not any(resource_type(arn) == SERVICE_RESOURCE_TYPE for arn in owned)

    def _managed_tags(self) -> dict[str, str]:
        return {tag_keys.MANAGED_BY: self.desired.managed_by}

    def _wanted_listener(self, item: Mapping[str, Any]) -> str | None:
        """The protocol of the desired listener on this listener's port (None: it will be deleted)."""
        port = int(item.get("port") or 0)
        return next((d.protocol for d in self.desired.listeners if d.port == port), None)

    async def _rules(self, service_id: str, item: Mapping[str, Any]) -> list[ObservedRule]:
        protocol = str(item.get("protocol") or "")
        if protocol == PROTOCOL_TLS_PASSTHROUGH or self._wanted_listener(item) != protocol:
            return []
        listener_id = str(item["id"])
        items = await self.inventory.rules(service_id, listener_id)
        return list(await asyncio.gather(*(self._rule(service_id, listener_id, i) for i in items)))

    async def _rule(self, service_id: str, listener_id: str, item: Mapping[str, Any]) -> ObservedRule:
        if item.get("isDefault"):
            return ObservedRule(
                str(item["id"]),
                str(item["arn"]),
                str(item.get("name") or ""),
                0,
                None,
                ObservedAction(),
                True,
            )
        detail: Mapping[str, Any] = item
        if "match" not in item or "action" not in item:
            cached = self.details.get(item)
            if cached is None:
                cached = await self.lattice.get_rule(service_id, listener_id, str(item["id"]))
                self.details.put(cached)
            detail = cached
        return ObservedRule(
            str(item["id"]),
            str(item["arn"]),
            str(item.get("name") or ""),
            int(detail.get("priority") or item.get("priority") or 0),
            match_from_api(detail.get("match")),
            self._action(detail.get("action")),
        )

    async def _default_action(self, service_id: str, item: Mapping[str, Any]) -> ObservedAction | None:
        """Only TLS passthrough default actions are compared by the diff; others are never read."""
        if item.get("protocol") != PROTOCOL_TLS_PASSTHROUGH or self._wanted_listener(item) is None:
            return None
        detail = self.details.get(item)
        if detail is None:
            detail = await self.lattice.get_listener(service_id, str(item["id"]))
            self.details.put(detail)
        return self._action(detail.get("defaultAction"))

    def _action(self, action: Mapping[str, Any] | None) -> ObservedAction:
        return action_from_api(action) or ObservedAction()

    async def _certificate(self, spec: ServiceSpec, summary: Mapping[str, Any]) -> str | None:
        # A service without a custom domain cannot carry a certificate of ours: the summary will do.
        # With one, the detail shows a certificate to set or to remove (it is remembered by stamp).
        if (
            self.desired.deleting
            or spec.discover_certificate
            or not (spec.certificate_arn or spec.custom_domain)
        ):
            return summary.get("certificateArn")
        detail = self.details.get(summary)
        if detail is None:
            detail = await self.lattice.get_service(str(summary["id"]))
            self.details.put(detail)
        certificate = detail.get("certificateArn")
        return None if certificate is None else str(certificate)

    # -- the route's services under a former name ---------------------------------------------------

    async def stale_services(
        self, current: ObservedService | None, name: str
    ) -> tuple[ObservedStaleService, ...]:
        """Services ManagedBy us, tagged with this route, not named ``name`` (where its service lives):
        found in the shared ManagedBy listing (tagging API) and through the recorded service ARN."""
        spec = self.desired.service
        if spec is None:
            return ()
        route = (self.desired.route.name, self.desired.route.namespace)
        candidates: list[str] = []
        if self.tags.use_tagging_api:
            owned = await self.inventory.managed_of_route(self._managed_tags(), *route)
            candidates += [arn for arn in owned if resource_type(arn) == SERVICE_RESOURCE_TYPE]
        recorded = self.desired.recorded_service_arn
        if recorded and (current is None or recorded != current.arn):
            candidates.append(recorded)
        candidates = [arn for arn in dict.fromkeys(candidates) if current is None or arn != current.arn]
        if not candidates:
            return ()
        tags_by_arn = await self.inventory.tags_of_many(candidates, managed_tags=self._managed_tags())
        out: list[ObservedStaleService] = []
        for arn in candidates:
            tags = tags_by_arn.get(arn) or {}
            if (
                tags.get(tag_keys.MANAGED_BY) != self.desired.managed_by
                or (tags.get(tag_keys.ROUTE_NAME), tags.get(tag_keys.ROUTE_NAMESPACE)) != route
                # An HTTPRoute and a GRPCRoute may share a name: each keeps its own service.
                or tags.get(tag_keys.ROUTE_TYPE) != spec.route_type
            ):
                continue
            summary = await self.inventory.service(arn)
            if summary is None or summary.get("name") == name:
                continue
            service_id = str(summary["id"])
            association_items, listener_items = await asyncio.gather(
                self.inventory.service_associations(service_id), self.inventory.listeners(service_id)
            )
            service = ObservedService(
                service_id,
                str(summary["arn"]),
                str(summary.get("name") or ""),
                status=str(summary.get("status") or "ACTIVE"),
                tags=_pairs(tags),
            )
            associations = tuple(
                ObservedAssociation(
                    str(a["id"]),
                    str(a["arn"]),
                    str(a.get("serviceNetworkId") or ""),
                    str(a.get("serviceNetworkName") or ""),
                    status=str(a.get("status") or "ACTIVE"),
                )
                for a in association_items
            )
            out.append(
                ObservedStaleService(service, associations, tuple(str(i["arn"]) for i in listener_items))
            )
        return tuple(out)

    # -- service networks ------------------------------------------------------------------------

    async def service_networks(
        self, associations: tuple[ObservedAssociation, ...]
    ) -> tuple[ObservedServiceNetwork, ...]:
        """Networks named by desired associations that do not exist yet (only those need an id)."""
        if self.desired.deleting:
            return ()
        present = {a.service_network_name for a in associations} | {
            a.service_network_id for a in associations
        }
        missing = [a.service_network.name_or_id for a in self.desired.associations]
        missing = [m for m in dict.fromkeys(missing) if m not in present]
        found: dict[str, ObservedServiceNetwork] = {}
        for name_or_id in missing:
            for network in await service_network_candidates(name_or_id, self.inventory, self.vpc_id):
                found.setdefault(network.id, network)
        return tuple(found.values())


def _with_tags(rule: ObservedRule, tags: Mapping[str, str] | None) -> ObservedRule:
    return ObservedRule(
        rule.id, rule.arn, rule.name, rule.priority, rule.match, rule.action, rule.is_default, _pairs(tags)
    )


async def observe_route(
    desired: RouteLatticeState,
    inventory: LatticeInventory,
    tags: TagStore,
    *,
    lattice: LatticeApi | None = None,
    cluster: str | None = None,
    vpc_id: str | None = None,
    details: DetailCache | None = None,
) -> ObservedRouteState:
    """What exists in Lattice for ``desired``'s route, as ``plan_route`` needs it.

    ``cluster``/``vpc_id`` default to ``desired.cluster``/``desired.vpc``. ``lattice`` is the API
    for the few Get calls; pass it (the inventory's own is used otherwise). ``details``: pass one
    process-wide ``DetailCache`` to skip Get calls for unchanged rules and target groups across
    resync cycles; without it every needed detail is fetched."""
    if desired.service is None and not desired.deleting:
        return ObservedRouteState()
    api = lattice if lattice is not None else inventory.lattice
    cluster = desired.cluster if cluster is None else cluster
    vpc_id = desired.vpc if vpc_id is None else vpc_id
    cache = details if details is not None else DetailCache()
    observer = _RouteObserver(desired, inventory, tags, api, cluster, vpc_id, cache)
    service: ObservedService | None = None
    associations: tuple[ObservedAssociation, ...] = ()
    listeners: tuple[ObservedListener, ...] = ()
    name: str | None = None
    if desired.service is not None:
        name, summary, summary_tags = await observer.locate(desired.service)
        service, associations, listeners = await observer.service_part(
            desired.service, name, summary, summary_tags
        )
    stale = await observer.stale_services(service, name) if name is not None else ()
    target_groups, networks = await asyncio.gather(
        TargetGroupObserver(
            desired, inventory, api, cluster, vpc_id, cache, use_tagging_api=tags.use_tagging_api
        ).observe(),
        observer.service_networks(associations),
    )
    return ObservedRouteState(service, associations, listeners, target_groups, networks, stale, name)
