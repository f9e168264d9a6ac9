"""What every benchmark runs on: control plane + fake AWS + the controller, started and always stopped.

`BenchStack.start()` starts etcd + kube-apiserver (the workloads tier only on request), the fake AWS
endpoint, the GatewayClass and a Gateway `app-network` in namespace `bench`. The controller is started
through `e2e.harness.controller.start_controller`, as the ServiceAccount bound to `manifests/rbac.yaml`:
the apiserver audit log records its every request, and a request its role refuses (403) fails the run
when the controller stops. `close()` stops every process it started, by PID; SIGTERM and Ctrl-C
run it too. Workloads are selector-less Services with EndpointSlices written here, so a change has a
precise start time and no kube-controller-manager or kwok is needed.
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from e2e.controlplane.audit import AuditLog
from e2e.controlplane.plane import ControlPlane
from e2e.controlplane.rest import ApiError, RestClient
from e2e.fakeaws.client import FakeAwsAdmin
from e2e.fakeaws.fixtures import REGION, FakeAws, FakeAwsProcess, start_fake_aws
from e2e.harness.controller import (
    REPO_ROOT,
    SERVICE_ACCOUNT_USER,
    ControllerProcess,
    controller_env,
    start_controller,
)
from lattice_controller.aws.metrics import is_read_operation

NAMESPACE = "bench"
GATEWAY = "app-network"
GATEWAY_API = "/apis/gateway.networking.k8s.io/v1"
DISCOVERY = "/apis/discovery.k8s.io/v1"
SERVICE_ARN_ANNOTATION = "application-networking.k8s.aws/lattice-service-arn"


def _raise_exit(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


# ----- the Kubernetes objects a benchmark creates ------------------------------------------------------


def namespace_body(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def service_body(name: str, namespace: str = NAMESPACE) -> dict[str, Any]:
    """A selector-less Service: its EndpointSlices are written by the benchmark, not by KCM."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8090, "protocol": "TCP"}]},
    }


def pod_ip(index: int) -> str:
    return f"10.244.{index // 250}.{index % 250 + 1}"


def endpoint_slice_body(
    service: str, ips: Iterable[str], namespace: str = NAMESPACE, name: str | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": name or f"{service}-bench",
            "namespace": namespace,
            "labels": {
                "kubernetes.io/service-name": service,
                "endpointslice.kubernetes.io/managed-by": "bench.lattice-controller",
            },
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8090, "protocol": "TCP"}],
        "endpoints": [
            {"addresses": [ip], "conditions": {"ready": True, "serving": True, "terminating": False}}
            for ip in ips
        ],
    }


def route_rule(index: int, backends: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        "matches": [{"path": {"type": "PathPrefix", "value": f"/p{index}"}}],
        "backendRefs": [
            {"name": name, "kind": "Service", "port": 80, "weight": weight} for name, weight in backends
        ],
    }


def http_route_body(name: str, rules: list[dict[str, Any]], namespace: str = NAMESPACE) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"parentRefs": [{"name": GATEWAY, "sectionName": "http"}], "rules": rules},
    }


def gateway_body() -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": GATEWAY, "namespace": NAMESPACE},
        "spec": {
            "gatewayClassName": "amazon-vpc-lattice",
            "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
        },
    }


# ----- counting ----------------------------------------------------------------------------------------


def is_read(operation_key: str) -> bool:
    """`vpc-lattice:ListServices` → True; `tag:GetResources` is a read too (the controller's own rule)."""
    return is_read_operation(operation_key.split(":", 1)[-1])


@dataclass(frozen=True, slots=True)
class AwsCalls:
    per_operation: dict[str, int]

    @property
    def reads(self) -> int:
        return sum(n for k, n in self.per_operation.items() if is_read(k))

    @property
    def writes(self) -> int:
        return sum(n for k, n in self.per_operation.items() if not is_read(k))

    @property
    def total(self) -> int:
        return sum(self.per_operation.values())

    def describe(self) -> str:
        return ", ".join(f"{k.split(':', 1)[-1]}x{n}" for k, n in sorted(self.per_operation.items())) or "-"


# ----- the stack ---------------------------------------------------------------------------------------


@dataclass
class BenchStack:
    directory: Path
    plane: ControlPlane
    fake_process: FakeAwsProcess
    fake: FakeAws
    audit: AuditLog
    controller: ControllerProcess | None = None
    log: Callable[[str], None] = print
    _keep_logs: list[Path] = field(default_factory=list)

    @classmethod
    def start(cls, prefix: str, *, log: Callable[[str], None] = print) -> BenchStack:
        signal.signal(signal.SIGTERM, _raise_exit)
        directory = Path(tempfile.mkdtemp(prefix=f"lc-bench-{prefix}-"))
        began = time.monotonic()
        try:
            plane = ControlPlane.start(directory)  # stops its own children if it fails
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        try:
            fake_process = start_fake_aws()
        except BaseException:
            plane.stop()
            shutil.rmtree(directory, ignore_errors=True)
            raise
        fake = FakeAws(fake_process.endpoint, REGION, FakeAwsAdmin(fake_process.endpoint), fake_process.pid)
        stack = cls(directory, plane, fake_process, fake, AuditLog(directory / "logs" / "audit.log"))
        stack.log = log
        try:
            rest = stack.rest
            gateway_class = (REPO_ROOT / "manifests/gatewayclass.yaml").read_text()
            out = plane.kubectl("apply", "-f", "-", input=gateway_class)
            if out.returncode != 0:
                raise RuntimeError(out.stderr)
            rest.create("/api/v1/namespaces", namespace_body(NAMESPACE), exist_ok=True)
            rest.create(f"{GATEWAY_API}/namespaces/{NAMESPACE}/gateways", gateway_body(), exist_ok=True)
        except BaseException:
            stack.close()
            raise
        log(f"stack up in {time.monotonic() - began:.1f} s (fake AWS {fake.endpoint}, files in {directory})")
        return stack

    @property
    def rest(self) -> RestClient:
        return self.plane.rest()

    @property
    def admin(self) -> FakeAwsAdmin:
        return self.fake.admin

    def start_controller(
        self, *, wait_ready: bool = True, args: Sequence[str] = (), **env: str
    ) -> ControllerProcess:
        """The controller as its ServiceAccount, with ``env`` and the command-line flags ``args``."""
        if self.controller is not None:
            self.stop_controller()
        full = controller_env(self.fake.env(), DEFAULT_SERVICE_NETWORK=GATEWAY, **env)
        self.controller = start_controller(self.plane, full, wait_ready=wait_ready, args=args)
        self._keep_logs.append(self.controller.log_path)
        return self.controller

    @property
    def controller_user(self) -> str:
        return SERVICE_ACCOUNT_USER

    def stop_controller(self) -> None:
        """Stop the controller; a request its role refused fails the run (AssertionError)."""
        if self.controller is not None:
            controller, self.controller = self.controller, None
            controller.stop()
            controller.check_permissions()

    def gateway_programmed(self) -> bool:
        gw = self.rest.get(f"{GATEWAY_API}/namespaces/{NAMESPACE}/gateways/{GATEWAY}")
        conds = gw.get("status", {}).get("conditions", [])
        return any(c["type"] == "Programmed" and c["status"] == "True" for c in conds)

    def wait_gateway_programmed(self, timeout: float = 90.0, nudge_after: float = 10.0) -> None:
        """Wait for Programmed=True. If the gateway was reconciled before DEFAULT_SERVICE_NETWORK existed
        it is not revisited until a resync (AWS is not watched): after `nudge_after` s, annotate it once
        to trigger a reconcile, and say so."""
        try:
            wait_for("gateway Programmed", self.gateway_programmed, nudge_after, self)
            return
        except TimeoutError:
            pass
        self.log(
            f"NOTE  gateway not Programmed {nudge_after:.0f} s after start (reconciled before the default "
            "network existed?); annotating it to trigger a reconcile"
        )
        self.rest.request(
            "PATCH",
            f"{GATEWAY_API}/namespaces/{NAMESPACE}/gateways/{GATEWAY}",
            {"metadata": {"annotations": {"bench/nudge": str(time.time())}}},
            content_type="application/merge-patch+json",
        )
        wait_for("gateway Programmed", self.gateway_programmed, timeout, self)

    def route_arn(self, name: str, namespace: str = NAMESPACE) -> str | None:
        try:
            route = self.rest.get(f"{GATEWAY_API}/namespaces/{namespace}/httproutes/{name}")
        except ApiError:
            return None
        arn = route.get("metadata", {}).get("annotations", {}).get(SERVICE_ARN_ANNOTATION)
        return str(arn) if arn else None

    def routes_with_arn(self, namespace: str = NAMESPACE) -> int:
        items = self.rest.get(f"{GATEWAY_API}/namespaces/{namespace}/httproutes").get("items", [])
        return sum(1 for r in items if SERVICE_ARN_ANNOTATION in r["metadata"].get("annotations", {}))

    def counters_of(self, operation_key: str) -> int:
        return self.admin.counters().get(operation_key, 0)

    def wait_quiet(self, quiet_seconds: float = 3.0, timeout: float = 120.0, interval: float = 0.25) -> None:
        """Until the fake has received no call for `quiet_seconds`."""
        deadline = time.monotonic() + timeout
        last = self.admin.counters()
        since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(interval)
            now = self.admin.counters()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet_seconds:
                return
        raise TimeoutError(f"AWS calls did not stop within {timeout:.0f} s")

    def metric(self, metric_name: str, /, **labels: str) -> float:
        """Sum of a metric's samples on the running controller whose labels include `labels`."""
        assert self.controller is not None
        total = 0.0
        for line in self.controller.metrics().splitlines():
            if not line.startswith(metric_name):
                continue
            head, _, value = line.rpartition(" ")
            metric, _, label_text = head.partition("{")
            if metric != metric_name:
                continue
            if all(f'{k}="{v}"' in label_text for k, v in labels.items()):
                total += float(value)
        return total

    def close(self) -> None:
        """Stop everything; a request the controller's role refused then ends the run with status 2."""
        refused: AssertionError | None = None
        try:
            self.stop_controller()
        except AssertionError as exc:
            refused = exc
        finally:
            try:
                self.fake_process.stop()
            finally:
                self.plane.stop()
                shutil.rmtree(self.directory, ignore_errors=True)
                for path in self._keep_logs:
                    path.unlink(missing_ok=True)
        if refused is not None:
            print(f"benchmark failed: {refused}", file=sys.stderr)
            raise SystemExit(2)


def wait_for(what: str, check: Callable[[], bool], timeout: float, stack: BenchStack | None = None) -> float:
    """Poll `check` every 0.2 s; return the seconds it took, or raise with the controller's log tail."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            if check():
                return time.monotonic() - began
        except ApiError:
            pass
        time.sleep(0.2)
    tail = stack.controller.log_tail(30) if stack and stack.controller else ""
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [headers, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
