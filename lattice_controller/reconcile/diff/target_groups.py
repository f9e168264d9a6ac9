"""Target groups and targets: find by identity tags + immutable config, create, sync only the
difference of targets, and delete the route's target groups once nothing else uses them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.lattice import (
    MAX_TARGETS_PER_CALL,
    HealthCheckSpec,
    ImportedTargetGroup,
    RouteLatticeState,
    TargetGroupIdentity,
    TargetGroupSpec,
)
from lattice_controller.model.lattice_observed import ObservedTargetGroup
from lattice_controller.reconcile.diff.steps import (
    CreateTargetGroup,
    DeleteTargetGroup,
    DeregisterTargets,
    Pending,
    Ref,
    RegisterTargets,
    Step,
    TagResource,
    UntagResource,
    UpdateTargetGroup,
)

TRANSITIONAL = frozenset({"CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS"})
USABLE = frozenset({"ACTIVE", "DELETE_FAILED"})
DRAINING = "DRAINING"


@dataclass(slots=True)
class TargetGroupPlan:
    steps: list[Step] = field(default_factory=list)
    delete_steps: list[Step] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    refs: dict[TargetGroupIdentity | ImportedTargetGroup, Ref] = field(default_factory=dict)
    """Identity → TG id (existing) or Pending (created in this plan); used by rule actions."""


def _config_matches(spec: TargetGroupSpec, observed: ObservedTargetGroup) -> bool:
    want, have = spec.config, observed.config
    return (want.port, want.protocol, want.ip_address_type, want.type, want.vpc) == (
        have.port,
        have.protocol,
        have.ip_address_type,
        have.type,
        have.vpc,
    )


def find_target_group(
    spec: TargetGroupSpec, observed: Iterable[ObservedTargetGroup]
) -> ObservedTargetGroup | None:
    """The Go controller's lookup: identity tags equal, immutable config equal, not CREATE_FAILED;
    a usable one is preferred over one in transition."""
    candidates = [
        tg
        for tg in observed
        if tg.status != "CREATE_FAILED" and spec.identity.matches(tg.tag_dict()) and _config_matches(spec, tg)
    ]
    candidates.sort(key=lambda tg: (tg.status not in USABLE, tg.arn))
    return candidates[0] if candidates else None


def find_imported(imported: ImportedTargetGroup, observed: Iterable[ObservedTargetGroup]) -> str | None:
    """The id of the imported target group: Lattice reports rule/listener actions by id, so the
    diff compares ids; an external ARN (``…/targetgroup/tg-…``) is reduced to its id. An export's
    group being created, deleted, or withdrawn by its cluster (``ExportWithdrawn``) is not used."""
    observed = tuple(observed)
    if imported.external_arn:
        external_id = imported.external_arn.rsplit("/", 1)[-1]
        return next((tg.id for tg in observed if tg.id == external_id), None)
    for tg in sorted(observed, key=lambda t: t.arn):
        tags = tg.tag_dict()
        if (
            tg.status in USABLE
            and tag_keys.EXPORT_WITHDRAWN not in tags
            and tags.get(tag_keys.SOURCE_TYPE_KEY) == tag_keys.SOURCE_TYPE_SERVICE_EXPORT
            and tags.get(tag_keys.SERVICE_NAME) == imported.export_name
            and tags.get(tag_keys.SERVICE_NAMESPACE) == imported.namespace
            and (imported.cluster is None or tags.get(tag_keys.CLUSTER_NAME) == imported.cluster)
            and (imported.vpc is None or tg.config.vpc == imported.vpc)
        ):
            return tg.id
    return None


def _batches(ref: Ref, pairs: list[tuple[str, int]], register: bool) -> list[Step]:
    out: list[Step] = []
    for i in range(0, len(pairs), MAX_TARGETS_PER_CALL):
        chunk = tuple(pairs[i : i + MAX_TARGETS_PER_CALL])
        out.append(RegisterTargets(ref, chunk) if register else DeregisterTargets(ref, chunk))
    return out


def _sync_targets(spec: TargetGroupSpec, observed: ObservedTargetGroup) -> list[Step]:
    if spec.targets is None:
        return []
    desired = {(t.ip, t.port) for t in spec.targets}
    current = {(t.ip, t.port): t.status for t in observed.targets}
    stale = sorted(k for k, status in current.items() if k not in desired and status != DRAINING)
    new = sorted(k for k in desired if current.get(k, DRAINING) == DRAINING)
    return _batches(observed.id, stale, register=False) + _batches(observed.id, new, register=True)


def _desired_health_check(spec: TargetGroupSpec) -> HealthCheckSpec:
    return (spec.health_check or HealthCheckSpec()).with_defaults(
        spec.config.protocol, spec.config.protocol_version
    )


def _create_health_check(spec: TargetGroupSpec) -> HealthCheckSpec | None:
    """The TGP's check, else none (Lattice's defaults) — except a disabled default (TCP), sent at
    create so the group needs no UpdateTargetGroup on the next reconcile."""
    if spec.health_check is None and _desired_health_check(spec).enabled is False:
        return _desired_health_check(spec)
    return spec.health_check


def _health_check_differs(desired: HealthCheckSpec, observed: HealthCheckSpec | None) -> bool:
    """A disabled check is only ``enabled=False`` (TCP default): Lattice still reports the full
    structure with its own values, which are irrelevant while the check is off."""
    if observed is None:
        return False
    if desired.enabled is False:
        return observed.enabled is not False
    return observed != desired


def _route_owns(state: RouteLatticeState, tg: ObservedTargetGroup) -> bool:
    tags = tg.tag_dict()
    return (
        tags.get(tag_keys.CLUSTER_NAME) == state.cluster
        and tags.get(tag_keys.ROUTE_NAME) == state.route.name
        and tags.get(tag_keys.ROUTE_NAMESPACE) == state.route.namespace
        # The source type is the route's kind: an HTTPRoute and a GRPCRoute may share a name, and
        # neither deletes the other's target groups.
        and tags.get(tag_keys.SOURCE_TYPE_KEY) == tag_keys.route_source_type(state.route_type)
        and tg.config.vpc == state.vpc
    )


def plan_target_groups(
    state: RouteLatticeState,
    observed: tuple[ObservedTargetGroup, ...],
    our_service_arn: str | None,
    also_ours: Iterable[str] = (),
) -> TargetGroupPlan:
    """Create/update/sync the desired TGs; delete this route's other TGs that only we (or nobody) use.

    ``our_service_arn``: the route's Lattice service, whose rules stop using the unwanted TGs in
    this same plan (so it does not count as a user); ``also_ours``: services deleted by this plan.
    """
    ours = ({our_service_arn} if our_service_arn else set()) | set(also_ours)
    return plan_owned_groups(
        () if state.deleting else state.target_groups,
        observed,
        owns=lambda tg: _route_owns(state, tg),
        leaving_users=ours,
    )


def plan_owned_groups(
    specs: Iterable[TargetGroupSpec],
    observed: Iterable[ObservedTargetGroup],
    owns: Callable[[ObservedTargetGroup], bool],
    leaving_users: set[str] | frozenset[str] = frozenset(),
    withdraw: bool = False,
) -> TargetGroupPlan:
    """The target groups of one owner (a route or a ServiceExport): create/update/sync ``specs``;
    delete the owner's other groups (``owns``) that no service uses (``leaving_users``: services that
    stop using them in the same plan). ``withdraw``: an unwanted group some service still uses is
    tagged ``ExportWithdrawn`` (importers then let it go) and deleted on a later pass."""
    plan = TargetGroupPlan()
    kept: set[str] = set()
    observed = tuple(observed)
    for spec in specs:
        found = find_target_group(spec, observed)
        if found is None:
            name = spec.name
            pending = Pending("target_group", name)
            plan.refs[spec.identity] = pending
            tags = tuple(sorted(spec.create_tags.items()))
            plan.steps.append(CreateTargetGroup(name, spec.config, _create_health_check(spec), tags))
            if spec.targets:
                plan.steps += _batches(pending, sorted({(t.ip, t.port) for t in spec.targets}), register=True)
            continue
        kept.add(found.arn)
        plan.refs[spec.identity] = found.id
        if found.status in TRANSITIONAL:
            plan.waits.append(f"target group {found.name} is {found.status}")
            continue
        tags_now = found.tag_dict()
        change = tag_keys.tag_change(tags_now, dict(spec.additional_tags))
        if change.untag:
            plan.steps.append(UntagResource(found.arn, change.untag))
        if change.tag:
            plan.steps.append(TagResource(found.arn, change.tag))
        if tag_keys.EXPORT_WITHDRAWN in tags_now:
            # Wanted again (the export came back): importers may use it again.
            plan.steps.append(UntagResource(found.arn, (tag_keys.EXPORT_WITHDRAWN,)))
        health_check = _desired_health_check(spec)
        if _health_check_differs(health_check, found.health_check):
            plan.steps.append(UpdateTargetGroup(found.arn, health_check))
        plan.steps += _sync_targets(spec, found)

    for tg in sorted(observed, key=lambda t: t.arn):
        if tg.arn in kept or not owns(tg) or tg.status == "DELETE_IN_PROGRESS":
            continue
        users = set(tg.service_arns) - set(leaving_users)
        if users:
            if withdraw:
                if tag_keys.EXPORT_WITHDRAWN not in tg.tag_dict():
                    plan.steps.append(TagResource(tg.arn, ((tag_keys.EXPORT_WITHDRAWN, "true"),)))
                plan.waits.append(
                    f"target group {tg.name} is still used by {len(users)} service(s); withdrawn from "
                    "importers, deleting it once no service uses it"
                )
            continue
        if any(t.status == DRAINING for t in tg.targets):
            plan.waits.append(f"target group {tg.name} has draining targets; deleting it later")
            continue
        registered = sorted((t.ip, t.port) for t in tg.targets)
        plan.delete_steps += _batches(tg.arn, registered, register=False)
        plan.delete_steps.append(DeleteTargetGroup(tg.arn))
    return plan
