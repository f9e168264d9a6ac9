"""Loading the API server connection from kubeconfig files and the in-cluster service account."""

from __future__ import annotations

import json
import ssl
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from lattice_controller.kube import connection as conn
from lattice_controller.kube.connection import ConnectionConfigError, connection_from_kubeconfig


def write_kubeconfig(tmp_path: Path, user: dict[str, Any], cluster: dict[str, Any] | None = None) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": cluster or {"server": "https://127.0.0.1:6443/"}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [
            {"name": "ctx", "context": {"cluster": "c", "user": "u"}},
            {"name": "other", "context": {}},
        ],
        "current-context": "ctx",
    }
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(doc))
    return path


async def test_token_and_token_file(tmp_path: Path) -> None:
    c = connection_from_kubeconfig(write_kubeconfig(tmp_path, {"token": "abc"}))
    assert c.server == "https://127.0.0.1:6443"
    assert isinstance(c.ssl_context, ssl.SSLContext)
    assert await c.auth_headers() == {"Authorization": "Bearer abc"}
    (tmp_path / "tok").write_text("from-file\n")
    c = connection_from_kubeconfig(write_kubeconfig(tmp_path, {"tokenFile": "tok"}))
    assert await c.auth_headers() == {"Authorization": "Bearer from-file"}


async def test_exec_plugin_token_is_cached_until_expiry(tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    script = tmp_path / "plugin.py"
    script.write_text(
        "import json, os, pathlib\n"
        f"p = pathlib.Path({str(counter)!r}); p.write_text(p.read_text() + 'x' if p.exists() else 'x')\n"
        "info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
        "print(json.dumps({'apiVersion': info['apiVersion'], 'kind': 'ExecCredential',"
        " 'status': {'token': 'tok-' + os.environ['REGION'],"
        " 'expirationTimestamp': '2999-01-01T00:00:00Z'}}))\n"
    )
    spec = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": sys.executable,
        "args": [str(script)],
        "env": [{"name": "REGION", "value": "us-west-2"}],
    }
    c = connection_from_kubeconfig(write_kubeconfig(tmp_path, {"exec": spec}))
    assert await c.auth_headers() == {"Authorization": "Bearer tok-us-west-2"}
    assert await c.auth_headers() == {"Authorization": "Bearer tok-us-west-2"}
    assert counter.read_text() == "x"


def test_insecure_and_plain_http_and_errors(tmp_path: Path) -> None:
    c = connection_from_kubeconfig(
        write_kubeconfig(tmp_path, {}, {"server": "https://h:1", "insecure-skip-tls-verify": True})
    )
    assert isinstance(c.ssl_context, ssl.SSLContext)
    assert c.ssl_context.verify_mode == ssl.CERT_NONE
    assert (
        connection_from_kubeconfig(write_kubeconfig(tmp_path, {}, {"server": "http://h:8080"})).ssl_context
        is False
    )
    with pytest.raises(ConnectionConfigError, match="no context named 'nope'"):
        connection_from_kubeconfig(write_kubeconfig(tmp_path, {}), "nope")
    with pytest.raises(ConnectionConfigError, match="cannot read kubeconfig"):
        connection_from_kubeconfig(tmp_path / "missing")
    with pytest.raises(ConnectionConfigError, match="auth-provider"):
        connection_from_kubeconfig(write_kubeconfig(tmp_path, {"auth-provider": {"name": "gcp"}}))


@pytest.fixture
def service_account_dir(tmp_path: Path) -> Path:
    ca = Path(ssl.get_default_verify_paths().cafile or "")
    if not ca.is_file():
        pytest.skip("no system CA bundle to stand in for ca.crt")
    (tmp_path / "ca.crt").write_text(ca.read_text())
    (tmp_path / "token").write_text("t1")
    return tmp_path


async def test_in_cluster_reads_the_rotating_token(
    service_account_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = service_account_dir
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    monkeypatch.setattr(conn, "_TOKEN_REREAD_SECONDS", 0.0)
    c = conn.in_cluster_connection(tmp_path)
    assert c.server == "https://10.96.0.1:443"
    assert await c.auth_headers() == {"Authorization": "Bearer t1"}
    (tmp_path / "token").write_text("t2")
    assert await c.auth_headers() == {"Authorization": "Bearer t2"}
    assert json.dumps(await c.auth_headers())
