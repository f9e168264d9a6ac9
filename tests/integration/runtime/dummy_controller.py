"""A controller process for integration tests: the real Manager, Lease, queue and workers, a dummy reconciler.

Every reconcile appends ``{"event": "start"|"end"|"cancelled", "key", "t", "pid"}`` to the record file (one
JSON object per line, wall-clock ``t``), and so do leadership (``leading``, ``leader-loop-stopped``) and the
exit (``exit`` with ``code``), so tests can check that two processes never reconcile at the same time.

Run: ``python -m tests.integration.runtime.dummy_controller --kubeconfig K --namespace NS --record FILE``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from lattice_controller._kits.clock import RealClock
from lattice_controller.kube.lease import KubeLeaseStore
from lattice_controller.kube.rest import KubeRest
from lattice_controller.model.outcomes import Outcome, RequeueAfter
from lattice_controller.queue import RateLimitingQueue
from lattice_controller.runtime import (
    LEASE_NAME,
    ElectionTiming,
    HttpServer,
    LeaderElector,
    Manager,
    Probes,
    WorkerPool,
    configure_logging,
    probe_app,
)


class Recorder:
    def __init__(self, path: Path) -> None:
        self._file = path.open("a", buffering=1)

    def write(self, event: str, **fields: Any) -> None:
        self._file.write(json.dumps({"event": event, "t": time.time(), "pid": os.getpid(), **fields}) + "\n")
        self._file.flush()


class SleepyReconciler:
    name = "dummy"

    def __init__(self, recorder: Recorder, seconds: float) -> None:
        self._recorder = recorder
        self._seconds = seconds

    async def reconcile(self, key: str) -> Outcome:
        self._recorder.write("start", key=key)
        try:
            await asyncio.sleep(self._seconds)
        except asyncio.CancelledError:
            self._recorder.write("cancelled", key=key)
            raise
        self._recorder.write("end", key=key)
        return RequeueAfter(0.05)


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--record", type=Path, required=True)
    parser.add_argument("--identity", default=None)
    parser.add_argument("--reconcile-seconds", type=float, default=0.2)
    parser.add_argument("--grace", type=float, default=10.0)
    parser.add_argument("--keys", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lease-duration", type=float, default=4.0)
    parser.add_argument("--renew-deadline", type=float, default=3.0)
    parser.add_argument("--retry-period", type=float, default=0.5)
    args = parser.parse_args(argv)

    configure_logging("debug")
    recorder = Recorder(args.record)
    clock = RealClock()
    api = await KubeRest.connect(args.kubeconfig)
    try:
        elector = LeaderElector(
            KubeLeaseStore(api, args.namespace, LEASE_NAME),
            clock,
            identity=args.identity,
            timing=ElectionTiming(args.lease_duration, args.renew_deadline, args.retry_period),
        )
        queue: RateLimitingQueue[str] = RateLimitingQueue("dummy", clock)
        for index in range(args.keys):
            queue.add(f"key-{index}")

        async def leading() -> None:
            recorder.write("leading", identity=elector.identity)
            try:
                await asyncio.Event().wait()
            finally:
                recorder.write("leader-loop-stopped")

        async def synced() -> None:
            recorder.write("synced")

        probes = Probes()
        probe_server = HttpServer(probe_app(probes), "127.0.0.1", 0)
        manager = Manager(
            pools=[
                WorkerPool(
                    SleepyReconciler(recorder, args.reconcile_seconds), queue, args.workers, clock=clock
                )
            ],
            wait_synced=synced,
            elector=elector,
            leader_loops=[leading],
            probes=probes,
            servers=[probe_server],
            shutdown_grace_seconds=args.grace,
            clock=clock,
        )
        manager.install_signal_handlers()
        recorder.write("started", identity=elector.identity)
        code = await manager.run()
        recorder.write("exit", code=code)
        return code
    finally:
        await api.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
