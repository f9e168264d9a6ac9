"""The TargetGroupPolicy configuration each of a route's Services gets, from the cache (what
``RouteSnapshot.target_group_policies`` holds)."""

from __future__ import annotations

from collections.abc import Iterable

from lattice_controller.cache.policy_targets import POLICIES_BY_TARGET, target_value
from lattice_controller.cache.store import Store
from lattice_controller.model.k8s.target_group_policy import TargetGroupPolicy
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.build.inputs import TargetGroupPolicyConfig
from lattice_controller.reconcile.build.target_group_policies import resolve


def service_policies(
    store: Store[TargetGroupPolicy] | None, services: Iterable[ObjectKey]
) -> dict[ObjectKey, TargetGroupPolicyConfig]:
    """The configuration of each Service that a valid TargetGroupPolicy names."""
    out = {}
    for key in services:
        naming = store.by_index(POLICIES_BY_TARGET, target_value("Service", key)) if store else []
        config = resolve(naming)
        if config is not None:
            out[key] = config
    return out
