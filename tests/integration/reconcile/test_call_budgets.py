"""AWS call counts of the route cycle (docs/compatibility.md "AWS calls"), measured on the fake endpoint.

Run with ``-s`` to see the table. Asserted: the create budget (≤ 8 calls, 6 writes, from a cold
inventory cycle), warm create and no-op resyncs without writes, and rule changes costing at most
R + 2 writes on a listener with R rules — and at most R + 2 rule calls (ListRules, GetRule and rule
writes) even in a new cycle: rules we wrote are not read back, only rules changed by someone else.
"""

from __future__ import annotations

from dataclasses import replace

from e2e.harness.lattice_view import lattice_client
from lattice_controller.aws.inventory_tags import MANAGED_RESOURCE_TYPES
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import RouteLatticeState, RuleMatch, RuleSpec
from tests.integration.reconcile.harness import MANAGED_BY, Calls, Harness, route_state

R = 5
ACCOUNT_WIDE = ("ListServices", "ListTargetGroups")
RULE_OPERATIONS = ("ListRules", "GetRule", "CreateRule", "UpdateRule", "DeleteRule", "BatchUpdateRule")


def _line(name: str, calls: Calls) -> str:
    return f"{name:<44} {calls.read_count:>3} reads {calls.write_count:>3} writes  {calls}"


def rules_state(paths: list[str], weights: tuple[int, int] = (1, 1)) -> RouteLatticeState:
    """One listener whose rules match ``paths`` (prefix) in order, all forwarding to web+api."""
    base = route_state((("web", weights[0]), ("api", weights[1])))
    (listener,) = base.listeners
    (template,) = listener.rules
    rules = tuple(
        RuleSpec(i + 1, RuleMatch(path_kind="prefix", path=path), template.action)
        for i, path in enumerate(paths)
    )
    return replace(base, listeners=(replace(listener, rules=rules),))


async def test_create_budget_and_resyncs(harness: Harness) -> None:
    table = []
    desired = route_state()
    cold = await harness.reconcile(desired)
    table.append(_line("create, cold inventory cycle", cold.calls))
    assert cold.calls.write_count == 6
    assert cold.calls.read_count + cold.calls.write_count <= 8
    warm = await harness.reconcile(route_state(route=ObjectKey("default", "second")))
    table.append(_line("create, warm cycle (listings loaded)", warm.calls))
    assert warm.calls.write_count == 6
    for label in ("no-op resync, first new cycle", "no-op resync, later cycle"):
        harness.new_cycle()
        resync = await harness.reconcile(desired)
        table.append(_line(label, resync.calls))
        assert resync.calls.write_count == 0
    harness.new_cycle()
    deleted = await harness.reconcile(route_state(deleting=True))
    table.append(_line("delete (cold cycle)", deleted.calls))
    print("\n" + "\n".join(table))
    # One delete per resource the route owned, children first; nothing is left to plan.
    assert deleted.calls.writes == {
        "DeleteListener": 1,
        "DeleteService": 1,
        "DeleteServiceNetworkServiceAssociation": 1,
        "DeleteTargetGroup": 1,
        "DeregisterTargets": 1,
    }
    assert not deleted.result.waits
    assert not await harness.plan(route_state(deleting=True))


async def test_rule_changes_cost_at_most_r_plus_2_writes(harness: Harness) -> None:
    paths = [f"/p{i}" for i in range(R)]
    await harness.reconcile(rules_state(paths))
    harness.new_cycle()
    await harness.reconcile(rules_state(paths))  # rule details now cached
    table = []
    changes = {
        "weights of all R rules": rules_state(paths, (1, 3)),
        "new rule at priority 1": rules_state(["/new", *paths]),
        "rule removed": rules_state(paths[1:]),
        "one match changed": rules_state(["/changed", *paths[1:]]),
        "order reversed": rules_state(list(reversed(paths))),
    }
    current = rules_state(paths)
    for label, desired in changes.items():
        harness.new_cycle()
        await harness.reconcile(current)  # back to R rules, details cached
        harness.new_cycle()
        changed = await harness.reconcile(desired)
        table.append(_line(f"R={R}: {label}", changed.calls))
        assert changed.calls.write_count <= R + 2, changed.plan.describe()
        assert _rule_calls(changed.calls) <= R + 2, changed.calls
        assert "GetRule" not in changed.calls.reads, changed.calls
        harness.new_cycle()
        assert not await harness.plan(desired)
    weight = await harness.reconcile(current)
    print("\n" + "\n".join(table) + "\n" + _line("(revert)", weight.calls))


async def test_changes_right_after_the_create_cost_only_their_writes(harness: Harness) -> None:
    """What we created is known from our own writes: the route's listeners, rules, associations and
    targets are not listed after its create, so a change in the same cycle costs at most R + 2 calls
    in all (reads included; the only reads are the cycle's one ListServices and ListTargetGroups,
    which a create through the tag listing did not need), and a weight change its one UpdateRule."""
    paths = [f"/p{i}" for i in range(R)]
    created = await harness.reconcile(rules_state(paths))
    assert created.calls.writes.get("RegisterTargets")
    table = [_line(f"R={R}: create", created.calls)]
    changes = {
        "one match changed": rules_state(["/changed", *paths[1:]]),
        "weights of all R rules": rules_state(["/changed", *paths[1:]], (1, 3)),
        "new rule at priority 1": rules_state(["/new", "/changed", *paths[1:]], (1, 3)),
    }
    listed: set[str] = set()
    for label, desired in changes.items():
        changed = await harness.reconcile(desired)
        table.append(_line(f"R={R}, same cycle: {label}", changed.calls))
        assert changed.calls.read_count + changed.calls.write_count <= R + 2, changed.calls
        assert set(changed.calls.reads) <= set(ACCOUNT_WIDE) - listed, changed.calls
        assert all(n == 1 for n in changed.calls.reads.values()), changed.calls
        listed |= set(changed.calls.reads)
        assert not await harness.plan(desired)
    single = route_state((("web", 1), ("api", 1)), route=ObjectKey("default", "weighted"))
    await harness.reconcile(single)
    weight = await harness.reconcile(
        route_state((("web", 4), ("api", 1)), route=ObjectKey("default", "weighted"))
    )
    table.append(_line("weight change right after the create", weight.calls))
    print("\n" + "\n".join(table))
    assert weight.calls.writes == {"UpdateRule": 1}
    assert not weight.calls.reads


def _rule_calls(calls: Calls) -> int:
    return sum({**calls.reads, **calls.writes}.get(op, 0) for op in RULE_OPERATIONS)


async def test_only_rules_changed_by_someone_else_are_read_again(harness: Harness) -> None:
    """Rules created or updated by us are known from our write responses; an out-of-band update moves
    the rule's lastUpdatedAt, and exactly that rule is read (GetRule) at the next cycle, and repaired."""
    paths = [f"/p{i}" for i in range(R)]
    desired = rules_state(paths)
    created = await harness.reconcile(desired)
    assert created.calls.writes.get("CreateRule") == R
    harness.new_cycle()
    resync = await harness.reconcile(desired)
    assert "GetRule" not in resync.calls.reads
    assert resync.calls.write_count == 0
    (listener,) = resync.observed.listeners
    victim = next(r for r in listener.rules if not r.is_default and r.priority == 3)
    assert resync.observed.service is not None
    lattice_client(str(harness.fake.endpoint)).update_rule(  # someone else, with another client
        serviceIdentifier=resync.observed.service.id,
        listenerIdentifier=listener.id,
        ruleIdentifier=victim.id,
        match={"httpMatch": {"pathMatch": {"match": {"prefix": "/out-of-band"}, "caseSensitive": True}}},
    )
    harness.new_cycle()
    repaired = await harness.reconcile(desired)
    print(f"\n{_line('out-of-band change of 1 of R=5 rules', repaired.calls)}")
    assert repaired.calls.reads.get("GetRule") == 1
    assert repaired.calls.write_count == 2  # the changed rule is replaced
    harness.new_cycle()
    assert not await harness.plan(desired)


async def test_name_taken_by_an_untagged_service_is_adopted_after_one_failed_create(harness: Harness) -> None:
    desired = route_state(adoption_allowed=True)  # ADOPTION_ALLOWED_NAMESPACES lists the namespace
    assert desired.service is not None
    await harness.edge.lattice.create_service(desired.service.name, client_token="untagged")
    harness.new_cycle()
    first = await harness.reconcile(desired)
    second = await harness.reconcile(desired)
    print(
        f"\n{_line('name taken: optimistic create', first.calls)}\n{_line('name taken: adopt', second.calls)}"
    )
    assert first.result.waits
    assert first.calls.writes == {"CreateService": 1}
    assert second.plan.conflict is None
    assert "TagResources" in second.calls.writes
    harness.new_cycle()
    assert not await harness.plan(desired)


async def test_lattice_only_tag_mode(lattice_only_harness: Harness) -> None:
    harness = lattice_only_harness
    desired = route_state()
    cold = await harness.reconcile(desired)
    table = [_line("Lattice-only: create, cold cycle", cold.calls)]
    assert cold.calls.write_count == 6
    for label in ("Lattice-only: no-op resync, first cycle", "Lattice-only: no-op resync, later cycle"):
        harness.new_cycle()
        resync = await harness.reconcile(desired)
        table.append(_line(label, resync.calls))
        assert resync.calls.write_count == 0
    print("\n" + "\n".join(table))


async def test_no_op_cycle_of_ten_routes_reads_tags_once(harness: Harness) -> None:
    """Ten settled routes, one new cycle with nothing changed: every route's tag reads share one
    ``GetResources`` (the ManagedBy listing), however many routes there are."""
    routes = [route_state(route=ObjectKey("default", f"r{i}")) for i in range(10)]
    for desired in routes:
        await harness.reconcile(desired)
    table = []
    for label in ("10 routes: no-op cycle, first", "10 routes: no-op cycle, later"):
        harness.new_cycle()
        reads: dict[str, int] = {}
        writes = 0
        for desired in routes:
            resync = await harness.reconcile(desired)
            writes += resync.calls.write_count
            for operation, count in resync.calls.reads.items():
                reads[operation] = reads.get(operation, 0) + count
        table.append(
            f"{label:<44} {sum(reads.values()):>3} reads {writes:>3} writes  {dict(sorted(reads.items()))}"
        )
        assert writes == 0
        assert reads.get("GetResources", 0) == await _pages_of_managed_listing(harness), reads
    print("\n" + "\n".join(table))


async def _pages_of_managed_listing(harness: Harness) -> int:
    """How many ``GetResources`` pages one listing of everything ManagedBy us takes."""
    harness.fake.admin.reset_counters()
    await harness.edge.tags.tagged_resources(MANAGED_RESOURCE_TYPES, {tag_keys.MANAGED_BY: MANAGED_BY})
    return harness.calls().reads["GetResources"]
