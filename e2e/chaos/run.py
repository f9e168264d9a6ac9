"""The chaos driver: `python -m e2e.chaos [--ops N] [--seed S] [--fault-every K]`.

1. Start etcd + kube-apiserver, the fake AWS endpoint and two controller replicas with leader election
   (RBAC of `manifests/rbac.yaml`, 60 s resync). Before they start, the account gets foreign resources:
   a service holding the Lattice name of route `r-7` tagged with another cluster's ManagedBy (with a
   listener and a rule), an untagged service, an untagged target group, and the network `second-net`.
2. Run `--ops` random operations (`world.py`), one every `--interval` seconds; after every
   `--fault-every` operations inject a random fault (`faults.py`), each kind in turn first so that a
   short run still has every kind; timed faults end after a few seconds.
3. Clear every fault and wait until the invariants (`invariants.py`) hold, at most `--settle` seconds;
4. then make one out-of-band change of every kind on the converged state (`Faults.oob_round`) and wait
   again (a periodic resync, up to 72 s, must find and repair them); the last evaluation is the verdict.

The seed is printed first; the same seed replays the same operations and faults (timings differ).
Exit 0: no violation; 1: violations (listed); 2: the run itself failed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from e2e.bench.stack import BenchStack, namespace_body
from e2e.chaos.faults import FAULT_KINDS, LEASE_NAMESPACE, Faults, Replicas
from e2e.chaos.invariants import ForeignSnapshot, Verdict, conflicted_service_name, evaluate
from e2e.chaos.world import SECOND_GATEWAY, World
from e2e.harness.controller import CLUSTER_VPC_ID, MANAGED_BY
from e2e.harness.lattice_view import MANAGED_BY_KEY, lattice_client

FOREIGN_MANAGED_BY = "210987654321/other-cluster/vpc-0fedcba9876543210"


@dataclass
class ChaosResult:
    seed: int
    operations: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    changes: Counter[str] = field(default_factory=Counter)
    verdict: Verdict = field(default_factory=Verdict)
    evaluations: int = 0
    settle_seconds: float = 0.0
    reconcile_errors: float = 0.0
    replica_exits: int = 0

    def summary(self) -> str:
        lines = [
            f"seed {self.seed}",
            f"operations {sum(self.operations.values())}: {dict(sorted(self.operations.items()))}",
            f"faults injected {sum(self.faults.values())}: {dict(sorted(self.faults.items()))}",
            f"out-of-band changes made {dict(sorted(self.changes.items()))}"
            + (f", refused by Lattice {dict(sorted(self.refused.items()))}" if self.refused else ""),
            f"converged in {self.settle_seconds:.0f} s after the last operation and after the final "
            f"out-of-band round ({self.evaluations} evaluations)",
            f"replicas that exited by themselves, replaced as a kubelet would: {self.replica_exits}",
            f"expected at the end (plan of the final manifests): {self.verdict.sizes}",
            f"invariant checks {self.verdict.checks}, violations {len(self.verdict.violations)}",
        ]
        lines += [f"  VIOLATION {v}" for v in self.verdict.violations]
        return "\n".join(lines)


def seed_foreign(endpoint: str) -> list[str]:
    """Resources the controller must never write to; returns their ARNs."""
    c = lattice_client(endpoint)
    network = c.create_service_network(name=SECOND_GATEWAY, tags={MANAGED_BY_KEY: MANAGED_BY})
    c.create_service_network_vpc_association(
        serviceNetworkIdentifier=network["id"],
        vpcIdentifier=CLUSTER_VPC_ID,
        tags={MANAGED_BY_KEY: MANAGED_BY},
    )
    foreign = c.create_service(name=conflicted_service_name(), tags={MANAGED_BY_KEY: FOREIGN_MANAGED_BY})
    foreign_tg = c.create_target_group(
        name="foreign-tg",
        type="IP",
        config={"port": 80, "protocol": "HTTP", "vpcIdentifier": CLUSTER_VPC_ID},
        tags={MANAGED_BY_KEY: FOREIGN_MANAGED_BY},
    )
    listener = c.create_listener(
        serviceIdentifier=foreign["id"],
        name="foreign-80",
        protocol="HTTP",
        port=80,
        defaultAction={"fixedResponse": {"statusCode": 404}},
    )
    c.create_rule(
        serviceIdentifier=foreign["id"],
        listenerIdentifier=listener["id"],
        name="foreign-rule",
        priority=1,
        match={"httpMatch": {"pathMatch": {"match": {"prefix": "/"}}}},
        action={"forward": {"targetGroups": [{"targetGroupIdentifier": foreign_tg["id"], "weight": 1}]}},
    )
    untagged = c.create_service(name="untagged-chaos")
    untagged_tg = c.create_target_group(
        name="untagged-tg",
        type="IP",
        config={"port": 8090, "protocol": "HTTP", "vpcIdentifier": CLUSTER_VPC_ID},
    )
    c.register_targets(targetGroupIdentifier=untagged_tg["id"], targets=[{"id": "10.99.0.1", "port": 8090}])
    return [foreign["arn"], foreign_tg["arn"], untagged["arn"], untagged_tg["arn"]]


def converge(
    stack: BenchStack, replicas: Replicas, foreign: ForeignSnapshot, settle: float, say: Any
) -> tuple[float, int, Verdict]:
    """Evaluate the invariants every 5 s until they hold or ``settle`` seconds passed."""
    began = time.monotonic()
    evaluations = 0
    while True:
        for line in replicas.supervise():
            say(f"  replica exit: {line}")
        evaluations += 1
        try:
            verdict = evaluate(stack.rest, stack.fake.endpoint, foreign)
        except Exception as exc:  # a read across a change: evaluate again
            verdict = Verdict(1, [f"evaluation failed: {exc}"])
        if not verdict.violations or time.monotonic() - began > settle:
            return time.monotonic() - began, evaluations, verdict
        time.sleep(5.0)


def run_chaos(
    *,
    ops: int,
    seed: int,
    fault_every: int = 8,
    interval: float = 0.3,
    settle: float = 180.0,
    log: bool = True,
) -> ChaosResult:
    say = print if log else (lambda *_: None)
    rng = random.Random(seed)
    result = ChaosResult(seed)
    say(f"chaos: seed {seed} (replay with --seed {seed}), {ops} operations, a fault every {fault_every}")
    stack = BenchStack.start("chaos", log=say)
    replicas = Replicas(stack)
    try:
        stack.rest.create("/api/v1/namespaces", namespace_body(LEASE_NAMESPACE), exist_ok=True)
        foreign = ForeignSnapshot.take(stack.fake.endpoint, seed_foreign(stack.fake.endpoint))
        world = World(stack.rest, rng)
        world.setup()
        replicas.start(RECONCILE_DEFAULT_RESYNC_SECONDS="60")
        faults = Faults(stack, replicas, rng)
        order = list(FAULT_KINDS)
        rng.shuffle(order)
        for n in range(1, ops + 1):
            faults.tick()
            for line in replicas.supervise():
                say(f"  replica exit: {line}")
            say(f"  op {n}: {world.random_op()}")
            if n % fault_every == 0:
                kind = order.pop(0) if order else None
                deferred = faults.deferred
                say(f"  fault: {faults.inject(kind)}")
                if faults.deferred > deferred:
                    order.insert(0, "oob")
            time.sleep(interval)
        for kind in [k for k in order if k != "oob"]:  # kinds a short run had no slot for (oob: see below)
            say(f"  fault: {faults.inject(kind)}")
        faults.clear()
        result.operations = world.done
        result.settle_seconds, result.evaluations, result.verdict = converge(
            stack, replicas, foreign, settle, say
        )
        say(f"  converged: {result.verdict.checks} checks, {len(result.verdict.violations)} violations")
        if not result.verdict.violations:
            # Every kind of out-of-band change at once, on the converged state: only a resync sees them.
            for line in faults.oob_round():
                say(f"  out-of-band: {line}")
            second = converge(stack, replicas, foreign, settle, say)
            result.settle_seconds += second[0]
            result.evaluations += second[1]
            result.verdict = Verdict(
                result.verdict.checks + second[2].checks, second[2].violations, second[2].sizes
            )
        result.faults, result.refused, result.changes = faults.injected, faults.refused, faults.changes
        result.reconcile_errors = replicas.metric("controller_runtime_reconcile_errors_total")
        result.replica_exits = replicas.exits
        return result
    finally:
        replicas.stop_all()
        stack.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m e2e.chaos", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=60, help="random operations (CI runs ~40; 1000 by hand)")
    parser.add_argument("--seed", type=int, default=None, help="replay a run (default: random, printed)")
    parser.add_argument("--fault-every", type=int, default=8, help="operations between faults")
    parser.add_argument("--interval", type=float, default=0.3, help="seconds between operations")
    parser.add_argument("--settle", type=float, default=180.0, help="seconds allowed to converge at the end")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    try:
        result = run_chaos(
            ops=args.ops, seed=seed, fault_every=args.fault_every, interval=args.interval, settle=args.settle
        )
    except Exception as exc:
        print(f"chaos run failed (seed {seed}): {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0 if not result.verdict.violations else 1
