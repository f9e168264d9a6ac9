"""Where the API server is and how to authenticate, loaded without kubernetes-asyncio.

Importing ``kubernetes_asyncio.client`` costs about 65 MiB of RSS (it loads ~850 generated modules),
half the controller's memory budget, while the controller only needs raw JSON calls (``kube.rest``).
This module reads the same sources kubectl does:

* a kubeconfig file (explicit path, else ``$KUBECONFIG``'s first entry, else ``~/.kube/config``): the
  current context's cluster (server, CA file/data, insecure-skip-tls-verify, tls-server-name) and user
  (client certificate/key file/data, token, tokenFile, or an ``exec`` credential plugin such as
  ``aws eks get-token``, whose token is cached until shortly before its expiry);
* the in-cluster service account: ``KUBERNETES_SERVICE_HOST``/``PORT``, the CA bundle and the bound,
  rotating token, re-read every minute.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
_TOKEN_REREAD_SECONDS = 60.0
_EXEC_EXPIRY_MARGIN_SECONDS = 60.0

AuthHeaders = Callable[[], Awaitable[dict[str, str]]]


class ConnectionConfigError(RuntimeError):
    pass


async def _no_auth() -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class ClusterConnection:
    server: str
    ssl_context: ssl.SSLContext | bool
    auth_headers: AuthHeaders = _no_auth
    tls_server_name: str | None = None


def in_cluster_available() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and (SERVICE_ACCOUNT_DIR / "token").exists()


async def load_connection(kubeconfig: str | None = None) -> ClusterConnection:
    """Explicit kubeconfig, else in-cluster service account, else the default kubeconfig."""
    if kubeconfig:
        return await asyncio.to_thread(connection_from_kubeconfig, Path(kubeconfig))
    if in_cluster_available():
        return in_cluster_connection()
    env = os.environ.get("KUBECONFIG", "")
    path = Path(env.split(os.pathsep)[0]) if env else Path.home() / ".kube" / "config"
    return await asyncio.to_thread(connection_from_kubeconfig, path)


def in_cluster_connection(directory: Path = SERVICE_ACCOUNT_DIR) -> ClusterConnection:
    host = os.environ.get("KUBERNETES_SERVICE_HOST", "")
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    if not host:
        raise ConnectionConfigError("KUBERNETES_SERVICE_HOST is not set")
    server = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    context = ssl.create_default_context(cafile=str(directory / "ca.crt"))
    token = _FileToken(directory / "token")
    return ClusterConnection(server, context, token.headers)


def connection_from_kubeconfig(path: Path, context_name: str | None = None) -> ClusterConnection:
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ConnectionConfigError(f"cannot read kubeconfig {path}: {exc}") from exc
    base = path.parent
    name = context_name or doc.get("current-context")
    context = _named(doc, "contexts", name, "context")
    cluster = _named(doc, "clusters", context.get("cluster"), "cluster")
    user = _named(doc, "users", context.get("user"), "user") if context.get("user") else {}
    server = str(cluster.get("server") or "").rstrip("/")
    if not server:
        raise ConnectionConfigError(f"kubeconfig {path}: cluster {context.get('cluster')!r} has no server")

    ssl_context: ssl.SSLContext | bool
    if cluster.get("insecure-skip-tls-verify"):
        ssl_context = ssl.create_default_context()
        ssl_context.check_hostname = False
        ssl_context.verify_mode = ssl.CERT_NONE
    else:
        ca_data = cluster.get("certificate-authority-data")
        ca_file = cluster.get("certificate-authority")
        if ca_data:
            ssl_context = ssl.create_default_context(cadata=base64.b64decode(ca_data).decode())
        elif ca_file:
            ssl_context = ssl.create_default_context(cafile=str(_relative(base, ca_file)))
        else:
            ssl_context = ssl.create_default_context()
    if not server.startswith("https://"):
        ssl_context = False

    cert = _pem(user, "client-certificate", base)
    key = _pem(user, "client-key", base)
    if cert and key and isinstance(ssl_context, ssl.SSLContext):
        _load_cert_chain(ssl_context, cert, key)

    auth: AuthHeaders = _no_auth
    if user.get("token"):
        auth = _static_bearer(str(user["token"]))
    elif user.get("tokenFile"):
        auth = _FileToken(_relative(base, user["tokenFile"])).headers
    elif user.get("exec"):
        auth = _ExecCredential(user["exec"]).headers
    elif user.get("auth-provider"):
        raise ConnectionConfigError("kubeconfig auth-provider plugins are not supported; use exec")
    return ClusterConnection(server, ssl_context, auth, cluster.get("tls-server-name"))


def _named(doc: Mapping[str, Any], section: str, name: Any, field: str) -> dict[str, Any]:
    for entry in doc.get(section) or ():
        if entry.get("name") == name:
            value = entry.get(field) or {}
            return dict(value)
    raise ConnectionConfigError(f"kubeconfig has no {section[:-1]} named {name!r}")


def _relative(base: Path, value: Any) -> Path:
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else base / path


def _pem(user: Mapping[str, Any], field: str, base: Path) -> bytes | None:
    if user.get(f"{field}-data"):
        return base64.b64decode(user[f"{field}-data"])
    if user.get(field):
        return _relative(base, user[field]).read_bytes()
    return None


def _load_cert_chain(context: ssl.SSLContext, cert: bytes, key: bytes) -> None:
    # ssl only loads client certificates from files; they exist just long enough to be read.
    with tempfile.TemporaryDirectory(prefix="lc-kube-") as tmp:
        cert_path, key_path = Path(tmp, "tls.crt"), Path(tmp, "tls.key")
        cert_path.write_bytes(cert)
        key_path.touch(mode=0o600)
        key_path.write_bytes(key)
        context.load_cert_chain(str(cert_path), str(key_path))


def _static_bearer(token: str) -> AuthHeaders:
    headers = {"Authorization": f"Bearer {token}"}

    async def auth() -> dict[str, str]:
        return headers

    return auth


class _FileToken:
    """A bound service-account token that the kubelet rotates: re-read every minute."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._token = ""
        self._read_at = -_TOKEN_REREAD_SECONDS

    async def headers(self) -> dict[str, str]:
        now = time.monotonic()
        if now - self._read_at >= _TOKEN_REREAD_SECONDS:
            self._token = (await asyncio.to_thread(self.path.read_text)).strip()
            self._read_at = now
        return {"Authorization": f"Bearer {self._token}"}


class _ExecCredential:
    """client.authentication.k8s.io exec plugin: run it, cache the token until shortly before expiry."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.command = str(spec.get("command") or "")
        self.args = [str(a) for a in spec.get("args") or ()]
        self.env = {str(e["name"]): str(e["value"]) for e in spec.get("env") or ()}
        self.api_version = str(spec.get("apiVersion") or "client.authentication.k8s.io/v1")
        self._token = ""
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def headers(self) -> dict[str, str]:
        async with self._lock:
            if not self._token or time.time() >= self._expires - _EXEC_EXPIRY_MARGIN_SECONDS:
                await self._run()
        return {"Authorization": f"Bearer {self._token}"}

    async def _run(self) -> None:
        request = {"apiVersion": self.api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
        env = {**os.environ, **self.env, "KUBERNETES_EXEC_INFO": json.dumps(request)}
        proc = await asyncio.create_subprocess_exec(
            self.command,
            *self.args,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise ConnectionConfigError(f"exec credential plugin {self.command} failed: {err.decode()[:500]}")
        status = (json.loads(out) or {}).get("status") or {}
        if not status.get("token"):
            raise ConnectionConfigError(f"exec credential plugin {self.command} returned no token")
        self._token = str(status["token"])
        expiry = status.get("expirationTimestamp")
        self._expires = (
            datetime.fromisoformat(str(expiry).replace("Z", "+00:00")).timestamp() if expiry else float("inf")
        )
