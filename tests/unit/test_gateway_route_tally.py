"""GatewayRouteTally: a gateway's attached routes and address follow route changes one route at a
time, and always equal a recount from scratch."""

from __future__ import annotations

import random
from dataclasses import replace

from lattice_controller.model.k8s import Route
from lattice_controller.reconcile.build.gateway import AttachedRoutes
from lattice_controller.reconcile.controllers.gateway_routes import GatewayRouteTally, RouteId
from tests.unit.test_build_helpers import gateway, route

DOMAIN = "application-networking.k8s.aws/lattice-assigned-domain-name"
LISTENERS = [
    {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}},
    {"name": "local", "port": 81, "protocol": "HTTP"},  # only routes in the gateway's namespace
]


class World:
    def __init__(self) -> None:
        self.routes: dict[RouteId, Route] = {}
        self.tally = GatewayRouteTally()
        self.tally.follow()
        self.gateway = gateway(listeners=LISTENERS)
        self.walked = 0

    def put(self, new: Route | None, old: Route | None = None) -> None:
        target = new or old
        assert target is not None
        if new is None:
            del self.routes[(target.route_type, target.meta.key)]
        else:
            self.routes[(new.route_type, new.meta.key)] = new
        self.tally.note(old, new)

    def all_routes(self) -> list[Route]:
        self.walked += len(self.routes)
        return list(self.routes.values())

    def attached(self) -> AttachedRoutes:
        return self.tally.attached(self.gateway, {}, self.all_routes, self.routes.get)

    def recount(self) -> AttachedRoutes:
        full = AttachedRoutes.of(self.gateway, self.routes.values(), {})
        return AttachedRoutes({k: v for k, v in full.per_listener.items() if v}, full.address)


def test_counts_follow_each_change_without_walking_every_route() -> None:
    world = World()
    for i in range(200):
        world.put(route(f"r{i:03}", namespace="infra" if i % 4 == 0 else "front"))
    first = world.attached()
    assert first.per_listener == {"http": 200, "local": 50}
    walked = world.walked
    old = world.routes[next(iter(world.routes))]
    world.put(route(old.meta.name, namespace=old.meta.namespace, annotations={DOMAIN: "a.lattice"}), old)
    world.put(route("moved", parent_refs=[{"name": "other", "namespace": "infra"}]))
    world.put(route("two-refs", parent_refs=[{"name": "gw", "namespace": "infra"}] * 2))
    after = world.attached()
    assert world.walked == walked  # only the changed routes were looked at
    assert after == world.recount()
    assert after.per_listener["http"] == 202
    assert after.address == "a.lattice"
    assert world.tally.recounts == 1


def test_random_changes_always_equal_a_recount() -> None:
    rng = random.Random(7)
    world = World()
    names = [f"r{i}" for i in range(30)]
    for step in range(400):
        name = rng.choice(names)
        namespace = rng.choice(["infra", "front"])
        current = next((r for r in world.routes.values() if r.meta.name == name), None)
        choice = rng.random()
        if current is not None and choice < 0.3:
            world.put(None, current)
        else:
            if current is not None and current.meta.namespace != namespace:
                world.put(None, current)
                current = None
            annotations = {DOMAIN: f"{name}.lattice"} if rng.random() < 0.5 else {}
            refs = rng.choice(
                [
                    [{"name": "gw", "namespace": "infra"}],
                    [{"name": "gw", "namespace": "infra", "sectionName": "local"}],
                    [{"name": "other", "namespace": "infra"}],
                ]
            )
            deleting = rng.random() < 0.1
            world.put(
                route(name, namespace, parent_refs=refs, annotations=annotations, deleting=deleting), current
            )
        if step % 7 == 0:
            assert world.attached() == world.recount(), step
    assert world.attached() == world.recount()
    assert world.tally.recounts == 1


def test_a_new_gateway_generation_or_an_unfollowed_tally_recounts() -> None:
    world = World()
    world.put(route("a", namespace="infra"))
    assert world.attached().per_listener == {"http": 1, "local": 1}
    renamed = gateway(listeners=[LISTENERS[0], {**LISTENERS[1], "name": "renamed"}])
    world.gateway = replace(renamed, meta=replace(renamed.meta, generation=2))
    assert world.attached().per_listener == {"http": 1, "renamed": 1}
    assert world.tally.recounts == 2
    unfollowed = GatewayRouteTally()
    for _ in range(3):
        unfollowed.attached(world.gateway, {}, world.all_routes, world.routes.get)
    assert unfollowed.recounts == 3
