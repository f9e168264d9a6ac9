"""The compact forms the inventory keeps: unread members dropped, ARNs and few-valued strings interned,
equal tag maps shared; the tag listing built page by page."""

from __future__ import annotations

from datetime import UTC, datetime

from lattice_controller.aws.compact import TagMaps, compact_item, compact_items, interned, target_item
from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.listings import Listing
from lattice_controller.aws.tagging import TagStore
from lattice_controller.aws.testing import ScriptedTransport
from lattice_controller.model import tags as tag_keys

STAMP = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
ARN = "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-1"


def _fresh(text: str) -> str:
    """An equal string that is another object, as JSON parsing makes them."""
    return "".join(list(text))


def test_unread_members_are_dropped_and_the_rest_kept() -> None:
    service = {
        "id": "svc-1",
        "arn": ARN,
        "name": "web-default",
        "createdAt": STAMP,
        "lastUpdatedAt": STAMP,
        "dnsEntry": {"domainName": "web.example", "hostedZoneId": "Z1"},
        "status": "ACTIVE",
    }
    kept = compact_item(Listing.SERVICES, service)
    assert kept == {k: v for k, v in service.items() if k != "createdAt"}
    association = {
        "id": "snsa-1",
        "arn": "arn:snsa",
        "status": "ACTIVE",
        "createdBy": "123456789012",
        "serviceId": "svc-1",
        "serviceArn": ARN,
        "serviceName": "web-default",
        "serviceNetworkId": "sn-1",
        "serviceNetworkName": "net",
        "serviceNetworkArn": "arn:sn",
        "dnsEntry": {"domainName": "web.example"},
        "customDomainName": "web.example.com",
    }
    assert compact_item(Listing.SERVICE_ASSOCIATIONS, association) == {
        "id": "snsa-1",
        "arn": "arn:snsa",
        "status": "ACTIVE",
        "serviceId": "svc-1",
        "serviceNetworkId": "sn-1",
        "serviceNetworkName": "net",
    }


def test_arns_and_few_valued_members_are_interned_ids_are_not() -> None:
    items = [
        {"id": _fresh("tg-1"), "arn": _fresh(ARN), "status": _fresh("ACTIVE"), "serviceArns": [_fresh(ARN)]},
        {"id": _fresh("tg-1"), "arn": _fresh(ARN), "status": _fresh("ACTIVE"), "serviceArns": []},
    ]
    first, second = compact_items(Listing.TARGET_GROUPS, items)
    assert first["arn"] is second["arn"]
    assert first["serviceArns"][0] is second["arn"]
    assert first["status"] is second["status"]
    assert first["id"] is items[0]["id"]


def test_interned_walks_nested_values() -> None:
    value = {_fresh("k"): [_fresh("arn:x"), {_fresh("j"): _fresh("arn:x")}], "n": 3}
    result = interned(value)
    assert result == value
    assert result["k"][0] is result["k"][1]["j"]


def test_equal_tag_maps_of_one_listing_are_one_dict() -> None:
    maps = TagMaps()
    one = maps.shared([(_fresh("ManagedBy"), _fresh("me")), ("RouteName", "web")])
    two = maps.shared([("RouteName", "web"), ("ManagedBy", _fresh("me"))])
    other = maps.shared([("ManagedBy", "me")])
    assert one is two
    assert other == {"ManagedBy": "me"}
    assert other is not one
    assert next(iter(other)) is next(iter(one))


async def test_the_inventory_keeps_compact_items_of_listings_and_of_writes() -> None:
    transport = ScriptedTransport()
    transport.on(
        "ListServices",
        {"items": [{"id": "svc-1", "arn": ARN, "name": "a", "createdAt": STAMP, "lastUpdatedAt": STAMP}]},
    )
    transport.on(
        "CreateService",
        {"id": "svc-2", "arn": ARN + "2", "name": "b", "status": "CREATE_IN_PROGRESS", "createdAt": STAMP},
    )
    api = LatticeApi(transport)
    inventory = LatticeInventory(api, TagStore(api, transport))
    assert await inventory.services() == [{"id": "svc-1", "arn": ARN, "name": "a", "lastUpdatedAt": STAMP}]
    await api.create_service("b", client_token="t")
    assert (await inventory.services())[1] == {
        "id": "svc-2",
        "arn": ARN + "2",
        "name": "b",
        "status": "CREATE_IN_PROGRESS",
    }


async def test_the_tag_listing_is_built_page_by_page_with_shared_tag_maps() -> None:
    transport = ScriptedTransport()
    tags = [{"Key": "ManagedBy", "Value": "me"}, {"Key": "RouteName", "Value": "web"}]
    transport.pages(
        "GetResources",
        [
            [{"ResourceARN": ARN, "Tags": tags}],
            [{"ResourceARN": ARN + "/listener/listener-1", "Tags": list(reversed(tags))}],
        ],
        items_key="ResourceTagMappingList",
        token_key="PaginationToken",
    )
    store = TagStore(LatticeApi(transport), transport)
    found = await store.tagged_resources("vpc-lattice", {"ManagedBy": "me"})
    assert found == {
        ARN: {"ManagedBy": "me", "RouteName": "web"},
        ARN + "/listener/listener-1": {"ManagedBy": "me", "RouteName": "web"},
    }
    assert found[ARN] is found[ARN + "/listener/listener-1"]
    assert transport.count("GetResources") == 2


async def test_a_new_cycle_forgets_the_route_index_with_the_listing_it_indexed() -> None:
    transport = ScriptedTransport()
    tags = [{"Key": "ManagedBy", "Value": "me"}, {"Key": tag_keys.ROUTE_NAME, "Value": "web"}]
    tags.append({"Key": tag_keys.ROUTE_NAMESPACE, "Value": "default"})
    transport.on("GetResources", {"ResourceTagMappingList": [{"ResourceARN": ARN, "Tags": tags}]})
    api = LatticeApi(transport)
    inventory = LatticeInventory(api, TagStore(api, transport))
    assert set(await inventory.managed_of_route({"ManagedBy": "me"}, "web", "default")) == {ARN}
    assert len(inventory._route_index) == 1
    inventory.new_cycle()
    assert inventory._route_index == {}
    assert set(await inventory.managed_of_route({"ManagedBy": "me"}, "web", "default")) == {ARN}
    inventory.invalidate(Listing.TAGGED)
    assert inventory._route_index == {}
    assert transport.count("GetResources") == 2


def test_targets_are_kept_as_tuples_and_given_back_as_their_items() -> None:
    listed = [
        {"id": "10.0.0.1", "port": 8090, "status": _fresh("HEALTHY"), "reasonCode": "x"},
        {"id": "10.0.0.2", "port": 8090, "status": _fresh("HEALTHY")},
        {"id": "10.0.0.3"},
    ]
    kept = compact_items(Listing.TARGETS, listed)
    assert kept == [("10.0.0.1", 8090, "HEALTHY"), ("10.0.0.2", 8090, "HEALTHY"), ("10.0.0.3", 0, None)]
    assert kept[0][2] is kept[1][2]
    assert [target_item(t) for t in kept] == [
        {"id": "10.0.0.1", "port": 8090, "status": "HEALTHY"},
        {"id": "10.0.0.2", "port": 8090, "status": "HEALTHY"},
        {"id": "10.0.0.3", "port": 0},
    ]
