"""The plan for one route: desired state + observed state → ordered, minimal AWS writes.

Order: a new service first of all (its name may turn out to be taken) → target groups (create,
tags, health check, targets) → an existing service's tags and certificate → associations →
listeners (stale/protocol-changed deletes first) → rules (stale deletes, updates, one
BatchUpdateRule, creates) → deletes of this route's unused target groups.
"""

from __future__ import annotations

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.lattice import (
    INVALID_BACKENDS_SERVICE_NAME,
    ImportedTargetGroup,
    RouteLatticeState,
    ServiceSpec,
    TargetGroupIdentity,
)
from lattice_controller.model.lattice_observed import ObservedRouteState, ObservedService
from lattice_controller.reconcile.diff.ownership import service_ownership
from lattice_controller.reconcile.diff.service import (
    ServicePlan,
    plan_associations,
    plan_listeners,
    tag_steps,
    unknown_networks,
)
from lattice_controller.reconcile.diff.steps import (
    CreateListener,
    CreateRule,
    CreateService,
    CreateServiceNetworkServiceAssociation,
    DeleteListener,
    DeleteService,
    DeleteServiceNetworkServiceAssociation,
    Pending,
    Plan,
    Ref,
    Step,
    TagResource,
    UntagResource,
    UpdateService,
)
from lattice_controller.reconcile.diff.target_groups import find_imported, plan_target_groups

SERVICE_TRANSITIONAL = frozenset({"CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS"})


def plan_route(desired: RouteLatticeState, observed: ObservedRouteState) -> Plan:
    """The writes that bring Lattice from ``observed`` to ``desired`` for one route."""
    if desired.deleting:
        return _plan_delete(desired, observed)
    spec = desired.service
    if spec is None:
        return Plan()
    current = observed.service
    takeover = False
    certificate_removal: list[Step] = []
    service_ref: Ref
    if current is None:
        unknown = unknown_networks(desired.associations, observed)
        if unknown:
            # A service nobody can reach would be an orphan: create nothing until its networks exist.
            return Plan(missing=tuple(unknown))
        name = observed.service_name or spec.name
        service_ref = Pending("service", name)
        tags = tuple(sorted(spec.create_tags.items()))
        service_steps: list[Step] = [CreateService(name, tags, spec.custom_domain, spec.certificate_arn)]
    elif current.status in SERVICE_TRANSITIONAL:
        # Nothing can hang off a service being created or deleted; a deleted one frees its name.
        return Plan(waits=(f"service {current.name} is {current.status}",))
    else:
        ownership = service_ownership(spec, current, deleting=False)
        if not ownership.owned:
            return Plan(conflict=ownership.conflict)
        # While allow-takeover-from is set, children get ManagedBy rewritten on every reconcile.
        takeover = ownership.takeover or bool(spec.allow_takeover_from)
        service_ref = current.arn
        service_steps = tag_steps(
            current.arn, current.tag_dict(), dict(spec.additional_tags), ownership.managed
        )
        if (
            not spec.discover_certificate
            and spec.certificate_arn is not None
            and spec.certificate_arn != current.certificate_arn
        ):
            service_steps.append(UpdateService(current.arn, spec.certificate_arn))
        elif (
            not spec.discover_certificate
            and spec.certificate_arn is None
            and current.certificate_arn
            and not takeover
        ):
            # No HTTPS Terminate listener (or its option) wants a certificate any more: remove it once
            # the listeners that used it are gone (an empty ARN clears it; a taken-over service keeps
            # the certificate its owner put there).
            certificate_removal = [UpdateService(current.arn, "")]

    serving = _serving(desired, observed)
    plan = _assemble(
        desired, observed, spec, service_ref, service_steps, certificate_removal, takeover, serving
    )
    if (
        plan.external_missing
        and current is not None
        and current.tag_dict().get(tag_keys.MANAGED_BY) != spec.managed_by
    ):
        # Claiming a service (adoption, takeover) that would forward to a missing external target
        # group would take its traffic away: touch nothing until the group exists.
        return Plan(missing=plan.missing, unresolved=plan.unresolved, external_missing=True)
    if serving and observed.stale_services and _creates(list(plan.steps)):
        # Whatever this plan still creates must be serving before a former service goes.
        plan = _assemble(
            desired, observed, spec, service_ref, service_steps, certificate_removal, takeover, False
        )
    return plan


def _assemble(
    desired: RouteLatticeState,
    observed: ObservedRouteState,
    spec: ServiceSpec,
    service_ref: Ref,
    service_steps: list[Step],
    certificate_removal: list[Step],
    takeover: bool,
    retire: bool,
) -> Plan:
    current = observed.service
    stale_steps, stale_waits = _retire_stale(observed, retire)
    retired = {stale.service.arn for stale in observed.stale_services} if retire else set()
    target_groups = plan_target_groups(
        desired, observed.target_groups, current.arn if current else None, also_ours=retired
    )

    invalid = next(
        (
            target_groups.refs.get(tg.identity)
            for tg in desired.target_groups
            if tg.identity.service_name == INVALID_BACKENDS_SERVICE_NAME
        ),
        None,
    )
    unresolved: list[str] = []
    external_missing: list[bool] = []

    def resolve(target_group: TargetGroupIdentity | ImportedTargetGroup) -> Ref | None:
        if isinstance(target_group, ImportedTargetGroup):
            found = find_imported(target_group, observed.target_groups)
            if found is None and target_group.external_arn:
                external_missing.append(True)
            if found is None and invalid is not None:
                # A weighted rule: the import's share gets a 5xx, as an invalid backend's does.
                unresolved.append(
                    f"target group for {target_group} could not be found; its share of the rule's "
                    "traffic gets a 5xx until it exists"
                )
                return invalid
            return found
        return target_groups.refs.get(target_group)

    service_plan = ServicePlan()
    plan_associations(service_ref, desired.associations, observed, spec, takeover, service_plan)
    listeners = observed.listeners if current is not None else ()
    plan_listeners(service_ref, desired.listeners, listeners, spec, takeover, resolve, service_plan)
    if current is None:
        # A new service goes first: when its name turns out to be taken (observe may skip
        # ListServices), nothing else has been written.
        steps = service_steps + target_groups.steps + service_plan.steps
    else:
        steps = target_groups.steps + service_steps + service_plan.steps + certificate_removal
    steps += stale_steps + target_groups.delete_steps
    return Plan(
        tuple(steps),
        waits=tuple(target_groups.waits + service_plan.waits + stale_waits),
        missing=tuple(dict.fromkeys(target_groups.missing + service_plan.missing + unresolved)),
        unresolved=tuple(dict.fromkeys(unresolved)),
        external_missing=bool(external_missing),
    )


def _creates(steps: list[Step]) -> bool:
    return any(
        isinstance(
            step,
            CreateService | CreateListener | CreateRule | CreateServiceNetworkServiceAssociation,
        )
        for step in steps
    )


def _serving(desired: RouteLatticeState, observed: ObservedRouteState) -> bool:
    """The desired service exists, is ACTIVE and ACTIVE in every desired service network."""
    current = observed.service
    if current is None or current.status != "ACTIVE":
        return False
    for association in desired.associations:
        ref = association.service_network.name_or_id
        if not any(
            ref in (found.service_network_name, found.service_network_id) and found.status == "ACTIVE"
            for found in observed.associations
        ):
            return False
    return True


def _retire_stale(observed: ObservedRouteState, serving: bool) -> tuple[list[Step], list[str]]:
    """Delete the route's services under a former name (associations, listeners, service) once
    the desired one serves; until then, wait for it."""
    steps: list[Step] = []
    waits: list[str] = []
    for stale in observed.stale_services:
        service = stale.service
        if not serving:
            waits.append(f"former service {service.name} is deleted once the new service serves")
            continue
        if service.status in SERVICE_TRANSITIONAL:
            waits.append(f"former service {service.name} is {service.status}")
            continue
        pending = [a for a in stale.associations if a.status == "DELETE_IN_PROGRESS"]
        waits += [
            f"association {a.id} of former service {service.name} is DELETE_IN_PROGRESS" for a in pending
        ]
        steps += [
            DeleteServiceNetworkServiceAssociation(a.arn)
            for a in stale.associations
            if a.status != "DELETE_IN_PROGRESS"
        ]
        steps += [DeleteListener(service.arn, arn) for arn in stale.listener_arns]
        steps.append(DeleteService(service.arn))
    return steps, waits


def _plan_delete(desired: RouteLatticeState, observed: ObservedRouteState) -> Plan:
    """Delete what the ownership tags say is this route's: service (with all its associations and
    listeners) and then the route's target groups nobody else uses. Never status-driven. A service
    adopted without the platform's opt-in is released instead: the route's listeners and our
    associations go, and the service gets its previous ``ManagedBy`` back (none when it had none)."""
    steps: list[Step] = []
    waits: list[str] = []
    our_service_arn = None
    current, spec = observed.service, desired.service
    ownership = service_ownership(spec, current, deleting=True) if current and spec else None
    if current is not None and current.status in SERVICE_TRANSITIONAL:
        waits.append(f"service {current.name} is {current.status}")
    elif current is not None and ownership is not None and ownership.owned:
        our_service_arn = current.arn
        for association in observed.associations:
            if ownership.release and not _managed_by(association.tags, desired.managed_by):
                continue
            if association.status == "DELETE_IN_PROGRESS":
                waits.append(f"association {association.id} is DELETE_IN_PROGRESS")
            else:
                steps.append(DeleteServiceNetworkServiceAssociation(association.arn))
        steps += [DeleteListener(current.arn, listener.arn) for listener in observed.listeners]
        if ownership.release:
            steps += _release_steps(current, ownership.previous_owner)
        else:
            steps.append(DeleteService(current.arn))
    stale_steps, stale_waits = _retire_stale(observed, serving=True)
    retired = {stale.service.arn for stale in observed.stale_services}
    target_groups = plan_target_groups(desired, observed.target_groups, our_service_arn, also_ours=retired)
    return Plan(
        tuple(steps + stale_steps + target_groups.delete_steps),
        waits=tuple(waits + stale_waits + target_groups.waits),
    )


def _managed_by(tags: tuple[tuple[str, str], ...] | None, managed_by: str) -> bool:
    return tags is not None and dict(tags).get(tag_keys.MANAGED_BY) == managed_by


def _release_steps(service: ObservedService, previous_owner: str) -> list[Step]:
    """Hand an adopted service back: our controller tags off, the previous ManagedBy restored."""
    ours = (
        tag_keys.ADOPTED_FROM,
        tag_keys.ROUTE_NAME,
        tag_keys.ROUTE_NAMESPACE,
        tag_keys.ROUTE_TYPE,
    )
    existing = service.tag_dict()
    untag = [key for key in ours if key in existing]
    steps: list[Step] = []
    if previous_owner == tag_keys.ADOPTED_FROM_UNMANAGED:
        untag.append(tag_keys.MANAGED_BY)
    else:
        steps.append(TagResource(service.arn, ((tag_keys.MANAGED_BY, previous_owner),)))
    steps.append(UntagResource(service.arn, tuple(sorted(untag))))
    return steps
