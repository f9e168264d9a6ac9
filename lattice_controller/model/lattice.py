"""Desired-state records of Lattice resources, computed by the pure build step.

Target groups are referred to by *identity* (their identity tags), never by name or id: the id is
only known once observed or created, and the diff resolves identities to ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.naming import target_group_name

Pairs = tuple[tuple[str, str], ...]

PROTOCOL_HTTP = "HTTP"
PROTOCOL_HTTPS = "HTTPS"
PROTOCOL_TLS_PASSTHROUGH = "TLS_PASSTHROUGH"
PROTOCOL_TCP = "TCP"
VERSION_HTTP1 = "HTTP1"
VERSION_HTTP2 = "HTTP2"
VERSION_GRPC = "GRPC"
MAX_TARGETS_PER_CALL = 100


def client_token(*parts: str) -> str:
    """Deterministic idempotency token for a Create call (Lattice accepts 1-64 printable chars).

    Built from what identifies the resource (ManagedBy, kind, name, parent) *and* the request's
    parameters, so a retried create after a crash returns the resource created the first time
    instead of a duplicate, while a changed request never collides with an earlier token.
    """
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:64]


@dataclass(frozen=True, slots=True)
class ServiceNetworkRef:
    """A service network by the name or id given by a Gateway name / DEFAULT_SERVICE_NETWORK."""

    name_or_id: str


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    route: ObjectKey
    route_type: str
    managed_by: str
    custom_domain: str | None = None
    certificate_arn: str | None = None
    additional_tags: Pairs = ()
    allow_takeover_from: str | None = None
    adoption_allowed: bool = False
    """The route's namespace is listed in ``ADOPTION_ALLOWED_NAMESPACES`` (see ``docs/operations.md``)."""
    discover_certificate: bool = False
    """A Terminate listener matched without a certificate-arn option: the apply layer looks one up
    in ACM for ``custom_domain`` (docs/compatibility.md) and fills ``certificate_arn``."""
    fallback_name: str | None = None
    """Where the service lives when ``name``, derived from the route's name, belongs to another
    route's service (``naming.fallback_service_name``); None when the name was chosen (override,
    takeover): that service or a conflict."""
    certificate_optional: bool = False
    """Discovery for a listener that names certificateRefs (which Lattice cannot serve): a match is
    used, as the reference does; no match is not the route's problem — the listener's
    ``ResolvedRefs=False`` already says what to set — so the service is built without one."""

    @property
    def controller_tags(self) -> dict[str, str]:
        return {
            tag_keys.MANAGED_BY: self.managed_by,
            tag_keys.ROUTE_NAME: self.route.name,
            tag_keys.ROUTE_NAMESPACE: self.route.namespace,
            tag_keys.ROUTE_TYPE: self.route_type,
        }

    @property
    def create_tags(self) -> dict[str, str]:
        return tag_keys.creation_tags(self.controller_tags, dict(self.additional_tags))


@dataclass(frozen=True, slots=True)
class AssociationSpec:
    service_network: ServiceNetworkRef
    additional_tags: Pairs = ()


@dataclass(frozen=True, slots=True)
class TargetGroupIdentity:
    """The tag fields that identify a target group: target groups are found by tags, never by name."""

    cluster: str
    service_name: str
    service_namespace: str
    source_type: str
    protocol_version: str
    route_name: str = ""
    route_namespace: str = ""

    def tags(self) -> dict[str, str]:
        out = {
            tag_keys.CLUSTER_NAME: self.cluster,
            tag_keys.SERVICE_NAME: self.service_name,
            tag_keys.SERVICE_NAMESPACE: self.service_namespace,
            tag_keys.SOURCE_TYPE_KEY: self.source_type,
            tag_keys.PROTOCOL_VERSION: self.protocol_version,
        }
        if self.source_type != tag_keys.SOURCE_TYPE_SERVICE_EXPORT:
            out[tag_keys.ROUTE_NAME] = self.route_name
            out[tag_keys.ROUTE_NAMESPACE] = self.route_namespace
        return out

    def matches(self, tags: dict[str, str] | tag_keys.Tags) -> bool:
        return tag_keys.has_all_tags(tags, self.tags().items())

    def __str__(self) -> str:
        return (
            f"{self.service_namespace}/{self.service_name}[{self.source_type},{self.protocol_version or '-'}]"
        )


INVALID_BACKENDS_SERVICE_NAME = "5xx-invalid-backends"
"""``ServiceName`` of the route's target group that stands for its invalid backendRefs: it never has
targets, so Lattice answers the share of traffic weighted to them with a 5xx (503), as Gateway API
requires. A Kubernetes Service name cannot start with a digit, so it never names a real one."""


@dataclass(frozen=True, slots=True)
class ImportedTargetGroup:
    """A ServiceImport backend: an external TG ARN, or the first ServiceExport TG with
    these tags (cluster / vpc only filter when set). Never created, tagged or deleted by a route."""

    export_name: str
    namespace: str
    cluster: str | None = None
    vpc: str | None = None
    external_arn: str | None = None

    def __str__(self) -> str:
        return self.external_arn or f"import {self.namespace}/{self.export_name}"


@dataclass(frozen=True, slots=True)
class WeightedTargetGroup:
    target_group: TargetGroupIdentity | ImportedTargetGroup
    weight: int


@dataclass(frozen=True, slots=True)
class RuleAction:
    """Either a weighted forward or a fixed response status (404 default, 500 no valid backend)."""

    forward: tuple[WeightedTargetGroup, ...] = ()
    fixed_status: int | None = None

    @classmethod
    def fixed(cls, status: int) -> RuleAction:
        return cls((), status)

    def __str__(self) -> str:
        if self.fixed_status is not None:
            return f"fixed {self.fixed_status}"
        return "forward " + ", ".join(f"{w.target_group}={w.weight}" for w in self.forward)


@dataclass(frozen=True, slots=True)
class HeaderMatchSpec:
    name: str
    exact: str
    case_sensitive: bool = False


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A Lattice HTTP match; ``path_kind`` is ``exact``/``prefix`` or None (no path condition)."""

    path_kind: str | None = "prefix"
    path: str = "/"
    path_case_sensitive: bool = True
    method: str | None = None
    headers: tuple[HeaderMatchSpec, ...] = ()

    def key(self) -> str:
        """Canonical text: two matches are the same Lattice rule iff their keys are equal."""
        headers = ";".join(sorted(f"{h.name.lower()}={h.exact}/{h.case_sensitive}" for h in self.headers))
        path = f"{self.path_kind}:{self.path}/{self.path_case_sensitive}" if self.path_kind else "-"
        return f"{path}|{self.method or '-'}|{headers}"

    def __str__(self) -> str:
        parts = [f"{self.path_kind} {self.path}" if self.path_kind else "any path"]
        if self.method:
            parts.append(self.method)
        parts += [f"{h.name}={h.exact}" for h in self.headers]
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    priority: int
    match: RuleMatch
    action: RuleAction


@dataclass(frozen=True, slots=True)
class ListenerSpec:
    name: str
    port: int
    protocol: str
    default_action: RuleAction = field(default_factory=lambda: RuleAction.fixed(404))
    rules: tuple[RuleSpec, ...] = ()
    additional_tags: Pairs = ()


@dataclass(frozen=True, slots=True)
class HealthCheckSpec:
    enabled: bool | None = None
    protocol: str | None = None
    protocol_version: str | None = None
    path: str | None = None
    port: int | None = None
    matcher: str | None = None
    interval_seconds: int | None = None
    timeout_seconds: int | None = None
    healthy_threshold: int | None = None
    unhealthy_threshold: int | None = None

    def with_defaults(self, tg_protocol: str, tg_protocol_version: str) -> HealthCheckSpec:
        """Fill unset fields with the Go controller's defaults for the target group."""
        d = default_health_check(tg_protocol, tg_protocol_version)
        return HealthCheckSpec(
            enabled=d.enabled if self.enabled is None else self.enabled,
            protocol=self.protocol or d.protocol,
            protocol_version=self.protocol_version or d.protocol_version,
            path=self.path or d.path,
            port=self.port,
            matcher=self.matcher or d.matcher,
            interval_seconds=self.interval_seconds or d.interval_seconds,
            timeout_seconds=self.timeout_seconds or d.timeout_seconds,
            healthy_threshold=self.healthy_threshold or d.healthy_threshold,
            unhealthy_threshold=self.unhealthy_threshold or d.unhealthy_threshold,
        )


def default_health_check(tg_protocol: str, tg_protocol_version: str) -> HealthCheckSpec:
    if tg_protocol == PROTOCOL_TCP:
        return HealthCheckSpec(enabled=False)
    version = tg_protocol_version or VERSION_HTTP1
    return HealthCheckSpec(
        enabled=version == VERSION_HTTP1,
        protocol=PROTOCOL_HTTP,
        protocol_version=VERSION_HTTP1 if version == VERSION_GRPC else version,
        path="/",
        matcher="200",
        interval_seconds=30,
        timeout_seconds=5,
        healthy_threshold=5,
        unhealthy_threshold=2,
    )


@dataclass(frozen=True, slots=True)
class TargetGroupConfig:
    """The immutable part of a target group; a change means a new target group."""

    vpc: str
    ip_address_type: str = "IPV4"
    protocol: str = PROTOCOL_HTTP
    protocol_version: str = VERSION_HTTP1
    port: int = 80
    type: str = "IP"


@dataclass(frozen=True, slots=True)
class TargetSpec:
    ip: str
    port: int
    ready: bool = True
    pod: ObjectKey | None = None


@dataclass(frozen=True, slots=True)
class TargetGroupSpec:
    """``targets`` None means "leave registered targets alone" (Service terminating)."""

    identity: TargetGroupIdentity
    config: TargetGroupConfig
    managed_by: str
    health_check: HealthCheckSpec | None = None
    additional_tags: Pairs = ()
    targets: tuple[TargetSpec, ...] | None = ()

    @property
    def name(self) -> str:
        """Derived from the identity tags and, when not the defaults, the protocol and address type:
        a policy changing the protocol creates the replacement next to the old group, and Lattice
        names are unique per account."""
        pairs = list(self.identity.tags().items())
        if self.config.protocol != PROTOCOL_HTTP:
            pairs.append(("protocol", self.config.protocol))
        if self.config.ip_address_type != "IPV4":
            pairs.append(("ipAddressType", self.config.ip_address_type))
        if self.config.port != 80:
            # Only a ServiceExport's exportedPorts make groups on other ports (several per export).
            pairs.append(("port", str(self.config.port)))
        return target_group_name(self.identity.service_namespace, self.identity.service_name, pairs)

    @property
    def controller_tags(self) -> dict[str, str]:
        return {tag_keys.MANAGED_BY: self.managed_by, **self.identity.tags()}

    @property
    def create_tags(self) -> dict[str, str]:
        return tag_keys.creation_tags(self.controller_tags, dict(self.additional_tags))


@dataclass(frozen=True, slots=True)
class RouteLatticeState:
    """Everything one route wants in Lattice.

    ``deleting``: the route is going away; ``service`` then only names the service to remove (the
    diff deletes what the ownership tags say is ours). Otherwise ``service`` None means "build and
    change nothing" (no accepted parent, or the route is not valid): existing resources stay.
    ``cluster``/``vpc`` identify this controller's target groups (for deleting unused ones).
    ``recorded_service_arn``: the route's ``lattice-service-arn`` annotation, a pointer to a service
    the route used before its name changed (found by tags too, where the tagging API is used)."""

    route: ObjectKey
    route_type: str
    managed_by: str
    service: ServiceSpec | None = None
    associations: tuple[AssociationSpec, ...] = ()
    listeners: tuple[ListenerSpec, ...] = ()
    target_groups: tuple[TargetGroupSpec, ...] = ()
    deleting: bool = False
    cluster: str = ""
    vpc: str = ""
    recorded_service_arn: str | None = None
