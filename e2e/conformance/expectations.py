"""The skip list (``docs/conformance/skip-list.txt``) and how a test's outcome is judged against it.

Each line of the skip list is ``<TestShortName> <traffic|unsupported> <one-line reason>``:

* ``unsupported``: a feature VPC Lattice cannot express; the suite is told to skip the test.
* ``traffic``: the test sends requests through the gateway, which needs the Lattice data plane (there is
  none locally). It runs: its status phase must pass; its only failures may be the requests.

Every test not listed must pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

TRAFFIC = "traffic"
UNSUPPORTED = "unsupported"

# What the suite prints when a request through the gateway never gets the expected answer
# (utils/http: the retry loop that waits for consistent responses) — and nothing else.
TRAFFIC_FAILURE = re.compile(r"timeout while waiting after \d+ attempts")
STATUS_FAILURE = "Error Trace:"


@dataclass(frozen=True, slots=True)
class Expectation:
    test: str
    kind: str
    reason: str


def parse_skip_list(text: str) -> dict[str, Expectation]:
    out: dict[str, Expectation] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3 or parts[1] not in (TRAFFIC, UNSUPPORTED):
            raise ValueError(
                f"skip list line {number}: expected '<Test> traffic|unsupported <reason>': {raw!r}"
            )
        if parts[0] in out:
            raise ValueError(f"skip list line {number}: {parts[0]} listed twice")
        out[parts[0]] = Expectation(parts[0], parts[1], parts[2])
    return out


def load_skip_list(path: Path) -> dict[str, Expectation]:
    return parse_skip_list(path.read_text())


def unsupported(expectations: dict[str, Expectation]) -> list[str]:
    return sorted(e.test for e in expectations.values() if e.kind == UNSUPPORTED)


def traffic_only(output: Iterable[str]) -> bool:
    """Did the test fail only on requests through the gateway (its status phase passed)?

    The suite's status checks fail through testify (an ``Error Trace:`` block); a request that never
    gets its expected answer ends in the request helper's timeout line.
    """
    lines = list(output)
    return any(TRAFFIC_FAILURE.search(line) for line in lines) and not any(
        STATUS_FAILURE in line for line in lines
    )


def status_failure_lines(test: str, by_subtest: Mapping[str, list[str]], tail: int = 40) -> list[str]:
    """The last ``tail`` output lines of each (sub)test of ``test`` whose status checks failed: what a
    person needs to see in CI's output to tell which condition or count was wrong."""
    prefix = f"TestConformance/{test}"
    out: list[str] = []
    for name, lines in by_subtest.items():
        if (name == prefix or name.startswith(prefix + "/")) and any(STATUS_FAILURE in x for x in lines):
            out += [f"--- {name}\n", *lines[-tail:]]
    return out


@dataclass(frozen=True, slots=True)
class Verdict:
    test: str
    outcome: str  # pass / fail / skip as the suite reported it
    ok: bool
    note: str


def judge(test: str, outcome: str, output: list[str], expectations: dict[str, Expectation]) -> Verdict:
    expected = expectations.get(test)
    if expected is None:
        if outcome == "skip":  # a feature the GatewayClass does not claim (other profiles, extended)
            return Verdict(test, outcome, True, "not run: feature not supported")
        return Verdict(test, outcome, outcome == "pass", "" if outcome == "pass" else "must pass")
    if expected.kind == UNSUPPORTED:
        return Verdict(test, outcome, outcome == "skip", f"skipped: {expected.reason}")
    if outcome == "pass":
        return Verdict(test, outcome, True, "passed (listed as traffic: remove it from the skip list)")
    if outcome == "fail" and traffic_only(output):
        return Verdict(test, outcome, True, "status phase passed; requests need the Lattice data plane")
    return Verdict(test, outcome, False, "status phase failed")
