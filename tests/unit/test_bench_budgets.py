"""The benchmarks' budget logic: exit statuses, and the budget of one idle resync cycle."""

from __future__ import annotations

from dataclasses import replace

import pytest

from e2e.bench.budget import (
    EXIT_FAILED,
    EXIT_MET,
    EXIT_MISSED,
    Check,
    IdleCycle,
    exit_status,
    idle_cycle_checks,
    verdict,
)


def test_exit_status_is_0_met_1_missed_2_failed_or_nothing_checked() -> None:
    met = Check("a", True, "")
    missed = Check("b", False, "")
    assert exit_status([met, met]) == EXIT_MET
    assert exit_status([met, missed]) == EXIT_MISSED
    assert exit_status([True, False]) == EXIT_MISSED
    assert exit_status([met], failed=True) == EXIT_FAILED
    assert exit_status([]) == EXIT_FAILED


def test_verdict_prints_pass_or_miss_and_returns_the_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    assert verdict("budget", True, "1 call") is True
    assert verdict("budget", False, "9 calls") is False
    out = capsys.readouterr().out
    assert out.splitlines() == ["PASS  budget: 1 call", "MISS  budget: 9 calls"]


ROUTES = 1000
IDLE = IdleCycle(
    complete=True,
    seconds=120.0,
    reads={
        "ListServices": 20,  # one listing of 20 pages
        "ListTargetGroups": 20,
        "ListServiceNetworks": 1,
        "GetResources": 60,
        "ListServiceNetworkVpcAssociations": 1,
        "ListListeners": ROUTES,
        "ListServiceNetworkServiceAssociations": ROUTES,
        "ListRules": ROUTES,
        "ListTargets": ROUTES,
    },
    writes={},
    kube_writes={},
    listings={
        "services": 1,
        "target-groups": 1,
        "service-networks": 1,
        "tagged": 1,
        "vpc-associations": 1,
        "listeners": ROUTES,
        "service-associations": ROUTES,
        "rules": ROUTES,
        "targets": ROUTES,
    },
    scopes=ROUTES,
)


def missed(cycle: IdleCycle) -> list[str]:
    return [check.budget for check in idle_cycle_checks(cycle) if not check.ok]


def test_an_idle_cycle_of_one_listing_per_type_and_the_forced_reads_meets_every_budget() -> None:
    assert missed(IDLE) == []
    assert exit_status(idle_cycle_checks(IDLE)) == EXIT_MET


def test_a_write_or_an_unfinished_cycle_misses() -> None:
    assert missed(replace(IDLE, writes={"UpdateRule": 1})) == [
        "idle resync: 0 AWS writes, 0 Kubernetes writes"
    ]
    assert missed(replace(IDLE, kube_writes={"patch httproutes/status": 1})) == [
        "idle resync: 0 AWS writes, 0 Kubernetes writes"
    ]
    assert missed(replace(IDLE, complete=False)) == ["idle resync: the cycle finished (every key handled)"]


def test_an_account_wide_listing_twice_misses_whatever_its_page_count() -> None:
    assert missed(replace(IDLE, listings={**IDLE.listings, "tagged": 2})) == [
        "idle resync: account-wide listings <= one paginated list each per cycle"
    ]
    # Many pages of one listing are one listing.
    assert missed(replace(IDLE, reads={**IDLE.reads, "GetResources": 500})) == []


def test_a_scoped_listing_twice_for_a_scope_or_any_other_read_misses() -> None:
    twice = replace(
        IDLE,
        listings={**IDLE.listings, "targets": ROUTES + 1},
        reads={**IDLE.reads, "ListTargets": ROUTES + 1},
    )
    assert len(missed(twice)) == 2
    assert missed(replace(IDLE, reads={**IDLE.reads, "GetRule": 3})) == [
        "idle resync: route-scoped reads only the 4 lists Lattice forces, each <= one page per scope, "
        "no other read"
    ]
    assert missed(replace(IDLE, reads={**IDLE.reads, "GetRule": 0})) == []
