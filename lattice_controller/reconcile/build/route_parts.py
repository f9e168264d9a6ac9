"""Route rules and target groups: validation against Lattice limits, rule specs, TG specs."""

from __future__ import annotations

from lattice_controller.model.k8s import Route, RouteType
from lattice_controller.model.lattice import (
    ImportedTargetGroup,
    RuleAction,
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
    convert_match,
    priority_problem,
    rule_priorities,
)

MAX_BACKENDS_PER_RULE = 10
INVALID_BACKENDS_SERVICE_NAME = "5xx-invalid-backends"
"""``ServiceName`` of the route's target group that stands for its invalid backendRefs: it never has
targets, so Lattice answers the share of traffic weighted to them with a 5xx (503), as Gateway API
requires. A Kubernetes Service name cannot start with a digit, so it never names a real one."""


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
    """The empty target group of the invalid backends' share, when a rule forwards to it."""
    identity = invalid_backends_identity(route, settings)
    if not any(w.target_group == identity for rule in rules for w in rule.action.forward):
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
    if len(route.rules) > MAX_RULES:
        problems.append(f"{len(route.rules)} rules; VPC Lattice allows at most {MAX_RULES}: split the route")
    for i, rule in enumerate(route.rules):
        match = convert_match(rule, i, route.route_type)
        if isinstance(match, str):
            problems.append(match)
        if len(rule.backend_refs) > MAX_BACKENDS_PER_RULE:
            problems.append(
                f"spec.rules[{i}] has {len(rule.backend_refs)} backendRefs; VPC Lattice forwards to at most "
                f"{MAX_BACKENDS_PER_RULE} target groups per rule: remove some"
            )
    if route.route_type is not RouteType.TLS and len(route.rules) <= MAX_RULES:
        priorities, _ = rule_priorities(len(route.rules), route.meta.annotations.as_dict())
        problem = priority_problem(priorities)
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
    """One RuleSpec per route rule (identical matches collapse onto the first), with priorities.

    ``backends`` is the flat list of resolved backendRefs in rule order. Call only for a route
    that passed ``validate_rules``.
    """
    priorities, warnings = rule_priorities(len(route.rules), route.meta.annotations.as_dict())
    invalid = invalid_backends_identity(route, settings)
    rules: list[RuleSpec] = []
    seen: dict[str, int] = {}
    offset = 0
    for i, rule in enumerate(route.rules):
        rule_backends = backends[offset : offset + len(rule.backend_refs)]
        offset += len(rule.backend_refs)
        match = convert_match(rule, i, route.route_type)
        if isinstance(match, str):
            continue
        key = match.key()
        if key in seen:
            warnings.append(f"spec.rules[{i}] has the same match as spec.rules[{seen[key]}]; it is ignored")
            continue
        seen[key] = i
        rules.append(RuleSpec(priorities[i], match, _forward(rule_backends, invalid)))
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
        ip_type = ip_address_type(service)
        specs.append(
            TargetGroupSpec(
                identity=identity,
                config=TargetGroupConfig(settings.vpc, ip_type, protocol, version),
                managed_by=settings.managed_by,
                health_check=policy.health_check if policy else None,
                additional_tags=extra,
                targets=build_targets(
                    service, snapshot.endpoint_slices.get(service.meta.key, ()), port_list, ip_type
                ),
            )
        )
    return tuple(specs)
