"""The conformance skip list and how each test's outcome is judged against it."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.conformance.expectations import (
    judge,
    load_skip_list,
    parse_skip_list,
    status_failure_lines,
    traffic_only,
    unsupported,
)

TRAFFIC_FAILED = [
    "    http.go:320: 2026-12-01T02:42:29Z: Request failed, not ready yet: no VPC Lattice data plane\n",
    "    http.go:306: 2026-12-01T02:42:32Z: timeout while waiting after 3 attempts, 0/3 successes\n",
    "--- FAIL: TestConformance/HTTPRouteCrossNamespace/Simple_HTTP_request (3.00s)\n",
]
STATUS_FAILED = [
    "    helpers.go:599: ResolvedRefs condition set to Status False with Reason X, expected Status True\n",
    "        \tError Trace:\tsigs.k8s.io/gateway-api/conformance@v1.6.3/utils/kubernetes/helpers.go:615\n",
    "        \tError:      \tReceived unexpected error:\n",
]
LIST = parse_skip_list(
    "# comment\n\n"
    "HTTPRouteCrossNamespace traffic needs a data plane: requests through the gateway\n"
    "GatewaySecretReferenceGrantSpecific unsupported Lattice serves ACM certificates, not Secrets\n"
)


def test_parse_skip_list() -> None:
    assert LIST["HTTPRouteCrossNamespace"].kind == "traffic"
    assert (
        LIST["GatewaySecretReferenceGrantSpecific"].reason == "Lattice serves ACM certificates, not Secrets"
    )
    assert unsupported(LIST) == ["GatewaySecretReferenceGrantSpecific"]
    with pytest.raises(ValueError, match="line 1"):
        parse_skip_list("Test maybe because\n")
    with pytest.raises(ValueError, match="listed twice"):
        parse_skip_list("A traffic x\nA traffic y\n")


def test_the_committed_skip_list_parses_and_gives_every_entry_a_reason() -> None:
    path = Path(__file__).resolve().parents[2] / "docs/conformance/skip-list.txt"
    entries = load_skip_list(path)
    assert entries
    assert all(len(e.reason.split()) >= 3 for e in entries.values())


def test_traffic_only_failures() -> None:
    assert traffic_only(TRAFFIC_FAILED)
    assert not traffic_only(STATUS_FAILED)
    assert not traffic_only(STATUS_FAILED + TRAFFIC_FAILED)
    assert not traffic_only([])


def test_judge() -> None:
    assert judge("HTTPRouteCrossNamespace", "fail", TRAFFIC_FAILED, LIST).ok
    assert not judge("HTTPRouteCrossNamespace", "fail", STATUS_FAILED, LIST).ok
    assert judge("HTTPRouteCrossNamespace", "pass", [], LIST).ok
    assert judge("GatewaySecretReferenceGrantSpecific", "skip", [], LIST).ok
    assert not judge("GatewaySecretReferenceGrantSpecific", "fail", STATUS_FAILED, LIST).ok
    # Not listed: must pass; a traffic-only failure is a failure; a feature not claimed is not run.
    assert judge("GatewayInvalidRouteKind", "pass", [], LIST).ok
    assert not judge("GatewayInvalidRouteKind", "fail", TRAFFIC_FAILED, LIST).ok
    assert judge("HTTPRouteCORS", "skip", [], LIST).ok


def test_status_failure_lines_show_only_the_failing_subtests() -> None:
    by_subtest = {
        "TestConformance/A": ["start\n"],
        "TestConformance/A/counts": ["listener-1: attachedRoutes 1, want 2\n", "Error Trace: helpers.go:1\n"],
        "TestConformance/A/requests": ["timeout while waiting after 3 attempts\n"],
        "TestConformance/AB/other": ["Error Trace: x\n"],
    }
    lines = status_failure_lines("A", by_subtest, tail=1)
    assert lines == ["--- TestConformance/A/counts\n", "Error Trace: helpers.go:1\n"]
