"""Pagination helpers and the facades' use of them (in-memory transport)."""

from __future__ import annotations

from typing import Any

import pytest

from lattice_controller.aws.acm import AcmApi
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.pagination import PaginationLoop, collect_pages
from lattice_controller.aws.tagging import TagStore
from lattice_controller.aws.testing import ScriptedTransport


async def test_collects_until_the_token_is_missing_or_empty() -> None:
    answers = {None: {"items": [{"n": 1}], "nextToken": "a"}, "a": {"items": [{"n": 2}], "nextToken": ""}}
    seen: list[str | None] = []

    async def page(token: str | None) -> dict[str, Any]:
        seen.append(token)
        return answers[token]

    assert await collect_pages(page, items_key="items", token_key="nextToken") == [{"n": 1}, {"n": 2}]
    assert seen == [None, "a"]


async def test_empty_pages_with_tokens_are_followed() -> None:
    answers: dict[str | None, dict[str, Any]] = {
        None: {"nextToken": "a"},
        "a": {"items": [], "nextToken": "b"},
        "b": {"items": [{"n": 1}]},
    }

    async def page(token: str | None) -> dict[str, Any]:
        return answers[token]

    assert await collect_pages(page, items_key="items", token_key="nextToken") == [{"n": 1}]


async def test_a_repeated_token_is_an_error_not_a_hang() -> None:
    async def page(token: str | None) -> dict[str, Any]:
        return {"items": [{}], "nextToken": "same"}

    with pytest.raises(PaginationLoop):
        await collect_pages(page, items_key="items", token_key="nextToken")


async def test_lattice_lists_follow_next_token_and_keep_filters() -> None:
    transport = ScriptedTransport()
    transport.pages("ListTargetGroups", [[{"id": "tg-1"}], [{"id": "tg-2"}], [{"id": "tg-3"}]])

    groups = await LatticeApi(transport).list_target_groups(vpc_id="vpc-1")

    assert [g["id"] for g in groups] == ["tg-1", "tg-2", "tg-3"]
    assert transport.params_of("ListTargetGroups") == [
        {"vpcIdentifier": "vpc-1"},
        {"vpcIdentifier": "vpc-1", "nextToken": "page-1"},
        {"vpcIdentifier": "vpc-1", "nextToken": "page-2"},
    ]


@pytest.mark.parametrize(
    ("method", "operation", "args"),
    [
        ("list_services", "ListServices", ()),
        ("list_service_networks", "ListServiceNetworks", ()),
        ("list_listeners", "ListListeners", ("svc-1",)),
        ("list_rules", "ListRules", ("svc-1", "listener-1")),
        ("list_targets", "ListTargets", ("tg-1",)),
        ("list_service_network_service_associations", "ListServiceNetworkServiceAssociations", ()),
        ("list_service_network_vpc_associations", "ListServiceNetworkVpcAssociations", ()),
        ("list_access_log_subscriptions", "ListAccessLogSubscriptions", ("svc-1",)),
    ],
)
async def test_every_list_collects_all_pages(method: str, operation: str, args: tuple[str, ...]) -> None:
    transport = ScriptedTransport()
    transport.pages(operation, [[{"id": "x1"}, {"id": "x2"}], [{"id": "x3"}]])

    items = await getattr(LatticeApi(transport), method)(*args)

    assert [i["id"] for i in items] == ["x1", "x2", "x3"]
    assert transport.count(operation) == 2


async def test_tagging_api_pages_use_pagination_token() -> None:
    transport = ScriptedTransport()
    mappings: list[list[dict[str, Any]]] = [
        [{"ResourceARN": "arn:a", "Tags": [{"Key": "k", "Value": "1"}]}],
        [{"ResourceARN": "arn:b"}],
    ]
    transport.pages("GetResources", mappings, items_key="ResourceTagMappingList", token_key="PaginationToken")
    store = TagStore(LatticeApi(transport), transport)

    found = await store.tagged_resources("vpc-lattice:targetgroup", {"k": "1"})

    assert found == {"arn:a": {"k": "1"}, "arn:b": {}}
    assert transport.params_of("GetResources")[1]["PaginationToken"] == "page-1"
    assert transport.params_of("GetResources")[0]["TagFilters"] == [{"Key": "k", "Values": ["1"]}]


async def test_acm_lists_issued_certificates_across_pages() -> None:
    transport = ScriptedTransport()
    transport.pages(
        "ListCertificates",
        [[{"CertificateArn": "arn:1"}], [{"CertificateArn": "arn:2"}]],
        items_key="CertificateSummaryList",
        token_key="NextToken",
    )

    certificates = await AcmApi(transport).list_certificates()

    assert [c["CertificateArn"] for c in certificates] == ["arn:1", "arn:2"]
    assert transport.params_of("ListCertificates")[0] == {"CertificateStatuses": ["ISSUED"]}
