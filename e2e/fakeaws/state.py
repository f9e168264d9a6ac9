"""The per-(account, region) Lattice state, attached lazily to moto's backend instance.

`BaseBackend.reset()` (what `POST /moto-api/reset` runs) replaces the backend's `__dict__` and re-runs
moto's own `__init__`, so the state is created on first use and vanishes with a reset.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from e2e.fakeaws.ids import lattice_arn
from e2e.fakeaws.records import (
    AccessLogSubscription,
    AuthPolicy,
    IdempotencyEntry,
    Listener,
    Rule,
    Service,
    ServiceNetwork,
    ServiceNetworkServiceAssociation,
    ServiceNetworkVpcAssociation,
    ShareRecord,
    Target,
    TargetGroup,
)

_STATE_ATTRIBUTE = "_fakeaws_lattice_state"
_creation_lock = threading.Lock()


@dataclass(slots=True, eq=False)
class LatticeState:
    region: str
    account: str
    lock: threading.RLock = field(default_factory=threading.RLock)
    service_networks: dict[str, ServiceNetwork] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    listeners: dict[str, Listener] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    target_groups: dict[str, TargetGroup] = field(default_factory=dict)
    targets: dict[str, dict[tuple[str, int | None], Target]] = field(default_factory=dict)
    sn_service_associations: dict[str, ServiceNetworkServiceAssociation] = field(default_factory=dict)
    sn_vpc_associations: dict[str, ServiceNetworkVpcAssociation] = field(default_factory=dict)
    access_log_subscriptions: dict[str, AccessLogSubscription] = field(default_factory=dict)
    auth_policies: dict[str, AuthPolicy] = field(default_factory=dict)
    # resource policies (sharing permissions) by the ARN of their service or service network
    resource_policies: dict[str, str] = field(default_factory=dict)
    client_tokens: dict[tuple[str, str], IdempotencyEntry] = field(default_factory=dict)
    # sharing (see `sharing`): networks of this account shared with others, and others' shared with it
    shared_with: dict[str, set[str]] = field(default_factory=dict)
    shared_in: dict[str, ShareRecord] = field(default_factory=dict)
    _sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_seq(self) -> int:
        return next(self._sequence)

    def arn(self, resource_path: str) -> str:
        return lattice_arn(self.region, self.account, resource_path)


def state_of(backend: Any) -> LatticeState:
    """The state stored on a `VPCLatticeBackend` instance, created on first use."""
    existing = backend.__dict__.get(_STATE_ATTRIBUTE)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    with _creation_lock:
        existing = backend.__dict__.get(_STATE_ATTRIBUTE)
        if existing is None:
            existing = LatticeState(region=backend.region_name, account=backend.account_id)
            backend.__dict__[_STATE_ATTRIBUTE] = existing
        return existing  # type: ignore[no-any-return]
