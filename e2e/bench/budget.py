"""Budget verdicts and exit statuses of the benchmark programs: pure, no process, no I/O but `print`.

Every program prints one PASS/MISS line per budget it checks and exits 0 when all are met, 1 when one is
missed and 2 when the run itself failed (nothing or only part of it measured). `idle_cycle_checks` is the
budget of one idle periodic resync cycle (`e2e.bench.memory --attached --resync`): the cycle finished,
nothing written, each account-wide listing fetched at most once, each scoped listing at most once per
scope, and no read but those listings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

EXIT_MET = 0
EXIT_MISSED = 1
EXIT_FAILED = 2


@dataclass(frozen=True, slots=True)
class Check:
    budget: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'MISS'}  {self.budget}: {self.detail}"


def verdict(budget: str, ok: bool, detail: str) -> bool:
    """Print the PASS/MISS line of one budget; returns ``ok`` (callers fold it into their exit status)."""
    print(Check(budget, ok, detail).line())
    return ok


def exit_status(checks: Iterable[Check | bool], *, failed: bool = False) -> int:
    """2 when the run failed or checked nothing, else 1 when any budget was missed, else 0."""
    outcomes = [c.ok if isinstance(c, Check) else c for c in checks]
    if failed or not outcomes:
        return EXIT_FAILED
    return EXIT_MET if all(outcomes) else EXIT_MISSED


# Lattice reads with an account-wide form (each one paginated listing per cycle), by operation.
ACCOUNT_WIDE_READS = (
    "ListServices",
    "ListServiceNetworks",
    "ListTargetGroups",
    "GetResources",
    "ListServiceNetworkVpcAssociations",
)
# The reads Lattice has no account-wide form of: a service's listeners and associations, a listener's
# rules, a target group's targets (one each per scope and cycle).
FORCED_READS = (
    "ListListeners",
    "ListServiceNetworkServiceAssociations",
    "ListRules",
    "ListTargets",
)
# The inventory's listings (`lattice_inventory_listings_total{listing}`) of each kind.
ACCOUNT_WIDE_LISTINGS = ("services", "service-networks", "target-groups", "target-group-tags", "tagged")
SCOPED_LISTINGS = ("listeners", "rules", "targets", "service-associations", "vpc-associations")


@dataclass(frozen=True, slots=True)
class IdleCycle:
    """What one idle resync cycle cost, as the bench counted it."""

    complete: bool
    seconds: float
    reads: Mapping[str, int]  # AWS calls by operation, every page counted
    writes: Mapping[str, int]
    kube_writes: Mapping[str, int]
    listings: Mapping[str, int]  # inventory listings by kind, all pages of one counted once
    scopes: int  # services, listeners and target groups each (one of each per route in the bench)


def idle_cycle_checks(cycle: IdleCycle) -> list[Check]:
    forced = {op: cycle.reads.get(op, 0) for op in FORCED_READS}
    others = {
        op: n
        for op, n in cycle.reads.items()
        if n and op not in FORCED_READS and op not in ACCOUNT_WIDE_READS
    }
    wide = {name: cycle.listings.get(name, 0) for name in ACCOUNT_WIDE_LISTINGS}
    pages = {op: cycle.reads.get(op, 0) for op in ACCOUNT_WIDE_READS}
    scoped = {name: cycle.listings.get(name, 0) for name in SCOPED_LISTINGS}
    return [
        Check(
            "idle resync: the cycle finished (every key handled)", cycle.complete, f"{cycle.seconds:.1f} s"
        ),
        Check(
            "idle resync: 0 AWS writes, 0 Kubernetes writes",
            not any(cycle.writes.values()) and not any(cycle.kube_writes.values()),
            f"AWS {dict(cycle.writes) or 0}, Kubernetes {dict(cycle.kube_writes) or 0}",
        ),
        Check(
            "idle resync: account-wide listings <= one paginated list each per cycle",
            all(n <= 1 for n in wide.values()),
            ", ".join(f"{name}x{n}" for name, n in wide.items())
            + "; calls (pages): "
            + ", ".join(f"{op}x{n}" for op, n in pages.items()),
        ),
        Check(
            f"idle resync: scoped listings <= one per scope per cycle ({cycle.scopes} scopes of each kind)",
            all(n <= cycle.scopes for n in scoped.values()),
            ", ".join(f"{name}x{n}" for name, n in scoped.items()),
        ),
        Check(
            f"idle resync: route-scoped reads only the {len(FORCED_READS)} lists Lattice forces, each <= "
            "one page per scope, no other read",
            all(n <= cycle.scopes for n in forced.values()) and not others,
            ", ".join(f"{op}x{n}" for op, n in {**forced, **others}.items()),
        ),
    ]
