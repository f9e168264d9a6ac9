"""Mutable records of the fake Lattice state (one per resource), guarded by the state's lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, kw_only=True)
class Resource:
    id: str
    arn: str
    seq: int  # creation order, the stable key for pagination
    created_at: float
    updated_at: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class ServiceNetwork(Resource):
    name: str
    auth_type: str
    sharing_config: dict[str, Any] | None


@dataclass(slots=True, kw_only=True)
class Service(Resource):
    name: str
    auth_type: str
    certificate_arn: str | None
    custom_domain_name: str | None
    idle_timeout_seconds: int | None
    dns_domain_name: str
    hosted_zone_id: str
    status: str = "ACTIVE"


@dataclass(slots=True, kw_only=True)
class Listener(Resource):
    service_id: str
    service_arn: str
    name: str
    protocol: str
    port: int
    default_action: dict[str, Any]


@dataclass(slots=True, kw_only=True)
class Rule(Resource):
    service_id: str
    listener_id: str
    name: str
    is_default: bool
    priority: int | None
    match: dict[str, Any] | None
    action: dict[str, Any] | None  # None for the default rule: it mirrors the listener's defaultAction


@dataclass(slots=True, kw_only=True)
class TargetGroup(Resource):
    name: str
    type: str
    config: dict[str, Any]
    status: str = "ACTIVE"


@dataclass(slots=True)
class Target:
    id: str
    port: int | None
    seq: int
    registered_at: float
    draining_until: float | None = None


@dataclass(slots=True, kw_only=True)
class ServiceNetworkServiceAssociation(Resource):
    service_network_id: str
    service_id: str
    created_by: str
    status: str = "ACTIVE"


@dataclass(slots=True, kw_only=True)
class ServiceNetworkVpcAssociation(Resource):
    service_network_id: str
    vpc_id: str
    security_group_ids: list[str]
    private_dns_enabled: bool | None
    dns_options: dict[str, Any] | None
    created_by: str
    status: str = "ACTIVE"


@dataclass(slots=True, kw_only=True)
class AccessLogSubscription(Resource):
    resource_id: str
    resource_arn: str
    destination_arn: str
    service_network_log_type: str | None


@dataclass(slots=True)
class AuthPolicy:
    policy: str
    created_at: float
    updated_at: float


@dataclass(slots=True, frozen=True)
class ShareRecord:
    """A sharee's note of a service network another account shared with it (see `sharing`)."""

    owner: str
    listed: bool


@dataclass(slots=True, frozen=True)
class IdempotencyEntry:
    fingerprint: str
    resource_id: str
