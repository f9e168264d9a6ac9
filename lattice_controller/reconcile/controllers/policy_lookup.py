"""Cache lookups of TargetGroupPolicies: the policies naming an object, and the configuration each
of a route's Services gets (what ``RouteSnapshot.target_group_policies`` holds)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lattice_controller.cache.policy_targets import POLICIES_BY_TARGET, target_value
from lattice_controller.cache.store import Store
from lattice_controller.model.k8s.target_group_policy import TargetGroupPolicy
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.build.inputs import TargetGroupPolicyConfig
from lattice_controller.reconcile.build.target_group_policies import resolve


def policies_naming(store: Store[Any] | None, kind: str, key: ObjectKey) -> list[TargetGroupPolicy]:
    """Every TargetGroupPolicy whose targetRef names ``kind`` ``key`` (valid or not)."""
    if store is None:
        return []
    return [p for p in store.by_index(POLICIES_BY_TARGET, target_value(kind, key)) if p.target_ref]


def service_policies(
    store: Store[Any] | None, services: Iterable[ObjectKey]
) -> dict[ObjectKey, TargetGroupPolicyConfig]:
    """The configuration of each Service that a valid TargetGroupPolicy names."""
    out = {}
    for key in services:
        config = resolve(policies_naming(store, "Service", key))
        if config is not None:
            out[key] = config
    return out
