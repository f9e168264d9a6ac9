"""EndpointSlice change → (De)RegisterTargets latency and batching: `python -m e2e.bench.targets`.

A selector-less Service `tgt` with an EndpointSlice written by this program backs one HTTPRoute. Each
change alternately adds a fresh endpoint or removes the oldest one (a merge-patch of the slice); the
latency runs from just before the PATCH is sent until the fake's counter for RegisterTargets or
DeregisterTargets moves. The fake does not time-stamp calls, so its counters are polled every
`--poll` seconds: the resolution is the poll interval plus one admin round trip (both printed).
Between changes the program waits until AWS calls have stopped for 0.5 s, so each sample is one
change on a quiet controller.

Batching: a route created for a Service with 250 ready endpoints (one slice of 250, then three slices
of 100/100/50) must register them with 3 RegisterTargets calls; emptying the 250-endpoint slice must
deregister them with 3 DeregisterTargets calls.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from typing import Any

from e2e.bench.budget import verdict
from e2e.bench.stack import (
    DISCOVERY,
    GATEWAY_API,
    NAMESPACE,
    BenchStack,
    endpoint_slice_body,
    http_route_body,
    pod_ip,
    print_table,
    route_rule,
    service_body,
    wait_for,
)
from e2e.fakeaws.client import counter_delta
from e2e.harness.lattice_view import _all, lattice_client

SLICES = f"{DISCOVERY}/namespaces/{NAMESPACE}/endpointslices"
ROUTES = f"{GATEWAY_API}/namespaces/{NAMESPACE}/httproutes"
REGISTER = "vpc-lattice:RegisterTargets"
DEREGISTER = "vpc-lattice:DeregisterTargets"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (with 30 to 100 samples p99 is the maximum or next to it)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _endpoints(ips: list[str]) -> list[dict[str, Any]]:
    return endpoint_slice_body("x", ips)["endpoints"]  # type: ignore[no-any-return]


class TargetBench:
    def __init__(self, stack: BenchStack, poll: float) -> None:
        self.stack = stack
        self.poll = poll

    def setup_service(self, name: str, slices: list[list[str]]) -> None:
        rest = self.stack.rest
        rest.create(f"/api/v1/namespaces/{NAMESPACE}/services", service_body(name))
        for n, ips in enumerate(slices):
            rest.create(SLICES, endpoint_slice_body(name, ips, name=f"{name}-{n}"))

    def create_route(self, name: str, service: str) -> None:
        self.stack.rest.create(ROUTES, http_route_body(name, [route_rule(0, [(service, 1)])]))

    def patch_slice(self, name: str, ips: list[str]) -> None:
        self.stack.rest.request(
            "PATCH",
            f"{SLICES}/{name}",
            {"endpoints": _endpoints(ips)},
            content_type="application/merge-patch+json",
        )

    def target_count(self, route: str) -> int:
        """Registered (not draining) targets of the route's target groups, read after measuring."""
        client = lattice_client(self.stack.fake.endpoint)
        arn = self.stack.route_arn(route) or ""
        groups = [tg for tg in _all(client, "list_target_groups") if arn and arn in tg.get("serviceArns", [])]
        total = 0
        for tg in groups:
            targets = _all(client, "list_targets", targetGroupIdentifier=tg["id"])
            total += sum(1 for t in targets if t.get("status") != "DRAINING")
        return total

    # --- latency ----------------------------------------------------------------------------------

    def latency(self, changes: int) -> tuple[list[float], list[int], float]:
        stack = self.stack
        ips = [pod_ip(i) for i in range(4)]
        self.setup_service("tgt", [ips])
        self.create_route("r-tgt", "tgt")
        wait_for("r-tgt registered", lambda: stack.counters_of(REGISTER) >= 1, 90, stack)
        stack.wait_quiet(quiet_seconds=1.0)
        next_ip = 1000
        samples: list[float] = []
        calls_per_change: list[int] = []
        admin_rtt: list[float] = []
        for n in range(changes):
            if n % 2 == 0:
                ips.append(pod_ip(next_ip))
                next_ip += 1
            else:
                ips.pop(0)
            before = stack.admin.counters()
            watched = before.get(REGISTER, 0) + before.get(DEREGISTER, 0)
            began = time.monotonic()
            self.patch_slice("tgt-0", ips)
            while True:
                asked = time.monotonic()
                now = stack.admin.counters()
                answered = time.monotonic()
                admin_rtt.append(answered - asked)
                if now.get(REGISTER, 0) + now.get(DEREGISTER, 0) > watched:
                    samples.append(answered - began)
                    break
                if answered - began > 30:
                    raise TimeoutError(f"change {n}: no (de)register call within 30 s")
                time.sleep(self.poll)
            stack.wait_quiet(quiet_seconds=0.5, interval=0.1)
            calls_per_change.append(sum(counter_delta(before, stack.admin.counters()).values()))
        return samples, calls_per_change, statistics.median(admin_rtt)

    # --- batching ---------------------------------------------------------------------------------

    def batch(self, name: str, slices: list[list[str]]) -> dict[str, int]:
        stack = self.stack
        self.setup_service(name, slices)
        stack.wait_quiet(quiet_seconds=1.0)
        before = stack.admin.counters()
        self.create_route(f"r-{name}", name)
        wait_for(f"r-{name} registered", lambda: stack.route_arn(f"r-{name}") is not None, 90, stack)
        stack.wait_quiet(quiet_seconds=2.0)
        return counter_delta(before, stack.admin.counters())

    def drain(self, name: str) -> dict[str, int]:
        stack = self.stack
        before = stack.admin.counters()
        self.patch_slice(f"{name}-0", [])
        wait_for("deregistered", lambda: stack.counters_of(DEREGISTER) > before.get(DEREGISTER, 0), 60, stack)
        stack.wait_quiet(quiet_seconds=2.0)
        return counter_delta(before, stack.admin.counters())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m e2e.bench.targets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--changes", type=int, default=40, help="EndpointSlice changes to time (>= 30)")
    parser.add_argument("--poll", type=float, default=0.02, help="seconds between counter polls")
    parser.add_argument("--latency-low", type=float, default=0.0, help="injected AWS latency, seconds")
    parser.add_argument("--latency-high", type=float, default=0.0, help="injected AWS latency, seconds")
    args = parser.parse_args(argv)
    try:
        stack = BenchStack.start("targets")
    except Exception as exc:
        print(f"could not start the benchmark stack: {exc}", file=sys.stderr)
        return 2
    ok = True
    try:
        stack.start_controller()
        stack.wait_gateway_programmed()
        if args.latency_high > 0:
            stack.admin.set_latency(low=args.latency_low, high=args.latency_high)
        bench = TargetBench(stack, args.poll)
        samples, calls, rtt = bench.latency(args.changes)
        one = [pod_ip(2000 + i) for i in range(250)]
        single = bench.batch("b1", [one])
        single_count = bench.target_count("r-b1")
        three = [[pod_ip(3000 + i) for i in range(s, min(s + 100, 250))] for s in range(0, 250, 100)]
        split = bench.batch("b3", three)
        split_count = bench.target_count("r-b3")
        drained = bench.drain("b1")
        left = bench.target_count("r-b1")
    except Exception as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        stack.close()

    latency = (
        f"{args.latency_low * 1000:.0f}-{args.latency_high * 1000:.0f} ms" if args.latency_high else "none"
    )
    print(
        f"\nEndpointSlice change -> (De)RegisterTargets arrival, {len(samples)} changes; "
        f"AWS latency {latency}"
    )
    print(f"resolution: poll every {args.poll * 1000:.0f} ms + admin round trip (median {rtt * 1000:.1f} ms)")
    print_table(
        ["p50 s", "p90 s", "p99 s", "max s", "min s", "AWS calls per change (median, max)"],
        [
            [
                f"{percentile(samples, 50):.3f}",
                f"{percentile(samples, 90):.3f}",
                f"{percentile(samples, 99):.3f}",
                f"{max(samples):.3f}",
                f"{min(samples):.3f}",
                f"{statistics.median(calls):.0f}, {max(calls)}",
            ]
        ],
    )
    print("\nbatching")
    rows = [
        ["route on 1 slice x 250 endpoints", single.get(REGISTER, 0), single_count, _ops(single)],
        ["route on 3 slices (100/100/50)", split.get(REGISTER, 0), split_count, _ops(split)],
        ["250-endpoint slice emptied", drained.get(DEREGISTER, 0), left, _ops(drained)],
    ]
    print_table(["scenario", "(De)RegisterTargets", "targets after", "AWS calls"], rows)
    print()
    p99 = percentile(samples, 99)
    ok &= verdict("EndpointSlice change -> (de)register sent: p99 <= 2 s", p99 <= 2.0, f"p99 {p99:.3f} s")
    ok &= verdict(
        "250 endpoints -> 3 RegisterTargets (one per 100)",
        single.get(REGISTER, 0) == 3 and split.get(REGISTER, 0) == 3 and single_count == split_count == 250,
        f"{single.get(REGISTER, 0)} and {split.get(REGISTER, 0)} calls; "
        f"{single_count}/{split_count} registered",
    )
    ok &= verdict(
        "250 endpoints removed -> 3 DeregisterTargets",
        drained.get(DEREGISTER, 0) == 3 and left == 0,
        f"{drained.get(DEREGISTER, 0)} calls; {left} targets left (not draining)",
    )
    return 0 if ok else 1


def _ops(delta: dict[str, int]) -> str:
    return ", ".join(f"{k.split(':', 1)[-1]}x{n}" for k, n in sorted(delta.items()))


if __name__ == "__main__":
    sys.exit(main())
