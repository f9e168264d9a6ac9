"""Observe: read what exists in Lattice for one route (or a service network) into observed records.

Reads only, through the shared inventory wherever it can; must never write to AWS or decide what
should change (that is the diff's job).
"""

from lattice_controller.reconcile.observe.certificates import (
    CERTIFICATE_NOT_FOUND_REQUEUE_SECONDS,
    CertificateDiscovery,
    discover_certificate,
)
from lattice_controller.reconcile.observe.details import DetailCache
from lattice_controller.reconcile.observe.networks import (
    ServiceNetworkLookup,
    find_service_network,
    service_network_candidates,
)
from lattice_controller.reconcile.observe.route import observe_route

__all__ = [
    "CERTIFICATE_NOT_FOUND_REQUEUE_SECONDS",
    "CertificateDiscovery",
    "DetailCache",
    "ServiceNetworkLookup",
    "discover_certificate",
    "find_service_network",
    "observe_route",
    "service_network_candidates",
]
