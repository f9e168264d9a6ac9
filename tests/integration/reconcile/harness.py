"""Desired states of one route, and a harness deploying them on the real AWS edge through the route
reconciler's own deploy step (``reconcile/controllers/deploy.py``), counting the calls the fake saw."""

from __future__ import annotations

from dataclasses import dataclass, replace

from e2e.fakeaws.fixtures import FakeAws
from lattice_controller.aws.edge import AwsEdge
from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.metrics import is_read_operation
from lattice_controller.aws.tagging import TagStore
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import (
    AssociationSpec,
    ListenerSpec,
    RouteLatticeState,
    RuleAction,
    RuleMatch,
    RuleSpec,
    ServiceNetworkRef,
    ServiceSpec,
    TargetGroupConfig,
    TargetGroupIdentity,
    TargetGroupSpec,
    TargetSpec,
    WeightedTargetGroup,
)
from lattice_controller.model.lattice_observed import ObservedRouteState
from lattice_controller.model.naming import lattice_service_name, listener_name
from lattice_controller.reconcile.apply import ApplyResult
from lattice_controller.reconcile.controllers.deploy import deploy
from lattice_controller.reconcile.diff import Plan, plan_route
from lattice_controller.reconcile.observe import DetailCache, observe_route

VPC = "vpc-0123456789abcdef0"
CLUSTER = "test-cluster"
MANAGED_BY = f"123456789012/{CLUSTER}/{VPC}"
NETWORK = "my-hotel"
ROUTE = ObjectKey("default", "web")
SERVICE_NAME = lattice_service_name(ROUTE.name, ROUTE.namespace)


def identity(service: str, route: ObjectKey = ROUTE) -> TargetGroupIdentity:
    return TargetGroupIdentity(
        CLUSTER,
        service,
        route.namespace,
        tag_keys.SOURCE_TYPE_HTTP_ROUTE,
        "HTTP1",
        route.name,
        route.namespace,
    )


def target_group(
    service: str, ips: tuple[str, ...] = ("10.0.0.1",), port: int = 8080, route: ObjectKey = ROUTE
) -> TargetGroupSpec:
    targets = tuple(TargetSpec(ip, port) for ip in ips)
    return TargetGroupSpec(identity(service, route), TargetGroupConfig(vpc=VPC), MANAGED_BY, targets=targets)


def route_state(
    backends: tuple[tuple[str, int], ...] = (("web", 1),),
    *,
    targets: dict[str, tuple[str, ...]] | None = None,
    allow_takeover_from: str | None = None,
    adoption_allowed: bool = False,
    deleting: bool = False,
    route: ObjectKey = ROUTE,
) -> RouteLatticeState:
    """One HTTP listener on port 80 with one prefix-``/`` rule forwarding to ``backends``."""
    name = lattice_service_name(route.name, route.namespace)
    service = ServiceSpec(
        name,
        route,
        "http",
        MANAGED_BY,
        allow_takeover_from=allow_takeover_from,
        adoption_allowed=adoption_allowed,
    )
    action = RuleAction(tuple(WeightedTargetGroup(identity(tg, route), weight) for tg, weight in backends))
    listener = ListenerSpec(
        listener_name(route.name, route.namespace, 80, "HTTP"),
        80,
        "HTTP",
        rules=(RuleSpec(1, RuleMatch(), action),),
    )
    groups = tuple(
        target_group(tg, (targets or {}).get(tg, ("10.0.0.1",)), route=route) for tg, _ in backends
    )
    state = RouteLatticeState(
        route,
        "http",
        MANAGED_BY,
        service,
        (AssociationSpec(ServiceNetworkRef(NETWORK)),),
        (listener,),
        groups,
        cluster=CLUSTER,
        vpc=VPC,
    )
    if deleting:
        return replace(state, deleting=True, associations=(), listeners=(), target_groups=())
    return state


@dataclass(frozen=True, slots=True)
class Calls:
    reads: dict[str, int]
    writes: dict[str, int]

    @property
    def read_count(self) -> int:
        return sum(self.reads.values())

    @property
    def write_count(self) -> int:
        return sum(self.writes.values())

    def __str__(self) -> str:
        return f"{self.read_count} reads {self.reads} + {self.write_count} writes {self.writes}"


@dataclass(slots=True)
class Reconcile:
    observed: ObservedRouteState
    plan: Plan
    result: ApplyResult
    calls: Calls


class Harness:
    """The route reconciler's deploy step with a process-wide DetailCache, counting the AWS calls the
    fake saw. It is the ``LatticeSide`` the deploy step needs."""

    @property
    def lattice(self) -> LatticeApi:
        return self.edge.lattice

    @property
    def tags(self) -> TagStore:
        return self.edge.tags

    @property
    def inventory(self) -> LatticeInventory:
        return self.edge.inventory

    def __init__(self, edge: AwsEdge, fake: FakeAws) -> None:
        self.edge = edge
        self.fake = fake
        self.details = DetailCache()
        self.details.follow_writes(edge.lattice)
        self.network_id = ""

    async def make_network(self) -> None:
        network = await self.edge.lattice.create_service_network(NETWORK, client_token="net")
        self.network_id = str(network["id"])
        await self.edge.lattice.create_service_network_vpc_association(
            self.network_id, VPC, client_token="snva"
        )

    def new_cycle(self) -> None:
        self.edge.inventory.new_cycle()
        self.fake.admin.reset_counters()

    def calls(self) -> Calls:
        counters = self.fake.admin.counters()
        self.fake.admin.reset_counters()
        reads: dict[str, int] = {}
        writes: dict[str, int] = {}
        for key, count in sorted(counters.items()):
            operation = key.split(":", 1)[-1]
            (reads if is_read_operation(operation) else writes)[operation] = count
        return Calls(reads, writes)

    async def observe(self, desired: RouteLatticeState) -> ObservedRouteState:
        return await observe_route(
            desired,
            self.edge.inventory,
            self.edge.tags,
            lattice=self.edge.lattice,
            cluster=CLUSTER,
            vpc_id=VPC,
            details=self.details,
        )

    async def plan(self, desired: RouteLatticeState) -> Plan:
        return plan_route(desired, await self.observe(desired))

    async def reconcile(self, desired: RouteLatticeState) -> Reconcile:
        self.fake.admin.reset_counters()
        deployed = await deploy(self, desired)
        return Reconcile(deployed.observed, deployed.plan, deployed.result, self.calls())
