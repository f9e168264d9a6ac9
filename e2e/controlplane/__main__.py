"""Command line for the test control plane.

    python -m e2e.controlplane up [--workloads] [--dir DIR] [--channel experimental|standard]
    python -m e2e.controlplane down [--dir DIR]
    python -m e2e.controlplane status [--dir DIR]
    python -m e2e.controlplane restart-apiserver [--dir DIR]
    python -m e2e.controlplane workloads [--dir DIR]      # add the workloads tier to a running plane

`up` prints `dir=`, `server=` and `kubeconfig=` lines on stdout (progress goes to stderr); use the
kubeconfig for kubectl or export it as LC_KUBECONFIG so pytest reuses this plane. A failed or
interrupted (SIGINT/SIGTERM/SIGHUP) `up` stops what it started and exits non-zero; a failure prints the
component's reason on one line, then the tail of its log. `down` stops exactly the PIDs `up` recorded in
`<dir>/state.json`, also those of an `up` that was killed. Commands on one directory run one at a time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

from e2e.controlplane import processes
from e2e.controlplane.assets import AssetsUnavailable
from e2e.controlplane.plane import ControlPlane, PlaneBusy, StartError, dir_lock

DEFAULT_DIR = Path(os.environ.get("LC_CONTROLPLANE_DIR", "/tmp/lattice-controller-controlplane"))


def _print_plane(plane: ControlPlane) -> None:
    print(f"dir={plane.dir}")
    print(f"server={plane.server}")
    print(f"kubeconfig={plane.kubeconfig}", flush=True)


def _up(args: argparse.Namespace) -> int:
    state = args.dir / "state.json"
    if state.exists():
        existing = ControlPlane.load(args.dir)
        report = existing.status()
        if report["ready"] and all(report["processes"].values()):
            if args.workloads:
                existing.ensure_workloads()
            print("control plane already running", file=sys.stderr)
            _print_plane(existing)
            return 0
        # Half-dead leftovers of an earlier run: clear them before starting over.
        stuck = existing.stop()
        if stuck:
            raise StartError(f"leftovers of an earlier run would not stop: {', '.join(stuck)}")
    started = time.monotonic()
    plane = ControlPlane.start(args.dir, channel=args.channel, with_workloads=args.workloads)
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in plane.timings.items())
    print(f"control plane up in {time.monotonic() - started:.1f}s ({phases})", file=sys.stderr)
    _print_plane(plane)
    return 0


def _down(args: argparse.Namespace) -> int:
    if not (args.dir / "state.json").exists():
        print(f"no control plane state in {args.dir}", file=sys.stderr)
        return 0
    plane = ControlPlane.load(args.dir)
    pids = {n: p.pid for n, p in plane.procs.items()}
    stuck = plane.stop()
    print(
        f"stopped: {', '.join(f'{n}={pid}' for n, pid in pids.items()) or 'nothing was recorded'}",
        file=sys.stderr,
    )
    if stuck:
        print(f"error: still running: {', '.join(stuck)}", file=sys.stderr)
        return 1
    return 0


def _status(args: argparse.Namespace) -> int:
    if not (args.dir / "state.json").exists():
        print(f"no control plane state in {args.dir}", file=sys.stderr)
        return 1
    plane = ControlPlane.load(args.dir)
    report = plane.status()
    report["pids"] = {n: p.pid for n, p in plane.procs.items()}
    print(json.dumps(report, indent=2))
    return 0 if report["ready"] else 1


def _restart_apiserver(args: argparse.Namespace) -> int:
    plane = ControlPlane.load(args.dir)
    started = time.monotonic()
    plane.restart_apiserver()
    print(f"kube-apiserver restarted in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0


def _workloads(args: argparse.Namespace) -> int:
    plane = ControlPlane.load(args.dir)
    started = time.monotonic()
    plane.ensure_workloads()
    print(f"workloads tier ready in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.controlplane", description="test control plane")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "down", "status", "restart-apiserver", "workloads"):
        p = sub.add_parser(name)
        p.add_argument(
            "--dir", type=Path, default=DEFAULT_DIR, help=f"state/log directory (default {DEFAULT_DIR})"
        )
        if name == "up":
            p.add_argument(
                "--workloads", action="store_true", help="also start KCM, kwok, binder and a fake Node"
            )
            p.add_argument("--channel", choices=("experimental", "standard"), default="experimental")
    args = parser.parse_args(argv)
    args.dir = args.dir.resolve()
    handlers = {
        "up": _up,
        "down": _down,
        "status": _status,
        "restart-apiserver": _restart_apiserver,
        "workloads": _workloads,
    }
    if args.command == "status":
        return _status(args)
    processes.interrupt_on_signals()
    # Nothing to lock (or to create) when `down` & co. name a directory that does not exist.
    lock = dir_lock(args.dir) if args.command == "up" or args.dir.is_dir() else contextlib.nullcontext()
    try:
        with lock:
            return handlers[args.command](args)
    except processes.Interrupted as exc:
        cleaned = "; stopped what it had started" if args.command in ("up", "workloads") else ""
        print(f"error: {args.command} {exc}{cleaned}", file=sys.stderr)
        return 128 + exc.signum
    except (StartError, PlaneBusy, AssetsUnavailable, TimeoutError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
