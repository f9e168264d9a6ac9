"""LatticeApi request shaping, target batching, write observation, and the call ledger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from lattice_controller.aws import errors
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.metrics import CallLedger, attempt_error_code, is_read_operation
from lattice_controller.aws.testing import ScriptedTransport, UnscriptedCall


async def test_create_passes_client_token_and_drops_unset_members() -> None:
    transport = ScriptedTransport(default={})
    api = LatticeApi(transport)

    await api.create_service("route-ns", client_token="tok-1", customDomainName=None, authType="NONE")
    await api.create_listener(
        "svc-1", "route-ns-80-http", "HTTP", {"fixedResponse": {"statusCode": 404}}, client_token="tok-2"
    )

    assert transport.params_of("CreateService") == [
        {"name": "route-ns", "clientToken": "tok-1", "authType": "NONE"}
    ]
    assert "port" not in transport.params_of("CreateListener")[0]
    assert transport.params_of("CreateListener")[0]["clientToken"] == "tok-2"


async def test_targets_are_sent_in_batches_of_100_and_results_merged() -> None:
    transport = ScriptedTransport()
    transport.on("RegisterTargets", lambda p: {"successful": p["targets"], "unsuccessful": []})
    targets = [{"id": f"10.0.0.{i}", "port": 80} for i in range(201)]

    result = await LatticeApi(transport).register_targets("tg-1", targets)

    assert [len(p["targets"]) for p in transport.params_of("RegisterTargets")] == [100, 100, 1]
    assert result["successful"] == targets
    assert transport.count("RegisterTargets") == 3


async def test_no_targets_means_no_call() -> None:
    transport = ScriptedTransport()
    result = await LatticeApi(transport).deregister_targets("tg-1", [])
    assert result == {"successful": [], "unsuccessful": []}
    assert transport.calls == []


async def test_observers_see_successful_writes_only() -> None:
    transport = ScriptedTransport()
    transport.on("DeleteService", {"id": "svc-1", "arn": "arn:svc-1", "status": "DELETE_IN_PROGRESS"})
    transport.on("ListServices", {"items": []})
    transport.fail("DeleteListener", "ResourceNotFoundException")
    seen: list[tuple[str, Mapping[str, Any], Mapping[str, Any]]] = []
    api = LatticeApi(transport)
    api.add_write_observer(lambda op, params, response: seen.append((op, params, response)))

    await api.list_services()
    await api.delete_service("svc-1")
    with pytest.raises(errors.NotFound):
        await api.delete_listener("svc-1", "listener-1")

    assert [(op, dict(params)) for op, params, _ in seen] == [
        ("DeleteService", {"serviceIdentifier": "svc-1"})
    ]


async def test_scripted_failures_can_be_transient() -> None:
    transport = ScriptedTransport()
    transport.on("GetService", {"id": "svc-1"})
    transport.fail("GetService", "ThrottlingException", times=1)
    api = LatticeApi(transport)

    with pytest.raises(errors.Throttled):
        await api.get_service("svc-1")
    assert (await api.get_service("svc-1"))["id"] == "svc-1"


async def test_unscripted_calls_are_loud() -> None:
    with pytest.raises(UnscriptedCall):
        await LatticeApi(ScriptedTransport()).get_service("svc-1")


def test_ledger_splits_reads_and_writes() -> None:
    ledger = CallLedger()
    for operation in (
        "ListServices",
        "GetRule",
        "CreateService",
        "CreateRule",
        "DescribeTags",
        "TagResource",
    ):
        ledger.record_call("vpc-lattice", operation)
    ledger.record_call("vpc-lattice", "ListServices")

    assert (ledger.total(), ledger.reads(), ledger.writes()) == (7, 4, 3)
    assert ledger.count("ListServices") == 2
    assert ledger.by_operation()["CreateRule"] == 1
    assert is_read_operation("GetResources")
    assert not is_read_operation("BatchUpdateRule")


@pytest.mark.parametrize(
    ("status", "parsed", "exception", "expected"),
    [
        (200, {}, None, ""),
        (429, {"Error": {"Code": "ThrottlingException"}}, None, "ThrottlingException"),
        (500, {"Error": {}}, None, "500"),
        (0, None, OSError("refused"), "internal"),
    ],
)
def test_attempt_error_code(
    status: int, parsed: dict[str, Any] | None, exception: BaseException | None, expected: str
) -> None:
    assert attempt_error_code(status, parsed, exception) == expected
