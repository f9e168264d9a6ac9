"""The route's Lattice service, its associations, listeners and rules: create, update, delete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.lattice import (
    PROTOCOL_TLS_PASSTHROUGH,
    AssociationSpec,
    ImportedTargetGroup,
    ListenerSpec,
    RuleAction,
    ServiceSpec,
    TargetGroupIdentity,
)
from lattice_controller.model.lattice_observed import (
    ObservedAction,
    ObservedAssociation,
    ObservedListener,
    ObservedRouteState,
    ObservedServiceNetwork,
)
from lattice_controller.model.naming import rule_name
from lattice_controller.reconcile.diff.steps import (
    BatchUpdateRule,
    CreateListener,
    CreateRule,
    CreateServiceNetworkServiceAssociation,
    DeleteListener,
    DeleteRule,
    DeleteServiceNetworkServiceAssociation,
    Pending,
    PlanAction,
    Ref,
    Step,
    TagResource,
    UntagResource,
    UpdateListener,
    UpdateRule,
)

ResolveTargetGroup = Callable[[TargetGroupIdentity | ImportedTargetGroup], Ref | None]


@dataclass(slots=True)
class ServicePlan:
    steps: list[Step] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def tag_steps(
    resource: Ref, existing: dict[str, str] | None, additional: dict[str, str], managed: dict[str, str]
) -> list[Step]:
    if existing is None:
        return []
    change = tag_keys.tag_change(existing, additional, managed)
    out: list[Step] = []
    if change.untag:
        out.append(UntagResource(resource, change.untag))
    if change.tag:
        out.append(TagResource(resource, change.tag))
    return out


def plan_action(action: RuleAction, resolve: ResolveTargetGroup, missing: list[str]) -> PlanAction:
    if action.fixed_status is not None:
        return PlanAction(fixed_status=action.fixed_status)
    forward: dict[Ref, int] = {}
    for weighted in action.forward:
        ref = resolve(weighted.target_group)
        if ref is None:
            missing.append(f"target group for {weighted.target_group} could not be found")
            continue
        # Several backends may resolve to one target group (the invalid backends' one): weights add.
        forward[ref] = forward.get(ref, 0) + weighted.weight
    if not forward:
        return PlanAction(fixed_status=500)
    return PlanAction(tuple(forward.items()))


def _same_action(desired: PlanAction, observed: ObservedAction | None) -> bool:
    if observed is None:
        return False
    if desired.fixed_status is not None or observed.fixed_status is not None:
        return desired.fixed_status == observed.fixed_status and not observed.forward
    have = sorted((f.target_group_id, f.weight) for f in observed.forward)
    want = sorted((ref, weight) for ref, weight in desired.forward if isinstance(ref, str))
    return len(want) == len(desired.forward) and want == have


def _tags_of(pairs: tuple[tuple[str, str], ...] | None) -> dict[str, str] | None:
    return None if pairs is None else dict(pairs)


def _find_network(ref: str, networks: tuple[ObservedServiceNetwork, ...]) -> list[ObservedServiceNetwork]:
    return [n for n in networks if ref in (n.name, n.id)]


def unknown_networks(desired: tuple[AssociationSpec, ...], observed: ObservedRouteState) -> list[str]:
    """Desired service networks that exist neither as an association nor as exactly one network."""
    out = []
    for association in desired:
        ref = association.service_network.name_or_id
        if any(ref in (a.service_network_name, a.service_network_id) for a in observed.associations):
            continue
        networks = _find_network(ref, observed.service_networks)
        if len(networks) != 1:
            out.append(
                f"service network {ref} not found"
                if not networks
                else f"found multiple VPC Lattice Service Networks matching {ref}"
            )
    return out


def plan_associations(
    service_ref: Ref,
    desired: tuple[AssociationSpec, ...],
    observed: ObservedRouteState,
    spec: ServiceSpec,
    takeover: bool,
    plan: ServicePlan,
) -> None:
    existing = observed.associations if not isinstance(service_ref, Pending) else ()
    wanted: set[str] = set()
    for association in desired:
        ref = association.service_network.name_or_id
        found = next((a for a in existing if ref in (a.service_network_name, a.service_network_id)), None)
        if found is not None:
            wanted.add(found.id)
            if found.status == "DELETE_IN_PROGRESS":
                plan.waits.append(f"association with service network {ref} is DELETE_IN_PROGRESS")
            managed = {tag_keys.MANAGED_BY: spec.managed_by} if takeover else {}
            plan.steps += tag_steps(
                found.arn, _tags_of(found.tags), dict(association.additional_tags), managed
            )
            continue
        networks = _find_network(ref, observed.service_networks)
        if len(networks) != 1:
            plan.missing.append(
                f"service network {ref} not found"
                if not networks
                else f"found multiple VPC Lattice Service Networks matching {ref}"
            )
            continue
        network = networks[0]
        tags = tuple(
            sorted(
                tag_keys.creation_tags(
                    {tag_keys.MANAGED_BY: spec.managed_by}, dict(association.additional_tags)
                ).items()
            )
        )
        plan.steps.append(CreateServiceNetworkServiceAssociation(service_ref, network.id, tags))
    for current in existing:
        if current.id not in wanted and _managed_by_us(current, spec.managed_by):
            plan.steps.append(DeleteServiceNetworkServiceAssociation(current.arn))


def _managed_by_us(association: ObservedAssociation, managed_by: str) -> bool:
    return association.tags is not None and dict(association.tags).get(tag_keys.MANAGED_BY) == managed_by


def plan_listeners(
    service_ref: Ref,
    desired: tuple[ListenerSpec, ...],
    observed: tuple[ObservedListener, ...],
    spec: ServiceSpec,
    takeover: bool,
    resolve: ResolveTargetGroup,
    plan: ServicePlan,
) -> None:
    """Listeners by port (recreated when the protocol changed), then each listener's rules."""
    by_port = {listener.port: listener for listener in observed}
    deletes: list[Step] = []
    work: list[Step] = []
    wanted_ports = {listener.port for listener in desired}
    for current in observed:
        if current.port not in wanted_ports or any(
            d.port == current.port and d.protocol != current.protocol for d in desired
        ):
            deletes.append(DeleteListener(service_ref, current.arn))
    managed = {tag_keys.MANAGED_BY: spec.managed_by} if takeover else {}
    for listener in desired:
        default = plan_action(listener.default_action, resolve, plan.missing)
        found = by_port.get(listener.port)
        if found is not None and found.protocol == listener.protocol:
            work += tag_steps(found.arn, _tags_of(found.tags), dict(listener.additional_tags), managed)
            if listener.protocol == PROTOCOL_TLS_PASSTHROUGH and not _same_action(
                default, found.default_action
            ):
                work.append(UpdateListener(service_ref, found.arn, default))
            work += _plan_rules(service_ref, found.arn, listener, found, spec, managed, resolve, plan)
            continue
        pending = Pending("listener", listener.name)
        tags = tuple(
            sorted(
                tag_keys.creation_tags(
                    {tag_keys.MANAGED_BY: spec.managed_by}, dict(listener.additional_tags)
                ).items()
            )
        )
        work.append(
            CreateListener(service_ref, listener.name, listener.port, listener.protocol, default, tags)
        )
        work += _plan_rules(service_ref, pending, listener, None, spec, managed, resolve, plan)
    plan.steps += deletes + work


def _plan_rules(
    service_ref: Ref,
    listener_ref: Ref,
    listener: ListenerSpec,
    observed: ObservedListener | None,
    spec: ServiceSpec,
    managed: dict[str, str],
    resolve: ResolveTargetGroup,
    plan: ServicePlan,
) -> list[Step]:
    """Stale deletes, in-place updates, one BatchUpdateRule for priorities, then creates."""
    existing = [r for r in (observed.rules if observed else ()) if not r.is_default]
    unclaimed = {r.id: r for r in existing}
    deletes: list[Step] = []
    updates: list[Step] = []
    creates: list[Step] = []
    priorities: list[tuple[Ref, int]] = []
    by_key: dict[str, list[str]] = {}
    for rule in existing:
        if rule.match is not None:
            by_key.setdefault(rule.match.key(), []).append(rule.id)
    create_tags = tuple(
        sorted(
            tag_keys.creation_tags(
                {tag_keys.MANAGED_BY: spec.managed_by}, dict(listener.additional_tags)
            ).items()
        )
    )
    for desired in listener.rules:
        action = plan_action(desired.action, resolve, plan.missing)
        key = desired.match.key()
        candidates = [rid for rid in by_key.get(key, []) if rid in unclaimed]
        if candidates:
            found = unclaimed.pop(candidates[0])
            updates += tag_steps(found.arn, _tags_of(found.tags), dict(listener.additional_tags), managed)
            if not _same_action(action, found.action):
                updates.append(UpdateRule(service_ref, listener_ref, found.arn, desired.match, action))
            if found.priority != desired.priority:
                priorities.append((found.arn, desired.priority))
            continue
        name = rule_name(key, desired.priority)
        creates.append(
            CreateRule(service_ref, listener_ref, name, desired.priority, desired.match, action, create_tags)
        )
    for rule in unclaimed.values():
        deletes.append(DeleteRule(service_ref, listener_ref, rule.arn))
    batch: list[Step] = [BatchUpdateRule(service_ref, listener_ref, tuple(priorities))] if priorities else []
    return deletes + updates + batch + creates
