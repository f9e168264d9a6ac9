"""Route workers vs convergence time and AWS call rate: `python -m e2e.bench.concurrency`.

`--routes` HTTPRoutes (1 rule, 1 selector-less Service backend with 2 endpoints each) exist in
Kubernetes. For each worker count W (`--workers`, default 1 2 4 8): stop the controller, reset the
fake AWS account (every Lattice resource gone), pre-create the service network `app-network` with its
VPC association (so no route waits for the network), clear the routes' service-ARN annotations,
inject a uniform random latency of `--latency-low`..`--latency-high` seconds on every AWS call, then
start the controller with ROUTE_MAX_CONCURRENT_RECONCILES=W (and GATEWAY_MAX_CONCURRENT_RECONCILES=W)
and time from its first AWS call (process start-up excluded) to its last AWS write, once every route
has its Lattice service and registered targets; the run ends after 3 s without any AWS call.

The call rate is sampled from the fake's counters every 0.05 s: average and peak calls per second over
any 1 s window, overall and for the busiest single operation (throttling is per API in AWS).
`--throttle RATE` adds a token bucket of RATE calls/s (burst RATE) to every Lattice operation, to see
what a per-API rate limit does to each worker count (throttled calls are retried by the SDK).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import deque
from dataclasses import dataclass

from e2e.bench.budget import EXIT_FAILED, exit_status, verdict
from e2e.bench.stack import (
    DISCOVERY,
    GATEWAY,
    GATEWAY_API,
    NAMESPACE,
    BenchStack,
    endpoint_slice_body,
    http_route_body,
    is_read,
    pod_ip,
    print_table,
    route_rule,
    service_body,
)
from e2e.harness.controller import CLUSTER_VPC_ID, MANAGED_BY
from e2e.harness.lattice_view import MANAGED_BY_KEY, lattice_client

ROUTES = f"{GATEWAY_API}/namespaces/{NAMESPACE}/httproutes"
ANNOTATION = "application-networking.k8s.aws/lattice-service-arn"
CREATE_SERVICE = "vpc-lattice:CreateService"
REGISTER = "vpc-lattice:RegisterTargets"
THROTTLED_OPERATIONS = (
    "CreateService",
    "CreateServiceNetworkServiceAssociation",
    "CreateTargetGroup",
    "CreateListener",
    "CreateRule",
    "RegisterTargets",
    "ListServices",
    "ListTargetGroups",
    "ListListeners",
    "ListRules",
    "ListTargets",
    "ListServiceNetworkServiceAssociations",
    "GetRule",
    "GetTargetGroup",
)


@dataclass(frozen=True, slots=True)
class Run:
    workers: int
    seconds: float
    calls: int
    writes: int
    mean_rate: float
    peak_rate: float
    peak_op: str
    peak_op_rate: float
    errors: float
    reads: dict[str, int]
    trailing_reads: int  # reads after the last write (re-reconciles after the controller's own patches)
    reconciles: float
    throttled: int


def _window_peak(samples: deque[tuple[float, dict[str, int]]], key: str | None) -> float:
    """Largest increase of one counter (or of the total) over any 1 s span of the samples."""

    def value(counts: dict[str, int]) -> int:
        return sum(counts.values()) if key is None else counts.get(key, 0)

    points = list(samples)
    peak = 0.0
    j = 0
    for i, (t, counts) in enumerate(points):
        while points[j][0] < t - 1.0:
            j += 1
        if i > j:
            span = max(t - points[j][0], 1.0)
            peak = max(peak, (value(counts) - value(points[j][1])) / span)
    return peak


class ConcurrencyBench:
    def __init__(self, stack: BenchStack, routes: int, low: float, high: float, throttle: float) -> None:
        self.stack = stack
        self.routes = routes
        self.low, self.high = low, high
        self.throttle = throttle

    def create_routes(self) -> None:
        rest = self.stack.rest
        for i in range(self.routes):
            rest.create(f"/api/v1/namespaces/{NAMESPACE}/services", service_body(f"c-{i}"))
            rest.create(
                f"{DISCOVERY}/namespaces/{NAMESPACE}/endpointslices",
                endpoint_slice_body(f"c-{i}", [pod_ip(2 * i), pod_ip(2 * i + 1)]),
            )
            rest.create(ROUTES, http_route_body(f"c-{i}", [route_rule(0, [(f"c-{i}", 1)])]))

    def fresh_account(self) -> None:
        admin = self.stack.admin
        admin.reset()
        client = lattice_client(self.stack.fake.endpoint)
        network = client.create_service_network(name=GATEWAY, tags={MANAGED_BY_KEY: MANAGED_BY})
        client.create_service_network_vpc_association(
            serviceNetworkIdentifier=network["id"],
            vpcIdentifier=CLUSTER_VPC_ID,
            tags={MANAGED_BY_KEY: MANAGED_BY},
        )
        admin.reset_counters()
        admin.set_latency(low=self.low, high=self.high)
        if self.throttle > 0:
            for operation in THROTTLED_OPERATIONS:
                admin.set_throttle(f"vpc-lattice:{operation}", self.throttle, burst=self.throttle)

    def clear_annotations(self) -> None:
        rest = self.stack.rest
        for i in range(self.routes):
            rest.request(
                "PATCH",
                f"{ROUTES}/c-{i}",
                {"metadata": {"annotations": {ANNOTATION: None}}},
                content_type="application/merge-patch+json",
            )

    def run(self, workers: int, timeout: float) -> Run:
        stack = self.stack
        stack.stop_controller()
        self.fresh_account()
        self.clear_annotations()
        stack.start_controller(
            wait_ready=False,
            ROUTE_MAX_CONCURRENT_RECONCILES=str(workers),
            GATEWAY_MAX_CONCURRENT_RECONCILES=str(workers),
        )
        launched = time.monotonic()
        began: float | None = None
        samples: deque[tuple[float, dict[str, int]]] = deque()
        last_writes, last_write_at = 0, launched
        last_total, last_call_at = 0, launched
        while True:
            time.sleep(0.05)
            now = time.monotonic()
            counts = stack.admin.counters()
            if not counts:
                if now - launched > 60:
                    raise TimeoutError(f"W={workers}: no AWS call within 60 s of start")
                continue
            if began is None:
                began = now
                samples.append((now, {}))
            samples.append((now, counts))
            writes = sum(n for k, n in counts.items() if not is_read(k))
            if writes != last_writes:
                last_writes, last_write_at = writes, now
            total_now = sum(counts.values())
            if total_now != last_total:
                last_total, last_call_at = total_now, now
            done = counts.get(CREATE_SERVICE, 0) >= self.routes and counts.get(REGISTER, 0) >= self.routes
            if done and now - last_call_at >= 3.0:
                break
            if now - began > timeout:
                raise TimeoutError(
                    f"W={workers}: {counts.get(CREATE_SERVICE, 0)} services, "
                    f"{counts.get(REGISTER, 0)} registrations after {timeout:.0f} s"
                )
        assert began is not None
        seconds = last_write_at - began
        busy = [s for s in samples if s[0] <= last_write_at]
        final = busy[-1][1]
        after_quiet = samples[-1][1]
        ops = [k for k in final if k.startswith("vpc-lattice:") or k.startswith("tag:")]
        op_peaks = {k: _window_peak(deque(busy), k) for k in ops}
        peak_op = max(op_peaks, key=lambda k: op_peaks[k]) if op_peaks else "-"
        errors = stack.metric("controller_runtime_reconcile_errors_total", controller="httproute")
        total = sum(final.values())
        return Run(
            workers,
            seconds,
            total,
            sum(n for k, n in final.items() if not is_read(k)),
            total / max(seconds, 0.001),
            _window_peak(deque(busy), None),
            peak_op.split(":", 1)[-1],
            op_peaks.get(peak_op, 0.0),
            errors,
            {k.split(":", 1)[-1]: n for k, n in final.items() if is_read(k)},
            sum(after_quiet.values()) - total,
            stack.metric("controller_runtime_reconcile_total", controller="httproute"),
            sum(stack.admin.faults().get("injected", {}).get("throttled", {}).values()),
        )


def recommend(runs: list[Run]) -> tuple[int, str]:
    """The smallest worker count within 15 % of the fastest run's time."""
    fastest = min(r.seconds for r in runs)
    chosen = min((r for r in runs if r.seconds <= fastest * 1.15), key=lambda r: r.workers)
    return chosen.workers, f"fastest {fastest:.1f} s; {chosen.workers} workers take {chosen.seconds:.1f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m e2e.bench.concurrency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--routes", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--latency-low", type=float, default=0.03, help="seconds")
    parser.add_argument("--latency-high", type=float, default=0.08, help="seconds")
    parser.add_argument("--timeout", type=float, default=240.0, help="per worker count, seconds")
    parser.add_argument("--throttle", type=float, default=0.0, help="calls/s per Lattice operation (0: off)")
    args = parser.parse_args(argv)
    try:
        stack = BenchStack.start("concurrency")
    except Exception as exc:
        print(f"could not start the benchmark stack: {exc}", file=sys.stderr)
        return 2
    runs: list[Run] = []
    failed = False
    try:
        stack.start_controller()
        stack.wait_gateway_programmed()
        bench = ConcurrencyBench(stack, args.routes, args.latency_low, args.latency_high, args.throttle)
        bench.create_routes()
        for workers in args.workers:
            runs.append(bench.run(workers, args.timeout))
            print(f"W={workers}: {runs[-1].seconds:.1f} s", flush=True)
    except Exception as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        failed = True
    finally:
        stack.close()
    if not runs:
        return EXIT_FAILED

    print(
        f"\n{args.routes} routes from an empty account, AWS latency "
        f"{args.latency_low * 1000:.0f}-{args.latency_high * 1000:.0f} ms per call"
        + (f", throttled at {args.throttle:.0f} calls/s per operation" if args.throttle else "")
    )
    base = runs[0].seconds
    print_table(
        [
            "workers",
            "converged s",
            "speed-up",
            "AWS calls",
            "writes",
            "reads after",
            "calls/s mean",
            "calls/s peak",
            "busiest op peak/s",
            "route reconciles",
            "errors",
            "throttled",
        ],
        [
            [
                r.workers,
                f"{r.seconds:.1f}",
                f"{base / r.seconds:.2f}x",
                r.calls,
                r.writes,
                r.trailing_reads,
                f"{r.mean_rate:.1f}",
                f"{r.peak_rate:.0f}",
                f"{r.peak_op} {r.peak_op_rate:.0f}",
                f"{r.reconciles:.0f}",
                f"{r.errors:.0f}",
                r.throttled,
            ]
            for r in runs
        ],
    )
    ops = sorted({op for r in runs for op in r.reads})
    print("'AWS calls' count until the last write; 'reads after': calls after it, until 3 s without any call")
    print("\nreads per operation (until the last write)")
    print_table(
        ["operation", *(f"W={r.workers}" for r in runs)],
        [[op, *(r.reads.get(op, 0) for r in runs)] for op in ops],
    )
    calls_per_route = statistics.median(r.calls / args.routes for r in runs)
    print(f"\nAWS calls per route (median over runs): {calls_per_route:.1f}")
    workers, why = recommend(runs)
    print(
        f"RECOMMEND  ROUTE_MAX_CONCURRENT_RECONCILES={workers} ({why}; the smallest count within 15 % of it)"
    )
    same_calls = max(r.calls for r in runs) <= 1.1 * min(r.calls for r in runs)
    ok = verdict(
        "calls do not grow with workers (no duplicate work)",
        same_calls,
        f"{min(r.calls for r in runs)}..{max(r.calls for r in runs)} calls",
    )
    # A worker count that did not finish was not measured: the figures printed are partial.
    return exit_status([ok], failed=failed)


if __name__ == "__main__":
    sys.exit(main())
