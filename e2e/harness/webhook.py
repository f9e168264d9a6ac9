"""The readiness-gate webhook against a real kube-apiserver on loopback: its configuration from
manifests/webhook with the API server calling ``https://127.0.0.1:<port>/mutate-pod``, its certificate from
manifests/webhook/bootstrap-cert.sh, and the Secret "mounted" into a directory the way the kubelet does it
(files behind a ``..data`` symlink that is swapped atomically on every update)."""

from __future__ import annotations

import base64
import os
import socket
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from e2e.controlplane.plane import ControlPlane
from e2e.harness.controller import REPO_ROOT, SERVICE_ACCOUNT_NAMESPACE

WEBHOOK_DIR = REPO_ROOT / "manifests" / "webhook"
INJECT_LABEL = "application-networking.k8s.aws/pod-readiness-gate-inject"
READINESS_GATE = "application-networking.k8s.aws/pod-readiness-gate"


def register_webhook(plane: ControlPlane, name: str, port: int) -> dict[str, Any]:
    """manifests/webhook's MutatingWebhookConfiguration, named ``name``, calling the loopback port (no
    caBundle yet: ``bootstrap_certificate`` sets it)."""
    config = yaml.safe_load((WEBHOOK_DIR / "mutatingwebhookconfiguration.yaml").read_text())
    config["metadata"]["name"] = name
    config["webhooks"][0]["clientConfig"] = {"url": f"https://127.0.0.1:{port}/mutate-pod"}
    path = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
    created: dict[str, Any] = plane.rest().create(path, config)
    return created


def delete_webhook(plane: ControlPlane, name: str) -> None:
    plane.rest().delete(f"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{name}")


def set_ca_bundle(plane: ControlPlane, name: str, ca_pem: bytes) -> None:
    patch = [
        {"op": "add", "path": "/webhooks/0/clientConfig/caBundle", "value": base64.b64encode(ca_pem).decode()}
    ]
    plane.rest().request(
        "PATCH",
        f"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{name}",
        patch,
        content_type="application/json-patch+json",
    )


def set_failure_policy(plane: ControlPlane, name: str, policy: str) -> None:
    patch = [{"op": "replace", "path": "/webhooks/0/failurePolicy", "value": policy}]
    plane.rest().request(
        "PATCH",
        f"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/{name}",
        patch,
        content_type="application/json-patch+json",
    )


def bootstrap_certificate(plane: ControlPlane, configuration: str, secret: str) -> dict[str, bytes]:
    """Run manifests/webhook/bootstrap-cert.sh (certificate also valid for 127.0.0.1) and return the Secret's
    files: ``tls.crt``, ``tls.key``, ``ca.crt``."""
    plane.rest().create(
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SERVICE_ACCOUNT_NAMESPACE}},
        exist_ok=True,
    )
    env = {
        **os.environ,
        "KUBECTL": str(plane.kubectl_path()),
        "KUBECONFIG": str(plane.kubeconfig),
        "SECRET": secret,
        "WEBHOOK_CONFIGURATION": configuration,
        "EXTRA_SANS": "IP:127.0.0.1",
        "DAYS": "2",
    }
    done = subprocess.run(
        ["bash", str(WEBHOOK_DIR / "bootstrap-cert.sh")], env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise AssertionError(f"bootstrap-cert.sh failed: {done.stdout}{done.stderr}")
    data = plane.rest().get(f"/api/v1/namespaces/{SERVICE_ACCOUNT_NAMESPACE}/secrets/{secret}")["data"]
    return {key: base64.b64decode(value) for key, value in data.items()}


def mount_secret(directory: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` as the kubelet updates a Secret volume: a new timestamped directory, then the
    ``..data`` symlink swapped to it in one rename; ``tls.crt`` etc. are symlinks through ``..data``."""
    directory.mkdir(parents=True, exist_ok=True)
    version = directory / f"..{time.time_ns()}"
    version.mkdir()
    for name, data in files.items():
        (version / name).write_bytes(data)
    staged = directory / "..data_tmp"
    staged.unlink(missing_ok=True)
    staged.symlink_to(version.name)
    staged.rename(directory / "..data")
    for name in files:
        link = directory / name
        if not link.is_symlink():
            link.symlink_to(f"..data/{name}")


def served_certificate(port: int) -> bytes:
    """The DER certificate the webhook port presents now (no verification)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, context.wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der


def pem_to_der(pem: bytes) -> bytes:
    first = pem.decode().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    return ssl.PEM_cert_to_DER_cert(first)


def pod(name: str, labels: dict[str, str], gates: list[str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "registry.invalid/app:1"}]}
    if gates is not None:
        spec["readinessGates"] = [{"conditionType": g} for g in gates]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels}, "spec": spec}


def gates_of(pod_object: dict[str, Any]) -> list[str]:
    return [g.get("conditionType", "") for g in pod_object.get("spec", {}).get("readinessGates", [])]
