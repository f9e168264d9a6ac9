"""The Lattice half of a route reconcile: observe what exists, plan, apply — one function for every
caller (the route reconciler's upsert and delete, and the integration harness that counts its calls).

The inventory listings a retry depends on are dropped here: what a plan waits for (draining targets,
associations settling) and what it misses (a service network, an imported target group) change
without our writes, so the retry must list them again instead of trusting the cycle's listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.listings import Listing
from lattice_controller.aws.tagging import TagStore
from lattice_controller.model.lattice import RouteLatticeState
from lattice_controller.model.lattice_observed import ObservedRouteState
from lattice_controller.reconcile.apply import ApplyResult, apply_plan
from lattice_controller.reconcile.diff import Plan, plan_route
from lattice_controller.reconcile.observe import DetailCache, observe_route
from lattice_controller.reconcile.observe.target_groups import imported_exports

IMPORT_FRESHNESS_SECONDS = 5.0


class LatticeSide(Protocol):
    """The AWS edge a deploy needs (``ControllerContext`` is one)."""

    @property
    def lattice(self) -> LatticeApi: ...

    @property
    def tags(self) -> TagStore: ...

    @property
    def inventory(self) -> LatticeInventory: ...

    @property
    def details(self) -> DetailCache: ...


@dataclass(frozen=True, slots=True)
class Deployed:
    """What one deploy saw, decided and did. ``result`` is empty when the plan is a conflict
    (nothing is applied)."""

    observed: ObservedRouteState
    plan: Plan
    result: ApplyResult

    @property
    def waits(self) -> tuple[str, ...]:
        """Why the route is not done yet (requeue after ``WAIT_SECONDS``); empty when it is."""
        return (*self.plan.waits, *self.plan.missing, *self.result.waits)


async def deploy(side: LatticeSide, desired: RouteLatticeState) -> Deployed:
    if not desired.deleting and imported_exports(desired):
        # Another cluster creates, withdraws and deletes exported target groups without any event
        # here: a route importing one reads listings at most IMPORT_FRESHNESS_SECONDS old (routes
        # reconciled together share one).
        side.inventory.refresh_older_than(Listing.TARGET_GROUPS, IMPORT_FRESHNESS_SECONDS)
        side.inventory.refresh_older_than(Listing.TARGET_GROUP_TAGS, IMPORT_FRESHNESS_SECONDS)
    observed = await observe_route(
        desired, side.inventory, side.tags, lattice=side.lattice, details=side.details
    )
    plan = plan_route(desired, observed)
    if plan.conflict:
        return Deployed(observed, plan, ApplyResult())
    live = observed.service is not None
    result = await apply_plan(plan, side.lattice, side.tags, inventory=side.inventory, live=live)
    if plan.waits or result.waits:
        # What the retry waits for (an association being deleted, ...) must be listed again; target
        # groups that may be deleted read their draining targets fresh anyway.
        if observed.service is not None:
            side.inventory.invalidate(Listing.SERVICE_ASSOCIATIONS, observed.service.id)
        else:
            side.inventory.invalidate(Listing.SERVICE_ASSOCIATIONS)
    if plan.missing:
        side.inventory.invalidate(Listing.SERVICE_NETWORKS)
        side.inventory.invalidate(Listing.TARGET_GROUPS)
        side.inventory.invalidate(Listing.TARGET_GROUP_TAGS)
    return Deployed(observed, plan, result)
