"""The test control plane: etcd + kube-apiserver (+ the workloads tier) on loopback, with a state file.

`ControlPlane.start()` generates certificates, starts etcd and kube-apiserver on free loopback ports,
writes the admin kubeconfig, installs the Gateway API CRDs and records every child's PID in
`<dir>/state.json` the moment it is started, so that another process (`python -m e2e.controlplane down`)
can stop exactly those children later, also after a failed or killed start. It never stops a process it
did not record, and never looks processes up by name. A failed start stops what it started before it
raises; one command at a time works on a directory (`dir_lock`).

Readiness is polled on health endpoints until a deadline that grows with the machine's load; a child
that exits meanwhile fails the wait at once, with the reason read from its log.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2e.controlplane import processes, workloads
from e2e.controlplane.assets import APISERVER_TIER, Assets, resolve
from e2e.controlplane.crds import PROJECT_CRDS, install_gateway_crds
from e2e.controlplane.pki import PkiFiles, generate_pki, write_admin_kubeconfig
from e2e.controlplane.processes import ManagedProcess
from e2e.controlplane.rest import RestClient

SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"  # kwok hands out pod IPs from here; disjoint from SERVICE_CIDR
# Readiness deadlines on an idle 2-core machine; `scaled_timeout` stretches them when it is busy.
ETCD_TIMEOUT = float(os.environ.get("LC_ETCD_START_TIMEOUT", "45"))
APISERVER_TIMEOUT = float(os.environ.get("LC_APISERVER_START_TIMEOUT", "120"))
MAX_LOAD_FACTOR = 3.0
PORT_ATTEMPTS = 3
STOP_ORDER = ("binder", "kwok", "kube-controller-manager", "kube-apiserver", "etcd")

# Only ServiceAccount users (restricted identities, the controller under test) are audited, so that a
# 403 can be traced to the missing rule without logging the admin's and the controllers' traffic.
AUDIT_POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  userGroups: ["system:serviceaccounts"]
- level: None
"""


class StartError(RuntimeError):
    """A child did not become ready: a one-line `summary` (with the reason from its log), then `details`
    (the tail of its log). `exited` tells an early exit (worth a retry on fresh ports) from a timeout."""

    def __init__(self, summary: str, details: str = "", *, exited: bool = False) -> None:
        super().__init__(f"{summary}\n{details}" if details else summary)
        self.summary = summary
        self.details = details
        self.exited = exited


class PlaneBusy(RuntimeError):
    """Another command (in another process) is working on the same plane directory."""


def scaled_timeout(base: float) -> float:
    """`base` seconds, stretched by the run queue per core (1-minute load average), at most 3x."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return base
    return base * min(MAX_LOAD_FACTOR, max(1.0, load / (os.cpu_count() or 1)))


_held_locks: dict[Path, list[int]] = {}  # directory -> [fd, depth]


@contextlib.contextmanager
def dir_lock(directory: Path) -> Iterator[None]:
    """Hold `<dir>/.lock` (flock) so that two commands never start or stop the same plane at once.

    Re-entrant within a process; another process holding it makes this raise `PlaneBusy` at once.
    """
    directory.mkdir(parents=True, exist_ok=True)
    key = directory.resolve()
    if key in _held_locks:
        _held_locks[key][1] += 1
        try:
            yield
        finally:
            _held_locks[key][1] -= 1
        return
    fd = os.open(key / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise PlaneBusy(
            f"{key} is in use by another control-plane command (pid {holder}); "
            f"wait for it, or stop it with `kill {holder}` (it stops what it started)"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _held_locks[key] = [fd, 1]
    try:
        yield
    finally:
        del _held_locks[key]
        os.close(fd)


@dataclass
class ControlPlane:
    """A running (or attached) control plane. Mutable: tiers and restarts update it and its state file."""

    dir: Path
    server: str
    kubeconfig: Path
    channel: str
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, ManagedProcess] = field(default_factory=dict)
    assets_dir: dict[str, str] = field(default_factory=dict)
    owned: bool = True  # False when attached to a plane someone else started (LC_KUBECONFIG)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per start phase, for reports

    # ----- construction -------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        directory: Path,
        *,
        channel: str = "experimental",
        with_workloads: bool = False,
        assets: Assets | None = None,
    ) -> ControlPlane:
        """Start etcd + kube-apiserver, install the CRDs, optionally the workloads tier; return when ready."""
        if channel not in ("experimental", "standard"):
            raise ValueError(f"channel must be experimental or standard, not {channel!r}")
        names = APISERVER_TIER + (workloads.BINARIES if with_workloads else ())
        assets = assets or resolve(names)
        directory = directory.resolve()
        with dir_lock(directory):
            return cls._start_locked(directory, channel, with_workloads, assets)

    @classmethod
    def _start_locked(
        cls, directory: Path, channel: str, with_workloads: bool, assets: Assets
    ) -> ControlPlane:
        _clean_dir(directory)
        files = PkiFiles.in_dir(directory)
        generate_pki(files)
        (directory / "audit-policy.yaml").write_text(AUDIT_POLICY)
        plane = cls(
            dir=directory,
            server="",
            kubeconfig=directory / "admin.kubeconfig",
            channel=channel,
            assets_dir={k: str(v) for k, v in assets.binaries.items()},
        )
        if assets.kwok_stages is not None:
            plane.assets_dir["kwok-stages"] = str(assets.kwok_stages)
        try:
            plane._start_storage_and_apiserver(assets)
            began = time.monotonic()
            install_gateway_crds(plane.rest(), assets.crd_dir(channel))
            install_gateway_crds(plane.rest(), PROJECT_CRDS)
            plane.timings["crds"] = time.monotonic() - began
            if with_workloads:
                began = time.monotonic()
                plane.ensure_workloads()
                plane.timings["workloads"] = time.monotonic() - began
        except BaseException as exc:
            with processes.signals_deferred(drop=True):  # a second Ctrl-C must not cut the cleanup short
                stuck = plane.stop()
            if stuck:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise StartError(
                    f"{first}; and could not stop {', '.join(stuck)} (still recorded in state.json)"
                ) from exc
            raise
        return plane

    @classmethod
    def load(cls, directory: Path) -> ControlPlane:
        """Re-open a plane from `<dir>/state.json` (for `down`, `status`, reuse)."""
        state = json.loads((directory / "state.json").read_text())
        return cls(
            dir=Path(state["dir"]),
            server=state["server"],
            kubeconfig=Path(state["kubeconfig"]),
            channel=state["channel"],
            ports={k: int(v) for k, v in state["ports"].items()},
            procs={k: ManagedProcess.from_json(v) for k, v in state["processes"].items()},
            assets_dir=state.get("assets", {}),
        )

    @classmethod
    def attach(cls, kubeconfig: Path) -> ControlPlane:
        """Use an already-running plane. With a state file next to the kubeconfig, restarts work too."""
        kubeconfig = kubeconfig.resolve()
        if (kubeconfig.parent / "state.json").exists():
            plane = cls.load(kubeconfig.parent)
        else:
            server = RestClient.from_kubeconfig(kubeconfig).server
            plane = cls(dir=kubeconfig.parent, server=server, kubeconfig=kubeconfig, channel="unknown")
        plane.owned = False
        return plane

    # ----- processes ----------------------------------------------------------------------------

    def _start_storage_and_apiserver(self, assets: Assets) -> None:
        failures: list[str] = []
        last: StartError | None = None
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.ports = {"etcd": processes.free_port(), "etcd-peer": processes.free_port()}
            self.ports["apiserver"] = processes.free_port()
            self.server = f"https://127.0.0.1:{self.ports['apiserver']}"
            try:
                began = time.monotonic()
                self._start_etcd(assets.binary("etcd"))
                self.timings["etcd"] = time.monotonic() - began
                began = time.monotonic()
                self._spawn("kube-apiserver", self._apiserver_argv(assets.binary("kube-apiserver")))
                self._wait_apiserver()
                self.timings["apiserver"] = time.monotonic() - began
            except StartError as exc:
                if not exc.exited:
                    raise  # a timeout: the machine is too slow for a retry to do better
                # A port taken meanwhile, or a child that died early on a loaded machine: start both
                # again on fresh ports and a fresh etcd data dir, once the old pair is gone.
                failures.append(f"attempt {attempt}: {exc.summary}")
                last = exc
                self._stop_storage_and_apiserver()
                continue
            write_admin_kubeconfig(PkiFiles.in_dir(self.dir), self.server, self.kubeconfig)
            self._save()
            return
        assert last is not None
        raise StartError(
            f"etcd + kube-apiserver failed to start {PORT_ATTEMPTS} times; last: {last.summary}",
            "\n".join(failures) + "\n" + last.details,
        )

    def _stop_storage_and_apiserver(self) -> None:
        """Stop the pair and wait until both are gone; then empty etcd's data dir for the next one."""
        for name in ("kube-apiserver", "etcd"):
            if name in self.procs:
                proc = self.procs[name]
                if not processes.stop(proc):
                    raise StartError(f"{name} (pid {proc.pid}) did not stop; not starting another one")
                del self.procs[name]
                self._save()
        shutil.rmtree(self.dir / "etcd-data", ignore_errors=True)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> ManagedProcess:
        """Start a child and record its PID in state.json before anything can interrupt us."""
        with processes.signals_deferred():
            proc = processes.spawn(name, argv, self.dir / "logs" / f"{name}.log", env=env)
            self.procs[name] = proc
            self._save()
        return proc

    def _start_etcd(self, binary: Path) -> None:
        old = self.procs.get("etcd")
        if old is not None and processes.is_ours(old):
            # Two etcds on one data dir: the second blocks on the first one's lock, forever.
            raise StartError(f"etcd (pid {old.pid}) still holds {self.dir / 'etcd-data'}")
        argv = etcd_argv(binary, self.dir / "etcd-data", self.ports["etcd"], self.ports["etcd-peer"])
        client = f"http://127.0.0.1:{self.ports['etcd']}"
        proc = self._spawn("etcd", argv)

        def healthy() -> bool:
            with urllib.request.urlopen(f"{client}/health", timeout=5) as resp:
                return '"health":"true"' in resp.read().decode()

        self._wait("etcd /health", healthy, proc, ETCD_TIMEOUT)

    def _apiserver_argv(self, binary: Path) -> list[str]:
        f = PkiFiles.in_dir(self.dir)
        ap = self.ports["apiserver"]
        return [
            str(binary),
            f"--etcd-servers=http://127.0.0.1:{self.ports['etcd']}",
            "--bind-address=127.0.0.1",
            f"--secure-port={ap}",
            "--advertise-address=127.0.0.1",
            "--endpoint-reconciler-type=none",
            f"--tls-cert-file={f.serving_crt}",
            f"--tls-private-key-file={f.serving_key}",
            f"--client-ca-file={f.ca_crt}",
            f"--service-account-issuer=https://127.0.0.1:{ap}",
            f"--service-account-key-file={f.sa_pub}",
            f"--service-account-signing-key-file={f.sa_key}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--authorization-mode=RBAC",
            "--allow-privileged=true",
            # Pods must be creatable in fresh namespaces even before (or without) KCM creating the
            # `default` ServiceAccount; kwok runs no containers, so no token volume is needed.
            "--disable-admission-plugins=ServiceAccount",
            "--enable-priority-and-fairness=false",
            "--profiling=false",
            "--shutdown-watch-termination-grace-period=2s",
            f"--audit-policy-file={self.dir / 'audit-policy.yaml'}",
            f"--audit-log-path={self.dir / 'logs' / 'audit.log'}",
            "--audit-log-maxsize=100",
            "--audit-log-maxbackup=1",
        ]

    def _wait_apiserver(self) -> None:
        client = self.admin_rest_from_files()
        self._wait(
            "kube-apiserver /readyz",
            lambda: client.request_raw("GET", "/readyz")[0] == 200,
            self.procs["kube-apiserver"],
            APISERVER_TIMEOUT,
        )

    def _wait(self, what: str, check: Callable[[], bool], proc: ManagedProcess, timeout: float) -> None:
        """Poll `check` until it holds. Fails at once when any recorded child has exited, and after
        `timeout` (scaled for the machine's load) with the reason `proc`'s log gives."""
        limit = scaled_timeout(timeout)
        deadline = time.monotonic() + limit
        while True:
            try:
                if check():
                    return
            except Exception:  # not listening yet
                pass
            for child in list(self.procs.values()):
                if not processes.is_ours(child):
                    raise StartError(
                        f"{child.name} (pid {child.pid}) {processes.state(child)} while waiting for "
                        f"{what}: {processes.exit_reason(child)}",
                        processes.log_section(child),
                        exited=True,
                    )
            if time.monotonic() > deadline:
                raise StartError(
                    f"timed out after {limit:.0f}s waiting for {what}; "
                    f"{proc.name} (pid {proc.pid}) last logged: {processes.exit_reason(proc)}",
                    processes.log_section(proc),
                )
            time.sleep(0.2)

    def restart_apiserver(self, downtime: float = 0.0) -> None:
        """Stop kube-apiserver and start it again on the same port and etcd; return when ready."""
        self._require_owned_state("restart the apiserver")
        old = self.procs["kube-apiserver"]
        if not processes.stop(old):
            raise RuntimeError(f"kube-apiserver (pid {old.pid}) did not stop")
        if downtime:
            time.sleep(downtime)
        self._spawn("kube-apiserver", list(old.argv))
        self._wait_apiserver()

    def ensure_workloads(self) -> None:
        """Start KCM, kwok and the binder and create the fake Node, unless they already run."""
        workloads.ensure(self)

    def stop(self) -> list[str]:
        """Stop every recorded child (workloads first, etcd last); a child leaves the state file only
        once it is gone. Returns `name=pid` of those that would not stop. A no-op when attached."""
        if not self.owned:
            return []
        order = [n for n in STOP_ORDER if n in self.procs] + [n for n in self.procs if n not in STOP_ORDER]
        stuck = []
        for name in order:
            proc = self.procs[name]
            if processes.stop(proc):
                del self.procs[name]
                self._save()
            else:
                stuck.append(f"{name}={proc.pid}")
        return stuck

    def status(self) -> dict[str, Any]:
        alive = {name: processes.is_ours(p) for name, p in self.procs.items()}
        try:
            ready = self.rest().request_raw("GET", "/readyz")[0] == 200
        except Exception:
            ready = False
        return {"server": self.server, "kubeconfig": str(self.kubeconfig), "ready": ready, "processes": alive}

    # ----- clients --------------------------------------------------------------------------------

    def rest(self, timeout: float = 30.0) -> RestClient:
        """A synchronous admin client (stdlib only)."""
        return RestClient.from_kubeconfig(self.kubeconfig, timeout=timeout)

    def admin_rest_from_files(self) -> RestClient:
        f = PkiFiles.in_dir(self.dir)
        return RestClient(
            self.server, f.ca_crt.read_text(), cert_file=f.admin_crt, key_file=f.admin_key, timeout=10.0
        )

    def kubectl_path(self) -> Path:
        if "kubectl" in self.assets_dir:
            return Path(self.assets_dir["kubectl"])
        return resolve(("kubectl",)).binary("kubectl")

    def kubectl(
        self, *args: str, kubeconfig: Path | None = None, input: str | None = None, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this plane (admin unless `kubeconfig` is given); never raises on exit code."""
        argv = [str(self.kubectl_path()), f"--kubeconfig={kubeconfig or self.kubeconfig}", *args]
        return subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout, check=False)

    def restricted_kubeconfig(self, name: str, rules_or_role: Any, namespace: str = "lc-identities") -> Path:
        """A kubeconfig for ServiceAccount `name` bound to the given rules or (Cluster)Role YAML."""
        from e2e.controlplane.identity import create_restricted_identity

        return create_restricted_identity(self, name, rules_or_role, namespace=namespace)

    # ----- state ---------------------------------------------------------------------------------

    def _require_owned_state(self, action: str) -> None:
        if not self.procs:
            raise RuntimeError(f"cannot {action}: no state.json for this plane ({self.dir})")

    def _save(self) -> None:
        if not self.owned and not self.procs:
            return  # attached without a state file: nothing of ours to record
        if not self.dir.is_dir():
            return
        state = {
            "dir": str(self.dir),
            "server": self.server,
            "kubeconfig": str(self.kubeconfig),
            "channel": self.channel,
            "ports": self.ports,
            "processes": {k: p.to_json() for k, p in self.procs.items()},
            "assets": self.assets_dir,
        }
        tmp = self.dir / "state.json.tmp"
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.dir / "state.json")


def etcd_argv(binary: Path, data_dir: Path, client_port: int, peer_port: int) -> list[str]:
    """A single-member etcd on loopback, without fsync (test data only)."""
    peer = f"http://127.0.0.1:{peer_port}"
    client = f"http://127.0.0.1:{client_port}"
    return [
        str(binary),
        "--name=default",
        f"--data-dir={data_dir}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=default={peer}",
        "--unsafe-no-fsync=true",
        # info: etcd says at this level that another process holds its data dir (and nothing else does)
        "--log-level=info",
    ]


def _clean_dir(directory: Path) -> None:
    """Create `directory`, removing only what an earlier plane wrote there; refuse if one still runs."""
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / "state.json").exists():
        old = ControlPlane.load(directory)
        running = [n for n, p in old.procs.items() if processes.is_ours(p)]
        if running:
            raise StartError(
                f"a control plane still runs in {directory} ({', '.join(running)}); run `down` first"
            )
    for name in ("pki", "etcd-data", "logs"):
        shutil.rmtree(directory / name, ignore_errors=True)
    for name in ("state.json", "admin.kubeconfig", "audit-policy.yaml"):
        (directory / name).unlink(missing_ok=True)
    for stale in directory.glob("*.kubeconfig"):
        stale.unlink()
