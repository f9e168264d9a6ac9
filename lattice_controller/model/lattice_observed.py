"""Observed-state records: Lattice resources as read from AWS (ids, ARNs, status, tags).

The aws/ layer fills these; the pure diff compares them with the desired state. ``tags`` is None
when the tags could not be read (e.g. AccessDenied on a foreign association).
"""

from __future__ import annotations

from dataclasses import dataclass

from lattice_controller.model.lattice import (
    HealthCheckSpec,
    RuleMatch,
    TargetGroupConfig,
)

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ObservedServiceNetwork:
    id: str
    arn: str
    name: str
    account_local: bool = True


@dataclass(frozen=True, slots=True)
class ObservedService:
    id: str
    arn: str
    name: str
    status: str = "ACTIVE"
    dns_name: str = ""
    custom_domain: str | None = None
    certificate_arn: str | None = None
    tags: Pairs | None = ()

    def tag_dict(self) -> dict[str, str]:
        return dict(self.tags or ())


@dataclass(frozen=True, slots=True)
class ObservedAssociation:
    id: str
    arn: str
    service_network_id: str
    service_network_name: str
    status: str = "ACTIVE"
    tags: Pairs | None = ()


@dataclass(frozen=True, slots=True)
class ObservedForward:
    target_group_id: str
    weight: int


@dataclass(frozen=True, slots=True)
class ObservedAction:
    forward: tuple[ObservedForward, ...] = ()
    fixed_status: int | None = None


@dataclass(frozen=True, slots=True)
class ObservedRule:
    id: str
    arn: str
    name: str
    priority: int
    match: RuleMatch | None
    action: ObservedAction
    is_default: bool = False
    tags: Pairs | None = ()


@dataclass(frozen=True, slots=True)
class ObservedListener:
    id: str
    arn: str
    name: str
    port: int
    protocol: str
    default_action: ObservedAction | None = None
    rules: tuple[ObservedRule, ...] = ()
    tags: Pairs | None = ()


@dataclass(frozen=True, slots=True)
class ObservedTarget:
    ip: str
    port: int
    status: str = "HEALTHY"


@dataclass(frozen=True, slots=True)
class ObservedTargetGroup:
    id: str
    arn: str
    name: str
    config: TargetGroupConfig
    status: str = "ACTIVE"
    health_check: HealthCheckSpec | None = None
    service_arns: tuple[str, ...] = ()
    tags: Pairs | None = ()
    targets: tuple[ObservedTarget, ...] = ()

    def tag_dict(self) -> dict[str, str]:
        return dict(self.tags or ())


@dataclass(frozen=True, slots=True)
class ObservedStaleService:
    """A service ManagedBy us and tagged with the route whose name is no longer the desired one (the
    ``service-name-override`` changed): deleted, with what hangs off it, once the new one serves."""

    service: ObservedService
    associations: tuple[ObservedAssociation, ...] = ()
    listener_arns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ObservedRouteState:
    """What exists in Lattice for one route, as the diff needs it:

    * ``service``: the service whose name equals the desired service name (None if absent), with
      tags; ``associations`` and ``listeners`` (each with its rules, matches and actions) of it.
    * ``target_groups``: every TG tagged ``ClusterName=<cluster>``, ``RouteName``/``RouteNamespace``
      = the route (any SourceTypeKey/ServiceName/ProtocolVersion; needed to find the desired ones
      and to delete unused ones), plus, for ServiceImport backends, the ServiceExport TGs tagged
      ``SourceTypeKey=ServiceExport, ServiceName=<export>, ServiceNamespace=<ns>``; each with
      config, status, health check, serviceArns, tags and targets.
    * ``service_networks``: the networks named (by name or id) by the desired associations.
    * ``stale_services``: the route's services under another name (see ``ObservedStaleService``).
    * ``service_name``: the name the route's service lives (or is to be created) under: the desired
      name or, when another route's service holds that, its fallback name; None: the desired name.
    """

    service: ObservedService | None = None
    associations: tuple[ObservedAssociation, ...] = ()
    listeners: tuple[ObservedListener, ...] = ()
    target_groups: tuple[ObservedTargetGroup, ...] = ()
    service_networks: tuple[ObservedServiceNetwork, ...] = ()
    stale_services: tuple[ObservedStaleService, ...] = ()
    service_name: str | None = None
