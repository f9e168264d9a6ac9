"""observe_route against scripted AWS answers: which calls it makes, and what it reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.inventory_tags import matches_type_filter
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.tagging import TagStore
from lattice_controller.aws.testing import ScriptedTransport
from lattice_controller.model import tags as tag_keys
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import (
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
    TargetSpec,
    WeightedTargetGroup,
)
from lattice_controller.model.lattice_observed import ObservedAction, ObservedForward
from lattice_controller.model.naming import fallback_service_name
from lattice_controller.reconcile.diff import plan_route
from lattice_controller.reconcile.diff.steps import CreateService
from lattice_controller.reconcile.observe import DetailCache, observe_route

VPC, CLUSTER, OWNER = "vpc-1", "c1", "acct/c1/vpc-1"
ROUTE = ObjectKey("default", "web")
BASE = "arn:aws:vpc-lattice:us-west-2:123456789012"
SVC = f"{BASE}:service/svc-1"
L80 = f"{SVC}/listener/listener-80"
L443 = f"{SVC}/listener/listener-443"
RULE = f"{L80}/rule/rule-1"
DEFAULT_RULE = f"{L80}/rule/rule-default"
TG = f"{BASE}:targetgroup/tg-1"
EXTERNAL = f"{BASE}:targetgroup/tg-external"
STAMP = "2026-01-01T00:00:00Z"
IDENTITY = TargetGroupIdentity(
    CLUSTER, "web", "default", tag_keys.SOURCE_TYPE_HTTP_ROUTE, "HTTP1", "web", "default"
)
TG_TAGS = {tag_keys.MANAGED_BY: OWNER, **IDENTITY.tags()}
SERVICE_TAGS = {
    tag_keys.MANAGED_BY: OWNER,
    tag_keys.ROUTE_NAME: "web",
    tag_keys.ROUTE_NAMESPACE: "default",
    tag_keys.ROUTE_TYPE: "http",
}
PREFIX = {"httpMatch": {"pathMatch": {"match": {"prefix": "/"}, "caseSensitive": True}}}
HEALTH = {
    "enabled": True,
    "protocol": "HTTP",
    "protocolVersion": "HTTP1",
    "path": "/",
    "healthCheckIntervalSeconds": 30,
    "healthCheckTimeoutSeconds": 5,
    "healthyThresholdCount": 5,
    "unhealthyThresholdCount": 2,
    "matcher": {"httpCode": "200"},
}


def desired(*targets: str, forward: RuleAction | None = None) -> RouteLatticeState:
    action = forward or RuleAction((WeightedTargetGroup(IDENTITY, 1),))
    listener = ListenerSpec("web-default-80-http", 80, "HTTP", rules=(RuleSpec(1, RuleMatch(), action),))
    group = TargetGroupSpec(
        IDENTITY, TargetGroupConfig(VPC), OWNER, targets=tuple(TargetSpec(ip, 8080) for ip in targets)
    )
    service = ServiceSpec("web-default", ROUTE, "http", OWNER)
    return RouteLatticeState(
        ROUTE, "http", OWNER, service, (), (listener,), (group,), cluster=CLUSTER, vpc=VPC
    )


def get_resources(
    params: Mapping[str, Any], more: Mapping[str, Mapping[str, str]] | None = None
) -> dict[str, Any]:
    tagged = {
        SVC: SERVICE_TAGS,
        TG: TG_TAGS,
        L80: {tag_keys.MANAGED_BY: OWNER},
        RULE: {tag_keys.MANAGED_BY: OWNER},
        **(more or {}),
    }
    if "ResourceARNList" in params:
        arns = [a for a in params["ResourceARNList"] if a in tagged]
    else:
        wanted = {f["Key"]: f["Values"][0] for f in params.get("TagFilters") or []}
        arns = [
            a
            for a in tagged
            if matches_type_filter(a, params["ResourceTypeFilters"])
            and all(tagged[a].get(k) == v for k, v in wanted.items())
        ]
    return {
        "ResourceTagMappingList": [
            {"ResourceARN": a, "Tags": [{"Key": k, "Value": v} for k, v in tagged[a].items()]} for a in arns
        ]
    }


def scripted(forward_to: str = "tg-1", more_groups: tuple[dict[str, Any], ...] = ()) -> ScriptedTransport:
    transport = ScriptedTransport()
    transport.on(
        "ListServices", {"items": [{"id": "svc-1", "arn": SVC, "name": "web-default", "status": "ACTIVE"}]}
    )
    transport.on("ListServiceNetworkServiceAssociations", {"items": []})
    transport.on(
        "ListListeners",
        {
            "items": [
                {"id": "listener-80", "arn": L80, "name": "l80", "port": 80, "protocol": "HTTP"},
                {"id": "listener-443", "arn": L443, "name": "l443", "port": 443, "protocol": "HTTPS"},
            ]
        },
    )
    transport.on(
        "ListRules",
        {
            "items": [
                {
                    "id": "rule-1",
                    "arn": RULE,
                    "name": "r1",
                    "priority": 1,
                    "isDefault": False,
                    "lastUpdatedAt": STAMP,
                },
                {"id": "rule-default", "arn": DEFAULT_RULE, "name": "default", "isDefault": True},
            ]
        },
    )
    action = {"forward": {"targetGroups": [{"targetGroupIdentifier": forward_to, "weight": 1}]}}
    transport.on(
        "GetRule",
        {
            "id": "rule-1",
            "arn": RULE,
            "priority": 1,
            "match": PREFIX,
            "action": action,
            "lastUpdatedAt": STAMP,
        },
    )
    transport.on("GetResources", get_resources)
    summary = {
        "id": "tg-1",
        "arn": TG,
        "name": "k8s-default-web-x",
        "type": "IP",
        "port": 80,
        "protocol": "HTTP",
        "ipAddressType": "IPV4",
        "vpcIdentifier": VPC,
        "status": "ACTIVE",
        "serviceArns": [SVC],
        "lastUpdatedAt": STAMP,
    }
    transport.on("ListTargetGroups", {"items": [summary, *more_groups]})
    detail = {
        **summary,
        "config": {"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC, "healthCheck": HEALTH},
    }
    transport.on("GetTargetGroup", detail)
    transport.on("ListTargets", {"items": [{"id": "10.0.0.1", "port": 8080, "status": "HEALTHY"}]})
    return transport


def edge(
    transport: ScriptedTransport, *, use_tagging_api: bool = True
) -> tuple[LatticeApi, TagStore, LatticeInventory]:
    api = LatticeApi(transport)
    tags = TagStore(api, transport, use_tagging_api=use_tagging_api)
    return api, tags, LatticeInventory(api, tags)


async def observe(
    state: RouteLatticeState, transport: ScriptedTransport, details: DetailCache | None = None, **kw: Any
) -> Any:
    api, tags, inventory = edge(transport, **kw)
    return await observe_route(
        state, inventory, tags, lattice=api, cluster=CLUSTER, vpc_id=VPC, details=details
    )


async def test_reads_details_only_where_the_diff_looks() -> None:
    transport = scripted()
    state = desired("10.0.0.1")
    observed = await observe(state, transport)

    assert transport.count("GetRule") == 1  # not for the default rule
    assert transport.count("ListRules") == 1  # not for the listener on 443 (it is going away)
    assert transport.count("GetListener") == 0  # HTTP default actions are never compared
    # the shared ManagedBy listing, then one read of the only tags it lacks (the untagged listener on 443)
    shared, individual = transport.params_of("GetResources")
    assert "ResourceTypeFilters" in shared
    assert individual == {"ResourceARNList": [L443]}
    assert transport.count("GetService") == 0
    (rule,) = [r for listener in observed.listeners for r in listener.rules if not r.is_default]
    assert rule.match == RuleMatch()
    assert rule.action == ObservedAction((ObservedForward("tg-1", 1),))
    assert rule.tags == ((tag_keys.MANAGED_BY, OWNER),)
    (group,) = observed.target_groups
    assert group.health_check is not None
    assert [t.ip for t in group.targets] == ["10.0.0.1"]
    assert observed.service is not None
    assert observed.service.tag_dict() == SERVICE_TAGS
    plan = plan_route(state, observed)
    assert [s.describe().split()[0] for s in plan.steps] == ["DeleteListener"]


async def test_unchanged_details_are_not_fetched_again() -> None:
    details = DetailCache()
    await observe(desired("10.0.0.1"), scripted(), details)
    again = scripted()
    await observe(desired("10.0.0.1"), again, details)
    assert again.count("GetRule") == 0
    assert again.count("GetTargetGroup") == 0
    assert details.hits == 2


async def test_a_deleting_route_reads_only_what_deletion_needs() -> None:
    transport = scripted()
    state = replace(desired(), deleting=True, listeners=(), target_groups=())
    observed = await observe(state, transport)
    assert transport.count("ListRules") == 0
    assert transport.count("GetRule") == 0
    assert transport.count("GetTargetGroup") == 1  # fresh serviceArns of a deletion candidate
    (shared,) = transport.params_of("GetResources")  # the service's tags come from the shared listing
    assert "ResourceARNList" not in shared
    (group,) = observed.target_groups
    assert group.service_arns == (SVC,)
    steps = [s.describe().split()[0] for s in plan_route(state, observed).steps]
    assert steps == [
        "DeleteListener",
        "DeleteListener",
        "DeleteService",
        "DeregisterTargets",
        "DeleteTargetGroup",
    ]


async def test_external_target_groups_compare_by_id() -> None:
    imported = RuleAction(
        (WeightedTargetGroup(ImportedTargetGroup("e", "default", external_arn=EXTERNAL), 1),)
    )
    state = desired("10.0.0.1", forward=imported)
    theirs = {"id": "tg-external", "arn": EXTERNAL, "name": "theirs", "type": "IP", "port": 443}
    observed = await observe(state, scripted(forward_to="tg-external", more_groups=(theirs,)))
    (rule,) = [r for listener in observed.listeners for r in listener.rules if not r.is_default]
    assert rule.action.forward == (ObservedForward("tg-external", 1),)
    assert not any("Rule" in s.describe().split()[0] for s in plan_route(state, observed).steps)


async def test_lattice_only_tag_mode_reads_tags_per_resource() -> None:
    transport = scripted()
    tags_by_arn = {SVC: SERVICE_TAGS, TG: TG_TAGS}
    transport.on("ListTagsForResource", lambda p: {"tags": tags_by_arn.get(p["resourceArn"], {})})
    observed = await observe(desired("10.0.0.1"), transport, use_tagging_api=False)
    assert transport.count("GetResources") == 0
    assert observed.service is not None
    assert observed.service.tag_dict() == SERVICE_TAGS
    assert len(observed.target_groups) == 1


async def test_nothing_is_read_when_nothing_is_built() -> None:
    transport = ScriptedTransport()
    observed = await observe(replace(desired(), service=None), transport)
    assert transport.calls == []
    assert observed.service is None


async def test_defaults_come_from_the_desired_state_and_the_inventory() -> None:
    transport = scripted()
    _, tags, inventory = edge(transport)
    observed = await observe_route(desired("10.0.0.1"), inventory, tags)
    assert len(observed.target_groups) == 1
    assert transport.count("GetRule") == 1


async def test_the_routes_service_under_a_former_name_is_observed_as_stale() -> None:
    base = desired("10.0.0.1")
    assert base.service is not None
    renamed = replace(base, service=replace(base.service, name="renamed"))
    observed = await observe(renamed, scripted())
    assert observed.service is None
    assert [stale.service.name for stale in observed.stale_services] == ["web-default"]
    assert observed.stale_services[0].listener_arns == (L80, L443)
    # A GRPCRoute of the same name has a service of its own: never another kind's.
    other_kind = replace(base, service=replace(base.service, name="renamed", route_type="grpc"))
    assert (await observe(other_kind, scripted())).stale_services == ()
    # Unchanged name: nothing stale.
    assert (await observe(base, scripted())).stale_services == ()


# -- a derived service name another route's service holds ------------------------------------------

TWIN = ObjectKey("default", "web-twin")
TWIN_FALLBACK = fallback_service_name("web-twin", "default", "http")
TWIN_SVC = f"{BASE}:service/svc-2"
TWIN_TAGS = {**SERVICE_TAGS, tag_keys.ROUTE_NAME: "web-twin"}


def twin() -> RouteLatticeState:
    """A route whose derived service name is that of route ``web`` (as when two names agree up to
    the truncation); its spec carries the fallback name."""
    base = desired("10.0.0.1")
    service = ServiceSpec("web-default", TWIN, "http", OWNER, fallback_name=TWIN_FALLBACK)
    return replace(base, route=TWIN, service=service)


def with_services(transport: ScriptedTransport, *services: dict[str, Any], tags: dict[str, Any]) -> None:
    transport.on("ListServices", {"items": list(services)})
    transport.on("GetResources", lambda params: get_resources(params, tags))


async def test_a_name_held_by_another_routes_service_moves_to_the_fallback_name() -> None:
    transport = scripted()
    api, tags, inventory = edge(transport)
    # First deploy: no service tagged with this route, so none is looked for by name; creating the
    # derived name meets the other route's service and apply notes the name as taken.
    first = await observe_route(twin(), inventory, tags, lattice=api)
    assert first.service_name == "web-default"
    assert transport.count("ListServices") == 0
    inventory.note_service_name_taken("web-default")
    observed = await observe_route(twin(), inventory, tags, lattice=api)
    assert observed.service is None
    assert observed.service_name == TWIN_FALLBACK
    assert observed.stale_services == ()
    creates = [step for step in plan_route(twin(), observed).steps if isinstance(step, CreateService)]
    assert [step.name for step in creates] == [TWIN_FALLBACK]


async def test_the_fallback_service_is_kept_once_there() -> None:
    fallback = {"id": "svc-2", "arn": TWIN_SVC, "name": TWIN_FALLBACK, "status": "ACTIVE"}
    held = {"id": "svc-1", "arn": SVC, "name": "web-default", "status": "ACTIVE"}
    for services in ((held, fallback), (fallback,)):  # the other route's service there, then gone
        transport = scripted()
        with_services(transport, *services, tags={TWIN_SVC: TWIN_TAGS})
        observed = await observe(twin(), transport)
        assert observed.service is not None
        assert (observed.service.arn, observed.service.name) == (TWIN_SVC, TWIN_FALLBACK)
        assert observed.service_name == TWIN_FALLBACK
        assert observed.stale_services == ()
        assert not any(isinstance(s, CreateService) for s in plan_route(twin(), observed).steps)


async def test_a_name_nobody_routes_to_stays_the_derived_one() -> None:
    # An untagged service of that name (adoption and conflict rules decide) and the route's own
    # service under the derived name both keep it.
    untagged = {"id": "svc-9", "arn": f"{BASE}:service/svc-9", "name": "web-default", "status": "ACTIVE"}
    transport = scripted()
    with_services(transport, untagged, tags={})
    api, tags, inventory = edge(transport)
    inventory.note_service_name_taken("web-default")  # as after the first create met it
    observed = await observe_route(twin(), inventory, tags, lattice=api)
    assert observed.service_name == "web-default"
    assert observed.service is not None
    assert observed.service.arn == untagged["arn"]
    own = desired("10.0.0.1")
    assert own.service is not None
    fallback = fallback_service_name("web", "default", "http")
    observed = await observe(replace(own, service=replace(own.service, fallback_name=fallback)), scripted())
    assert observed.service_name == "web-default"
    assert observed.service is not None
    assert observed.service.arn == SVC
