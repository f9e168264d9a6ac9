"""Certificate discovery rules and the finder's caching and AccessDenied backoff."""

from __future__ import annotations

from datetime import UTC, datetime

from lattice_controller.aws.acm import AcmApi
from lattice_controller.aws.certificates import CertificateFinder, best_certificate
from lattice_controller.aws.testing import ScriptedTransport


def cert(arn: str, *names: str, domain: str = "", **times: int) -> dict[str, object]:
    summary: dict[str, object] = {"CertificateArn": arn, "DomainName": domain or (names[0] if names else "")}
    if names:
        summary["SubjectAlternativeNameSummaries"] = list(names)
    for key, value in times.items():
        summary[key] = datetime.fromtimestamp(value, UTC)
    return summary


def test_exact_beats_wildcard_and_latest_wins_within_a_tier() -> None:
    summaries = [
        cert("wild-new", "*.a.example", IssuedAt=300),
        cert("exact-old", "x.a.example", IssuedAt=100),
        cert("exact-new", "other.example", "X.A.example", ImportedAt=200),
    ]
    assert best_certificate("x.a.example", summaries) == "exact-new"
    assert best_certificate("y.a.example", summaries) == "wild-new"
    assert best_certificate("z.y.a.example", summaries) is None
    assert best_certificate("a.example", summaries) is None


def test_domain_name_is_used_when_no_alternative_names_are_listed() -> None:
    assert best_certificate("web.example", [cert("d", domain="WEB.example")]) == "d"


def test_latest_of_issued_imported_created() -> None:
    summaries = [
        cert("created", "h.example", CreatedAt=500),
        cert("issued", "h.example", CreatedAt=100, IssuedAt=400),
    ]
    assert best_certificate("h.example", summaries) == "created"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_listing_is_cached_for_the_ttl() -> None:
    transport = ScriptedTransport()
    transport.on("ListCertificates", {"CertificateSummaryList": [cert("c", "h.example")]})
    clock = Clock()
    finder = CertificateFinder(AcmApi(transport), clock=clock)
    assert await finder.find("h.example") == "c"
    assert await finder.find("other.example") is None
    assert transport.count("ListCertificates") == 1
    assert transport.params_of("ListCertificates")[0]["CertificateStatuses"] == ["ISSUED"]
    clock.now += 61
    await finder.find("h.example")
    assert transport.count("ListCertificates") == 2


async def test_access_denied_disables_discovery_for_five_minutes() -> None:
    transport = ScriptedTransport()
    transport.fail("ListCertificates", "AccessDeniedException", "no acm:ListCertificates")
    clock = Clock()
    finder = CertificateFinder(AcmApi(transport), clock=clock)
    assert await finder.find("h.example") is None
    clock.now += 299
    assert await finder.find("h.example") is None
    assert transport.count("ListCertificates") == 1
    transport.on("ListCertificates", {"CertificateSummaryList": [cert("c", "h.example")]})
    clock.now += 2
    assert await finder.find("h.example") == "c"
    assert transport.count("ListCertificates") == 2
