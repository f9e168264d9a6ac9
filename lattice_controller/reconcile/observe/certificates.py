"""ACM certificate discovery for a route's service (docs/compatibility.md), before observe → plan.

When the build asks for discovery (an HTTPS Terminate listener matched without a certificate-arn
option and the route has hostnames), the certificate for ``custom_domain`` (hostname[0]) is looked
up and written into the desired service, which the diff then treats like a configured certificate.
Not found is the route's ``Accepted=False/CertificateNotFound`` with a 60 s requeue.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lattice_controller.aws.certificates import CertificateFinder
from lattice_controller.model.lattice import RouteLatticeState

CERTIFICATE_NOT_FOUND_REQUEUE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class CertificateDiscovery:
    """``desired`` with the discovered certificate filled in; ``not_found``: the error text
    (``no matching ACM certificate found for hostname <h>``) when discovery found nothing."""

    desired: RouteLatticeState
    not_found: str | None = None


async def discover_certificate(
    desired: RouteLatticeState, finder: CertificateFinder | None
) -> CertificateDiscovery:
    """Resolve ``desired.service.discover_certificate``; a no-op when discovery is not asked for,
    the route is being deleted, or no finder is configured."""
    spec = desired.service
    if spec is None or desired.deleting or not spec.discover_certificate or finder is None:
        return CertificateDiscovery(desired)
    hostname = spec.custom_domain
    if not hostname:
        return CertificateDiscovery(desired)
    arn = await finder.find(hostname)
    if arn is None and spec.certificate_optional:
        return CertificateDiscovery(replace(desired, service=replace(spec, discover_certificate=False)))
    if arn is None:
        return CertificateDiscovery(desired, f"no matching ACM certificate found for hostname {hostname}")
    found = replace(spec, certificate_arn=arn, discover_certificate=False)
    return CertificateDiscovery(replace(desired, service=found))
