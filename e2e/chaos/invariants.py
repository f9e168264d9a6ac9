"""What must hold once the controller has converged, checked against the fake account and the apiserver.

Expected Lattice state: the final manifests (read back from the apiserver) go through the `plan` code path
(`lattice_controller.plan.plan_from_empty`: the same build and diff as the controller, against an empty
account); the create steps of every route's plan name the services, associations, listeners (with
default actions), rules (priority, match, forwards by target-group name and weight), target groups and
targets that must exist. The comparison with what the account holds is written here, independently of
the controller's observe and diff code.

Invariants:
1. Lattice equals the plan: every expected resource exists as planned, nothing else carries our ManagedBy;
2. no orphan: every resource tagged with our ManagedBy belongs to an expected resource;
3. no duplicate: one service per name, one association per (service, network), one listener per
   (service, port), one rule per (listener, priority), one target group per backend identity;
4. foreign and untagged resources unchanged (same tags, same lastUpdatedAt, same listeners and rules);
5. every route attached to our Gateway has a status for its current generation that explains it, and
   the route whose Lattice name a foreign service holds reports `Conflicted`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from e2e.bench.stack import GATEWAY, NAMESPACE
from e2e.chaos.faults import managed_arns
from e2e.chaos.world import CONFLICTED_ROUTE, routes_path
from e2e.controlplane.rest import RestClient
from e2e.harness.controller import ACCOUNT_ID, CLUSTER_NAME, CLUSTER_VPC_ID, MANAGED_BY
from e2e.harness.lattice_view import MANAGED_BY_KEY, LatticeView, lattice_client
from lattice_controller.aws.shapes import match_from_api
from lattice_controller.model.lattice import RuleMatch
from lattice_controller.model.naming import lattice_service_name
from lattice_controller.plan import NETWORK_ID_PREFIX, load_view, plan_from_empty
from lattice_controller.reconcile.build import BuildSettings
from lattice_controller.reconcile.diff import (
    CreateListener,
    CreateRule,
    CreateService,
    CreateServiceNetworkServiceAssociation,
    CreateTargetGroup,
    Pending,
    PlanAction,
    RegisterTargets,
)

CONTROLLER_NAME = "application-networking.k8s.aws/gateway-api-controller"
Action = tuple[str, tuple[tuple[str, int], ...] | int]
MANIFEST_PATHS = (
    "/apis/gateway.networking.k8s.io/v1/gatewayclasses",
    "/apis/gateway.networking.k8s.io/v1/gateways",
    "/apis/gateway.networking.k8s.io/v1/httproutes",
    "/apis/gateway.networking.k8s.io/v1/referencegrants",
    "/api/v1/services",
    "/apis/discovery.k8s.io/v1/endpointslices",
    "/api/v1/namespaces",
)
_KINDS = {
    "gatewayclasses": ("gateway.networking.k8s.io/v1", "GatewayClass"),
    "gateways": ("gateway.networking.k8s.io/v1", "Gateway"),
    "httproutes": ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    "referencegrants": ("gateway.networking.k8s.io/v1", "ReferenceGrant"),
    "services": ("v1", "Service"),
    "endpointslices": ("discovery.k8s.io/v1", "EndpointSlice"),
    "namespaces": ("v1", "Namespace"),
}


@dataclass
class Expected:
    services: set[str] = field(default_factory=set)
    associations: set[tuple[str, str]] = field(default_factory=set)  # (service, network name)
    listeners: dict[tuple[str, int], tuple[str, Action]] = field(default_factory=dict)
    rules: dict[tuple[str, int, int], tuple[RuleMatch, Action]] = field(default_factory=dict)
    target_groups: set[str] = field(default_factory=set)
    targets: dict[str, set[tuple[str, int]]] = field(default_factory=dict)


@dataclass
class Verdict:
    checks: int = 0
    violations: list[str] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)  # what the plan expects, and what is tagged ours

    def check(self, ok: bool, violation: str) -> None:
        self.checks += 1
        if not ok:
            self.violations.append(violation)


def build_settings() -> BuildSettings:
    return BuildSettings(
        account=ACCOUNT_ID, cluster=CLUSTER_NAME, vpc=CLUSTER_VPC_ID, default_service_network=GATEWAY
    )


def manifests(rest: RestClient) -> list[dict[str, Any]]:
    documents = []
    for path in MANIFEST_PATHS:
        api_version, kind = _KINDS[path.rsplit("/", 1)[-1]]
        for item in rest.get(path).get("items", []):
            if item["metadata"].get("deletionTimestamp") and kind != "Gateway":
                continue  # going away: plans nothing
            # A Gateway whose deletion is blocked by attached routes keeps serving them (DeleteBlocked,
            # docs/operations.md), so it stays in the expected state until its routes let go.
            documents.append({**item, "apiVersion": api_version, "kind": kind})
    return documents


def _action(action: PlanAction) -> Action:
    if action.fixed_status is not None:
        return ("fixed", action.fixed_status)
    forwards = tuple(
        sorted((ref.name if isinstance(ref, Pending) else str(ref), w) for ref, w in action.forward)
    )
    return ("forward", forwards)


def expected_state(documents: list[dict[str, Any]], excluded_routes: set[str]) -> Expected:
    view = load_view(documents, build_settings())
    expected = Expected()
    for route in view.routes():
        if route.meta.key.name in excluded_routes:
            continue
        build, plan = plan_from_empty(view, route)
        if not build.relevant:
            continue
        listener_ports: dict[str, int] = {}
        service = ""
        for step in plan.steps:
            if isinstance(step, CreateService):
                service = step.name
                expected.services.add(step.name)
            elif isinstance(step, CreateServiceNetworkServiceAssociation):
                expected.associations.add((service, step.service_network_id.removeprefix(NETWORK_ID_PREFIX)))
            elif isinstance(step, CreateListener):
                listener_ports[step.name] = step.port
                expected.listeners[(service, step.port)] = (step.protocol, _action(step.default_action))
            elif isinstance(step, CreateRule):
                listener = step.listener.name if isinstance(step.listener, Pending) else str(step.listener)
                port = listener_ports[listener]
                expected.rules[(service, port, step.priority)] = (step.match, _action(step.action))
            elif isinstance(step, CreateTargetGroup):
                expected.target_groups.add(step.name)
            elif isinstance(step, RegisterTargets):
                name = (
                    step.target_group.name
                    if isinstance(step.target_group, Pending)
                    else str(step.target_group)
                )
                expected.targets.setdefault(name, set()).update(step.targets)
    return expected


def _actual_action(action: dict[str, Any], tg_names: dict[str, str]) -> Action:
    if "fixedResponse" in action:
        return ("fixed", int(action["fixedResponse"]["statusCode"]))
    forwards = tuple(
        sorted(
            (tg_names.get(ref["targetGroupIdentifier"].rsplit("/", 1)[-1], "?"), int(ref.get("weight", 0)))
            for ref in action.get("forward", {}).get("targetGroups", [])
        )
    )
    return ("forward", forwards)


def compare(expected: Expected, view: LatticeView, verdict: Verdict) -> None:
    """Invariants 1 and 3."""
    ours_services = [s for s in view.services if s.get("tags", {}).get(MANAGED_BY_KEY) == MANAGED_BY]
    ours_groups = [t for t in view.target_groups if t.get("tags", {}).get(MANAGED_BY_KEY) == MANAGED_BY]
    tg_names = {t["id"]: t["name"] for t in view.target_groups}
    names = Counter(s["name"] for s in view.services)
    for name, count in names.items():
        verdict.check(count == 1, f"duplicate: {count} services named {name}")
    verdict.check(
        {s["name"] for s in ours_services} == expected.services,
        f"services: missing {sorted(expected.services - {s['name'] for s in ours_services})}, "
        f"unexpected {sorted({s['name'] for s in ours_services} - expected.services)}",
    )
    associations: Counter[tuple[str, str]] = Counter()
    listeners: dict[tuple[str, int], tuple[str, Action]] = {}
    rules: dict[tuple[str, int, int], tuple[RuleMatch | None, Action]] = {}
    for svc in ours_services:
        for assoc in svc["associations"]:
            associations[(svc["name"], str(assoc.get("serviceNetworkName")))] += 1
        ports = Counter(int(lst["port"]) for lst in svc["listeners"])
        for port, count in ports.items():
            verdict.check(count == 1, f"duplicate: {count} listeners on {svc['name']}:{port}")
        for lst in svc["listeners"]:
            port = int(lst["port"])
            listeners[(svc["name"], port)] = (
                str(lst["protocol"]),
                _actual_action(lst["detail"].get("defaultAction", {}), tg_names),
            )
            priorities = Counter(r.get("priority") for r in lst["rules"] if not r.get("isDefault"))
            for priority, count in priorities.items():
                verdict.check(count == 1, f"duplicate: {count} rules at {svc['name']}:{port} #{priority}")
            for rule in lst["rules"]:
                if not rule.get("isDefault"):
                    rules[(svc["name"], port, int(rule["priority"]))] = (
                        match_from_api(rule.get("match")),
                        _actual_action(rule.get("action", {}), tg_names),
                    )
    for key, count in associations.items():
        verdict.check(count == 1, f"duplicate: {count} associations of {key[0]} with {key[1]}")
    verdict.check(
        set(associations) == expected.associations,
        f"associations: missing {sorted(expected.associations - set(associations))}, "
        f"unexpected {sorted(set(associations) - expected.associations)}",
    )
    for where in sorted(set(listeners) | set(expected.listeners)):
        verdict.check(
            listeners.get(where) == expected.listeners.get(where),
            f"listener {where}: Lattice {listeners.get(where)} != plan {expected.listeners.get(where)}",
        )
    for at in sorted(set(rules) | set(expected.rules)):
        verdict.check(
            rules.get(at) == expected.rules.get(at),
            f"rule {at}: Lattice {rules.get(at)} != plan {expected.rules.get(at)}",
        )
    group_names = Counter(t["name"] for t in view.target_groups)
    for name, count in group_names.items():
        verdict.check(count == 1, f"duplicate: {count} target groups named {name}")
    identities = Counter(
        tuple(sorted((k, v) for k, v in t.get("tags", {}).items() if k != MANAGED_BY_KEY))
        for t in ours_groups
    )
    for identity, count in identities.items():
        verdict.check(count == 1, f"duplicate: {count} target groups with tags {dict(identity)}")
    verdict.check(
        {t["name"] for t in ours_groups} == expected.target_groups,
        f"target groups: missing {sorted(expected.target_groups - {t['name'] for t in ours_groups})}, "
        f"unexpected {sorted({t['name'] for t in ours_groups} - expected.target_groups)}",
    )
    for tg in ours_groups:
        live = {(t["id"], int(t["port"])) for t in tg["targets"] if t.get("status") != "DRAINING"}
        want = expected.targets.get(tg["name"], set())
        verdict.check(live == want, f"targets of {tg['name']}: Lattice {sorted(live)} != plan {sorted(want)}")


def orphans(endpoint: str, view: LatticeView, verdict: Verdict) -> None:
    """Invariant 2: every ARN tagged with our ManagedBy is part of an expected, existing resource."""
    known: set[str] = set()
    for svc in view.services:
        known.add(svc["arn"])
        known.update(a["arn"] for a in svc["associations"])
        for lst in svc["listeners"]:
            known.add(lst["arn"])
            known.update(r["arn"] for r in lst["rules"])
    known.update(t["arn"] for t in view.target_groups)
    ours_services = {s["arn"] for s in view.services if s.get("tags", {}).get(MANAGED_BY_KEY) == MANAGED_BY}
    for arn in managed_arns(endpoint):
        if ":servicenetwork/" in arn or "servicenetworkvpcassociation/" in arn:
            continue  # the networks are the Gateways' and the set-up's, not a route's
        verdict.check(arn in known, f"orphan: {arn} carries our ManagedBy but does not exist in Lattice")
        parent = arn.split("/listener/")[0]
        if "/listener/" in arn:
            verdict.check(parent in ours_services, f"orphan: {arn} hangs off a service that is not ours")


@dataclass
class ForeignSnapshot:
    """Foreign and untagged resources as the suite created them, to prove nobody wrote to them."""

    items: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def take(cls, endpoint: str, arns: list[str]) -> ForeignSnapshot:
        return cls({arn: _foreign_state(endpoint, arn) for arn in arns})

    def verify(self, endpoint: str, verdict: Verdict) -> None:
        for arn, before in self.items.items():
            verdict.check(_foreign_state(endpoint, arn) == before, f"foreign resource {arn} was changed")


def _foreign_state(endpoint: str, arn: str) -> Any:
    c = lattice_client(endpoint)
    resource_id = arn.rsplit("/", 1)[-1]
    try:
        tags = c.list_tags_for_resource(resourceArn=arn).get("tags", {})
        if ":targetgroup/" in arn:
            tg = c.get_target_group(targetGroupIdentifier=resource_id)
            targets = c.list_targets(targetGroupIdentifier=resource_id).get("items", [])
            return (tags, tg.get("lastUpdatedAt"), tg.get("config"), sorted(t["id"] for t in targets))
        svc = c.get_service(serviceIdentifier=resource_id)
        listeners = c.list_listeners(serviceIdentifier=resource_id).get("items", [])
        rules = [
            sorted(
                (r["id"], str(r.get("lastUpdatedAt")))
                for r in c.list_rules(serviceIdentifier=resource_id, listenerIdentifier=lst["id"]).get(
                    "items", []
                )
            )
            for lst in listeners
        ]
        associations = c.list_service_network_service_associations(serviceIdentifier=resource_id).get(
            "items", []
        )
        return (
            tags,
            svc.get("lastUpdatedAt"),
            [(x["id"], x.get("lastUpdatedAt")) for x in listeners],
            rules,
            len(associations),
        )
    except c.exceptions.ResourceNotFoundException:
        return "deleted"


def route_statuses(rest: RestClient, verdict: Verdict) -> None:
    """Invariant 5."""
    for route in rest.get(routes_path()).get("items", []):
        name = route["metadata"]["name"]
        if route["metadata"].get("deletionTimestamp"):
            verdict.check(False, f"route {name} is still being deleted")
            continue
        if not any(p.get("name") == GATEWAY for p in route["spec"].get("parentRefs", [])):
            continue
        generation = route["metadata"].get("generation")
        ours = [
            p
            for p in route.get("status", {}).get("parents", [])
            if p.get("controllerName") == CONTROLLER_NAME and p.get("parentRef", {}).get("name") == GATEWAY
        ]
        conditions = {c["type"]: c for p in ours for c in p.get("conditions", [])}
        accepted = conditions.get("Accepted")
        verdict.check(
            accepted is not None and accepted.get("observedGeneration") == generation,
            f"route {name}: no Accepted condition for generation {generation} ({conditions})",
        )
        if accepted is None:
            continue
        verdict.check(
            accepted["status"] == "True" or (bool(accepted.get("reason")) and bool(accepted.get("message"))),
            f"route {name}: Accepted={accepted['status']} without a reason and message",
        )
        if name == CONFLICTED_ROUTE:
            verdict.check(
                accepted.get("reason") == "Conflicted",
                f"route {name}: its name is held by a foreign service, Accepted is {accepted.get('reason')}",
            )


def conflicted_service_name() -> str:
    return lattice_service_name(CONFLICTED_ROUTE, NAMESPACE)


def evaluate(rest: RestClient, endpoint: str, foreign: ForeignSnapshot) -> Verdict:
    verdict = Verdict()
    documents = manifests(rest)
    expected = expected_state(documents, {CONFLICTED_ROUTE})
    verdict.sizes = {
        "services": len(expected.services),
        "listeners": len(expected.listeners),
        "rules": len(expected.rules),
        "target groups": len(expected.target_groups),
        "targets": sum(len(t) for t in expected.targets.values()),
        "tagged ManagedBy us": len(managed_arns(endpoint)),
    }
    view = LatticeView.read(endpoint)
    compare(expected, view, verdict)
    orphans(endpoint, view, verdict)
    foreign.verify(endpoint, verdict)
    route_statuses(rest, verdict)
    return verdict
