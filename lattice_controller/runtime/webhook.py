"""The readiness-gate admission webhook: ``POST /mutate-pod`` over TLS, with a certificate reloaded from disk.

The certificate and key are files (a mounted Secret). ``ReloadingCertificate`` loads them at start-up —
a missing or invalid pair is a ``CertificateError`` naming the setting — and then looks at them every
``interval`` seconds: when their content changed and the new pair loads, new TLS handshakes use it (the
server context hands each handshake the current context); a pair that does not load (say, a half-written
rotation) is logged and the previous one stays in use. No restart is needed, and established connections
are not cut.

The handler answers from the cache only (``needs_gate``); while the cache has not synced yet it allows the
Pod unchanged with a warning, rather than guess.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from lattice_controller.runtime.admission import BadReview, NeedsGate, review_response

MUTATE_POD_PATH = "/mutate-pod"
NOT_SYNCED_WARNING = (
    "lattice-controller: readiness gate not evaluated, the controller's cache is not synced yet"
)
# Admission calls are answered from memory: sub-millisecond to a few milliseconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

log = structlog.get_logger("lattice_controller.runtime.webhook")


class CertificateError(Exception):
    """The webhook's certificate or key cannot be used: one line naming the setting."""


class ReloadingCertificate:
    def __init__(
        self,
        cert_file: str,
        key_file: str,
        *,
        cert_setting: str = "WEBHOOK_TLS_CERT_FILE",
        key_setting: str = "WEBHOOK_TLS_KEY_FILE",
        interval: float = 2.0,
    ) -> None:
        self._cert = Path(cert_file)
        self._key = Path(key_file)
        self._cert_setting = cert_setting
        self._key_setting = key_setting
        self.interval = interval
        self._digest = b""
        self._current: ssl.SSLContext | None = None
        self.reloads = 0
        """Successful loads after the first."""
        # The context the server listens with: each handshake is handed the current pair's context.
        self.context = self._context()
        self.context.sni_callback = self._select

    def load(self) -> None:
        """Load the pair now (start-up); CertificateError when it cannot be used."""
        self._digest, self._current = self._load(self._context())
        # The listening context holds the pair too, for a client library that skips the callback.
        self._load(self.context)

    def reload_if_changed(self) -> bool:
        """Load the pair again when the files changed; True when a new pair is now in use."""
        try:
            if self._read_digest() == self._digest:
                return False
            digest, context = self._load(self._context())
        except CertificateError as exc:
            log.warning("webhook certificate not reloaded, the previous one stays in use", error=str(exc))
            return False
        self._digest, self._current = digest, context
        self.reloads += 1
        log.info("webhook certificate reloaded", cert_file=str(self._cert), key_file=str(self._key))
        return True

    async def watch(self) -> None:
        """Reload on change every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            self.reload_if_changed()

    def _select(self, ssl_object: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext) -> None:
        if self._current is not None:
            ssl_object.context = self._current

    def _read_digest(self) -> bytes:
        cert = _read(self._cert, self._cert_setting)
        key = _read(self._key, self._key_setting)
        return hashlib.sha256(cert + b"\0" + key).digest()

    def _load(self, context: ssl.SSLContext) -> tuple[bytes, ssl.SSLContext]:
        """Load the files into ``context``; the content digest read before must equal the one read after,
        so a pair caught in the middle of a Secret update is not taken (the next look retries)."""
        before = self._read_digest()
        try:
            context.load_cert_chain(self._cert, self._key)
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise CertificateError(
                f"{self._cert_setting}={self._cert} / {self._key_setting}={self._key}: "
                f"not a matching PEM certificate and key ({_one_line(exc)})"
            ) from None
        if self._read_digest() != before:
            raise CertificateError(f"{self._cert_setting}={self._cert}: changed while it was being loaded")
        return before, context

    @staticmethod
    def _context() -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CertificateError(f"{setting}={path}: cannot read it ({exc.strerror or exc})") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class WebhookMetrics:
    """controller-runtime's webhook series for ``/mutate-pod``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests_total = Counter(
            "controller_runtime_webhook_requests_total",
            "Admission requests per webhook path and HTTP status code.",
            ["webhook", "code"],
            registry=registry,
        )
        self.latency_seconds = Histogram(
            "controller_runtime_webhook_latency_seconds",
            "Time to answer an admission request.",
            ["webhook"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.patched_total = Counter(
            "lattice_webhook_readiness_gates_injected_total",
            "Pods the readiness gate was added to.",
            registry=registry,
        )


def webhook_app(
    needs_gate: NeedsGate, synced: Callable[[], bool], gate: str, metrics: WebhookMetrics | None = None
) -> web.Application:
    async def mutate_pod(request: web.Request) -> web.Response:
        started = time.perf_counter()
        status = 200
        try:
            try:
                review = json.loads(await request.read())
                answer = review_response(
                    review, needs_gate, gate, warning="" if synced() else NOT_SYNCED_WARNING
                )
            except (BadReview, ValueError) as exc:
                status = 400
                return web.Response(status=400, text=f"{exc}\n")
            if "patch" in answer["response"]:
                if metrics is not None:
                    metrics.patched_total.inc()
                metadata = (review["request"].get("object") or {}).get("metadata")
                named = metadata if isinstance(metadata, dict) else {}
                log.debug(
                    "readiness gate added",
                    namespace=review["request"].get("namespace"),
                    pod=named.get("generateName") or named.get("name"),
                )
            return web.json_response(answer)
        finally:
            if metrics is not None:
                metrics.requests_total.labels(MUTATE_POD_PATH, str(status)).inc()
                metrics.latency_seconds.labels(MUTATE_POD_PATH).observe(time.perf_counter() - started)

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post(MUTATE_POD_PATH, mutate_pod)
    return app
