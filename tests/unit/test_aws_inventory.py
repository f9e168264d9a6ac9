"""LatticeInventory: one list per resource type per cycle, single-flight, write-through, expiry."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from lattice_controller.aws import errors
from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.inventory_tags import MANAGED_RESOURCE_TYPES, matches_type_filter, resource_type
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.listings import Listing
from lattice_controller.aws.tagging import TagStore
from lattice_controller.aws.testing import ScriptedTransport

VPC = "vpc-1"
TG_ARN = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-1"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def build(
    transport: ScriptedTransport, *, use_tagging_api: bool = True, clock: FakeClock | None = None
) -> tuple[LatticeApi, TagStore, LatticeInventory]:
    api = LatticeApi(transport)
    tags = TagStore(api, transport, use_tagging_api=use_tagging_api)
    inventory = LatticeInventory(api, tags, max_age_seconds=60, clock=clock or FakeClock())
    return api, tags, inventory


def services_transport() -> ScriptedTransport:
    transport = ScriptedTransport()
    transport.on("ListServices", {"items": [{"id": "svc-1", "arn": "arn:svc-1", "name": "a-default"}]})
    return transport


async def test_many_concurrent_askers_share_one_list() -> None:
    transport = ScriptedTransport()
    release = asyncio.Event()

    async def slow_list(params: Mapping[str, Any]) -> dict[str, Any]:
        await release.wait()
        return {"items": [{"id": "svc-1", "name": "a-default"}]}

    transport.on("ListServices", slow_list)
    _, _, inventory = build(transport)

    askers = [asyncio.create_task(inventory.service_named("a-default")) for _ in range(50)]
    await asyncio.sleep(0)
    release.set()
    found = await asyncio.gather(*askers)

    assert all(f is not None and f["id"] == "svc-1" for f in found)
    assert transport.count("ListServices") == 1
    assert (inventory.stats.fetches, inventory.stats.hits) == (1, 49)


async def test_a_fetched_listing_holds_its_items_not_the_finished_task() -> None:
    transport = services_transport()
    api, _, inventory = build(transport)
    await inventory.services()
    await asyncio.sleep(0)
    held = inventory._listings[(Listing.SERVICES,)]
    assert (held.task, held.pending) == (None, None)
    assert held.items == [{"id": "svc-1", "arn": "arn:svc-1", "name": "a-default"}]
    transport.on("CreateService", {"id": "svc-2", "arn": "arn:svc-2", "name": "b-default"})
    await api.create_service("b-default", client_token="t")
    assert [s["id"] for s in await inventory.services()] == ["svc-1", "svc-2"]
    assert transport.count("ListServices") == 1


async def test_lookups_by_name_id_and_arn() -> None:
    _, _, inventory = build(services_transport())
    assert (await inventory.service_named("a-default"))["id"] == "svc-1"  # type: ignore[index]
    assert (await inventory.service("arn:svc-1"))["id"] == "svc-1"  # type: ignore[index]
    assert await inventory.service_named("missing") is None


async def test_new_cycle_and_max_age_force_a_fresh_list() -> None:
    clock = FakeClock()
    transport = services_transport()
    _, _, inventory = build(transport, clock=clock)

    await inventory.services()
    clock.now = 59
    await inventory.services()
    assert transport.count("ListServices") == 1
    clock.now = 60
    await inventory.services()
    assert transport.count("ListServices") == 2
    inventory.new_cycle()
    await inventory.services()
    assert transport.count("ListServices") == 3


async def test_without_max_age_a_listing_lives_until_the_next_cycle_however_long_it_takes() -> None:
    # Resync on: a cycle of 1,000 routes outlasts any fixed age; the cycle alone renews listings.
    clock = FakeClock()
    transport = services_transport()
    fetched: list[str] = []
    inventory = LatticeInventory(
        LatticeApi(transport),
        TagStore(LatticeApi(transport), transport),
        max_age_seconds=None,
        clock=clock,
        on_fetch=fetched.append,
    )
    await inventory.services()
    clock.now = 10_000
    await inventory.services()
    assert transport.count("ListServices") == 1
    inventory.invalidate(Listing.SERVICES)  # a NotFound still drops it
    await inventory.services()
    inventory.new_cycle()
    await inventory.services()
    assert transport.count("ListServices") == 3
    assert fetched == ["services"] * 3


async def test_failed_fetch_is_not_cached() -> None:
    transport = services_transport()
    transport.fail("ListServices", "ThrottlingException", times=1)
    _, _, inventory = build(transport)

    with pytest.raises(errors.Throttled):
        await inventory.services()
    assert len(await inventory.services()) == 1
    assert transport.count("ListServices") == 2


async def test_a_cancelled_asker_does_not_cancel_the_shared_fetch() -> None:
    transport = ScriptedTransport()
    release = asyncio.Event()

    async def slow_list(params: Mapping[str, Any]) -> dict[str, Any]:
        await release.wait()
        return {"items": [{"id": "svc-1", "name": "a"}]}

    transport.on("ListServices", slow_list)
    _, _, inventory = build(transport)
    first = asyncio.create_task(inventory.services())
    second = asyncio.create_task(inventory.services())
    await asyncio.sleep(0)
    first.cancel()
    release.set()

    assert len(await second) == 1
    assert transport.count("ListServices") == 1


async def test_service_writes_are_applied_without_relisting() -> None:
    transport = services_transport()
    transport.on(
        "CreateService", {"id": "svc-2", "arn": "arn:svc-2", "name": "b-default", "status": "ACTIVE"}
    )
    transport.on("DeleteService", {"id": "svc-1", "arn": "arn:svc-1", "status": "DELETE_IN_PROGRESS"})
    api, _, inventory = build(transport)
    await inventory.services()

    await api.create_service("b-default", client_token="t")
    await api.delete_service("svc-1")

    assert [s["name"] for s in await inventory.services()] == ["b-default"]
    assert transport.count("ListServices") == 1


async def test_a_write_during_an_inflight_list_is_applied_to_its_result() -> None:
    transport = ScriptedTransport()
    release = asyncio.Event()

    async def slow_list(params: Mapping[str, Any]) -> dict[str, Any]:
        await release.wait()
        return {
            "items": [{"id": "svc-1", "name": "a"}, {"id": "svc-3", "name": "c"}]
        }  # pages predate the writes

    transport.on("ListServices", slow_list)
    transport.on("CreateService", {"id": "svc-2", "name": "b"})
    transport.on("DeleteService", {"id": "svc-3"})
    api, _, inventory = build(transport)

    pending = asyncio.create_task(inventory.services())
    await asyncio.sleep(0)
    await api.create_service("b", client_token="t")
    await api.delete_service("svc-3")
    release.set()

    assert {s["id"] for s in await pending} == {"svc-1", "svc-2"}  # the asker waiting meanwhile too
    assert {s["id"] for s in await inventory.services()} == {"svc-1", "svc-2"}
    assert transport.count("ListServices") == 1


async def test_a_burst_of_writes_does_not_restart_a_paginated_listing() -> None:
    """Writes keep arriving while the pages are fetched: the listing still completes, once."""
    transport = ScriptedTransport()
    pages = 5
    fetched: list[int] = []

    async def page(params: Mapping[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0.001)
        number = int(params.get("nextToken") or 0)
        fetched.append(number)
        token = str(number + 1) if number + 1 < pages else None
        return {"items": [{"id": f"svc-p{number}", "name": f"p{number}"}], "nextToken": token}

    transport.on("ListServices", page)
    transport.on("CreateService", lambda p: {"id": f"svc-{p['name']}", "name": p["name"]})
    api, _, inventory = build(transport)

    listing = asyncio.create_task(inventory.services())
    await asyncio.sleep(0)  # the listing is in flight
    for i in range(20):
        await api.create_service(f"w{i}", client_token="t")
        await asyncio.sleep(0.0005)
    await listing
    names = {s["name"] for s in await inventory.services()}

    assert names == {f"p{i}" for i in range(pages)} | {f"w{i}" for i in range(20)}
    assert fetched == list(range(pages))


async def test_listener_and_rule_writes_update_scoped_listings() -> None:
    transport = ScriptedTransport()
    transport.on("ListListeners", {"items": [{"id": "listener-1", "port": 80}]})
    transport.on("ListRules", {"items": [{"id": "rule-d", "isDefault": True}]})
    transport.on(
        "CreateListener", {"id": "listener-2", "serviceId": "svc-1", "port": 443, "defaultAction": {}}
    )
    transport.on("CreateRule", {"id": "rule-1", "priority": 1, "name": "r"})
    transport.on("BatchUpdateRule", {"successful": [{"id": "rule-1", "priority": 5}], "unsuccessful": []})
    transport.on("DeleteListener", {})
    api, _, inventory = build(transport)
    await inventory.listeners("svc-1")
    await inventory.rules("svc-1", "listener-1")

    await api.create_listener("svc-1", "l", "HTTPS", {}, client_token="t", port=443)
    await api.create_rule("svc-1", "listener-1", "r", {}, 1, {}, client_token="t")
    await api.batch_update_rule("svc-1", "listener-1", [{"ruleIdentifier": "rule-1", "priority": 5}])

    assert [item["id"] for item in await inventory.listeners("svc-1")] == ["listener-1", "listener-2"]
    rules = {r["id"]: r for r in await inventory.rules("svc-1", "listener-1")}
    assert rules["rule-1"]["priority"] == 5
    assert rules["rule-1"]["isDefault"] is False
    assert transport.count("ListListeners") == transport.count("ListRules") == 1

    await api.delete_listener("svc-1", "listener-1")
    assert [item["id"] for item in await inventory.listeners("svc-1")] == ["listener-2"]
    await inventory.rules("svc-1", "listener-1")
    assert transport.count("ListRules") == 2  # the deleted listener's rules were dropped


async def test_target_writes_update_the_target_listing_in_place() -> None:
    transport = ScriptedTransport()
    transport.on("ListTargets", {"items": [{"id": "10.0.0.1", "port": 80, "status": "HEALTHY"}]})
    transport.on("RegisterTargets", lambda p: {"successful": p["targets"], "unsuccessful": []})
    transport.on("DeregisterTargets", lambda p: {"successful": p["targets"], "unsuccessful": []})
    api, _, inventory = build(transport)

    await inventory.targets("tg-1")
    await api.register_targets("tg-1", [{"id": "10.0.0.2", "port": 80}])
    await api.deregister_targets("tg-1", [{"id": "10.0.0.1", "port": 80}])
    targets = {(t["id"], t["port"]): t["status"] for t in await inventory.targets("tg-1")}

    assert targets == {("10.0.0.1", 80): "DRAINING", ("10.0.0.2", 80): "INITIAL"}
    assert transport.count("ListTargets") == 1
    inventory.new_cycle()
    await inventory.targets("tg-1")
    assert transport.count("ListTargets") == 2  # health is read from Lattice once per cycle


async def test_what_we_create_starts_with_empty_scoped_listings() -> None:
    """A new service has no listeners or associations, a new listener no rule of ours, a new target
    group no targets: none of them is listed after the create."""
    transport = ScriptedTransport()
    transport.on("CreateService", {"id": "svc-9", "arn": "arn:svc-9", "name": "n"})
    transport.on("CreateListener", {"id": "listener-9", "arn": "arn:l-9", "serviceId": "svc-9", "port": 80})
    transport.on("CreateTargetGroup", {"id": "tg-9", "arn": TG_ARN + "9", "config": {"port": 80}})
    transport.on("CreateRule", {"id": "rule-9", "arn": "arn:r-9", "priority": 1})
    api, _, inventory = build(transport)

    await api.create_service("n", client_token="t")
    await api.create_listener("svc-9", "l", "HTTP", {}, client_token="t", port=80)
    await api.create_rule("svc-9", "listener-9", "r", {}, 1, {}, client_token="t")
    await api.call("CreateTargetGroup", name="tg", type="IP", config={"port": 80}, clientToken="t")

    assert [item["id"] for item in await inventory.listeners("svc-9")] == ["listener-9"]
    assert [item["id"] for item in await inventory.rules("svc-9", "listener-9")] == ["rule-9"]
    assert await inventory.service_associations("svc-9") == []
    assert await inventory.targets("tg-9") == []
    assert not [c.operation for c in transport.calls if c.operation.startswith("List")]


async def test_association_writes_update_that_service_listing_in_place() -> None:
    transport = ScriptedTransport()
    transport.on("ListServiceNetworks", {"items": [{"id": "sn-1", "arn": "arn:sn-1", "name": "net"}]})
    transport.on("ListServiceNetworkServiceAssociations", {"items": []})
    transport.on(
        "CreateServiceNetworkServiceAssociation", {"id": "snsa-1", "arn": "arn:snsa-1", "status": "ACTIVE"}
    )
    transport.on("DeleteServiceNetworkServiceAssociation", {"id": "snsa-1", "status": "DELETE_IN_PROGRESS"})
    api, _, inventory = build(transport)
    await inventory.service_networks()
    await inventory.service_associations("svc-1")
    await inventory.service_associations("svc-2")

    await api.create_service_network_service_association("svc-1", "sn-1", client_token="t")
    (created,) = await inventory.service_associations("svc-1")
    assert (created["id"], created["serviceNetworkId"], created["serviceNetworkName"]) == (
        "snsa-1",
        "sn-1",
        "net",
    )
    await api.delete_service_network_service_association("snsa-1")
    (deleting,) = await inventory.service_associations("svc-1")
    assert deleting["status"] == "DELETE_IN_PROGRESS"

    assert await inventory.service_associations("svc-2") == []
    assert transport.count("ListServiceNetworkServiceAssociations") == 2


def target_group_transport() -> ScriptedTransport:
    transport = ScriptedTransport()
    transport.on(
        "ListTargetGroups",
        {
            "items": [
                {"id": "tg-1", "arn": TG_ARN, "vpcIdentifier": VPC, "port": 80},
                {"id": "tg-2", "arn": TG_ARN + "2", "vpcIdentifier": "vpc-other", "port": 80},
                {"id": "tg-3", "arn": TG_ARN + "3", "vpcIdentifier": VPC, "port": 80},
            ]
        },
    )
    transport.on(
        "GetResources",
        {
            "ResourceTagMappingList": [
                {"ResourceARN": TG_ARN, "Tags": [{"Key": "svc", "Value": "web"}]},
                {"ResourceARN": TG_ARN + "2", "Tags": [{"Key": "svc", "Value": "web"}]},
            ]
        },
    )
    transport.on(
        "ListTagsForResource", lambda p: {"tags": {"svc": "web"} if p["resourceArn"] != TG_ARN + "3" else {}}
    )
    return transport


@pytest.mark.parametrize("use_tagging_api", [True, False])
async def test_target_groups_by_tags_cost_one_listing_per_cycle(use_tagging_api: bool) -> None:
    transport = target_group_transport()
    _, _, inventory = build(transport, use_tagging_api=use_tagging_api)

    for _ in range(10):
        found = await inventory.target_groups_tagged({"svc": "web"}, vpc_id=VPC)
        assert [g.id for g in found] == ["tg-1"]
    assert await inventory.target_groups_tagged({}) == []
    assert [g.id for g in await inventory.target_groups_tagged({"svc": "web"})] == ["tg-1", "tg-2"]

    assert transport.count("ListTargetGroups") == 1
    if use_tagging_api:
        assert transport.count("GetResources") == 1
        assert transport.count("ListTagsForResource") == 0
    else:
        assert transport.count("ListTagsForResource") == 3


async def test_created_target_group_is_found_by_its_tags_without_relisting() -> None:
    transport = target_group_transport()
    transport.on(
        "CreateTargetGroup",
        {
            "id": "tg-9",
            "arn": TG_ARN + "9",
            "name": "k8s-x",
            "type": "IP",
            "status": "ACTIVE",
            "config": {"port": 80, "protocol": "HTTP", "vpcIdentifier": VPC, "ipAddressType": "IPV4"},
        },
    )
    transport.on("DeleteTargetGroup", {"id": "tg-1", "arn": TG_ARN, "status": "DELETE_IN_PROGRESS"})
    api, _, inventory = build(transport)
    await inventory.target_groups_tagged({"svc": "web"})

    await api.create_target_group("k8s-x", "IP", client_token="t", tags={"svc": "api"})
    await api.delete_target_group("tg-1")

    [created] = await inventory.target_groups_tagged({"svc": "api"}, vpc_id=VPC)
    assert created.summary["protocol"] == "HTTP"
    assert created.summary["serviceArns"] == []
    assert [g.id for g in await inventory.target_groups_tagged({"svc": "web"}, vpc_id=VPC)] == []
    assert transport.count("ListTargetGroups") == transport.count("GetResources") == 1


@pytest.mark.parametrize("use_tagging_api", [True, False])
async def test_tag_writes_update_target_group_tags(use_tagging_api: bool) -> None:
    transport = target_group_transport()
    transport.on("TagResources", {})
    transport.on("UntagResources", {})
    transport.on("TagResource", {})
    transport.on("UntagResource", {})
    _, tags, inventory = build(transport, use_tagging_api=use_tagging_api)
    await inventory.target_groups_tagged({"svc": "web"})

    await tags.tag(TG_ARN + "3", {"svc": "web"})
    await tags.untag(TG_ARN, ["svc"])

    assert [g.id for g in await inventory.target_groups_tagged({"svc": "web"}, vpc_id=VPC)] == ["tg-3"]


async def test_invalidate_by_kind_or_scope() -> None:
    transport = ScriptedTransport()
    transport.on("ListListeners", {"items": []})
    _, _, inventory = build(transport)
    await inventory.listeners("svc-1")
    await inventory.listeners("svc-2")

    inventory.invalidate(Listing.LISTENERS, "svc-1")
    await inventory.listeners("svc-1")
    await inventory.listeners("svc-2")
    assert transport.count("ListListeners") == 3
    inventory.invalidate(Listing.LISTENERS)
    await inventory.listeners("svc-1")
    await inventory.listeners("svc-2")
    assert transport.count("ListListeners") == 5


async def test_service_networks_by_name_or_id() -> None:
    transport = ScriptedTransport()
    transport.on(
        "ListServiceNetworks",
        {
            "items": [
                {"id": "sn-1", "arn": "arn:sn-1", "name": "gw"},
                {"id": "sn-2", "arn": "arn:sn-2", "name": "sn-1"},
            ]
        },
    )
    _, _, inventory = build(transport)
    assert (await inventory.service_network_named("gw"))["id"] == "sn-1"  # type: ignore[index]
    assert (await inventory.service_network_named("sn-1"))["id"] == "sn-2"  # type: ignore[index]  # name wins
    assert (await inventory.service_network_named("arn:sn-1"))["id"] == "sn-1"  # type: ignore[index]


SVC_ARN = "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-1"
MANAGED = ("vpc-lattice:service", "vpc-lattice:targetgroup")


def test_resource_type_of_lattice_arns() -> None:
    assert resource_type(SVC_ARN) == "vpc-lattice:service"
    assert resource_type(SVC_ARN + "/listener/listener-1") == "vpc-lattice:service/listener"
    assert resource_type(SVC_ARN + "/listener/listener-1/rule/rule-1") == "vpc-lattice:service/listener/rule"
    assert resource_type(TG_ARN) == "vpc-lattice:targetgroup"
    assert resource_type("svc-1") == ""


async def test_tag_filtered_listing_is_one_call_per_cycle_and_follows_writes() -> None:
    transport = ScriptedTransport()
    transport.on(
        "GetResources",
        {"ResourceTagMappingList": [{"ResourceARN": TG_ARN, "Tags": [{"Key": "owner", "Value": "me"}]}]},
    )
    transport.on("CreateService", {"id": "svc-2", "arn": SVC_ARN[:-1] + "2", "name": "b", "status": "ACTIVE"})
    transport.on("DeleteTargetGroup", {"id": "tg-1", "arn": TG_ARN, "status": "DELETE_IN_PROGRESS"})
    transport.on("TagResources", {})
    api, tags, inventory = build(transport)

    assert list(await inventory.tagged(MANAGED, {"owner": "me"})) == [TG_ARN]
    assert list(await inventory.tagged(MANAGED, {"owner": "me"})) == [TG_ARN]
    (request,) = transport.params_of("GetResources")
    assert sorted(request["ResourceTypeFilters"]) == sorted(MANAGED)
    assert request["TagFilters"] == [{"Key": "owner", "Values": ["me"]}]

    await api.create_service("b", client_token="t", tags={"owner": "me", "route": "b"})
    await api.create_service("c", client_token="t", tags={"owner": "someone-else"})
    await api.delete_target_group("tg-1")
    found = await inventory.tagged(MANAGED, {"owner": "me"})
    assert found == {SVC_ARN[:-1] + "2": {"owner": "me", "route": "b"}}

    await tags.tag(SVC_ARN[:-1] + "2", {"owner": "other"})  # no longer matches the filter
    assert await inventory.tagged(MANAGED, {"owner": "me"}) == {}
    assert transport.count("GetResources") == 1
    inventory.new_cycle()
    await inventory.tagged(MANAGED, {"owner": "me"})
    assert transport.count("GetResources") == 2


async def test_service_name_taken_and_services_loaded() -> None:
    _, _, inventory = build(services_transport())
    assert not inventory.services_loaded()
    await inventory.services()
    assert inventory.services_loaded()
    inventory.note_service_name_taken("a-default")
    inventory.new_cycle()
    assert inventory.service_name_taken("a-default")
    assert not inventory.services_loaded()


OURS = {"ManagedBy": "us"}
LISTENER_ARN = SVC_ARN + "/listener/listener-1"
RULE_ARN = LISTENER_ARN + "/rule/rule-1"
SNSA_ARN = "arn:aws:vpc-lattice:us-west-2:123456789012:servicenetworkserviceassociation/snsa-1"
FOREIGN_ARN = SVC_ARN[:-1] + "9"


def shared_listing_transport() -> ScriptedTransport:
    """GetResources: the ManagedBy listing holds the service and its listener; ARN lists answer
    the foreign service's real tags."""
    transport = ScriptedTransport()
    mine = {"ResourceARN": SVC_ARN, "Tags": [{"Key": "ManagedBy", "Value": "us"}, {"Key": "r", "Value": "a"}]}
    listener = {"ResourceARN": LISTENER_ARN, "Tags": [{"Key": "ManagedBy", "Value": "us"}]}
    foreign = {"ResourceARN": FOREIGN_ARN, "Tags": [{"Key": "ManagedBy", "Value": "them"}]}

    def get_resources(params: Mapping[str, Any]) -> dict[str, Any]:
        if "ResourceARNList" in params:
            return {"ResourceTagMappingList": [foreign] if FOREIGN_ARN in params["ResourceARNList"] else []}
        return {"ResourceTagMappingList": [mine, listener]}

    transport.on("GetResources", get_resources)
    return transport


async def test_tags_of_many_reads_the_shared_listing_and_only_what_it_lacks() -> None:
    transport = shared_listing_transport()
    _, _, inventory = build(transport)
    for _ in range(3):  # three routes of one cycle
        found = await inventory.tags_of_many([SVC_ARN, LISTENER_ARN], managed_tags=OURS)
        assert found == {SVC_ARN: {"ManagedBy": "us", "r": "a"}, LISTENER_ARN: {"ManagedBy": "us"}}
    assert transport.count("GetResources") == 1
    (listing,) = transport.params_of("GetResources")
    assert sorted(listing["ResourceTypeFilters"]) == sorted(MANAGED_RESOURCE_TYPES)
    assert listing["TagFilters"] == [{"Key": "ManagedBy", "Values": ["us"]}]

    # a foreign and an untagged resource are read individually, with their real tags
    found = await inventory.tags_of_many([SVC_ARN, FOREIGN_ARN, RULE_ARN], managed_tags=OURS)
    assert found == {SVC_ARN: {"ManagedBy": "us", "r": "a"}, FOREIGN_ARN: {"ManagedBy": "them"}, RULE_ARN: {}}
    assert transport.params_of("GetResources")[1] == {"ResourceARNList": [FOREIGN_ARN, RULE_ARN]}
    assert await inventory.tags_of_many([], managed_tags=OURS) == {}
    assert transport.count("GetResources") == 2


async def test_our_creates_deletes_and_tag_writes_keep_the_shared_listing_current() -> None:
    transport = shared_listing_transport()
    transport.on("CreateRule", {"id": "rule-1", "arn": RULE_ARN, "name": "r", "priority": 1})
    transport.on("CreateServiceNetworkServiceAssociation", {"id": "snsa-1", "arn": SNSA_ARN})
    transport.on("DeleteServiceNetworkServiceAssociation", {"id": "snsa-1", "arn": SNSA_ARN})
    transport.on("ListListeners", {"items": [{"id": "listener-1", "arn": LISTENER_ARN, "port": 80}]})
    transport.on("DeleteListener", {})
    transport.on("UntagResources", {})
    api, tags, inventory = build(transport)
    await inventory.managed(OURS)
    await inventory.listeners("svc-1")

    await api.create_rule("svc-1", "listener-1", "r", {}, 1, {}, client_token="t", tags={"ManagedBy": "us"})
    await api.create_service_network_service_association("svc-1", "sn-1", client_token="t", tags=OURS)
    managed = await inventory.managed(OURS)
    assert managed[RULE_ARN] == managed[SNSA_ARN] == {"ManagedBy": "us"}

    await api.delete_service_network_service_association("snsa-1")
    await api.delete_listener("svc-1", "listener-1")  # answered without an ARN
    await tags.untag(SVC_ARN, ["r"])
    assert await inventory.managed(OURS) == {SVC_ARN: {"ManagedBy": "us"}, RULE_ARN: {"ManagedBy": "us"}}
    assert transport.count("GetResources") == 1


async def test_lattice_only_tags_of_many_reads_each_arn() -> None:
    transport = ScriptedTransport()
    transport.on("ListTagsForResource", {"tags": {"ManagedBy": "us"}})
    _, _, inventory = build(transport, use_tagging_api=False)
    found = await inventory.tags_of_many([SVC_ARN, LISTENER_ARN], managed_tags=OURS)
    assert found == {SVC_ARN: {"ManagedBy": "us"}, LISTENER_ARN: {"ManagedBy": "us"}}
    assert transport.count("ListTagsForResource") == 2
    assert transport.count("GetResources") == 0


def test_type_filters_match_types_exactly_and_services_whole() -> None:
    assert matches_type_filter(RULE_ARN, ["vpc-lattice"])
    assert matches_type_filter(RULE_ARN, ["vpc-lattice:service/listener/rule"])
    assert not matches_type_filter(RULE_ARN, ["vpc-lattice:service"])
    assert matches_type_filter(TG_ARN, ["vpc-lattice:service", "vpc-lattice:targetgroup"])
