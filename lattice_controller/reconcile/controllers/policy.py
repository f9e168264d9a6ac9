"""One reconciler for the application-networking policies that act on a Lattice service network or
service (IAMAuthPolicy, VpcAssociationPolicy, AccessLogPolicy); each kind is a small ``PolicyKind`` adapter.

Shared here: the ``Accepted`` condition (``build.policies``), rivals found through the by-target index,
the finalizer, the Events (``lifecycle_events``), the target's Lattice resource (Gateway → service
network, with override mode; HTTPRoute/GRPCRoute → service, with the name override), status written
only when it changed. The
adapter says what its kind may target, checks its spec, applies itself to a resource and removes itself.
A target whose Lattice resource does not exist yet is retried; the route's service ARN annotation also
wakes the policy when the route reconciler creates the service (``reconcile.triggers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import structlog

from lattice_controller.aws.listings import Listing
from lattice_controller.cache.policy_targets import POLICIES_BY_TARGET, target_value
from lattice_controller.kube import kinds as k
from lattice_controller.kube.kinds import AnyKind, Kind
from lattice_controller.model.k8s import Gateway
from lattice_controller.model.k8s.common import Condition
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.naming import InvalidServiceNameOverrideError, route_service_name
from lattice_controller.model.outcomes import Outcome, RequeueAfter, Success
from lattice_controller.reconcile.build.policies import (
    CONFLICTED,
    INVALID,
    Policy,
    PolicyRules,
    accepted_condition,
    target_problem,
)
from lattice_controller.reconcile.build.route import SERVICE_ARN_ANNOTATION
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.controllers.lifecycle_events import LifecycleEvents
from lattice_controller.reconcile.controllers.route import describe_aws_error
from lattice_controller.reconcile.observe import find_service_network
from lattice_controller.reconcile.status import merge_conditions

TARGET_PENDING_RETRY_SECONDS = 30.0
TARGET_KINDS: dict[str, AnyKind] = {
    "Gateway": k.GATEWAY,
    "HTTPRoute": k.HTTP_ROUTE,
    "GRPCRoute": k.GRPC_ROUTE,
}
SERVICE_NETWORK = "ServiceNetwork"
SERVICE = "Service"

log = structlog.get_logger(__name__)


class StatusPolicy(Policy, Protocol):
    @property
    def conditions(self) -> tuple[Condition, ...]: ...


P = TypeVar("P", bound=StatusPolicy)


@dataclass(frozen=True, slots=True)
class LatticeTarget:
    """The Lattice resource a policy's target stands for."""

    type: str  # SERVICE_NETWORK or SERVICE
    id: str
    arn: str
    name: str


class PolicyKind(Protocol[P]):
    name: str
    kind: Kind[P]
    finalizer: str
    rules: PolicyRules

    def spec_problem(self, policy: P) -> str | None: ...

    async def apply(self, ctx: ControllerContext, policy: P, target: LatticeTarget) -> float | None:
        """Make ``target`` carry the policy (writes only what differs); undo a previous target's.
        Returns seconds to look again (an AWS resource still settling) or None; raises
        ``PolicyConflict`` when the resource belongs to someone else."""

    async def remove(self, ctx: ControllerContext, policy: P) -> None:
        """Undo what the policy applied (its annotations say where); missing resources are fine."""


class PolicyRejected(Exception):
    """AWS refused what the policy asks for in a way only the user can fix: ``Accepted=False/<reason>``."""

    reason = INVALID


class PolicyConflict(PolicyRejected):
    """The Lattice resource a policy would act on is not ours: ``Accepted=False/Conflicted``."""

    reason = CONFLICTED


def policies_naming(ctx: Any, kind: Kind[Any], target_kind: str, target: ObjectKey) -> list[Any]:
    """Policies of ``kind`` whose targetRef names ``target_kind`` ``target`` (``ctx``: a ``CacheView``)."""
    store = ctx.store(kind)
    return store.by_index(POLICIES_BY_TARGET, target_value(target_kind, target)) if store else []


class PolicyReconciler(Generic[P]):
    def __init__(self, ctx: ControllerContext, adapter: PolicyKind[P]) -> None:
        self.ctx = ctx
        self.adapter = adapter
        self.name = adapter.name
        self.kind = adapter.kind

    async def reconcile(self, key: ObjectKey) -> Outcome:
        ctx, adapter = self.ctx, self.adapter
        store = ctx.store(adapter.kind)
        policy = store.get(key) if store else None
        if policy is None:
            return Success()
        events = LifecycleEvents(
            ctx, ctx.involved(adapter.kind, key, policy.meta.uid), _fresh(policy, adapter)
        )
        try:
            return await self._reconcile(policy, events)
        except Exception as error:
            await events.failed(describe_aws_error(error))
            raise

    async def _reconcile(self, policy: P, events: LifecycleEvents) -> Outcome:
        ctx, adapter, key = self.ctx, self.adapter, policy.meta.key
        kind = ctx.kind(adapter.kind)
        if policy.meta.deleting:
            if adapter.finalizer in policy.meta.finalizers:
                await events.started()
                await adapter.remove(ctx, policy)
                await ctx.writer.remove_finalizer(kind, key, adapter.finalizer)
                await events.succeeded()
            return Success()
        condition, target_record = self._validate(policy)
        if condition.status != "True":
            if await self._write_status(policy, condition):
                await events.failed(condition.message)
            return Success()
        await events.started()
        if adapter.finalizer not in policy.meta.finalizers:
            await ctx.writer.add_finalizer(kind, key, adapter.finalizer)
        target = await self._lattice_target(target_record)
        if target is None:
            await self._write_status(policy, condition)
            log.info("policy target has no Lattice resource yet", policy=str(key))
            return RequeueAfter(TARGET_PENDING_RETRY_SECONDS)
        try:
            retry = await adapter.apply(ctx, policy, target)
        except PolicyRejected as exc:
            condition = Condition(
                "Accepted", "False", exc.reason, str(exc), observed_generation=policy.meta.generation
            )
            if await self._write_status(policy, condition):
                await events.failed(condition.message)
            return Success()
        changed = await self._write_status(policy, condition)
        if retry is not None:
            return RequeueAfter(retry)
        await events.succeeded(changed=changed)
        return Success()

    def _validate(self, policy: P) -> tuple[Condition, Any]:
        ref = policy.target_ref
        target_key = ObjectKey(policy.meta.key.namespace, ref.name) if ref else None
        target_kind = TARGET_KINDS.get(ref.kind) if ref else None
        target_store = self.ctx.store(target_kind) if target_kind else None
        record = target_store.get(target_key) if target_store and target_key else None
        problem = self.adapter.spec_problem(policy)
        if problem is None and record is not None and ref is not None and ref.kind != "Gateway":
            try:
                route_service_name(record.meta.key.name, record.meta.key.namespace, record.meta.annotations)
            except InvalidServiceNameOverrideError as exc:
                problem = f"target {ref.kind} {target_key}: {exc}"
        # Only valid policies compete for a target: a broken or deleting one never blocks a good one.
        rivals = [
            rival
            for rival in (
                policies_naming(self.ctx, self.adapter.kind, ref.kind, target_key)
                if ref and target_key
                else []
            )
            if not rival.meta.deleting
            and target_problem(rival, self.adapter.rules) is None
            and self.adapter.spec_problem(rival) is None
        ]
        condition = accepted_condition(
            policy, self.adapter.rules, target_exists=record is not None, rivals=rivals, spec_problem=problem
        )
        return condition, record

    async def _lattice_target(self, record: Any) -> LatticeTarget | None:
        ctx = self.ctx
        if isinstance(record, Gateway):
            settings = ctx.settings
            name = settings.default_service_network if settings.override_active else record.meta.key.name
            found = await find_service_network(name, ctx.inventory, vpc_id=settings.vpc)
            if found.not_found:
                ctx.inventory.invalidate(Listing.SERVICE_NETWORKS)
                found = await find_service_network(name, ctx.inventory, vpc_id=settings.vpc)
            network = found.network
            return LatticeTarget(SERVICE_NETWORK, network.id, network.arn, network.name) if network else None
        # The ARN the route recorded first: its service may live under the fallback name
        # (docs/compatibility.md, "Deliberately different"), which only the route's reconcile resolves.
        recorded = record.meta.annotations.get(SERVICE_ARN_ANNOTATION)
        name = route_service_name(record.meta.key.name, record.meta.key.namespace, record.meta.annotations)
        service = await ctx.inventory.service(recorded) if recorded else None
        if service is None:
            service = await ctx.inventory.service_named(name)
        if service is None:
            ctx.inventory.invalidate(Listing.SERVICES)
            service = await ctx.inventory.service_named(name)
        if service is None:
            return None
        service_name = str(service.get("name") or name)
        return LatticeTarget(SERVICE, str(service["id"]), str(service["arn"]), service_name)

    async def _write_status(self, policy: P, condition: Condition) -> bool:
        """Write ``condition`` if it changes the stored conditions; whether it did."""
        conditions = merge_conditions(policy.conditions, (condition,), self.ctx.now(), keep_others=True)
        if conditions == policy.conditions:
            return False
        payload = {"conditions": [c.to_k8s() for c in conditions]}
        await self.ctx.writer.patch_status(self.ctx.kind(self.adapter.kind), policy.meta.key, payload)
        return True


def _fresh(policy: StatusPolicy, adapter: PolicyKind[Any]) -> bool:
    """Work is expected: a deletion, a first reconcile, or a generation the status has not seen."""
    accepted = next((c for c in policy.conditions if c.type == "Accepted"), None)
    return (
        policy.meta.deleting
        or adapter.finalizer not in policy.meta.finalizers
        or accepted is None
        or accepted.observed_generation != policy.meta.generation
    )
