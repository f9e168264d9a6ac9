"""Execute a route's plan: one AWS write per step, in order, with ``Pending`` refs substituted.

Outcomes: a delete of something already gone succeeds; a ConflictException on a delete (target
group still in use, service with associations, …) or a create reported as in progress is a *wait*
(requeue ~10 s), and the remaining steps still run; a ConflictException on ``CreateService`` (the
name is taken) is a wait that ends the plan and makes the next observe list services; any other
error stops the plan, drops the inventory listings the step touched and is raised (the worker
retries with backoff).

Each step's request — and a create's client token, from that same request — comes from its one
builder in ``requests.py``; this module sends it and maps the result to an outcome.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lattice_controller.aws.errors import AwsError, Conflict, NotFound
from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.listings import Listing
from lattice_controller.aws.shapes import resource_id
from lattice_controller.aws.tagging import TagStore
from lattice_controller.reconcile.apply.requests import Request, build_request
from lattice_controller.reconcile.diff.steps import (
    BatchUpdateRule,
    CreateListener,
    CreateRule,
    CreateService,
    CreateServiceNetworkServiceAssociation,
    CreateTargetGroup,
    DeleteListener,
    DeleteRule,
    DeleteService,
    DeleteServiceNetworkServiceAssociation,
    DeleteTargetGroup,
    DeregisterTargets,
    Pending,
    Plan,
    Ref,
    RegisterTargets,
    Step,
    UpdateListener,
    UpdateRule,
    UpdateService,
    UpdateTargetGroup,
)

Json = dict[str, Any]
WAIT_SECONDS = 10.0
_DELETES = (
    DeleteService,
    DeleteServiceNetworkServiceAssociation,
    DeleteListener,
    DeleteRule,
    DeleteTargetGroup,
    DeregisterTargets,
)


_FAILED_ITEMS = {
    "BatchUpdateRule": "rule(s) not updated",
    "RegisterTargets": "target(s) failed",
    "DeregisterTargets": "target(s) failed",
}


def _failures(operation: str, response: Json) -> list[Any]:
    """Per-item failures of a write that reports them (a target already gone is not one)."""
    if operation not in _FAILED_ITEMS:
        return []
    failed = list(response.get("unsuccessful") or [])
    if operation == "BatchUpdateRule":
        return failed
    return [f for f in failed if f.get("failureCode") != "TargetNotFound"]


class ApplyFailed(Exception):
    """A write was accepted but reported per-item failures (targets, batch rule priorities)."""

    def __init__(self, step: Step, detail: str) -> None:
        super().__init__(f"{step.describe()}: {detail}")
        self.step = step


class UnresolvedRef(Exception):
    """A step refers to ``Pending`` resource that no earlier step of the plan created."""


@dataclass(frozen=True, slots=True)
class Created:
    """A resource a create step made (or found again through its client token)."""

    kind: str
    name: str
    id: str
    arn: str
    status: str = ""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What a plan did. ``service``: the created service (for the route annotations; None when it
    existed already). ``waits``: reasons to requeue after ``WAIT_SECONDS``. ``calls``: successful
    or tolerated write calls by operation."""

    created: tuple[Created, ...] = ()
    service_dns_name: str | None = None
    waits: tuple[str, ...] = ()
    calls: tuple[tuple[str, int], ...] = ()
    already_gone: int = 0

    @property
    def service(self) -> Created | None:
        return next((c for c in self.created if c.kind == "service"), None)

    @property
    def service_arn(self) -> str | None:
        return self.service.arn if self.service else None

    @property
    def service_dns(self) -> str | None:
        return self.service_dns_name

    @property
    def writes(self) -> int:
        return sum(n for _, n in self.calls)

    @property
    def requeue_after(self) -> float | None:
        return WAIT_SECONDS if self.waits else None


@dataclass(slots=True)
class _Applier:
    lattice: LatticeApi
    tags: TagStore
    inventory: LatticeInventory | None
    created: dict[tuple[str, str], Created] = field(default_factory=dict)
    order: list[Created] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    already_gone: int = 0
    service_dns_name: str | None = None
    stopped: bool = False
    """Set when the rest of the plan depends on a create that did not happen."""

    # -- refs ------------------------------------------------------------------------------------

    def _created(self, ref: Pending) -> Created:
        found = self.created.get((ref.kind, ref.name))
        if found is None:
            raise UnresolvedRef(f"{ref} was not created by an earlier step")
        return found

    def id_of(self, ref: Ref) -> str:
        """Identifiers are always sent as ids: the inventory keys its listings by id."""
        return self._created(ref).id if isinstance(ref, Pending) else resource_id(ref)

    def arn_of(self, ref: Ref) -> str:
        if isinstance(ref, Pending):
            return self._created(ref).arn
        if not ref.startswith("arn:"):
            raise UnresolvedRef(f"tag writes need an ARN, got {ref}")
        return ref

    def record(self, kind: str, name: str, response: Json, tags: tuple[tuple[str, str], ...]) -> Created:
        created = Created(
            kind, name, str(response["id"]), str(response["arn"]), str(response.get("status") or "")
        )
        self.created[(kind, name)] = created
        self.order.append(created)
        # A create sets exactly these tags: later ownership reads need not ask AWS.
        self.tags.cache.put(created.arn, dict(tags))
        return created

    # -- steps -----------------------------------------------------------------------------------

    async def run(self, step: Step) -> None:
        try:
            operation = await self._execute(step)
        except NotFound as error:
            self._invalidate(step)
            if not isinstance(step, _DELETES):
                raise
            self.already_gone += 1
            self.calls[error.operation] += 1
            return
        except Conflict as error:
            self._invalidate(step)
            if isinstance(step, CreateService) and "CREATE_IN_PROGRESS" not in error.message:
                # The name is taken by a service observe did not see (it skipped ListServices):
                # the retry lists services and applies the adoption/conflict rules.
                if self.inventory is not None:
                    self.inventory.note_service_name_taken(step.name)
                self.waits.append(f"{step.describe()}: {error.message or error.code}")
                self.calls[error.operation] += 1
                self.stopped = True
                return
            if isinstance(step, _DELETES) or "CREATE_IN_PROGRESS" in error.message:
                self.waits.append(f"{step.describe()}: {error.message or error.code}")
                self.calls[error.operation] += 1
                return
            raise
        except AwsError:
            self._invalidate(step)
            raise
        except ApplyFailed:
            self._invalidate(step)
            raise
        self.calls[operation] += 1

    async def _execute(self, step: Step) -> str:
        request = build_request(step, self)
        response = await self._send(request)
        creates = request.creates
        if creates is not None:
            created = self.record(creates.kind, creates.name, response, creates.tags)
            if creates.settled and created.status not in creates.settled:
                self.waits.append(f"{creates.describe} is {created.status}")
            if isinstance(step, CreateService):
                self.service_dns_name = (response.get("dnsEntry") or {}).get("domainName")
        failed = _failures(request.operation, response)
        if failed:
            raise ApplyFailed(step, f"{len(failed)} {_FAILED_ITEMS[request.operation]}: {failed}")
        return request.operation

    async def _send(self, request: Request) -> Json:
        """Tag writes go through the tag store (its cache), targets in batches; the rest as is."""
        params = request.params
        if request.operation == "TagResource":
            await self.tags.tag(params["resourceArn"], params["tags"])
            return {}
        if request.operation == "UntagResource":
            await self.tags.untag(params["resourceArn"], params["tagKeys"])
            return {}
        if request.operation == "RegisterTargets":
            return await self.lattice.register_targets(params["targetGroupIdentifier"], params["targets"])
        if request.operation == "DeregisterTargets":
            return await self.lattice.deregister_targets(params["targetGroupIdentifier"], params["targets"])
        return await self.lattice.call(request.operation, **request.call_params())

    # -- inventory hygiene after errors ----------------------------------------------------------

    def _invalidate(self, step: Step) -> None:
        """Drop the listings a failed step may have made stale (our writes normally keep them current)."""
        inventory = self.inventory
        if inventory is None:
            return
        try:
            stale = self._stale_listings(step)
        except UnresolvedRef:
            stale = [(Listing.SERVICES, ()), (Listing.TARGET_GROUPS, ())]
        for listing, scope in stale:
            inventory.invalidate(listing, *scope)

    def _stale_listings(self, step: Step) -> list[tuple[Listing, tuple[str, ...]]]:
        """``(listing, scope)`` pairs; an empty scope drops every listing of that kind."""
        L = Listing
        if isinstance(step, CreateService | UpdateService | DeleteService):
            return _every(L.SERVICES, L.SERVICE_ASSOCIATIONS, L.LISTENERS, L.RULES)
        if isinstance(step, CreateServiceNetworkServiceAssociation | DeleteServiceNetworkServiceAssociation):
            return _every(L.SERVICE_ASSOCIATIONS)
        if isinstance(step, CreateListener | UpdateListener | DeleteListener):
            return [(L.LISTENERS, (self.id_of(step.service),)), (L.RULES, ())]
        if isinstance(step, CreateRule | UpdateRule | DeleteRule | BatchUpdateRule):
            return [(L.RULES, (self.id_of(step.service), self.id_of(step.listener)))]
        if isinstance(step, RegisterTargets | DeregisterTargets):
            return [(L.TARGETS, (self.id_of(step.target_group),))]
        if isinstance(step, CreateTargetGroup | UpdateTargetGroup | DeleteTargetGroup):
            return _every(L.TARGET_GROUPS, L.TARGET_GROUP_TAGS, L.TARGETS)
        return _every(L.SERVICES, L.TARGET_GROUP_TAGS, L.LISTENERS, L.RULES, L.SERVICE_ASSOCIATIONS)


def _every(*listings: Listing) -> list[tuple[Listing, tuple[str, ...]]]:
    return [(listing, ()) for listing in listings]


def partial_apply_note(failed: Step) -> str:
    """Said with a failure that leaves the service partly changed: which step failed, what is live."""
    return (
        f"the service is partially applied: {failed.describe()} failed; the changes before it are "
        "live, it and those after it are not (the retry continues from there)"
    )


async def apply_plan(
    plan: Plan,
    lattice: LatticeApi,
    tags: TagStore,
    *,
    inventory: LatticeInventory | None = None,
    live: bool = False,
) -> ApplyResult:
    """Run ``plan.steps`` in order (see the module docstring for outcomes). ``inventory``: the
    shared inventory, whose listings are dropped where a failed step leaves them unreliable.
    A failure after a write, or any failure when ``live`` (the plan changes a service that exists),
    gets a note saying the service is partially applied and which step failed."""
    applier = _Applier(lattice, tags, inventory)
    for done, step in enumerate(plan.steps):
        try:
            await applier.run(step)
        except (AwsError, ApplyFailed) as error:
            if done or live:
                error.add_note(partial_apply_note(step))
            raise
        if applier.stopped:
            break
    return ApplyResult(
        tuple(applier.order),
        applier.service_dns_name,
        tuple(applier.waits),
        tuple(sorted(applier.calls.items())),
        applier.already_gone,
    )
