"""Route deletion (with the in-use / draining waits), out-of-band drift, ownership conflicts."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from lattice_controller.model import tags as tag_keys
from lattice_controller.reconcile.apply import apply_plan
from lattice_controller.reconcile.diff import DeleteTargetGroup, plan_route
from tests.integration.reconcile.harness import MANAGED_BY, SERVICE_NAME, Harness, route_state

OTHER_OWNER = "999999999999/other-cluster/vpc-0fedcba9876543210"


async def test_delete_removes_everything_the_route_owns(harness: Harness) -> None:
    await harness.reconcile(route_state((("web", 75), ("api", 25))))
    harness.new_cycle()
    deleted = await harness.reconcile(route_state(deleting=True))
    print(f"\ndelete reconcile: {deleted.calls}")
    assert not deleted.result.waits
    assert deleted.calls.writes == {
        "DeleteListener": 1,
        "DeleteService": 1,
        "DeleteServiceNetworkServiceAssociation": 1,
        "DeleteTargetGroup": 2,
        "DeregisterTargets": 2,
    }
    lattice = harness.edge.lattice
    assert [s for s in await lattice.list_services() if s["name"] == SERVICE_NAME] == []
    assert await lattice.list_target_groups() == []
    harness.new_cycle()
    assert not await harness.plan(route_state(deleting=True))


async def test_delete_of_a_target_group_still_in_use_waits(harness: Harness) -> None:
    harness.fake.admin.set_timings(draining_seconds=0.5)
    await harness.reconcile(route_state())
    harness.new_cycle()
    desired = route_state(deleting=True)
    plan = await harness.plan(desired)
    assert any(isinstance(s, DeleteTargetGroup) for s in plan.steps)
    # Between observe and apply, another service starts forwarding to the route's target group.
    lattice = harness.edge.lattice
    (group,) = await lattice.list_target_groups()
    other = await lattice.create_service("someone-else", client_token="other")
    forward = {"forward": {"targetGroups": [{"targetGroupIdentifier": group["id"], "weight": 1}]}}
    listener = await lattice.create_listener(
        other["id"], "other-80", "HTTP", forward, client_token="o", port=80
    )

    result = await apply_plan(plan, lattice, harness.edge.tags, inventory=harness.edge.inventory)
    assert result.requeue_after == 10.0
    assert any("DeleteTargetGroup" in w for w in result.waits)
    assert len(await lattice.list_target_groups()) == 1

    # Still used by someone else: nothing to do for this route.
    harness.new_cycle()
    assert not await harness.plan(desired)
    # Once free, its targets are still draining: wait; after the drain it is deleted.
    await lattice.delete_listener(other["id"], listener["id"])
    # A drain long enough to be seen on a loaded machine; the end of it is waited for, not slept past.
    harness.fake.admin.set_timings(draining_seconds=4.0)
    await lattice.register_targets(group["id"], [{"id": "10.0.0.9", "port": 80}])
    await lattice.deregister_targets(group["id"], [{"id": "10.0.0.9", "port": 80}])
    harness.new_cycle()
    draining = await harness.plan(desired)
    assert draining.waits
    assert not draining.steps
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.5)
        harness.new_cycle()
        if (await harness.plan(desired)).steps:
            break
    harness.new_cycle()
    final = await harness.reconcile(desired)
    assert final.calls.writes == {"DeleteTargetGroup": 1}
    assert await lattice.list_target_groups() == []


async def _ids(harness: Harness) -> tuple[str, str, str]:
    service = await harness.edge.inventory.service_named(SERVICE_NAME)
    assert service is not None
    (listener,) = await harness.edge.lattice.list_listeners(service["id"])
    (rule,) = [
        r for r in await harness.edge.lattice.list_rules(service["id"], listener["id"]) if not r["isDefault"]
    ]
    return service["id"], listener["id"], rule["id"]


async def test_out_of_band_deletes_are_restored(harness: Harness) -> None:
    desired = route_state()
    await harness.reconcile(desired)
    lattice = harness.edge.lattice

    service_id, listener_id, _ = await _ids(harness)
    await lattice.delete_listener(service_id, listener_id)
    harness.new_cycle()
    restored = await harness.reconcile(desired)
    assert restored.calls.writes == {"CreateListener": 1, "CreateRule": 1}

    service_id, listener_id, rule_id = await _ids(harness)
    await lattice.delete_rule(service_id, listener_id, rule_id)
    harness.new_cycle()
    restored = await harness.reconcile(desired)
    assert restored.calls.writes == {"CreateRule": 1}

    service_id, listener_id, rule_id = await _ids(harness)
    await lattice.delete_rule(service_id, listener_id, rule_id)
    (group,) = await lattice.list_target_groups()
    await lattice.delete_target_group(group["id"])
    harness.new_cycle()
    restored = await harness.reconcile(desired)
    assert restored.calls.writes == {"CreateRule": 1, "CreateTargetGroup": 1, "RegisterTargets": 1}
    harness.new_cycle()
    assert not await harness.plan(desired)


async def test_out_of_band_rule_edit_is_reverted_even_with_cached_details(harness: Harness) -> None:
    desired = route_state()
    await harness.reconcile(desired)
    for _ in range(2):  # the second cycle serves GetRule from the detail cache
        harness.new_cycle()
        assert not (await harness.reconcile(desired)).plan
    service_id, listener_id, rule_id = await _ids(harness)
    await harness.edge.lattice.update_rule(
        service_id, listener_id, rule_id, action={"fixedResponse": {"statusCode": 404}}
    )
    harness.new_cycle()
    reverted = await harness.reconcile(desired)
    assert reverted.calls.writes == {"UpdateRule": 1}
    harness.new_cycle()
    assert not await harness.plan(desired)


async def _foreign_service(harness: Harness) -> str:
    tags = {tag_keys.MANAGED_BY: OTHER_OWNER, tag_keys.ROUTE_NAME: "web", tag_keys.ROUTE_NAMESPACE: "default"}
    service = await harness.edge.lattice.create_service(SERVICE_NAME, client_token="foreign", tags=tags)
    harness.new_cycle()
    return str(service["arn"])


async def test_service_owned_by_someone_else_is_a_conflict_without_writes(harness: Harness) -> None:
    arn = await _foreign_service(harness)
    # The first deploy does not list services (tagging API): the name clash shows up as a failed
    # CreateService, a wait, and the retry lists services and reports the conflict.
    first = await harness.reconcile(route_state())
    assert first.result.waits
    assert first.calls.writes == {"CreateService": 1}
    attempt = await harness.reconcile(route_state())
    assert attempt.plan.conflict == f"Found existing resource not owned by controller: {arn}"
    assert attempt.calls.write_count == 0
    harness.new_cycle()
    again = await harness.reconcile(route_state())
    assert again.plan.conflict is not None
    assert again.calls.write_count == 0


async def test_takeover_from_the_named_owner(harness: Harness) -> None:
    arn = await _foreign_service(harness)
    # Naming the owner is not enough without the platform's (or the owner's) opt-in.
    refused = route_state(allow_takeover_from=OTHER_OWNER)
    assert (await harness.reconcile(refused)).calls.writes == {"CreateService": 1}  # name taken: wait
    again = await harness.reconcile(refused)
    assert again.plan.conflict is not None
    assert "ADOPTION_ALLOWED_NAMESPACES" in again.plan.conflict
    assert again.calls.write_count == 0
    desired = route_state(allow_takeover_from=OTHER_OWNER, adoption_allowed=True)
    taken = await harness.reconcile(desired)
    assert taken.plan.conflict is None
    assert taken.calls.writes["TagResources"] == 1
    assert (await harness.edge.lattice.list_tags_for_resource(arn))[tag_keys.MANAGED_BY] == MANAGED_BY
    harness.new_cycle()
    assert not await harness.plan(desired)
    assert plan_route(desired, await harness.observe(desired)).conflict is None


async def test_service_deleted_out_of_band_is_recreated_even_with_new_tags(harness: Harness) -> None:
    await harness.reconcile(route_state())
    lattice = harness.edge.lattice
    service = await harness.edge.inventory.service_named(SERVICE_NAME)
    assert service is not None
    for association in await lattice.list_service_network_service_associations(service_id=service["id"]):
        await lattice.delete_service_network_service_association(association["id"])
    await lattice.delete_service(service["id"])
    harness.new_cycle()
    base = route_state()
    assert base.service is not None
    desired = replace(base, service=replace(base.service, additional_tags=(("team", "blue"),)))
    restored = await harness.reconcile(desired)
    assert restored.calls.writes == {
        "CreateListener": 1,
        "CreateRule": 1,
        "CreateService": 1,
        "CreateServiceNetworkServiceAssociation": 1,
    }
    harness.new_cycle()
    assert not await harness.plan(desired)
