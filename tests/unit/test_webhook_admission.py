"""The webhook's pure parts: the AdmissionReview answer and the JSONPatch, and the certificate reload."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from e2e.controlplane.pki import PkiFiles, generate_pki
from lattice_controller.runtime.admission import BadReview, gate_patch, review_response
from lattice_controller.runtime.webhook import CertificateError, ReloadingCertificate

GATE = "application-networking.k8s.aws/pod-readiness-gate"


def review(operation: str = "CREATE", pod: dict[str, Any] | None = None, **request: Any) -> dict[str, Any]:
    body = {
        "uid": "u-1",
        "operation": operation,
        "namespace": "store",
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "object": pod if pod is not None else {"metadata": {"labels": {"app": "a"}}, "spec": {}},
        **request,
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": body}


def patch_of(answer: dict[str, Any]) -> list[dict[str, Any]] | None:
    response = answer["response"]
    if "patch" not in response:
        return None
    assert response["patchType"] == "JSONPatch"
    patch: list[dict[str, Any]] = json.loads(base64.b64decode(response["patch"]))
    return patch


def always(ns: str, labels: Mapping[str, str]) -> bool:
    return True


def test_a_pod_that_needs_the_gate_gets_it() -> None:
    asked: list[tuple[str, dict[str, str]]] = []

    def needs(ns: str, labels: Mapping[str, str]) -> bool:
        asked.append((ns, dict(labels)))
        return True

    answer = review_response(review(), needs, GATE)
    assert answer["apiVersion"] == "admission.k8s.io/v1"
    assert answer["response"]["uid"] == "u-1"
    assert answer["response"]["allowed"] is True
    assert patch_of(answer) == [
        {"op": "add", "path": "/spec/readinessGates", "value": [{"conditionType": GATE}]}
    ]
    assert asked == [("store", {"app": "a"})]


def test_no_patch_when_not_needed_or_not_a_pod_create() -> None:
    assert patch_of(review_response(review(), lambda ns, labels: False, GATE)) is None
    assert patch_of(review_response(review("UPDATE"), always, GATE)) is None
    other = review(resource={"group": "apps", "version": "v1", "resource": "deployments"})
    assert patch_of(review_response(other, always, GATE)) is None
    assert patch_of(review_response(review(subResource="status"), always, GATE)) is None


def test_not_synced_allows_unchanged_with_a_warning() -> None:
    answer = review_response(review(), always, GATE, warning="not synced")
    assert patch_of(answer) is None
    assert answer["response"]["allowed"] is True
    assert answer["response"]["warnings"] == ["not synced"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, [{"op": "add", "path": "/spec/readinessGates", "value": [{"conditionType": GATE}]}]),
        (
            {"readinessGates": []},
            [{"op": "add", "path": "/spec/readinessGates", "value": [{"conditionType": GATE}]}],
        ),
        (
            {"readinessGates": [{"conditionType": "x"}]},
            [{"op": "add", "path": "/spec/readinessGates/-", "value": {"conditionType": GATE}}],
        ),
        ({"readinessGates": [{"conditionType": "x"}, {"conditionType": GATE}]}, []),
    ],
)
def test_gate_patch_is_idempotent(spec: dict[str, Any], expected: list[dict[str, Any]]) -> None:
    assert gate_patch({"spec": spec}, GATE) == expected


def test_namespace_falls_back_to_the_object() -> None:
    seen: list[str] = []
    body = review(pod={"metadata": {"namespace": "web", "labels": {"a": "b", "n": 1}}, "spec": {}})
    body["request"]["namespace"] = ""
    review_response(body, lambda ns, labels: seen.append(ns) or False, GATE)
    assert seen == ["web"]


@pytest.mark.parametrize("body", [None, [], {}, {"request": {}}, {"request": {"uid": 3}}])
def test_a_malformed_review_is_refused(body: Any) -> None:
    with pytest.raises(BadReview):
        review_response(body, always, GATE)


# ---- certificate files ---------------------------------------------------------------------------------


def pair(directory: Path, name: str) -> tuple[bytes, bytes]:
    files = PkiFiles.in_dir(directory / name)
    generate_pki(files)
    return files.serving_crt.read_bytes(), files.serving_key.read_bytes()


def test_certificate_load_and_reload(tmp_path: Path) -> None:
    a, b = pair(tmp_path, "a"), pair(tmp_path, "b")
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert.write_bytes(a[0])
    key.write_bytes(a[1])
    certificate = ReloadingCertificate(str(cert), str(key))
    certificate.load()
    assert not certificate.reload_if_changed()
    # Half a rotation (new certificate, old key): refused, the old pair stays.
    cert.write_bytes(b[0])
    assert not certificate.reload_if_changed()
    assert certificate.reloads == 0
    key.write_bytes(b[1])
    assert certificate.reload_if_changed()
    assert certificate.reloads == 1
    assert not certificate.reload_if_changed()


def test_unusable_files_name_the_setting(tmp_path: Path) -> None:
    with pytest.raises(CertificateError, match=r"^WEBHOOK_TLS_CERT_FILE=.*/missing.crt: cannot read it"):
        ReloadingCertificate(str(tmp_path / "missing.crt"), str(tmp_path / "missing.key")).load()
    (tmp_path / "junk.crt").write_text("junk")
    (tmp_path / "junk.key").write_text("junk")
    with pytest.raises(
        CertificateError, match=r"^WEBHOOK_TLS_CERT_FILE=.* not a matching PEM certificate and key"
    ):
        ReloadingCertificate(str(tmp_path / "junk.crt"), str(tmp_path / "junk.key")).load()


async def test_the_controller_stops_with_one_line_naming_the_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lattice_controller import app
    from lattice_controller.settings import Settings

    settings = Settings(
        region="us-west-2",
        cluster_vpc_id="vpc-1",
        aws_account_id="1",
        cluster_name="c",
        webhook_enabled=True,
        webhook_tls_cert_file=str(tmp_path / "absent.crt"),
        webhook_tls_key_file=str(tmp_path / "absent.key"),
        kubeconfig=str(tmp_path / "never-read"),
    )
    assert await app.run(settings) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"lattice-controller: WEBHOOK_TLS_CERT_FILE={tmp_path}/absent.crt: cannot read it")
