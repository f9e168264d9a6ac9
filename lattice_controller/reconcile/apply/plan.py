"""Execute a route's plan: one AWS write per step, in order, with ``Pending`` refs substituted.

Outcomes: a delete of something already gone succeeds; a ConflictException on a delete (target
group still in use, service with associations, …) or a create reported as in progress is a *wait*
(requeue ~10 s), and the remaining steps still run; a ConflictException on ``CreateService`` (the
name is taken) is a wait that ends the plan and makes the next observe list services; any other
error stops the plan, drops the inventory listings the step touched and is raised (the worker
retries with backoff).

Client tokens are derived here and only here (``request_token``): from the operation and the exact
request sent — the resource's name, its resolved parent ids, every parameter and the tags (which
carry ManagedBy). A retried request after a crash reuses its token and gets the resource created
the first time; any different request (e.g. a listener under a re-created service) gets a
different token and never trips IdempotentParameterMismatch. The diff carries no tokens.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lattice_controller.aws.errors import AwsError, Conflict, NotFound
from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.shapes import (
    fixed_action,
    forward_action,
    health_check_to_api,
    match_to_api,
    resource_id,
    target_group_config_to_api,
)
from lattice_controller.aws.tagging import TagStore
from lattice_controller.model.lattice import client_token
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
    PlanAction,
    Ref,
    RegisterTargets,
    Step,
    TagResource,
    UntagResource,
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


def request_token(operation: str, **request: Any) -> str:
    """The client token of a create: a digest of the operation and its full request (minus the token)."""
    return client_token(operation, json.dumps(request, sort_keys=True, default=str))


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

    def action(self, action: PlanAction) -> Json:
        if action.fixed_status is not None:
            return fixed_action(action.fixed_status)
        return forward_action([(self.id_of(ref), weight) for ref, weight in action.forward])

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
        lattice = self.lattice
        if isinstance(step, CreateTargetGroup):
            config, tags = target_group_config_to_api(step.config, step.health_check), dict(step.tags)
            token = request_token(
                "CreateTargetGroup", name=step.name, type=step.config.type, config=config, tags=tags
            )
            response = await lattice.create_target_group(
                step.name, step.config.type, client_token=token, config=config, tags=tags
            )
            created = self.record("target_group", step.name, response, step.tags)
            if created.status not in ("", "ACTIVE", "CREATE_IN_PROGRESS"):
                self.waits.append(f"target group {step.name} is {created.status}")
            return "CreateTargetGroup"
        if isinstance(step, UpdateTargetGroup):
            await lattice.update_target_group(
                self.id_of(step.target_group), health_check_to_api(step.health_check)
            )
            return "UpdateTargetGroup"
        if isinstance(step, RegisterTargets | DeregisterTargets):
            return await self._targets(step)
        if isinstance(step, DeleteTargetGroup):
            await lattice.delete_target_group(self.id_of(step.target_group))
            return "DeleteTargetGroup"
        if isinstance(step, CreateService):
            fields: Json = {"customDomainName": step.custom_domain, "certificateArn": step.certificate_arn}
            tags = dict(step.tags)
            token = request_token("CreateService", name=step.name, tags=tags, **fields)
            response = await lattice.create_service(step.name, client_token=token, tags=tags, **fields)
            self.record("service", step.name, response, step.tags)
            self.service_dns_name = (response.get("dnsEntry") or {}).get("domainName")
            return "CreateService"
        if isinstance(step, UpdateService):
            if step.certificate_arn is not None:
                await lattice.update_service(self.id_of(step.service), certificateArn=step.certificate_arn)
            return "UpdateService"
        if isinstance(step, DeleteService):
            await lattice.delete_service(self.id_of(step.service))
            return "DeleteService"
        if isinstance(step, TagResource):
            await self.tags.tag(self.arn_of(step.resource), dict(step.tags))
            return "TagResource"
        if isinstance(step, UntagResource):
            await self.tags.untag(self.arn_of(step.resource), step.keys)
            return "UntagResource"
        if isinstance(step, CreateServiceNetworkServiceAssociation):
            service_id, tags = self.id_of(step.service), dict(step.tags)
            token = request_token(
                "CreateServiceNetworkServiceAssociation",
                serviceIdentifier=service_id,
                serviceNetworkIdentifier=step.service_network_id,
                tags=tags,
            )
            response = await lattice.create_service_network_service_association(
                service_id, step.service_network_id, client_token=token, tags=tags
            )
            created = self.record("association", step.service_network_id, response, step.tags)
            if created.status not in ("", "ACTIVE"):
                self.waits.append(f"association with {step.service_network_id} is {created.status}")
            return "CreateServiceNetworkServiceAssociation"
        if isinstance(step, DeleteServiceNetworkServiceAssociation):
            await lattice.delete_service_network_service_association(self.id_of(step.association))
            return "DeleteServiceNetworkServiceAssociation"
        if isinstance(step, CreateListener):
            service_id, default_action = self.id_of(step.service), self.action(step.default_action)
            tags = dict(step.tags)
            token = request_token(
                "CreateListener",
                serviceIdentifier=service_id,
                name=step.name,
                protocol=step.protocol,
                port=step.port,
                defaultAction=default_action,
                tags=tags,
            )
            response = await lattice.create_listener(
                service_id,
                step.name,
                step.protocol,
                default_action,
                client_token=token,
                port=step.port,
                tags=tags,
            )
            self.record("listener", step.name, response, step.tags)
            return "CreateListener"
        if isinstance(step, UpdateListener):
            await lattice.update_listener(
                self.id_of(step.service), self.id_of(step.listener), self.action(step.default_action)
            )
            return "UpdateListener"
        if isinstance(step, DeleteListener):
            await lattice.delete_listener(self.id_of(step.service), self.id_of(step.listener))
            return "DeleteListener"
        if isinstance(step, CreateRule):
            service_id, listener_id = self.id_of(step.service), self.id_of(step.listener)
            match, action, tags = match_to_api(step.match), self.action(step.action), dict(step.tags)
            token = request_token(
                "CreateRule",
                serviceIdentifier=service_id,
                listenerIdentifier=listener_id,
                name=step.name,
                match=match,
                priority=step.priority,
                action=action,
                tags=tags,
            )
            response = await lattice.create_rule(
                service_id,
                listener_id,
                step.name,
                match,
                step.priority,
                action,
                client_token=token,
                tags=tags,
            )
            self.record("rule", step.name, response, step.tags)
            return "CreateRule"
        if isinstance(step, UpdateRule):
            await lattice.update_rule(
                self.id_of(step.service),
                self.id_of(step.listener),
                self.id_of(step.rule),
                match=match_to_api(step.match),
                action=self.action(step.action),
            )
            return "UpdateRule"
        if isinstance(step, DeleteRule):
            await lattice.delete_rule(
                self.id_of(step.service), self.id_of(step.listener), self.id_of(step.rule)
            )
            return "DeleteRule"
        if isinstance(step, BatchUpdateRule):
            rules = [{"ruleIdentifier": self.id_of(ref), "priority": p} for ref, p in step.priorities]
            response = await lattice.batch_update_rule(
                self.id_of(step.service), self.id_of(step.listener), rules
            )
            failed = response.get("unsuccessful") or []
            if failed:
                raise ApplyFailed(step, f"{len(failed)} rule(s) not updated: {failed}")
            return "BatchUpdateRule"
        raise TypeError(f"unknown plan step {step!r}")

    async def _targets(self, step: RegisterTargets | DeregisterTargets) -> str:
        targets = [{"id": ip, "port": port} for ip, port in step.targets]
        target_group = self.id_of(step.target_group)
        if isinstance(step, RegisterTargets):
            response = await self.lattice.register_targets(target_group, targets)
            operation = "RegisterTargets"
        else:
            response = await self.lattice.deregister_targets(target_group, targets)
            operation = "DeregisterTargets"
        failed = [f for f in response.get("unsuccessful") or [] if f.get("failureCode") != "TargetNotFound"]
        if failed:
            raise ApplyFailed(step, f"{len(failed)} target(s) failed: {failed}")
        return operation

    # -- inventory hygiene after errors ----------------------------------------------------------

    def _invalidate(self, step: Step) -> None:
        """Drop the listings a failed step may have made stale (our writes normally keep them current)."""
        inventory = self.inventory
        if inventory is None:
            return
        try:
            keys = self._stale_listings(step)
        except UnresolvedRef:
            keys = [("services",), ("target-groups",)]
        for key in keys:
            inventory.invalidate(*key)

    def _stale_listings(self, step: Step) -> list[tuple[str, ...]]:
        if isinstance(step, CreateService | UpdateService | DeleteService):
            return [("services",), ("service-associations",), ("listeners",), ("rules",)]
        if isinstance(step, CreateServiceNetworkServiceAssociation | DeleteServiceNetworkServiceAssociation):
            return [("service-associations",)]
        if isinstance(step, CreateListener | UpdateListener | DeleteListener):
            return [("listeners", self.id_of(step.service)), ("rules",)]
        if isinstance(step, CreateRule | UpdateRule | DeleteRule | BatchUpdateRule):
            return [("rules", self.id_of(step.service), self.id_of(step.listener))]
        if isinstance(step, RegisterTargets | DeregisterTargets):
            return [("targets", self.id_of(step.target_group))]
        if isinstance(step, CreateTargetGroup | UpdateTargetGroup | DeleteTargetGroup):
            return [("target-groups",), ("target-group-tags",), ("targets",)]
        return [("services",), ("target-group-tags",), ("listeners",), ("rules",), ("service-associations",)]


async def apply_plan(
    plan: Plan,
    lattice: LatticeApi,
    tags: TagStore,
    *,
    inventory: LatticeInventory | None = None,
) -> ApplyResult:
    """Run ``plan.steps`` in order (see the module docstring for outcomes). ``inventory``: the
    shared inventory, whose listings are dropped where a failed step leaves them unreliable."""
    applier = _Applier(lattice, tags, inventory)
    for step in plan.steps:
        await applier.run(step)
        if applier.stopped:
            break
    return ApplyResult(
        tuple(applier.order),
        applier.service_dns_name,
        tuple(applier.waits),
        tuple(sorted(applier.calls.items())),
        applier.already_gone,
    )
