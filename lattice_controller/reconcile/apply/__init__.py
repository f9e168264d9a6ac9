"""Apply: execute a plan's AWS writes, and the few writes the gateway side needs (default network).

Must never decide what to change (the diff does) nor read more than a write needs; every write
goes through ``LatticeApi``/``TagStore`` so the shared inventory and tag cache stay current.
"""

from lattice_controller.reconcile.apply.networks import DefaultNetworkResult, ensure_default_service_network
from lattice_controller.reconcile.apply.plan import (
    WAIT_SECONDS,
    ApplyFailed,
    ApplyResult,
    Created,
    UnresolvedRef,
    apply_plan,
)
from lattice_controller.reconcile.apply.requests import Request, build_request, request_token

__all__ = [
    "WAIT_SECONDS",
    "ApplyFailed",
    "ApplyResult",
    "Created",
    "DefaultNetworkResult",
    "Request",
    "UnresolvedRef",
    "apply_plan",
    "build_request",
    "ensure_default_service_network",
    "request_token",
]
