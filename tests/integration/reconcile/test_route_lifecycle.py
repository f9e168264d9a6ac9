"""Create, converge, resync, change and delete one route through observe → plan → apply."""

from __future__ import annotations

from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.diff import CreateListener, CreateRule, CreateService, UpdateRule
from tests.integration.reconcile.harness import SERVICE_NAME, Harness, route_state


async def test_create_converges_with_six_writes(harness: Harness) -> None:
    desired = route_state()
    first = await harness.reconcile(desired)
    print(f"\ncreate reconcile: {first.calls}")
    assert not first.result.waits
    assert first.calls.write_count == 6
    assert first.calls.writes == {
        "CreateListener": 1,
        "CreateRule": 1,
        "CreateService": 1,
        "CreateServiceNetworkServiceAssociation": 1,
        "CreateTargetGroup": 1,
        "RegisterTargets": 1,
    }
    service = first.result.service
    assert service is not None
    assert service.name == SERVICE_NAME
    assert first.result.service_dns_name

    again = await harness.plan(desired)
    print(f"verify observe (same cycle): {harness.calls()}")
    assert not again, again.describe()


async def test_create_in_a_warm_cycle_is_writes_only(harness: Harness) -> None:
    await harness.reconcile(route_state())
    other = await harness.reconcile(route_state(route=ObjectKey("default", "second")))
    print(f"\ncreate reconcile, shared listings already loaded this cycle: {other.calls}")
    assert other.calls.read_count == 0
    assert other.calls.write_count == 6


async def test_resync_in_new_cycle_writes_nothing(harness: Harness) -> None:
    desired = route_state()
    await harness.reconcile(desired)
    harness.new_cycle()
    second = await harness.reconcile(desired)
    print(f"\nno-op resync, first new cycle: {second.calls}")
    assert not second.plan, second.plan.describe()
    assert second.calls.write_count == 0
    harness.new_cycle()
    third = await harness.reconcile(desired)
    print(f"no-op resync, later cycle (details cached): {third.calls}")
    assert third.calls.write_count == 0
    assert "GetRule" not in third.calls.reads
    assert "GetTargetGroup" not in third.calls.reads


async def test_weight_change_is_one_update_rule(harness: Harness) -> None:
    await harness.reconcile(route_state((("web", 1), ("api", 1))))
    harness.new_cycle()
    await harness.reconcile(route_state((("web", 1), ("api", 1))))  # details now cached
    harness.new_cycle()
    changed = await harness.reconcile(route_state((("web", 1), ("api", 3))))
    print(f"\nweight change: {changed.calls}")
    assert [type(s) for s in changed.plan.steps] == [UpdateRule]
    assert changed.calls.writes == {"UpdateRule": 1}
    assert not await harness.plan(route_state((("web", 1), ("api", 3))))


async def test_weighted_two_backends(harness: Harness) -> None:
    desired = route_state((("web", 75), ("api", 25)))
    created = await harness.reconcile(desired)
    assert created.calls.writes["CreateTargetGroup"] == 2
    observed = await harness.observe(desired)
    (listener,) = observed.listeners
    (rule,) = [r for r in listener.rules if not r.is_default]
    groups = {
        tg.id: tg.tag_dict()["application-networking.k8s.aws/ServiceName"] for tg in observed.target_groups
    }
    assert sorted((groups[f.target_group_id], f.weight) for f in rule.action.forward) == [
        ("api", 25),
        ("web", 75),
    ]
    assert not await harness.plan(desired)


async def test_targets_only_the_difference_is_sent(harness: Harness) -> None:
    await harness.reconcile(route_state(targets={"web": ("10.0.0.1", "10.0.0.2")}))
    harness.new_cycle()
    changed = await harness.reconcile(route_state(targets={"web": ("10.0.0.2", "10.0.0.3")}))
    print(f"\ntargets add+remove: {changed.calls}")
    assert changed.calls.writes == {"DeregisterTargets": 1, "RegisterTargets": 1}
    steps = {type(s).__name__: s for s in changed.plan.steps}
    assert steps["DeregisterTargets"].targets == (("10.0.0.1", 8080),)  # type: ignore[union-attr]
    assert steps["RegisterTargets"].targets == (("10.0.0.3", 8080),)  # type: ignore[union-attr]
    harness.new_cycle()
    assert not await harness.plan(route_state(targets={"web": ("10.0.0.2", "10.0.0.3")}))


async def test_create_plan_order(harness: Harness) -> None:
    first = await harness.reconcile(route_state())
    kinds = [type(s) for s in first.plan.steps]
    assert kinds.index(CreateService) < kinds.index(CreateListener) < kinds.index(CreateRule)
