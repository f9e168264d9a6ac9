"""A TLS passthrough route: TCP target group, listener default action forwarding to it, no rules."""

from __future__ import annotations

from dataclasses import replace

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.lattice import (
    ListenerSpec,
    RouteLatticeState,
    RuleAction,
    TargetGroupConfig,
    TargetGroupIdentity,
    TargetGroupSpec,
    TargetSpec,
    WeightedTargetGroup,
)
from tests.integration.reconcile.harness import CLUSTER, MANAGED_BY, ROUTE, VPC, Harness, route_state

IDENTITY = TargetGroupIdentity(
    CLUSTER, "tls", ROUTE.namespace, tag_keys.SOURCE_TYPE_TLS_ROUTE, "", ROUTE.name, ROUTE.namespace
)


def tls_route() -> RouteLatticeState:
    group = TargetGroupSpec(
        IDENTITY,
        TargetGroupConfig(VPC, protocol="TCP", protocol_version=""),
        MANAGED_BY,
        targets=(TargetSpec("10.0.0.5", 443),),
    )
    base = route_state()
    assert base.service is not None
    listener = ListenerSpec(
        "web-default-443-tls", 443, "TLS_PASSTHROUGH", RuleAction((WeightedTargetGroup(IDENTITY, 1),))
    )
    return replace(
        base,
        route_type="tls",
        service=replace(base.service, custom_domain="web.example.com", route_type="tls"),
        listeners=(listener,),
        target_groups=(group,),
    )


async def test_tls_passthrough_route_is_created(harness: Harness) -> None:
    created = await harness.reconcile(tls_route())
    assert created.calls.writes == {
        "CreateListener": 1,
        "CreateService": 1,
        "CreateServiceNetworkServiceAssociation": 1,
        "CreateTargetGroup": 1,
        "RegisterTargets": 1,
    }
    (listener,) = (await harness.observe(tls_route())).listeners
    assert listener.default_action is not None
    assert len(listener.default_action.forward) == 1


async def test_tls_passthrough_route_converges(harness: Harness) -> None:
    await harness.reconcile(tls_route())
    harness.new_cycle()
    assert not await harness.plan(tls_route())
