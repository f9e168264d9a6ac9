"""Convergence at the throttle floor: `python -m e2e.bench.convergence`.

A burst of HTTPRoutes created at once, against an AWS endpoint that answers every call after
`--latency-low`..`--latency-high` seconds (default 50-150 ms) and throttles every Lattice operation (and
the tagging API's GetResources) separately at `--throttle` requests/s with a burst of the same size
(default 10), as AWS does per API. Workloads (`--routes N...` with one rule each, and `--rules R...` on
100 routes), each run once per `--workers W...` value:

1. stop the controller; make exactly N routes exist (selector-less Services with 2 endpoints each, one
   HTTPRoute per Service with R PathPrefix rules forwarding to it);
2. reset the fake AWS account, pre-create the network `app-network` with its VPC association, set the
   latency and the throttles, zero the counters;
3. start the controller (ROUTE_MAX_CONCURRENT_RECONCILES=W, its default client-side rate limit unless
   `--client-rate` is given) and time from its first AWS call to its last AWS write, once every route has
   its service, its rules and its registered targets and no call came for 3 s.

The floor is what the throttle allows at best: for each write operation, (successful calls - burst) ÷
rate; the run's floor is the largest (its operation is named). Reported per run: seconds and seconds ÷
floor, calls by operation, throttled calls, reconcile failures, CPU seconds of the controller process
(`process_cpu_seconds_total` between its first AWS call and the end), its peak RSS (VmHWM) and the
seconds its attempts waited for the client-side limit. `--json PATH` writes every figure.
`--profile DIR` attaches py-spy to the controller during each run and prints its top functions.

Budgets (exit 1 if missed; 2 if a run failed): every run within 1.25x its floor; no reconcile failure;
linear in N: seconds per route of the largest N within 1.25x of the smallest N's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.session import get_session

from e2e.bench.budget import verdict
from e2e.bench.profile import Profiler, top_functions
from e2e.bench.stack import (
    DISCOVERY,
    GATEWAY,
    GATEWAY_API,
    NAMESPACE,
    SERVICE_ARN_ANNOTATION,
    BenchStack,
    endpoint_slice_body,
    http_route_body,
    is_read,
    pod_ip,
    print_table,
    route_rule,
    service_body,
)
from e2e.controlplane.rest import ApiError
from e2e.harness.controller import CLUSTER_VPC_ID, MANAGED_BY
from e2e.harness.lattice_view import MANAGED_BY_KEY, lattice_client

ROUTES = f"{GATEWAY_API}/namespaces/{NAMESPACE}/httproutes"
FLOOR_BUDGET = 1.25
LINEAR_BUDGET = 1.25
RULES_ROUTES = 100


def lattice_operations() -> list[str]:
    """Every VPC Lattice API operation (each gets its own throttle bucket, as in AWS)."""
    return list(get_session().get_service_model("vpc-lattice").operation_names)


@dataclass(frozen=True, slots=True)
class Workload:
    routes: int
    rules: int

    @property
    def label(self) -> str:
        return f"{self.routes} routes x {self.rules} rule{'s' if self.rules > 1 else ''}"


@dataclass
class Run:
    workload: str
    routes: int
    rules: int
    workers: int
    seconds: float
    floor_seconds: float
    floor_operation: str
    calls: dict[str, int]
    throttled: dict[str, int]
    failures: float
    reconciles: float
    cpu_seconds: float
    peak_rss_mib: float
    client_wait_seconds: float
    profile: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds if self.floor_seconds > 0 else float("inf")

    @property
    def writes(self) -> int:
        return sum(n for k, n in self.calls.items() if not is_read(k))

    @property
    def reads(self) -> int:
        return sum(n for k, n in self.calls.items() if is_read(k))


def floor_of(successful: dict[str, int], rate: float, burst: float) -> tuple[float, str]:
    """The throttle floor: the largest (calls - burst) / rate over write operations."""
    best, name = 0.0, "-"
    for key, calls in successful.items():
        if is_read(key):
            continue
        seconds = max(0.0, calls - burst) / rate
        if seconds > best:
            best, name = seconds, key.split(":", 1)[-1]
    return best, name


def _rss_peak_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class ConvergenceBench:
    def __init__(self, stack: BenchStack, args: argparse.Namespace) -> None:
        self.stack = stack
        self.args = args
        self.existing = 0  # routes c-0 .. c-(existing-1) exist
        self.rules_of: dict[int, int] = {}
        self.operations = lattice_operations()

    # --- Kubernetes side ---------------------------------------------------------------------------

    def rules(self, index: int, count: int) -> list[dict[str, Any]]:
        return [route_rule(r, [(f"c-{index}", 1)]) for r in range(count)]

    def shape(self, workload: Workload) -> None:
        """Exactly `workload.routes` routes with `workload.rules` rules each (the controller is stopped)."""
        rest = self.stack.rest
        for i in range(workload.routes, self.existing):
            for path in (f"{ROUTES}/c-{i}", f"/api/v1/namespaces/{NAMESPACE}/services/c-{i}"):
                try:
                    rest.request(
                        "PATCH",
                        path,
                        {"metadata": {"finalizers": None}},
                        content_type="application/merge-patch+json",
                    )
                    rest.request("DELETE", path)
                except ApiError:
                    pass
            self.rules_of.pop(i, None)
        self.existing = min(self.existing, workload.routes)
        for i in range(self.existing, workload.routes):
            rest.create(f"/api/v1/namespaces/{NAMESPACE}/services", service_body(f"c-{i}"), exist_ok=True)
            rest.create(
                f"{DISCOVERY}/namespaces/{NAMESPACE}/endpointslices",
                endpoint_slice_body(f"c-{i}", [pod_ip(2 * i), pod_ip(2 * i + 1)]),
                exist_ok=True,
            )
            rest.create(ROUTES, http_route_body(f"c-{i}", self.rules(i, workload.rules)), exist_ok=True)
            self.rules_of[i] = workload.rules
        self.existing = workload.routes
        for i in range(workload.routes):
            # The account is reset between runs: the service ARN a route recorded is gone. Forget it, as a
            # route created in the burst would have none (a stale one costs a tag read per route).
            rest.request(
                "PATCH",
                f"{ROUTES}/c-{i}",
                {"metadata": {"annotations": {SERVICE_ARN_ANNOTATION: None}}},
                content_type="application/merge-patch+json",
            )
            if self.rules_of.get(i) != workload.rules:
                rest.request(
                    "PATCH",
                    f"{ROUTES}/c-{i}",
                    {"spec": {"rules": self.rules(i, workload.rules)}},
                    content_type="application/merge-patch+json",
                )
                self.rules_of[i] = workload.rules

    # --- AWS side ----------------------------------------------------------------------------------

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
        admin.set_latency(low=self.args.latency_low, high=self.args.latency_high)
        rate = self.args.throttle
        if rate > 0:
            for operation in self.operations:
                admin.set_throttle(f"vpc-lattice:{operation}", rate, burst=rate)
            admin.set_throttle("tag:GetResources", rate, burst=rate)
        admin.reset_counters()

    # --- one run -----------------------------------------------------------------------------------

    def run(self, workload: Workload, workers: int, profile_dir: Path | None) -> Run:
        stack = self.stack
        stack.stop_controller()
        self.shape(workload)
        self.fresh_account()
        env = {"ROUTE_MAX_CONCURRENT_RECONCILES": str(workers)} if workers else {}
        if self.args.client_rate is not None:
            env["AWS_API_RATE_LIMIT"] = str(self.args.client_rate)
        controller = stack.start_controller(wait_ready=False, **env)
        profiler = None
        if profile_dir is not None:  # started at the first AWS call: start-up imports are not reconciles
            profiler = Profiler(
                controller.process.pid, profile_dir / f"{workload.routes}x{workload.rules}-w{workers}.txt"
            )
        want = {
            "vpc-lattice:CreateService": workload.routes,
            "vpc-lattice:RegisterTargets": workload.routes,
            "vpc-lattice:CreateRule": workload.routes * workload.rules,
        }
        launched = time.monotonic()
        began: float | None = None
        cpu_began = 0.0
        last_write_at = last_call_at = launched
        last_writes = last_total = 0
        timeout = self.args.timeout_per_route * workload.routes + 60
        while True:
            time.sleep(0.1)
            now = time.monotonic()
            counts = stack.admin.counters()
            if not counts:
                if now - launched > 90:
                    raise TimeoutError(f"{workload.label}, W={workers}: no AWS call within 90 s of start")
                continue
            if began is None:
                began = now
                cpu_began = stack.metric("process_cpu_seconds_total")
                if profiler is not None:
                    profiler.start()
            throttled = stack.admin.faults().get("injected", {}).get("throttled", {})
            ok = {k: n - int(throttled.get(k, 0)) for k, n in counts.items()}
            writes = sum(n for k, n in counts.items() if not is_read(k))
            total = sum(counts.values())
            if writes != last_writes:
                last_writes, last_write_at = writes, now
            if total != last_total:
                last_total, last_call_at = total, now
            done = all(ok.get(k, 0) >= n for k, n in want.items())
            if done and now - last_call_at >= 3.0:
                break
            if now - began > timeout:
                missing = {k.split(":")[1]: f"{ok.get(k, 0)}/{n}" for k, n in want.items()}
                raise TimeoutError(
                    f"{workload.label}, W={workers}: not converged after {timeout:.0f} s: {missing}"
                )
        assert began is not None
        cpu = stack.metric("process_cpu_seconds_total") - cpu_began
        rss = _rss_peak_mib(controller.process.pid)
        profile: list[dict[str, Any]] = []
        if profiler is not None:
            profiler.stop()
            if profiler.path.exists():
                _, costs = top_functions(profiler.path, 25, by_self=True)
                profile = [asdict(c) for c in costs]
        floor, floor_op = (
            floor_of(ok, self.args.throttle, self.args.throttle) if self.args.throttle else (0, "-")
        )
        return Run(
            workload.label,
            workload.routes,
            workload.rules,
            workers,
            last_write_at - began,
            floor,
            floor_op,
            {k: n for k, n in counts.items()},
            {k: int(n) for k, n in throttled.items()},
            stack.metric("controller_runtime_reconcile_errors_total", controller="httproute"),
            stack.metric("controller_runtime_reconcile_total", controller="httproute"),
            cpu,
            rss,
            stack.metric("aws_api_client_wait_seconds_total"),
            profile,
        )


def report(runs: list[Run], args: argparse.Namespace) -> bool:
    print(
        f"\nAWS latency {args.latency_low * 1000:.0f}-{args.latency_high * 1000:.0f} ms per call; "
        f"throttle {args.throttle:g} requests/s per operation (burst {args.throttle:g}); client-side limit "
        f"{'default' if args.client_rate is None else args.client_rate}"
    )
    print_table(
        [
            "workload",
            "W",
            "converged s",
            "floor s (op)",
            "x floor",
            "calls",
            "writes",
            "reads",
            "throttled",
            "failures",
            "reconciles",
            "CPU s",
            "CPU ms/route",
            "peak RSS MiB",
            "client wait s",
        ],
        [
            [
                r.workload,
                r.workers,
                f"{r.seconds:.1f}",
                f"{r.floor_seconds:.1f} ({r.floor_operation})",
                f"{r.ratio:.2f}",
                sum(r.calls.values()),
                r.writes,
                r.reads,
                sum(r.throttled.values()),
                f"{r.failures:.0f}",
                f"{r.reconciles:.0f}",
                f"{r.cpu_seconds:.1f}",
                f"{1000 * r.cpu_seconds / r.routes:.0f}",
                f"{r.peak_rss_mib:.0f}",
                f"{r.client_wait_seconds:.1f}",
            ]
            for r in runs
        ],
    )
    ops = sorted({k for r in runs for k in r.calls})
    print("\ncalls by operation (throttled ones included, in brackets)")
    print_table(
        ["operation", *(f"{r.routes}x{r.rules} W={r.workers}" for r in runs)],
        [
            [
                op.split(":", 1)[-1],
                *(
                    f"{r.calls.get(op, 0)}" + (f" ({r.throttled[op]})" if r.throttled.get(op) else "")
                    for r in runs
                ),
            ]
            for op in ops
        ],
    )
    for r in runs:
        if r.profile:
            print(f"\nprofile {r.workload} W={r.workers}: top functions by self share (inclusive share)")
            for cost in r.profile[:15]:
                print(
                    f"  {100 * cost['self_share']:5.1f}% ({100 * cost['inclusive']:5.1f}%)  "
                    f"{cost['function']}"
                )
    print()
    ok = True
    if args.throttle:
        for r in runs:
            ok &= verdict(
                f"{r.workload}, W={r.workers}: within {FLOOR_BUDGET}x the throttle floor",
                r.ratio <= FLOOR_BUDGET,
                f"{r.seconds:.1f} s vs floor {r.floor_seconds:.1f} s ({r.ratio:.2f}x)",
            )
    for r in runs:
        ok &= verdict(
            f"{r.workload}, W={r.workers}: no reconcile failure",
            r.failures == 0,
            f"{r.failures:.0f} failures, {sum(r.throttled.values())} throttled calls",
        )
    one_rule = sorted((r for r in runs if r.rules == 1), key=lambda r: r.routes)
    by_workers: dict[int, list[Run]] = {}
    for r in one_rule:
        by_workers.setdefault(r.workers, []).append(r)
    for workers, series in sorted(by_workers.items()):
        if len(series) > 1 and series[-1].routes > series[0].routes:
            small, large = series[0], series[-1]
            per_small, per_large = small.seconds / small.routes, large.seconds / large.routes
            ok &= verdict(
                f"linear in N (W={workers}): s/route at N={large.routes} within {LINEAR_BUDGET}x of "
                f"N={small.routes}",
                per_large <= LINEAR_BUDGET * per_small,
                f"{1000 * per_small:.0f} ms/route at {small.routes}, "
                f"{1000 * per_large:.0f} at {large.routes}",
            )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m e2e.bench.convergence",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--routes", type=int, nargs="*", default=[100], help="N values, 1 rule each")
    parser.add_argument(
        "--rules", type=int, nargs="*", default=[], help=f"R values, on {RULES_ROUTES} routes (e.g. 1 5 10)"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[0], help="0: the controller's default")
    parser.add_argument("--latency-low", type=float, default=0.05, help="seconds")
    parser.add_argument("--latency-high", type=float, default=0.15, help="seconds")
    parser.add_argument("--throttle", type=float, default=10.0, help="requests/s per operation (0: off)")
    parser.add_argument("--client-rate", type=float, default=None, help="AWS_API_RATE_LIMIT (default: unset)")
    parser.add_argument("--timeout-per-route", type=float, default=1.0, help="seconds")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this file")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy the controller, files here")
    args = parser.parse_args(argv)
    workloads = [Workload(n, 1) for n in args.routes] + [Workload(RULES_ROUTES, r) for r in args.rules]
    workloads = sorted(dict.fromkeys(workloads), key=lambda w: (w.routes, w.rules))
    if args.profile is not None:
        if not Profiler.available():
            print("--profile needs py-spy (pip install py-spy)", file=sys.stderr)
            return 2
        args.profile.mkdir(parents=True, exist_ok=True)
    try:
        stack = BenchStack.start("convergence")
    except Exception as exc:
        print(f"could not start the benchmark stack: {exc}", file=sys.stderr)
        return 2
    runs: list[Run] = []
    failed = False
    try:
        stack.start_controller()
        stack.wait_gateway_programmed()
        bench = ConvergenceBench(stack, args)
        for workload in workloads:
            for workers in args.workers:
                run = bench.run(workload, workers, args.profile)
                if workers == 0:
                    run.workers = int(
                        stack.metric("controller_runtime_max_concurrent_reconciles", controller="httproute")
                    )
                runs.append(run)
                print(
                    f"{workload.label}, W={run.workers}: {run.seconds:.1f} s "
                    f"(floor {run.floor_seconds:.1f} s, {run.ratio:.2f}x), "
                    f"{sum(run.throttled.values())} throttled",
                    flush=True,
                )
    except Exception as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        failed = True
    finally:
        stack.close()
    if not runs:
        return 2
    ok = report(runs, args)
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                    "runs": [{**asdict(r), "ratio": r.ratio} for r in runs],
                },
                indent=2,
            )
        )
        print(f"figures written to {args.json}")
    if failed:
        return 2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
