"""The start-up permission check: what is needed, one line naming what is denied, readiness, re-checks."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiohttp

from lattice_controller._kits.clock import FakeClock, settle
from lattice_controller.kube import kinds as k
from lattice_controller.kube.access import Access, describe, needed_access, on_kind
from lattice_controller.kube.errors import KubeError
from lattice_controller.runtime.http import HttpServer, Probes, probe_app
from lattice_controller.runtime.permissions import PermissionCheck

GRANTS_LIST = on_kind(k.REFERENCE_GRANT, ("list", "watch"))


class Recorder:
    """A structlog-like logger keeping (level, message) pairs."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __getattr__(self, level: str) -> Any:
        return lambda message, **_: self.lines.append((level, message))


class Rbac:
    """Denies what is in ``denied``; counts the reviews asked."""

    def __init__(self, denied: Sequence[Access] = ()) -> None:
        self.denied = set(denied)
        self.asked = 0

    async def review(self, accesses: Sequence[Access]) -> list[Access]:
        self.asked += 1
        return [a for a in accesses if a in self.denied]


def test_needed_access_lists_reads_writes_events_and_the_lease() -> None:
    needed = needed_access(
        watched=[k.HTTP_ROUTE, k.SERVICE],
        patched=[k.HTTP_ROUTE],
        status_patched=[k.GATEWAY_CLASS],
        lease_namespace="system",
    )
    assert describe(needed) == (
        "list, watch, get, patch httproutes.gateway.networking.k8s.io; list, watch services; "
        "patch gatewayclasses/status.gateway.networking.k8s.io; create, patch events; "
        "get, create, update leases.coordination.k8s.io in namespace system"
    )
    without_election = needed_access(watched=[], patched=[], status_patched=[], lease_namespace=None)
    assert [a.resource for a in without_election] == ["events", "events"]


def test_access_review_body_names_the_subresource_and_namespace() -> None:
    access = Access("gateway.networking.k8s.io", "httproutes", "patch", "status", "ns1")
    assert access.review()["spec"] == {
        "resourceAttributes": {
            "verb": "patch",
            "group": "gateway.networking.k8s.io",
            "resource": "httproutes",
            "subresource": "status",
            "namespace": "ns1",
        }
    }


async def test_missing_required_permission_is_one_line_and_fails_readiness() -> None:
    rbac, log = Rbac(GRANTS_LIST), Recorder()
    check = PermissionCheck(
        rbac.review,
        [*GRANTS_LIST, *on_kind(k.SERVICE, ("list",))],
        hints={(k.REFERENCE_GRANT.group, "referencegrants"): "or set ENFORCE_REFERENCE_GRANTS=false"},
        logger=log,
    )
    await check.check()
    reason = (
        "missing permissions: list, watch referencegrants.gateway.networking.k8s.io; "
        "manifests/rbac.yaml grants them (or set ENFORCE_REFERENCE_GRANTS=false)"
    )
    assert check.readiness() == reason
    assert log.lines == [("error", f"{reason}; not ready until they are granted")]
    await check.check()  # unchanged: said once
    assert len(log.lines) == 1


async def test_optional_permission_denied_does_not_block() -> None:
    rbac, log = Rbac(GRANTS_LIST), Recorder()
    check = PermissionCheck(
        rbac.review, on_kind(k.SERVICE, ("list",)), GRANTS_LIST, optional_note="not needed", logger=log
    )
    await check.check()
    assert check.readiness() is True
    assert check.missing_optional == tuple(GRANTS_LIST)
    assert log.lines == [
        (
            "warning",
            "optional permissions missing: list, watch referencegrants.gateway.networking.k8s.io; "
            "not using them (not needed); manifests/rbac.yaml grants them",
        )
    ]


async def test_watch_asks_again_until_granted() -> None:
    clock, rbac, log = FakeClock(), Rbac(GRANTS_LIST), Recorder()
    check = PermissionCheck(rbac.review, GRANTS_LIST, interval=10.0, clock=clock, logger=log)
    await check.check()
    watcher = asyncio.create_task(check.watch())
    await settle()
    clock.advance(10.0)
    await settle()
    assert rbac.asked == 2
    assert not watcher.done()
    rbac.denied.clear()
    clock.advance(10.0)
    await settle()
    assert watcher.done()
    assert check.readiness() is True
    assert log.lines[-1] == ("info", "missing permissions granted")


async def test_watch_returns_at_once_when_nothing_is_missing() -> None:
    check = PermissionCheck(Rbac().review, GRANTS_LIST, logger=Recorder())
    await check.check()
    await asyncio.wait_for(check.watch(), 1.0)


async def test_a_server_that_cannot_be_asked_does_not_block() -> None:
    async def refuse(accesses: Sequence[Access]) -> list[Access]:
        raise KubeError(403, "Forbidden", "selfsubjectaccessreviews is forbidden")

    log = Recorder()
    check = PermissionCheck(refuse, GRANTS_LIST, logger=log)
    await check.check()
    assert check.readiness() is True
    assert log.lines[0][0] == "warning"


async def test_readyz_shows_the_reason() -> None:
    check = PermissionCheck(Rbac(GRANTS_LIST).review, GRANTS_LIST, logger=Recorder())
    await check.check()
    probes = Probes()
    probes.add_readiness_check("permissions", check.readiness)
    server = HttpServer(probe_app(probes), "127.0.0.1", 0)
    await server.start()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{server.port}/readyz") as response,
        ):
            assert response.status == 500
            assert await response.text() == (
                "failed: permissions (missing permissions: list, watch "
                "referencegrants.gateway.networking.k8s.io; manifests/rbac.yaml grants them)\n"
            )
    finally:
        await server.stop()


def _composed(review: Any, **settings: Any) -> PermissionCheck:
    from lattice_controller.app import CORE_KINDS, permission_check
    from lattice_controller.settings import Settings

    served = (*k.REQUIRED_KINDS, k.REFERENCE_GRANT, *CORE_KINDS)
    return permission_check(review, Settings("r", "vpc", "1", "c", **settings), served)


async def test_the_app_needs_reference_grants_only_when_it_enforces_them() -> None:
    rbac = Rbac(GRANTS_LIST)
    enforcing = _composed(rbac.review, leader_elect=True, pod_namespace="system")
    await enforcing.check()
    assert enforcing.missing == tuple(GRANTS_LIST)
    assert "or set ENFORCE_REFERENCE_GRANTS=false" in enforcing.reason
    needed = describe(enforcing.required)
    assert "patch httproutes/status.gateway.networking.k8s.io" in needed
    assert "get, create, update leases.coordination.k8s.io in namespace system" in needed

    relaxed = _composed(rbac.review, enforce_reference_grants=False)
    await relaxed.check()
    assert relaxed.readiness() is True
    assert relaxed.missing_optional == tuple(GRANTS_LIST)
    assert "leases" not in describe(relaxed.required)


async def test_policy_status_and_dns_endpoints_are_required_when_served() -> None:
    from lattice_controller.app import CORE_KINDS, permission_check
    from lattice_controller.settings import Settings

    served = (*k.REQUIRED_KINDS, k.TARGET_GROUP_POLICY, k.DNS_ENDPOINT, *CORE_KINDS)
    needed = describe(permission_check(Rbac([]).review, Settings("r", "vpc", "1", "c"), served).required)
    assert "patch targetgrouppolicies/status.application-networking.k8s.aws" in needed
    assert "list, watch, get, patch, create dnsendpoints.externaldns.k8s.io" in needed
