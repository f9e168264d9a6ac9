"""Pod readiness gates on a real rollout: kwok runs the Deployment (readiness gates held as the kubelet
holds them), the real kube-apiserver calls the controller's webhook over TLS on loopback to add the gate,
and the fake AWS endpoint's health-check knob decides when targets turn HEALTHY.

One route to `checkout-v2` (10 replicas, maxUnavailable 0) in a namespace labelled for the gate, whose
Pods get `application-networking.k8s.aws/pod-readiness-gate` from the webhook:

* while Lattice says INITIAL the Pods stay NotReady with the condition False/Initial; once it says
  HEALTHY they become Ready;
* a rolling update never leaves the route's target group without a HEALTHY registered target (the fake
  is sampled all through the rollout);
* a Pod whose target never becomes healthy stays NotReady and says why (False/Unhealthy);
* when its Service stops being the route's backend, the gate lets the Pod go (True/NotABackend).

In the kind tier (`LC_CONTROLLER_TARGET=kind`, e2e/kind) the same test runs against the install's own
webhook: the overlay adds the component manifests/webhook, its certificate comes from bootstrap-cert.sh at
`up`, the API server calls `webhook-service` in front of the controller's 2 replicas (started with
WEBHOOK_ENABLED=true), and the Pods really run on the kind node — their image, as every workload image of
the scenarios, is the stand-in `kind load` put on the node under that name, so nothing is pulled.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import (
    SERVICE_ACCOUNT_NAMESPACE,
    ControllerProcess,
    controller_env,
    free_port,
    in_kind,
    start_controller,
)
from e2e.harness.lattice_view import lattice_client
from e2e.harness.webhook import (
    INJECT_LABEL,
    bootstrap_certificate,
    delete_webhook,
    gates_of,
    mount_secret,
    register_webhook,
)
from e2e.scenarios.support import (
    Scenario,
    apply,
    backend_rule,
    eventually,
    gateway_yaml,
    kubectl_json,
    route_target_groups,
    route_yaml,
    scenario,
    short_id,
)

__all__ = ["scenario"]

if TYPE_CHECKING:
    from e2e.kind.incluster import InClusterController

GATE = "application-networking.k8s.aws/pod-readiness-gate"
REPLICAS = 10
IMAGE = "public.ecr.aws/nginx/nginx:stable"


def _deployment(ns: str, name: str) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  replicas: {REPLICAS}
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxUnavailable: 0, maxSurge: 5}}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: app
          image: {IMAGE}
          ports: [{{containerPort: 8090}}]
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  selector: {{app: {name}}}
  ports:
    - {{name: http, port: 80, targetPort: 8090}}
---
"""


def _condition(pod: dict[str, Any], type_: str) -> dict[str, Any]:
    return next((c for c in pod["status"].get("conditions", []) if c["type"] == type_), {})


def _pods(s: Scenario, ns: str) -> list[dict[str, Any]]:
    pods = kubectl_json(s.plane, "get", "pods", "-n", ns)["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def _tg_id(s: Scenario, ns: str) -> str:
    def found() -> str | None:
        tg = route_target_groups(s.view(), ns, "checkout").get(f"{ns}/checkout-v2")
        return tg["id"] if tg else None

    return eventually(found, what="the route's target group")


class HealthSampler:
    """Reads the target group's targets from the fake every 0.2 s in a thread: the fewest HEALTHY
    targets seen, the statuses seen, and how many samples were taken."""

    def __init__(self, fake: FakeAws, tg_id: str) -> None:
        self._client = lattice_client(fake.endpoint)
        self._tg_id = tg_id
        self._stop = threading.Event()
        self.min_healthy = 10**6
        self.samples = 0
        self.statuses: set[str] = set()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HealthSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            items = self._client.list_targets(targetGroupIdentifier=self._tg_id)["items"]
            statuses = [t["status"] for t in items]
            self.statuses.update(statuses)
            self.min_healthy = min(self.min_healthy, statuses.count("HEALTHY"))
            self.samples += 1
            self._stop.wait(0.2)


def _injected(metrics: str) -> float:
    found = re.search(r"^lattice_webhook_readiness_gates_injected_total (\S+)$", metrics, flags=re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def _webhook_gates(s: Scenario, controller: InClusterController, ns: str, app: str) -> None:
    """kind: the API server reaches the webhook through its Service once the replicas' endpoints are live,
    and failurePolicy Ignore lets a Pod through ungated while the call fails. Server-side dry-run Pods of
    the Deployment (nothing is created) until 3 in a row come back with the gate: the webhook answers and
    knows the route. (The API server keeps its connection to the Service, so the calls all reach one
    replica while it lasts: waiting for a gate from each replica never ends; both caches hold the same.)"""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": f"{app}-probe-", "namespace": ns, "labels": {"app": app}},
        "spec": {"containers": [{"name": "app", "image": IMAGE}]},
    }
    in_a_row = [0]

    def gated() -> bool:
        out = s.plane.kubectl("create", "--dry-run=server", "-o", "json", "-f", "-", input=json.dumps(pod))
        assert out.returncode == 0, out.stderr
        in_a_row[0] = in_a_row[0] + 1 if gates_of(json.loads(out.stdout)) == [GATE] else 0
        return in_a_row[0] >= 3

    try:
        eventually(gated, timeout=60, interval=0.2, what="3 dry-run Pods in a row gated by the webhook")
    except AssertionError:
        injected = {name: _injected(controller.pod_metrics(name)) for name in controller.ready_pods()}
        print(f"gates injected per replica: {injected}\n{controller.log_tail()}")
        raise


@pytest.fixture
def webhook(scenario: Scenario, tmp_path: Path) -> Iterator[ControllerProcess | InClusterController]:
    """The controller with WEBHOOK_ENABLED, its MutatingWebhookConfiguration (manifests/webhook) calling
    it on loopback with a certificate from manifests/webhook/bootstrap-cert.sh. In kind, the cluster's
    Deployment with WEBHOOK_ENABLED=true behind the install's own webhook configuration and certificate."""
    if in_kind():
        env = controller_env(
            scenario.aws_env,
            DEFAULT_SERVICE_NETWORK="app-network",
            RECONCILE_DEFAULT_RESYNC_SECONDS="60",
            WEBHOOK_ENABLED="true",  # the certificate files: the Secret's mount at their default path
        )
        controller = start_controller(scenario.plane, env)
        scenario.controllers.append(controller)  # scaled to 0 by the scenario
        yield controller
        return
    name, port = f"gate-{short_id()}", free_port()
    register_webhook(scenario.plane, name, port)
    try:
        mounted = tmp_path / "webhook-cert"
        mount_secret(mounted, bootstrap_certificate(scenario.plane, name, name))
        env = controller_env(
            scenario.aws_env,
            DEFAULT_SERVICE_NETWORK="app-network",
            RECONCILE_DEFAULT_RESYNC_SECONDS="60",
            WEBHOOK_ENABLED="true",
            WEBHOOK_TLS_CERT_FILE=str(mounted / "tls.crt"),
            WEBHOOK_TLS_KEY_FILE=str(mounted / "tls.key"),
        )
        process = start_controller(scenario.plane, env, args=[f"--webhook-bind-address=127.0.0.1:{port}"])
        scenario.controllers.append(process)  # stopped (and checked for refused requests) by the scenario
        yield process
    finally:
        delete_webhook(scenario.plane, name)
        scenario.plane.rest().delete(f"/api/v1/namespaces/{SERVICE_ACCOUNT_NAMESPACE}/secrets/{name}")


def test_readiness_gate_holds_pods_until_lattice_reports_them_healthy(
    scenario: Scenario, webhook: ControllerProcess | InClusterController, fake_aws: FakeAws
) -> None:
    s, admin = scenario, fake_aws.admin
    admin.set_target_health(status="INITIAL")  # every target: health checks not passed yet
    ns = s.namespace("gate", labels={INJECT_LABEL: "enabled"})
    # The Service, its route and Gateway first: the webhook gates a Pod whose Service is a backend.
    deployment, service = _deployment(ns, "checkout-v2").split("---\n", 1)
    route = route_yaml(ns, "checkout", backend_rule("checkout-v2"))
    apply(s.plane, gateway_yaml(ns) + service + route)
    tg_id = _tg_id(s, ns)
    if not isinstance(webhook, ControllerProcess):  # the kind tier's Deployment
        _webhook_gates(s, webhook, ns, "checkout-v2")
    apply(s.plane, deployment)
    before = admin.counters()

    # Registered, INITIAL in Lattice: every Pod says so and is not Ready.
    def all_initial() -> list[dict[str, Any]] | None:
        pods = _pods(s, ns)
        ok = len(pods) == REPLICAS and all(_condition(p, GATE).get("reason") == "Initial" for p in pods)
        return pods if ok else None

    pods = eventually(all_initial, timeout=120, what="10 Pods with the gate False/Initial")
    assert all(gates_of(p) == [GATE] for p in pods)  # added by the webhook
    assert all(_condition(p, "Ready").get("status") == "False" for p in pods)
    assert "INITIAL" in _condition(pods[0], GATE)["message"]

    # Health checks pass: the Pods become Ready, and the Deployment available.
    admin.set_target_health()  # the switch: the rule goes, every target is HEALTHY
    started = time.monotonic()

    def all_ready() -> bool:
        pods = _pods(s, ns)
        return len(pods) == REPLICAS and all(
            _condition(p, GATE).get("status") == "True" and _condition(p, "Ready").get("status") == "True"
            for p in pods
        )

    eventually(all_ready, timeout=60, what="10 Ready Pods once Lattice reports them HEALTHY")
    ready_after = time.monotonic() - started
    assert {_condition(p, GATE)["reason"] for p in _pods(s, ns)} == {"Healthy"}
    calls = {k: v - before.get(k, 0) for k, v in admin.counters().items() if v != before.get(k, 0)}
    print(f"gate: Ready {ready_after:.1f} s after HEALTHY; AWS calls meanwhile: {calls}")

    # A rolling update: new targets are INITIAL for 3 s, and the group always keeps HEALTHY targets.
    admin.set_target_health(initial_seconds=3)
    with HealthSampler(fake_aws, tg_id) as sampler:
        out = s.plane.kubectl(
            "patch", "deployment", "checkout-v2", "-n", ns, "-p",
            '{"spec":{"template":{"metadata":{"annotations":{"rollout":"2"}}}}}',
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        began = time.monotonic()
        out = s.plane.kubectl("rollout", "status", "deployment/checkout-v2", "-n", ns, "--timeout=240s")
        assert out.returncode == 0, out.stdout + out.stderr
        rollout = time.monotonic() - began
    print(f"gate: rollout {rollout:.1f} s, {sampler.samples} samples, min HEALTHY {sampler.min_healthy}")
    assert sampler.samples > 10
    assert sampler.min_healthy >= 1, "the target group had no HEALTHY target during the rollout"
    assert "INITIAL" in sampler.statuses  # the sampler saw new targets before they were healthy

    # A Pod whose health checks fail stays NotReady and says why.
    admin.set_target_health(initial_seconds=0, status="UNHEALTHY")
    names = {p["metadata"]["name"] for p in _pods(s, ns)}
    out = s.plane.kubectl("scale", "deployment", "checkout-v2", "-n", ns, f"--replicas={REPLICAS + 1}")
    assert out.returncode == 0, out.stderr

    def unhealthy_pod() -> dict[str, Any] | None:
        new = [p for p in _pods(s, ns) if p["metadata"]["name"] not in names]
        return new[0] if new and _condition(new[0], GATE).get("reason") == "Unhealthy" else None

    sick = eventually(unhealthy_pod, timeout=90, what="the new Pod's gate False/Unhealthy")
    message = _condition(sick, GATE)["message"]
    assert message.startswith("Target health check status: UNHEALTHY"), message
    assert "health check" in message
    assert _condition(sick, "Ready")["status"] == "False"

    # The route stops using the Service: the gate no longer holds the Pod back.
    out = s.plane.kubectl("delete", "httproute", "checkout", "-n", ns, "--wait=false")
    assert out.returncode == 0, out.stderr
    name = sick["metadata"]["name"]

    def released() -> bool:
        pod = kubectl_json(s.plane, "get", "pod", name, "-n", ns)
        return (
            _condition(pod, GATE).get("reason") == "NotABackend"
            and _condition(pod, "Ready").get("status") == "True"
        )

    eventually(released, timeout=90, what="the Pod released by the gate once no route uses its Service")
