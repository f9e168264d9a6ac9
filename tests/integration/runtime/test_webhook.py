"""The readiness-gate webhook called by the real kube-apiserver over TLS on loopback.

The configuration is manifests/webhook's (selectors, failurePolicy, timeout) with the API server calling
``https://127.0.0.1:<port>/mutate-pod``; the certificate comes from manifests/webhook/bootstrap-cert.sh and
reaches the controller as the kubelet updates a Secret volume. The controller runs as the ServiceAccount of
manifests/rbac.yaml (the webhook needs no permission beyond the cache's reads).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.controlplane.plane import ControlPlane, scaled_timeout
from e2e.harness.controller import ControllerProcess, controller_env, free_port, start_controller
from e2e.harness.webhook import (
    INJECT_LABEL,
    READINESS_GATE,
    bootstrap_certificate,
    delete_webhook,
    gates_of,
    mount_secret,
    pem_to_der,
    pod,
    register_webhook,
    served_certificate,
    set_ca_bundle,
    set_failure_policy,
)

pytestmark = pytest.mark.integration

CONTROLLER_NAME = "application-networking.k8s.aws/gateway-api-controller"
GW_API = "/apis/gateway.networking.k8s.io/v1"
APP = {"app": "checkout"}


def _until(what: str, condition: Callable[[], bool], controller: ControllerProcess, timeout: float) -> None:
    deadline = time.monotonic() + scaled_timeout(timeout)
    while time.monotonic() < deadline:
        if condition():
            return
        assert controller.process.poll() is None, controller.log_tail()
        time.sleep(0.3)
    raise AssertionError(f"{what} within {timeout} s (scaled):\n{controller.log_tail()}")


class Setup:
    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self.rest = plane.rest()
        self.id = uuid.uuid4().hex[:6]
        self.on = f"wh-on-{self.id}"
        self.off = f"wh-off-{self.id}"
        self.gateway_class = f"wh-{self.id}"
        self.webhook = f"lc-webhook-{self.id}"

    def objects(self) -> None:
        for name, labels in ((self.on, {INJECT_LABEL: "enabled"}), (self.off, {})):
            self.rest.create(
                "/api/v1/namespaces",
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}},
            )
        self.rest.create(
            f"{GW_API}/gatewayclasses",
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "GatewayClass",
                "metadata": {"name": self.gateway_class},
                "spec": {"controllerName": CONTROLLER_NAME},
            },
        )
        for ns in (self.on, self.off):
            self.rest.create(
                f"{GW_API}/namespaces/{ns}/gateways",
                {
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "kind": "Gateway",
                    "metadata": {"name": "gw", "namespace": ns},
                    "spec": {
                        "gatewayClassName": self.gateway_class,
                        "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
                    },
                },
            )
            self.rest.create(
                f"/api/v1/namespaces/{ns}/services",
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": "checkout", "namespace": ns},
                    "spec": {"selector": APP, "ports": [{"port": 80, "targetPort": 8090}]},
                },
            )
            self.rest.create(
                f"{GW_API}/namespaces/{ns}/httproutes",
                {
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "kind": "HTTPRoute",
                    "metadata": {"name": "checkout", "namespace": ns},
                    "spec": {
                        "parentRefs": [{"name": "gw"}],
                        "rules": [{"backendRefs": [{"name": "checkout", "port": 80}]}],
                    },
                },
            )

    def create_pod(self, ns: str, body: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        query = {"dryRun": "All"} if dry_run else None
        result: dict[str, Any] = self.rest.request("POST", f"/api/v1/namespaces/{ns}/pods", body, query=query)
        return result

    def cleanup(self) -> None:
        delete_webhook(self.plane, self.webhook)
        for ns in (self.on, self.off):
            self.rest.delete(f"/api/v1/namespaces/{ns}")
        self.rest.delete(f"{GW_API}/gatewayclasses/{self.gateway_class}")


@pytest.fixture
def setup(control_plane: ControlPlane) -> Iterator[Setup]:
    s = Setup(control_plane)
    try:
        yield s
    finally:
        s.cleanup()


def test_the_api_server_calls_the_webhook_over_tls(
    setup: Setup, control_plane: ControlPlane, aws_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    register_webhook(control_plane, setup.webhook, port)
    first = bootstrap_certificate(control_plane, setup.webhook, setup.webhook)
    mounted = tmp_path / "webhook-cert"
    mount_secret(mounted, first)
    env = controller_env(
        aws_env,
        WEBHOOK_ENABLED="true",
        WEBHOOK_TLS_CERT_FILE=str(mounted / "tls.crt"),
        WEBHOOK_TLS_KEY_FILE=str(mounted / "tls.key"),
    )
    controller = start_controller(control_plane, env, args=[f"--webhook-bind-address=127.0.0.1:{port}"])
    assert isinstance(controller, ControllerProcess)
    try:
        setup.objects()
        probe = pod("probe", APP)
        _until(
            "a server-side dry run in the labelled namespace gets the gate",
            lambda: gates_of(setup.create_pod(setup.on, probe, dry_run=True)) == [READINESS_GATE],
            controller,
            60,
        )

        # Labelled namespace, selected by a backend Service: the gate, once.
        created = setup.create_pod(setup.on, pod("a", {**APP, "pod-template-hash": "1"}))
        assert gates_of(created) == [READINESS_GATE]
        kept = setup.create_pod(setup.on, pod("b", APP, gates=["example.com/other", READINESS_GATE]))
        assert gates_of(kept) == ["example.com/other", READINESS_GATE]
        added = setup.create_pod(setup.on, pod("c", APP, gates=["example.com/other"]))
        assert gates_of(added) == ["example.com/other", READINESS_GATE]
        # Not selected by a backend Service, or in a namespace that did not opt in: untouched.
        assert gates_of(setup.create_pod(setup.on, pod("d", {"app": "other"}))) == []
        assert gates_of(setup.create_pod(setup.off, pod("e", APP))) == []
        # The controller's own pods are never sent to it (objectSelector).
        own = pod("f", {**APP, "app.kubernetes.io/name": "gateway-api-controller"})
        assert gates_of(setup.create_pod(setup.on, own)) == []
        metrics = controller.metrics()
        assert 'controller_runtime_webhook_requests_total{code="200",webhook="/mutate-pod"}' in metrics
        assert "lattice_webhook_readiness_gates_injected_total 3.0" in metrics, metrics

        # Rotation on disk (a new CA and certificate, as a renewal does): picked up without a restart.
        pid = controller.process.pid
        second = bootstrap_certificate(control_plane, setup.webhook, setup.webhook)
        assert second["tls.crt"] != first["tls.crt"]
        mount_secret(mounted, second)
        _until(
            "the new certificate served",
            lambda: served_certificate(port) == pem_to_der(second["tls.crt"]),
            controller,
            30,
        )
        assert controller.process.pid == pid
        assert controller.is_running()
        assert "webhook certificate reloaded" in controller.log_path.read_text()
        # The API server now trusts only the new CA and still reaches the webhook.
        set_ca_bundle(control_plane, setup.webhook, second["ca.crt"])
        _until(
            "the gate with only the new CA trusted",
            lambda: gates_of(setup.create_pod(setup.on, probe, dry_run=True)) == [READINESS_GATE],
            controller,
            30,
        )

        # The Service stops being a backend (its route is deleted): new Pods are no longer gated.
        setup.rest.delete(f"{GW_API}/namespaces/{setup.on}/httproutes/checkout")
        _until(
            "no gate once the route is gone",
            lambda: gates_of(setup.create_pod(setup.on, probe, dry_run=True)) == [],
            controller,
            30,
        )

        # Webhook down (controller stopped): failurePolicy Ignore creates the pod, without the gate.
        assert controller.stop() == 0
        assert gates_of(setup.create_pod(setup.on, pod("g", APP))) == []
        # failurePolicy Fail instead: the same outage refuses every pod creation in the namespace.
        set_failure_policy(control_plane, setup.webhook, "Fail")
        status, text = setup.rest.request_raw("POST", f"/api/v1/namespaces/{setup.on}/pods", pod("h", APP))
        assert status == 500, text
        assert 'failed calling webhook "mpod.gwc.k8s.aws"' in json.loads(text)["message"], text
    finally:
        controller.stop()
