"""Raw JSON calls to the API server over aiohttp: one code path for every kind.

Paths come from ``Kind``, bodies and results are plain dicts, watch streams are decoded here line by
line, and every failure is raised as a ``kube.errors.KubeError``. Nothing here imports
kubernetes-asyncio (see ``kube.connection`` for why); ``kube.client.rest_from_api_client`` adapts an
existing kubernetes-asyncio ``ApiClient`` when one is at hand (tests, leases).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import aiohttp

from lattice_controller.kube.connection import ClusterConnection, load_connection
from lattice_controller.kube.errors import KubeError, error_for, error_from_status_object

JSON = dict[str, Any]
Query = Sequence[tuple[str, str]]

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
_MAX_WATCH_LINE = 64 * 1024 * 1024
_TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)


class KubeRest:
    """GET/POST/PUT/PATCH/DELETE returning dicts, and a decoded watch stream.

    The aiohttp session is created on first use (inside the running loop); ``close()`` it at shutdown.
    """

    def __init__(self, connection: ClusterConnection, *, request_timeout: float = 60.0) -> None:
        self.connection = connection
        self.request_timeout = request_timeout
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    async def connect(cls, kubeconfig: str | None = None, **options: Any) -> KubeRest:
        """Explicit kubeconfig, else in-cluster service account, else the default kubeconfig."""
        return cls(await load_connection(kubeconfig), **options)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def get(self, path: str, query: Query = ()) -> JSON:
        return await self._call("GET", path, query=query)

    async def post(self, path: str, body: JSON, query: Query = ()) -> JSON:
        return await self._call("POST", path, query=query, body=body, content_type="application/json")

    async def put(self, path: str, body: JSON) -> JSON:
        return await self._call("PUT", path, body=body, content_type="application/json")

    async def patch(self, path: str, body: JSON | list[JSON], content_type: str = MERGE_PATCH) -> JSON:
        return await self._call("PATCH", path, body=body, content_type=content_type)

    async def delete(self, path: str) -> JSON:
        return await self._call("DELETE", path)

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json", **await self.connection.auth_headers()}
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def _request_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"ssl": self.connection.ssl_context}
        if self.connection.tls_server_name:
            options["server_hostname"] = self.connection.tls_server_name
        return options

    async def _call(
        self,
        method: str,
        path: str,
        *,
        query: Query = (),
        body: JSON | list[JSON] | None = None,
        content_type: str | None = None,
    ) -> JSON:
        data = None if body is None else json.dumps(body).encode()
        try:
            async with self._session_now().request(
                method,
                self.connection.server + path,
                params=list(query),
                data=data,
                headers=await self._headers(content_type if data is not None else None),
                timeout=aiohttp.ClientTimeout(total=self.request_timeout),
                **self._request_options(),
            ) as resp:
                payload = await resp.read()
                if not 200 <= resp.status < 300:
                    raise _error_from_body(resp.status, resp.reason or "", payload)
        except _TRANSPORT_ERRORS as exc:
            raise KubeError(0, type(exc).__name__, str(exc)) from exc
        if not payload:
            return {}
        result = json.loads(payload)
        return result if isinstance(result, dict) else {}

    async def watch(self, path: str, query: Query, *, read_timeout: float) -> AsyncGenerator[JSON, None]:
        """Yield watch events ``{"type", "object"}`` until the server ends the stream.

        ``ERROR`` events are raised as ``KubeError`` (``Expired`` for 410). ``read_timeout`` bounds the
        silence between chunks, so a half-open connection is noticed.
        """
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=read_timeout)
        try:
            async with self._session_now().request(
                "GET",
                self.connection.server + path,
                params=[*query, ("watch", "true")],
                headers=await self._headers(None),
                timeout=timeout,
                **self._request_options(),
            ) as resp:
                if resp.status != 200:
                    raise _error_from_body(resp.status, resp.reason or "", await resp.read())
                async for event in _decode_lines(resp.content):
                    if event.get("type") == "ERROR":
                        obj = event.get("object")
                        raise error_from_status_object(obj if isinstance(obj, dict) else {})
                    yield event
        except _TRANSPORT_ERRORS as exc:
            raise KubeError(0, type(exc).__name__, str(exc)) from exc


async def _decode_lines(content: aiohttp.StreamReader) -> AsyncGenerator[JSON, None]:
    buffer = bytearray()
    async for chunk in content.iter_any():
        search_from = len(buffer)  # the kept tail never holds a newline
        buffer += chunk
        start = 0
        while (end := buffer.find(b"\n", search_from)) >= 0:
            line = bytes(buffer[start:end])
            start = search_from = end + 1
            if line.strip():
                yield _parse_event(line)
        del buffer[:start]
        if len(buffer) > _MAX_WATCH_LINE:
            raise KubeError(0, "WatchLineTooLong", f"watch line exceeds {_MAX_WATCH_LINE} bytes")
    if bytes(buffer).strip():
        yield _parse_event(bytes(buffer))


def _parse_event(line: bytes) -> JSON:
    try:
        event = json.loads(line)
    except ValueError as exc:
        raise KubeError(0, "BadWatchEvent", line[:200].decode("utf-8", "replace")) from exc
    if not isinstance(event, dict):
        raise KubeError(0, "BadWatchEvent", "watch event is not an object")
    return event


def _error_from_body(status: int, reason: str, body: bytes) -> KubeError:
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("kind") == "Status":
        return error_from_status_object({**parsed, "code": parsed.get("code") or status})
    return error_for(status, reason, body[:500].decode("utf-8", "replace"))
