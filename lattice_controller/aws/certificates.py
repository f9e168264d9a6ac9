"""ACM certificate discovery for a custom domain (docs/compatibility.md).

One ``ListCertificates(ISSUED)`` serves every lookup for ``ttl_seconds`` (~60 s). Candidates are
matched on their subject alternative names (the domain name when a summary lists none): an exact,
case-insensitive match beats a single-label wildcard (``*.a.b`` matches ``x.a.b`` only); within a
tier the latest of IssuedAt / ImportedAt / CreatedAt wins. AccessDenied disables discovery for
``denied_seconds`` (~5 min); lookups then find nothing, as in the reference.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import structlog

from lattice_controller.aws.acm import AcmApi
from lattice_controller.aws.errors import AccessDenied

DEFAULT_TTL_SECONDS = 60.0
DEFAULT_DENIED_SECONDS = 300.0
_TIMESTAMPS = ("IssuedAt", "ImportedAt", "CreatedAt")

log = structlog.get_logger(__name__)


def _names(summary: Mapping[str, Any]) -> list[str]:
    names = summary.get("SubjectAlternativeNameSummaries") or summary.get("SubjectAlternativeNames")
    if not names:
        names = [summary.get("DomainName") or ""]
    return [str(n).lower() for n in names if n]


def _wildcard_matches(pattern: str, hostname: str) -> bool:
    if not pattern.startswith("*."):
        return False
    label, _, rest = hostname.partition(".")
    return bool(label) and rest == pattern[2:]


def _seconds(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return 0.0


def _latest(summary: Mapping[str, Any]) -> float:
    return max(_seconds(summary.get(key)) for key in _TIMESTAMPS)


def best_certificate(hostname: str, summaries: Iterable[Mapping[str, Any]]) -> str | None:
    """The ARN of the certificate for ``hostname`` among ``summaries``, by the rules above."""
    host = hostname.lower().rstrip(".")
    exact: list[Mapping[str, Any]] = []
    wildcard: list[Mapping[str, Any]] = []
    for summary in summaries:
        names = _names(summary)
        if host in names:
            exact.append(summary)
        elif any(_wildcard_matches(name, host) for name in names):
            wildcard.append(summary)
    tier = exact or wildcard
    if not tier:
        return None
    return str(max(tier, key=_latest)["CertificateArn"])


class CertificateFinder:
    """Finds the ACM certificate for a hostname; one per process, shared by route reconciles."""

    def __init__(
        self,
        acm: AcmApi,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        denied_seconds: float = DEFAULT_DENIED_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._acm = acm
        self._ttl = ttl_seconds
        self._denied_seconds = denied_seconds
        self._clock = clock
        self._listing: tuple[float, list[dict[str, Any]]] | None = None
        self._denied_until: float | None = None
        self._lock = asyncio.Lock()
        self.list_calls = 0

    async def find(self, hostname: str) -> str | None:
        """The certificate ARN for ``hostname``; None when there is none or discovery is disabled."""
        summaries = await self._summaries()
        return best_certificate(hostname, summaries)

    async def _summaries(self) -> list[dict[str, Any]]:
        async with self._lock:  # concurrent reconciles share one ListCertificates
            now = self._clock()
            if self._denied_until is not None and now < self._denied_until:
                return []
            if self._listing is not None and now - self._listing[0] < self._ttl:
                return self._listing[1]
            try:
                self.list_calls += 1
                summaries = await self._acm.list_certificates(("ISSUED",))
            except AccessDenied as error:
                log.warning(
                    "ACM access denied; certificate discovery disabled",
                    seconds=self._denied_seconds,
                    error=str(error),
                )
                self._denied_until = now + self._denied_seconds
                self._listing = None
                return []
            self._denied_until = None
            self._listing = (now, summaries)
            return summaries

    def forget(self) -> None:
        """Drop the cached listing (e.g. after a certificate was imported)."""
        self._listing = None
