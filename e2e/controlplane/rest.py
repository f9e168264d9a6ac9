"""A minimal synchronous Kubernetes REST client on the standard library, for the launcher.

The launcher runs from the command line and from pytest fixtures alike, outside any event loop, and
needs only a handful of calls (readiness, CRDs, nodes, pod bindings, RBAC objects). It must never be used
by the code under test, which talks to the API through kubernetes-asyncio.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import yaml

JSON = dict[str, Any]


class ApiError(Exception):
    """A non-2xx answer from the API server."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path} -> {status}: {body[:500]}")
        self.status = status
        self.body = body


class RestClient:
    """HTTPS client for one API server with client-certificate or bearer-token credentials."""

    def __init__(
        self,
        server: str,
        ca_pem: str,
        *,
        cert_file: Path | None = None,
        key_file: Path | None = None,
        token: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        parts = urlsplit(server)
        self.server = server
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 443
        self.token = token
        self.timeout = timeout
        self._ssl = ssl.create_default_context(cadata=ca_pem)
        if cert_file is not None and key_file is not None:
            self._ssl.load_cert_chain(str(cert_file), str(key_file))

    @classmethod
    def from_kubeconfig(cls, path: Path, timeout: float = 30.0) -> RestClient:
        """Build a client from the current context of a kubeconfig with inline or file credentials."""
        doc = yaml.safe_load(path.read_text())
        ctx_name = doc["current-context"]
        ctx = next(c["context"] for c in doc["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in doc["users"] if u["name"] == ctx["user"])
        if "certificate-authority-data" in cluster:
            ca_pem = base64.b64decode(cluster["certificate-authority-data"]).decode()
        else:
            ca_pem = Path(cluster["certificate-authority"]).read_text()
        token = user.get("token")
        if "client-certificate-data" not in user:
            cert = Path(user["client-certificate"]) if "client-certificate" in user else None
            key = Path(user["client-key"]) if "client-key" in user else None
            return cls(cluster["server"], ca_pem, cert_file=cert, key_file=key, token=token, timeout=timeout)
        # The SSL context reads the PEM files once, so they can go right after construction.
        with tempfile.TemporaryDirectory(prefix="lc-kcfg-") as tmp:
            cert_file, key_file = Path(tmp) / "c.crt", Path(tmp) / "c.key"
            cert_file.write_bytes(base64.b64decode(user["client-certificate-data"]))
            key_file.write_bytes(base64.b64decode(user["client-key-data"]))
            return cls(
                cluster["server"],
                ca_pem,
                cert_file=cert_file,
                key_file=key_file,
                token=token,
                timeout=timeout,
            )

    def _connection(self, timeout: float | None = None) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            self.host, self.port, context=self._ssl, timeout=timeout if timeout is not None else self.timeout
        )

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def request_raw(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, str]:
        if query:
            path = f"{path}?{urlencode(query)}"
        data = None if body is None else json.dumps(body).encode()
        conn = self._connection()
        try:
            conn.request(method, path, body=data, headers=self._headers(content_type if data else None))
            resp = conn.getresponse()
            return resp.status, resp.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        content_type: str = "application/json",
        ok_statuses: tuple[int, ...] = (),
    ) -> JSON:
        status, text = self.request_raw(method, path, body, query=query, content_type=content_type)
        if status >= 300 and status not in ok_statuses:
            raise ApiError(method, path, status, text)
        try:
            result: JSON = json.loads(text) if text else {}
        except json.JSONDecodeError:
            result = {"raw": text}
        return result

    def get(self, path: str, **query: str) -> JSON:
        return self.request("GET", path, query=query or None)

    def create(self, path: str, body: JSON, *, exist_ok: bool = False) -> JSON:
        """POST; with exist_ok a 409 AlreadyExists is not an error."""
        return self.request("POST", path, body, ok_statuses=(409,) if exist_ok else ())

    def delete(self, path: str, *, missing_ok: bool = True) -> JSON:
        return self.request("DELETE", path, ok_statuses=(404,) if missing_ok else ())

    def watch(
        self, path: str, resource_version: str, timeout_seconds: int = 60, **query: str
    ) -> Iterator[JSON]:
        """Yield watch events (dicts with `type` and `object`) until the server closes the stream."""
        params = {"watch": "1", "resourceVersion": resource_version, "timeoutSeconds": str(timeout_seconds)}
        params.update(query)
        conn = self._connection(timeout=timeout_seconds + 30)
        try:
            conn.request("GET", f"{path}?{urlencode(params)}", headers=self._headers(None))
            resp = conn.getresponse()
            if resp.status != 200:
                raise ApiError("WATCH", path, resp.status, resp.read().decode("utf-8", "replace"))
            while True:
                line = resp.readline()
                if not line:
                    return
                if line.strip():
                    yield json.loads(line)
        finally:
            conn.close()


def poll(
    what: str,
    check: Callable[[], bool],
    timeout: float,
    interval: float = 0.25,
    on_timeout: Callable[[], str] | None = None,
) -> None:
    """Call `check` until it returns True; exceptions count as 'not yet'. Raise TimeoutError at the end."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            if check():
                return
        except Exception as exc:  # not ready yet: keep the last reason for the message
            last = exc
        if time.monotonic() > deadline:
            detail = f" (last error: {last})" if last else ""
            extra = f"\n{on_timeout()}" if on_timeout else ""
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{detail}{extra}")
        time.sleep(interval)
