"""The test control plane: etcd + kube-apiserver (+ the workloads tier) on loopback, with a state file.

`ControlPlane.start()` generates certificates, starts etcd and kube-apiserver on free loopback ports,
writes the admin kubeconfig, installs the Gateway API CRDs and records every child's PID in
`<dir>/state.json`, so that another process (`python -m e2e.controlplane down`) can stop exactly those
children later. It never stops a process it did not record, and never looks processes up by name.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from e2e.controlplane import processes, workloads
from e2e.controlplane.assets import APISERVER_TIER, Assets, resolve
from e2e.controlplane.crds import install_gateway_crds
from e2e.controlplane.pki import PkiFiles, generate_pki, write_admin_kubeconfig
from e2e.controlplane.processes import ManagedProcess
from e2e.controlplane.rest import RestClient

SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"  # kwok hands out pod IPs from here; disjoint from SERVICE_CIDR
ETCD_TIMEOUT = float(os.environ.get("LC_ETCD_START_TIMEOUT", "60"))
APISERVER_TIMEOUT = float(os.environ.get("LC_APISERVER_START_TIMEOUT", "180"))
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
    """A child did not become ready; the message carries the tail of its log."""


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
            plane.timings["crds"] = time.monotonic() - began
            if with_workloads:
                began = time.monotonic()
                plane.ensure_workloads()
                plane.timings["workloads"] = time.monotonic() - began
        except BaseException:
            plane.stop()
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
        last: Exception | None = None
        for _ in range(PORT_ATTEMPTS):
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
                # Ports taken meanwhile, or a child that died early on a loaded machine: start both
                # again on fresh ports; the last error is kept for the final message.
                last = exc
                for name in ("kube-apiserver", "etcd"):
                    if name in self.procs:
                        processes.stop(self.procs.pop(name))
                self._save()
                continue
            write_admin_kubeconfig(PkiFiles.in_dir(self.dir), self.server, self.kubeconfig)
            self._save()
            return
        raise StartError(f"etcd + kube-apiserver failed {PORT_ATTEMPTS} times; last: {last}")

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> ManagedProcess:
        proc = processes.spawn(name, argv, self.dir / "logs" / f"{name}.log", env=env)
        self.procs[name] = proc
        self._save()
        return proc

    def _start_etcd(self, binary: Path) -> None:
        peer = f"http://127.0.0.1:{self.ports['etcd-peer']}"
        client = f"http://127.0.0.1:{self.ports['etcd']}"
        argv = [
            str(binary),
            "--name=default",
            f"--data-dir={self.dir / 'etcd-data'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=default={peer}",
            "--unsafe-no-fsync=true",
            "--log-level=warn",
        ]
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

    def _wait(self, what: str, check: Any, proc: ManagedProcess, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if check():
                    return
            except Exception:  # not listening yet
                pass
            if not processes.is_ours(proc):
                raise StartError(
                    f"{proc.name} exited while waiting for {what}\n{processes.describe_failure(proc)}"
                )
            if time.monotonic() > deadline:
                raise StartError(
                    f"timed out after {timeout:.0f}s: {what}\n{processes.describe_failure(proc)}"
                )
            time.sleep(0.2)

    def restart_apiserver(self, downtime: float = 0.0) -> None:
        """Stop kube-apiserver and start it again on the same port and etcd; return when ready."""
        self._require_owned_state("restart the apiserver")
        old = self.procs["kube-apiserver"]
        processes.stop(old)
        if downtime:
            time.sleep(downtime)
        self._spawn("kube-apiserver", list(old.argv))
        self._wait_apiserver()

    def ensure_workloads(self) -> None:
        """Start KCM, kwok and the binder and create the fake Node, unless they already run."""
        workloads.ensure(self)

    def stop(self) -> None:
        """Stop every recorded child (workloads first, etcd last). A no-op for an attached plane."""
        if not self.owned:
            return
        for name in STOP_ORDER:
            if name in self.procs:
                processes.stop(self.procs[name])
        for name in list(self.procs):
            processes.stop(self.procs.pop(name))
        self._save()

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
