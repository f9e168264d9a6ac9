"""Diff rules fixed after the first end-to-end runs: disabled health checks, imported target groups
compared by id, services in transition."""

from __future__ import annotations

from dataclasses import replace

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import (
    HealthCheckSpec,
    ImportedTargetGroup,
    ListenerSpec,
    RouteLatticeState,
    RuleAction,
    RuleMatch,
    RuleSpec,
    ServiceSpec,
    TargetGroupConfig,
    TargetGroupIdentity,
    TargetGroupSpec,
    WeightedTargetGroup,
)
from lattice_controller.model.lattice_observed import (
    ObservedAction,
    ObservedForward,
    ObservedListener,
    ObservedRouteState,
    ObservedRule,
    ObservedService,
    ObservedTargetGroup,
)
from lattice_controller.reconcile.diff import CreateTargetGroup, UpdateTargetGroup, find_imported, plan_route

ROUTE = ObjectKey("default", "web")
OWNER = "acct/c1/vpc-1"
BASE = "arn:aws:vpc-lattice:us-west-2:123456789012"
SVC = f"{BASE}:service/svc-1"
SERVICE_TAGS = (
    (tag_keys.MANAGED_BY, OWNER),
    (tag_keys.ROUTE_NAME, "web"),
    (tag_keys.ROUTE_NAMESPACE, "default"),
    (tag_keys.ROUTE_TYPE, "tls"),
)
TCP_IDENTITY = TargetGroupIdentity(
    "c1", "tls", "default", tag_keys.SOURCE_TYPE_TLS_ROUTE, "", "web", "default"
)
LATTICE_DEFAULT_CHECK = HealthCheckSpec(True, "HTTP", "HTTP1", "/", None, "200", 30, 5, 5, 2)


def tcp_state() -> RouteLatticeState:
    group = TargetGroupSpec(
        TCP_IDENTITY, TargetGroupConfig("vpc-1", protocol="TCP", protocol_version=""), OWNER
    )
    service = ServiceSpec("web-default", ROUTE, "tls", OWNER)
    return RouteLatticeState(ROUTE, "tls", OWNER, service, target_groups=(group,), cluster="c1", vpc="vpc-1")


def tcp_observed(check: HealthCheckSpec) -> ObservedRouteState:
    group = ObservedTargetGroup(
        "tg-1",
        f"{BASE}:targetgroup/tg-1",
        "k8s-tls",
        TargetGroupConfig("vpc-1", protocol="TCP", protocol_version=""),
        health_check=check,
        tags=(*((tag_keys.MANAGED_BY, OWNER),), *TCP_IDENTITY.tags().items()),
    )
    return ObservedRouteState(
        ObservedService("svc-1", SVC, "web-default", tags=SERVICE_TAGS), target_groups=(group,)
    )


def test_disabled_health_check_compares_enabled_only() -> None:
    reported = replace(LATTICE_DEFAULT_CHECK, enabled=False)
    assert not plan_route(tcp_state(), tcp_observed(reported)).steps
    (update,) = plan_route(tcp_state(), tcp_observed(LATTICE_DEFAULT_CHECK)).steps
    assert isinstance(update, UpdateTargetGroup)
    assert update.health_check == HealthCheckSpec(enabled=False)


def test_tcp_target_group_is_created_with_the_check_disabled() -> None:
    plan = plan_route(tcp_state(), ObservedRouteState())
    (create,) = [s for s in plan.steps if isinstance(s, CreateTargetGroup)]
    assert create.health_check == HealthCheckSpec(enabled=False)


def test_external_target_group_is_referred_to_by_id() -> None:
    external = ImportedTargetGroup("e", "default", external_arn=f"{BASE}:targetgroup/tg-0123456789abcdefg")
    assert find_imported(external, ()) is None  # it must exist (the shared listing says so)
    group = ObservedTargetGroup(
        "tg-0123456789abcdefg", external.external_arn or "", "theirs", TargetGroupConfig("vpc-9")
    )
    assert find_imported(external, (group,)) == "tg-0123456789abcdefg"
    action = RuleAction((WeightedTargetGroup(external, 1),))
    listener = ListenerSpec("web-default-80-http", 80, "HTTP", rules=(RuleSpec(1, RuleMatch(), action),))
    service = ServiceSpec("web-default", ROUTE, "http", OWNER)
    state = RouteLatticeState(ROUTE, "http", OWNER, service, listeners=(listener,), cluster="c1", vpc="vpc-1")
    rule = ObservedRule(
        "rule-1",
        f"{SVC}/listener/l-1/rule/rule-1",
        "r",
        1,
        RuleMatch(),
        ObservedAction((ObservedForward("tg-0123456789abcdefg", 1),)),
        tags=((tag_keys.MANAGED_BY, OWNER),),
    )
    observed = ObservedRouteState(
        ObservedService("svc-1", SVC, "web-default", tags=(*SERVICE_TAGS[:3], (tag_keys.ROUTE_TYPE, "http"))),
        listeners=(
            ObservedListener(
                "l-1", f"{SVC}/listener/l-1", "web-default-80-http", 80, "HTTP", rules=(rule,), tags=rule.tags
            ),
        ),
        target_groups=(group,),
    )
    assert not plan_route(state, observed).steps, plan_route(state, observed).describe()


def test_service_in_transition_is_a_wait() -> None:
    for status in ("CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS"):
        observed = replace(
            tcp_observed(LATTICE_DEFAULT_CHECK), service=ObservedService("svc-1", SVC, "web-default", status)
        )
        plan = plan_route(tcp_state(), observed)
        assert not plan.steps
        assert plan.waits == (f"service web-default is {status}",)
        deleting = plan_route(replace(tcp_state(), deleting=True, target_groups=()), observed)
        assert deleting.waits
        assert not any(type(s).__name__ == "DeleteService" for s in deleting.steps)
