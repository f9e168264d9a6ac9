"""The ListTagsForResource cache (LRU 1000, 60 s TTL) and TagStore in both lookup modes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from lattice_controller.aws import errors
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.tagging import TagCache, TagStore
from lattice_controller.aws.testing import ScriptedTransport


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_the_ttl() -> None:
    clock = FakeClock()
    cache = TagCache(ttl_seconds=60, clock=clock)
    cache.put("arn:a", {"k": "v"})

    clock.now += 59.9
    assert cache.get("arn:a") == {"k": "v"}
    clock.now += 0.1
    assert cache.get("arn:a") is None
    assert len(cache) == 0


def test_least_recently_used_entry_is_evicted() -> None:
    cache = TagCache(max_entries=2)
    cache.put("arn:a", {})
    cache.put("arn:b", {})
    assert cache.get("arn:a") == {}
    cache.put("arn:c", {})

    assert cache.get("arn:b") is None
    assert cache.get("arn:a") == {}
    assert cache.get("arn:c") == {}


def test_cached_values_are_copies() -> None:
    cache = TagCache()
    cache.put("arn:a", {"k": "v"})
    got = cache.get("arn:a")
    assert got is not None
    got["k"] = "changed"
    assert cache.get("arn:a") == {"k": "v"}


def lattice_tags(store: dict[str, dict[str, str]]) -> ScriptedTransport:
    transport = ScriptedTransport(default={})
    transport.on("ListTagsForResource", lambda p: {"tags": store.get(p["resourceArn"], {})})
    return transport


@pytest.mark.parametrize("use_tagging_api", [True, False])
async def test_own_writes_invalidate_the_cache_in_both_modes(use_tagging_api: bool) -> None:
    transport = lattice_tags({"arn:svc": {"a": "1"}})
    transport.on("TagResources", {"FailedResourcesMap": {}})
    transport.on("UntagResources", {})
    store = TagStore(LatticeApi(transport), transport, use_tagging_api=use_tagging_api)

    await store.tags_of("arn:svc")
    await store.tags_of("arn:svc")
    assert transport.count("ListTagsForResource") == 1
    await store.tag("arn:svc", {"b": "2"})
    await store.tags_of("arn:svc")
    await store.untag("arn:svc", ["a"])
    await store.tags_of("arn:svc")

    assert transport.count("ListTagsForResource") == 3
    write_ops = ("TagResources", "UntagResources") if use_tagging_api else ("TagResource", "UntagResource")
    assert [transport.count(op) for op in write_ops] == [1, 1]


async def test_deletes_invalidate_the_deleted_arn() -> None:
    transport = lattice_tags({"arn:svc": {"a": "1"}})
    transport.on("DeleteService", {"id": "svc-1", "arn": "arn:svc"})
    api = LatticeApi(transport)
    store = TagStore(api, transport)
    await store.tags_of("arn:svc")

    await api.delete_service("svc-1")

    assert store.cache.get("arn:svc") is None


async def test_empty_writes_make_no_call() -> None:
    transport = ScriptedTransport()
    store = TagStore(LatticeApi(transport), transport)
    await store.tag("arn:x", {})
    await store.untag("arn:x", [])
    assert transport.calls == []


async def test_tagging_api_partial_failure_raises() -> None:
    transport = ScriptedTransport()
    failed = {"arn:x": {"ErrorCode": "InvalidParameterException", "ErrorMessage": "bad"}}
    transport.on("TagResources", {"FailedResourcesMap": failed})
    store = TagStore(LatticeApi(transport), transport)
    with pytest.raises(errors.ValidationFailed):
        await store.tag("arn:x", {"k": "v"})


async def test_arn_lists_go_in_chunks_of_100() -> None:
    transport = ScriptedTransport()

    def answer(params: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "ResourceTagMappingList": [
                {"ResourceARN": arn, "Tags": [{"Key": "n", "Value": arn}]}
                for arn in params["ResourceARNList"][:1]
            ]
        }

    transport.on("GetResources", answer)
    arns = [f"arn:tg/{i}" for i in range(250)]
    store = TagStore(LatticeApi(transport), transport)

    found = await store.tags_of_many(arns)

    assert [len(p["ResourceARNList"]) for p in transport.params_of("GetResources")] == [100, 100, 50]
    assert found["arn:tg/0"] == {"n": "arn:tg/0"}
    assert found["arn:tg/1"] == {}
    assert len(found) == 250


async def test_lattice_mode_finds_target_groups_by_listing_and_tag_reads() -> None:
    transport = lattice_tags({"arn:1": {"k": "v", "x": "1"}, "arn:2": {"k": "other"}})
    transport.on("ListTargetGroups", {"items": [{"arn": "arn:1"}, {"arn": "arn:2"}, {"arn": "arn:3"}]})
    store = TagStore(LatticeApi(transport), transport, use_tagging_api=False)

    assert await store.find_target_groups({"k": "v"}, vpc_id="vpc-1") == {"arn:1": {"k": "v", "x": "1"}}
    assert await store.find_target_groups({}, vpc_id="vpc-1") == {}
    assert transport.params_of("ListTargetGroups") == [{"vpcIdentifier": "vpc-1"}]
    assert transport.count("ListTagsForResource") == 3


async def test_tagged_resources_refuses_without_the_tagging_api() -> None:
    transport = ScriptedTransport()
    store = TagStore(LatticeApi(transport), transport, use_tagging_api=False)
    with pytest.raises(RuntimeError):
        await store.tagged_resources("vpc-lattice:targetgroup")
