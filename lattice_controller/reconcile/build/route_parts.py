"""Route rules and target groups: validation against Lattice limits, rule specs, TG specs."""

from __future__ import annotations

from lattice_controller.model.k8s import Route, RouteType
from lattice_controller.model.lattice import (
    INVALID_BACKENDS_SERVICE_NAME,
    ImportedTargetGroup,
    RuleAction,
    RuleMatch,
    RuleSpec,
    TargetGroupConfig,
    TargetGroupIdentity,
    TargetGroupSpec,
    WeightedTargetGroup,
)
from lattice_controller.model.tags import additional_tags
from lattice_controller.reconcile.build.backends import (
    ResolvedBackend,
    build_targets,
    ip_address_type,
    target_group_protocol,
)
from lattice_controller.reconcile.build.inputs import BuildSettings, RouteSnapshot
from lattice_controller.reconcile.build.rules import (
    MAX_RULES,
    convert_matches,
    place_matches,
    priority_problem,
)

MAX_BACKENDS_PER_RULE = 10


def invalid_backends_identity(route: Route, settings: BuildSettings) -> TargetGroupIdentity:
    return TargetGroupIdentity(
        cluster=settings.cluster,
        service_name=INVALID_BACKENDS_SERVICE_NAME,
        service_namespace=route.meta.namespace,
        source_type=route.kind,
        protocol_version=target_group_protocol(route.route_type, None)[1],
        route_name=route.meta.name,
        route_namespace=route.meta.namespace,
    )


def invalid_backends_target_group(
    route: Route, rules: list[RuleSpec], settings: BuildSettings
) -> tuple[TargetGroupSpec, ...]:
    """The empty target group of the invalid backends' share, when a rule forwards to it, or when a
    weighted rule has a ServiceImport backend (its exported target group may be missing when the
    route is planned: that share then goes here)."""
    identity = invalid_backends_identity(route, settings)
    if not any(
        w.target_group == identity
        or (len(rule.action.forward) > 1 and isinstance(w.target_group, ImportedTargetGroup))
        for rule in rules
        for w in rule.action.forward
    ):
        return ()
    protocol, version = target_group_protocol(route.route_type, None)
    extra = tuple(sorted(additional_tags(route.meta.annotations.as_dict()).items()))
    config = TargetGroupConfig(settings.vpc, "IPV4", protocol, version)
    return (TargetGroupSpec(identity, config, settings.managed_by, additional_tags=extra, targets=()),)


def filter_problems(route: Route) -> list[str]:
    """Lattice rules only match and forward: no filter (header modifiers, redirects, rewrites,
    mirrors, extension refs) can be honoured, so a rule that has one is not accepted."""
    return [
        f"spec.rules[{i}].filters: {kind or 'a filter without type'} is not supported by VPC Lattice "
        f"(its rules can only match and forward): remove the filter"
        for i, rule in enumerate(route.rules)
        for kind in dict.fromkeys(rule.filter_types)
    ]


def validate_rules(route: Route) -> list[str]:
    """Everything about the rules that Lattice cannot express, as messages saying what to change."""
    problems: list[str] = []
    if route.route_type is RouteType.TLS:
        if len(route.rules) != 1:
            problems.append(f"TLSRoute has {len(route.rules)} rules; VPC Lattice needs exactly 1 rule")
        if not route.hostnames:
            problems.append(
                "TLSRoute must specify at least one hostname as VPC Lattice requires a custom domain name"
            )
    converted = []
    for i, rule in enumerate(route.rules):
        matches = convert_matches(rule, i, route.route_type)
        if isinstance(matches, str):
            problems.append(matches)
        else:
            converted.append(matches)
        if len(rule.backend_refs) > MAX_BACKENDS_PER_RULE:
            problems.append(
                f"spec.rules[{i}] has {len(rule.backend_refs)} backendRefs; VPC Lattice forwards to at most "
                f"{MAX_BACKENDS_PER_RULE} target groups per rule: remove some"
            )
    count = sum(len(m) for m in converted)
    if count > MAX_RULES:
        problems.append(
            f"{count} matches in {len(route.rules)} rules; VPC Lattice allows at most {MAX_RULES} rules per "
            "listener, one per match: split the route"
        )
    elif route.route_type is not RouteType.TLS and len(converted) == len(route.rules):
        placed, _ = place_matches(converted, route.meta.annotations.as_dict())
        problem = priority_problem(placed)
        if problem:
            problems.append(problem)
    return problems


def _forward(backends: list[ResolvedBackend], invalid: TargetGroupIdentity) -> RuleAction:
    """Weighted forward to the valid backends; the invalid ones' weight goes to ``invalid`` (no
    targets: 5xx). No valid backend at all: a fixed 500."""
    weights: dict[TargetGroupIdentity | ImportedTargetGroup, int] = {}
    for backend in backends:
        if backend.target_group is not None:
            weights[backend.target_group] = (
                weights.get(backend.target_group, 0) + backend.ref.effective_weight
            )
    if not weights:
        return RuleAction.fixed(500)
    dropped = sum(b.ref.effective_weight for b in backends if b.target_group is None)
    if dropped:
        weights[invalid] = dropped
    return RuleAction(tuple(WeightedTargetGroup(tg, w) for tg, w in weights.items()))


def build_rules(
    route: Route, backends: list[ResolvedBackend], settings: BuildSettings
) -> tuple[list[RuleSpec], list[str]]:
    """One RuleSpec per match of each route rule, in priority order (Gateway API precedence, or the
    rule-priority annotations); an identical match later in that order is dropped with a warning.

    ``backends`` is the flat list of resolved backendRefs in rule order. Call only for a route
    that passed ``validate_rules``.
    """
    invalid = invalid_backends_identity(route, settings)
    actions = []
    converted: list[tuple[RuleMatch, ...]] = []
    offset = 0
    for i, rule in enumerate(route.rules):
        actions.append(_forward(backends[offset : offset + len(rule.backend_refs)], invalid))
        offset += len(rule.backend_refs)
        matches = convert_matches(rule, i, route.route_type)
        converted.append(() if isinstance(matches, str) else matches)
    placed, warnings = place_matches(converted, route.meta.annotations.as_dict())
    rules: list[RuleSpec] = []
    seen: dict[str, str] = {}
    for p in placed:
        key = p.match.key()
        where = f"spec.rules[{p.rule}]" + (f".matches[{p.index}]" if len(converted[p.rule]) > 1 else "")
        if key in seen:
            warnings.append(f"{where} has the same match as {seen[key]}; it is ignored")
            continue
        seen[key] = where
        rules.append(RuleSpec(p.priority, p.match, actions[p.rule]))
    return rules, warnings


def build_target_groups(
    route: Route, backends: list[ResolvedBackend], snapshot: RouteSnapshot, settings: BuildSettings
) -> tuple[TargetGroupSpec, ...]:
    """One TG per (route, Service, protocol version); ports of all references to it are merged."""
    ports: dict[TargetGroupIdentity, list[int | None]] = {}
    services = {}
    for backend in backends:
        if isinstance(backend.target_group, TargetGroupIdentity) and backend.service is not None:
            ports.setdefault(backend.target_group, []).append(backend.ref.port)
            services[backend.target_group] = backend.service
    extra = tuple(sorted(additional_tags(route.meta.annotations.as_dict()).items()))
    specs = []
    for identity, port_list in ports.items():
        service = services[identity]
        policy = snapshot.target_group_policies.get(service.meta.key)
        protocol, version = target_group_protocol(route.route_type, policy)
        slices = snapshot.endpoint_slices.get(service.meta.key, ())
        ip_type = ip_address_type(service, slices)
        specs.append(
            TargetGroupSpec(
                identity=identity,
                config=TargetGroupConfig(settings.vpc, ip_type, protocol, version),
                managed_by=settings.managed_by,
                health_check=policy.health_check if policy else None,
                additional_tags=extra,
                targets=build_targets(service, slices, port_list, ip_type),
            )
        )
    return tuple(specs)
