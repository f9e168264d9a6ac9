"""The plan for one route: desired state + observed state → ordered, minimal AWS writes.

Order: a new service first of all (its name may turn out to be taken) → target groups (create,
tags, health check, targets) → an existing service's tags and certificate → associations →
listeners (stale/protocol-changed deletes first) → rules (stale deletes, updates, one
BatchUpdateRule, creates) → deletes of this route's unused target groups.
"""

from __future__ import annotations

from lattice_controller.model.lattice import (
    ImportedTargetGroup,
    RouteLatticeState,
    TargetGroupIdentity,
)
from lattice_controller.model.lattice_observed import ObservedRouteState
from lattice_controller.reconcile.diff.ownership import service_ownership
from lattice_controller.reconcile.diff.service import (
    ServicePlan,
    plan_associations,
    plan_listeners,
    tag_steps,
)
from lattice_controller.reconcile.diff.steps import (
    CreateService,
    DeleteListener,
    DeleteService,
    DeleteServiceNetworkServiceAssociation,
    Pending,
    Plan,
    Ref,
    Step,
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
    steps: list[Step] = []
    takeover = False
    service_ref: Ref
    if current is None:
        service_ref = Pending("service", spec.name)
        tags = tuple(sorted(spec.create_tags.items()))
        service_steps: list[Step] = [CreateService(spec.name, tags, spec.custom_domain, spec.certificate_arn)]
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

    target_groups = plan_target_groups(desired, observed.target_groups, current.arn if current else None)

    def resolve(target_group: TargetGroupIdentity | ImportedTargetGroup) -> Ref | None:
        if isinstance(target_group, ImportedTargetGroup):
            return find_imported(target_group, observed.target_groups)
        return target_groups.refs.get(target_group)

    service_plan = ServicePlan()
    plan_associations(service_ref, desired.associations, observed, spec, takeover, service_plan)
    listeners = observed.listeners if current is not None else ()
    plan_listeners(service_ref, desired.listeners, listeners, spec, takeover, resolve, service_plan)
    if current is None:
        # A new service goes first: when its name turns out to be taken (observe may skip
        # ListServices), nothing else has been written.
        steps = service_steps + target_groups.steps + service_plan.steps + target_groups.delete_steps
    else:
        steps = target_groups.steps + service_steps + service_plan.steps + target_groups.delete_steps
    return Plan(
        tuple(steps),
        waits=tuple(target_groups.waits + service_plan.waits),
        missing=tuple(dict.fromkeys(target_groups.missing + service_plan.missing)),
    )


def _plan_delete(desired: RouteLatticeState, observed: ObservedRouteState) -> Plan:
    """Delete what the ownership tags say is this route's: service (with all its associations and
    listeners) and then the route's target groups nobody else uses. Never status-driven."""
    steps: list[Step] = []
    waits: list[str] = []
    our_service_arn = None
    current, spec = observed.service, desired.service
    if current is not None and current.status in SERVICE_TRANSITIONAL:
        waits.append(f"service {current.name} is {current.status}")
    elif current is not None and spec is not None and service_ownership(spec, current, deleting=True).owned:
        our_service_arn = current.arn
        for association in observed.associations:
            if association.status == "DELETE_IN_PROGRESS":
                waits.append(f"association {association.id} is DELETE_IN_PROGRESS")
            else:
                steps.append(DeleteServiceNetworkServiceAssociation(association.arn))
        steps += [DeleteListener(current.arn, listener.arn) for listener in observed.listeners]
        steps.append(DeleteService(current.arn))
    target_groups = plan_target_groups(desired, observed.target_groups, our_service_arn)
    return Plan(tuple(steps + target_groups.delete_steps), waits=tuple(waits + target_groups.waits))
