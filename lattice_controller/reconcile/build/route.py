"""Build one route: its ``status.parents`` conditions and its desired Lattice state (pure).

Our choices where the reference is loose or buggy (each also listed in the report):
* Unsupported matches, Lattice limits, bad priorities, parse problems, an invalid
  service-name-override and dual-stack Services make every otherwise-accepted parent
  ``Accepted=False/UnsupportedValue`` with a message saying what to change; then nothing is
  built or changed for the route (existing Lattice resources are left as they are).
* Backend problems (unknown kind, missing Service or Service port, missing ReferenceGrant) give
  ``ResolvedRefs=False``; the route is still built, and the bad backend's weight goes to a target
  group with no targets, so that share of the traffic gets a 5xx (a fixed 500 when no valid
  backend is left in the rule).
* The "primary" gateway (listeners, certificate) is the first *accepted* controlled parent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lattice_controller.model.k8s import (
    Gateway,
    Listener,
    ParentRef,
    Route,
    RouteParentStatus,
    RouteType,
)
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import (
    PROTOCOL_HTTP,
    PROTOCOL_HTTPS,
    PROTOCOL_TLS_PASSTHROUGH,
    AssociationSpec,
    ListenerSpec,
    RouteLatticeState,
    RuleAction,
    RuleSpec,
    ServiceNetworkRef,
    ServiceSpec,
    TargetGroupIdentity,
)
from lattice_controller.model.naming import (
    MAX_LISTENER_NAME_LENGTH,
    MAX_TARGET_GROUP_NAME_LENGTH,
    SERVICE_NAME_OVERRIDE_ANNOTATION,
    InvalidServiceNameOverrideError,
    fallback_service_name,
    lattice_name_problem,
    lattice_service_name,
    listener_name,
    service_name_override,
    service_name_problem,
    target_group_name,
)
from lattice_controller.model.tags import ALLOW_TAKEOVER_FROM_ANNOTATION, additional_tags
from lattice_controller.reconcile.build import conditions as c
from lattice_controller.reconcile.build.attachment import (
    ParentEvaluation,
    controlled_parents,
    evaluate_parent,
    standalone_value,
)
from lattice_controller.reconcile.build.backends import ResolvedBackend, resolve_backend
from lattice_controller.reconcile.build.inputs import BuildSettings, RouteSnapshot
from lattice_controller.reconcile.build.listeners import CERTIFICATE_ARN_OPTION
from lattice_controller.reconcile.build.route_parts import (
    build_rules,
    build_target_groups,
    filter_problems,
    invalid_backends_target_group,
    validate_rules,
)

STANDALONE_ANNOTATION = "application-networking.k8s.aws/standalone"
SERVICE_ARN_ANNOTATION = "application-networking.k8s.aws/lattice-service-arn"
MAX_PROBLEMS_IN_MESSAGE = 3


@dataclass(frozen=True, slots=True)
class RouteBuild:
    """The pure result for one route.

    ``parents``: our ``status.parents`` entries (conditions without transition times) for the
    parentRefs that name one of our gateways; ``relevant`` is False when there is none.
    ``problems``: why the route is not accepted (UnsupportedValue). ``warnings``: texts for
    Warning events (e.g. ``FailedBuildModel``). ``desired.service`` is None when nothing is to be
    built or changed.
    """

    route: ObjectKey
    route_type: RouteType
    relevant: bool
    parents: tuple[RouteParentStatus, ...]
    desired: RouteLatticeState
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    """Accepted with a caveat (an ignored duplicate rule, all weights 0): in the ``Accepted``
    message and an ``AcceptedWithCaveat`` Warning event, not a build failure."""


def _refuse_to_claim(route: Route, name: str, backends: list[ResolvedBackend]) -> str | None:
    """With a service-name-override, an unresolved ServiceImport backend means: touch nothing (the
    reference's rule; the message says which import)."""
    if not service_name_override(route.meta.annotations.as_dict()):
        return None
    for backend in backends:
        if backend.ref.effective_kind == "ServiceImport" and backend.resolved_refs is not None:
            return (
                f"ServiceImport {backend.ref.namespace_or(route.meta.namespace)}/{backend.ref.name} "
                f"referenced by route {route.meta.key} with service-name-override={name} does not "
                f"resolve ({backend.resolved_refs[0]}); refusing to claim the existing service"
            )
    return None


def _service_name(route: Route) -> tuple[str, str | None]:
    annotations = route.meta.annotations.as_dict()
    try:
        override = service_name_override(annotations)
    except InvalidServiceNameOverrideError as error:
        return lattice_service_name(route.meta.name, route.meta.namespace), str(error)
    return override or lattice_service_name(route.meta.name, route.meta.namespace), None


def _service_spec(
    route: Route, name: str, settings: BuildSettings, certificate_arn: str | None
) -> ServiceSpec:
    annotations = route.meta.annotations.as_dict()
    takeover_from = annotations.get(ALLOW_TAKEOVER_FROM_ANNOTATION) or None
    # A name chosen on purpose (override) or a service to take over is that one service, never another.
    derived = not takeover_from and SERVICE_NAME_OVERRIDE_ANNOTATION not in annotations
    return ServiceSpec(
        name=name,
        route=route.meta.key,
        route_type=route.route_type.value,
        managed_by=settings.managed_by,
        custom_domain=route.hostnames[0] if route.hostnames else None,
        certificate_arn=certificate_arn,
        additional_tags=tuple(sorted(additional_tags(annotations).items())),
        allow_takeover_from=takeover_from,
        adoption_allowed=settings.adoption_allowed(route.meta.namespace),
        fallback_name=(
            fallback_service_name(route.meta.name, route.meta.namespace, route.route_type.value)
            if derived
            else None
        ),
    )


def derived_name_problems(route: Route, backends: list[ResolvedBackend]) -> list[str]:
    """Lattice names derived from Kubernetes names that Lattice would reject (Kubernetes accepts dots,
    double hyphens and a ``svc-`` prefix; Lattice does not), each saying what to change."""
    problems: list[str] = []
    base = lattice_service_name(route.meta.name, route.meta.namespace)
    listener_problem = lattice_name_problem(f"{base}-80-http", MAX_LISTENER_NAME_LENGTH)
    if listener_problem:
        problems.append(
            f"the Lattice listener names {base}-<port>-<protocol> derived from the route's name and "
            f"namespace are invalid ({listener_problem}): rename the route"
        )
    elif SERVICE_NAME_OVERRIDE_ANNOTATION not in route.meta.annotations.as_dict():
        service_problem = service_name_problem(base)
        if service_problem:
            problems.append(
                f"the Lattice service name {base} derived from the route's name and namespace is invalid "
                f"({service_problem}): rename the route or set the annotation "
                f"{SERVICE_NAME_OVERRIDE_ANNOTATION}"
            )
    seen: set[str] = set()
    for backend in backends:
        identity = backend.target_group
        if not isinstance(identity, TargetGroupIdentity) or identity.service_name in seen:
            continue
        seen.add(identity.service_name)
        name = target_group_name(identity.service_namespace, identity.service_name, identity.tags().items())
        problem = lattice_name_problem(name, MAX_TARGET_GROUP_NAME_LENGTH)
        if problem:
            problems.append(
                f"the Lattice target group name {name} derived from Service {identity.service_namespace}/"
                f"{identity.service_name} is invalid ({problem}): rename the Service"
            )
    return problems


def _lattice_protocol(listener: Listener) -> str | None:
    if listener.protocol == "HTTP":
        return PROTOCOL_HTTP
    if listener.protocol == "HTTPS":
        return PROTOCOL_HTTPS
    if listener.protocol == "TLS" and listener.tls_mode == "Passthrough":
        return PROTOCOL_TLS_PASSTHROUGH
    return None


def _listener_problems(evaluations: list[tuple[ParentRef, Gateway, ParentEvaluation]]) -> list[str]:
    """Listeners of the primary gateway that Lattice cannot express (a TLS listener that terminates)."""
    primary = next((gw for _, gw, e in evaluations if e.reason == c.REASON_ACCEPTED), None)
    problems = []
    for _, gw, evaluation in evaluations:
        for listener in evaluation.listeners if gw is primary else ():
            if _lattice_protocol(listener) is None and listener.protocol == "TLS":
                problems.append(
                    f"listener {listener.name} of Gateway {gw.meta.key} is TLS with tls.mode "
                    f"{listener.tls_mode or 'Terminate'}; VPC Lattice only passes TLS through: "
                    "set tls.mode: Passthrough"
                )
    return list(dict.fromkeys(problems))


def _certificate(listeners: list[Listener]) -> tuple[str | None, bool, bool]:
    """(certificate ARN from listener options, whether ACM discovery applies — a Terminate listener
    matched without the option —, whether a discovery that finds nothing is fine). A listener whose
    certificateRefs cannot be used carries that problem itself (``ResolvedRefs=False``): ACM is still
    searched for its routes (the reference's way to ask for discovery), but finding nothing is not
    the route's ``CertificateNotFound``."""
    discover = False
    required = False
    for listener in listeners:
        if listener.protocol == "HTTPS" and (listener.tls_mode or "Terminate") == "Terminate":
            arn = listener.tls_options.get(CERTIFICATE_ARN_OPTION)
            if arn:
                return arn, True, False
            discover = True
            required = required or not listener.certificate_refs
    return None, discover, not required


def _is_standalone(route: Route, gateways: list[Gateway]) -> bool:
    own = route.meta.annotations.get(STANDALONE_ANNOTATION)
    if own is not None:
        return standalone_value(own) is True
    return any(standalone_value(g.meta.annotations.get(STANDALONE_ANNOTATION)) is True for g in gateways)


def _resolved_refs(backends: list[ResolvedBackend], generation: int) -> tuple[str, str, int]:
    for backend in backends:
        if backend.resolved_refs is not None:
            return backend.resolved_refs[0], backend.resolved_refs[1], generation
    return c.REASON_RESOLVED_REFS, "", generation


def build_route(snapshot: RouteSnapshot, settings: BuildSettings) -> RouteBuild:
    route = snapshot.route
    generation = route.meta.generation
    controlled = controlled_parents(
        route, snapshot.gateways, snapshot.gateway_classes, settings.controller_name
    )
    name, override_problem = _service_name(route)
    rtype, managed_by = route.route_type.value, settings.managed_by
    empty = RouteLatticeState(
        route.meta.key,
        rtype,
        managed_by,
        cluster=settings.cluster,
        vpc=settings.vpc,
        recorded_service_arn=route.meta.annotations.get(SERVICE_ARN_ANNOTATION) or None,
    )
    if route.meta.deleting:
        spec = _service_spec(route, name, settings, None)
        return RouteBuild(
            route.meta.key,
            route.route_type,
            bool(controlled),
            (),
            replace(empty, service=spec, deleting=True),
        )
    if not controlled:
        return RouteBuild(route.meta.key, route.route_type, False, (), empty)

    backends = [
        resolve_backend(route, ref, snapshot, settings) for rule in route.rules for ref in rule.backend_refs
    ]
    problems = list(route.problems)
    if override_problem:
        problems.append(override_problem)
    problems += validate_rules(route)
    problems += filter_problems(route)
    problems += derived_name_problems(route, backends)
    problems += [b.accepted_problem for b in backends if b.accepted_problem]
    warnings = [b.warning for b in backends if b.warning]
    # Each problem is a build error in the reference: it gets a FailedBuildModel event too.
    warnings += problems

    evaluations = [(ref, gw, evaluate_parent(route, ref, gw, snapshot.namespaces)) for ref, gw in controlled]
    problems += _listener_problems(evaluations)
    resolved = _resolved_refs(backends, generation)
    parents = []
    accepted: list[tuple[ParentRef, Gateway, tuple[Listener, ...]]] = []
    for ref, gw, evaluation in evaluations:
        reason, message = evaluation.reason, evaluation.message
        if reason == c.REASON_ACCEPTED and problems:
            reason = c.REASON_UNSUPPORTED_VALUE
            message = "; ".join(problems[:MAX_PROBLEMS_IN_MESSAGE])
        if reason == c.REASON_ACCEPTED:
            accepted.append((ref, gw, evaluation.listeners))
        conditions = (
            c.condition(c.ACCEPTED, reason, message, generation),
            c.condition(c.RESOLVED_REFS, resolved[0], resolved[1], generation),
        )
        parents.append(RouteParentStatus(ref, settings.controller_name, conditions))

    if not accepted:
        if not problems:
            warnings.append(c.MSG_ALL_PARENTS_REJECTED)
        return RouteBuild(
            route.meta.key, route.route_type, True, tuple(parents), empty, tuple(problems), tuple(warnings)
        )

    refused = _refuse_to_claim(route, name, backends)
    if refused is not None:
        # A migration (service-name-override + an external target group) must not take a service
        # over while its import does not resolve: the service would lose the traffic it serves.
        return RouteBuild(
            route.meta.key,
            route.route_type,
            True,
            tuple(parents),
            empty,
            tuple(problems),
            (*warnings, refused),
        )

    primary = accepted[0][1]
    primary_listeners = [lst for _, gw, lsts in accepted if gw is primary for lst in lsts]
    certificate_arn, terminate, optional = _certificate(primary_listeners)
    service = _service_spec(route, name, settings, certificate_arn)
    if terminate and certificate_arn is None and route.hostnames:
        service = replace(service, discover_certificate=True, certificate_optional=optional)

    if _is_standalone(route, [gw for _, gw in controlled]):
        network_names: list[str] = []
    elif settings.override_active:
        network_names = [settings.default_service_network]
    else:
        network_names = list(dict.fromkeys(gw.meta.name for _, gw, _ in accepted))
    associations = tuple(
        AssociationSpec(ServiceNetworkRef(n), service.additional_tags) for n in network_names
    )

    rules, rule_notes = build_rules(route, backends, settings)
    notes = rule_notes + _zero_weight_notes(route) + _hostname_notes(route)
    listeners: dict[int, ListenerSpec] = {}
    for listener in primary_listeners:
        protocol = _lattice_protocol(listener)
        if protocol is None or listener.port is None or listener.port in listeners:
            continue
        lname = listener_name(route.meta.name, route.meta.namespace, listener.port, protocol)
        if protocol == PROTOCOL_TLS_PASSTHROUGH:
            forward = rules[0].action if rules else RuleAction.fixed(500)
            if forward.fixed_status is not None:
                warnings.append(
                    f"TLSRoute {route.meta.key} must have at least one valid backendRef target group; "
                    f"listener {lname} not built"
                )
                continue
            listeners[listener.port] = ListenerSpec(
                lname, listener.port, protocol, forward, (), service.additional_tags
            )
        else:
            rule_specs: tuple[RuleSpec, ...] = tuple(rules)
            listeners[listener.port] = ListenerSpec(
                lname, listener.port, protocol, RuleAction.fixed(404), rule_specs, service.additional_tags
            )

    target_groups = build_target_groups(route, backends, snapshot, settings)
    # Only what a rule forwards to: an ignored rule's backends get no target group (nor targets).
    used = {w.target_group for rule in rules for w in rule.action.forward}
    invalid_share = invalid_backends_target_group(route, rules, settings)
    target_groups += invalid_share
    used |= {tg.identity for tg in invalid_share}
    desired = replace(
        empty,
        service=service,
        associations=associations,
        listeners=tuple(listeners.values()),
        target_groups=tuple(tg for tg in target_groups if tg.identity in used),
    )
    if notes:
        parents = [_with_notes(parent, notes) for parent in parents]
    return RouteBuild(
        route.meta.key,
        route.route_type,
        True,
        tuple(parents),
        desired,
        (),
        tuple(warnings),
        tuple(notes),
    )


def _zero_weight_notes(route: Route) -> list[str]:
    return [
        f"spec.rules[{i}]: every backendRef has weight 0, so the rule forwards no traffic "
        "(VPC Lattice answers its requests with an error)"
        for i, rule in enumerate(route.rules)
        if rule.backend_refs and all(ref.effective_weight == 0 for ref in rule.backend_refs)
    ]


def _hostname_notes(route: Route) -> list[str]:
    if len(route.hostnames) < 2:
        return []
    ignored = ", ".join(route.hostnames[1:])
    return [
        f"spec.hostnames: a VPC Lattice service has one custom domain name; {route.hostnames[0]} is "
        f"used and {ignored} ignored: use one route per hostname"
    ]


def _with_notes(parent: RouteParentStatus, notes: list[str]) -> RouteParentStatus:
    """An accepted parent's ``Accepted`` message tells what was accepted with a caveat."""
    message = "; ".join(notes[:MAX_PROBLEMS_IN_MESSAGE])
    conditions = tuple(
        replace(x, message=message) if x.type == c.ACCEPTED and x.status == "True" else x
        for x in parent.conditions
    )
    return replace(parent, conditions=conditions)
