"""Condition types, reasons and messages (docs/operations.md: troubleshooting by reason)."""

from __future__ import annotations

from lattice_controller.model.k8s import Condition

ACCEPTED = "Accepted"
RESOLVED_REFS = "ResolvedRefs"
PROGRAMMED = "Programmed"

# Route reasons (Gateway API names, as the reference uses them).
REASON_ACCEPTED = "Accepted"
REASON_RESOLVED_REFS = "ResolvedRefs"
REASON_NO_MATCHING_PARENT = "NoMatchingParent"
REASON_NO_MATCHING_LISTENER_HOSTNAME = "NoMatchingListenerHostname"
REASON_NOT_ALLOWED_BY_LISTENERS = "NotAllowedByListeners"
REASON_INVALID_KIND = "InvalidKind"
REASON_BACKEND_NOT_FOUND = "BackendNotFound"
REASON_REF_NOT_PERMITTED = "RefNotPermitted"
REASON_UNSUPPORTED_VALUE = "UnsupportedValue"
REASON_CONFLICTED = "Conflicted"
REASON_CERTIFICATE_NOT_FOUND = "CertificateNotFound"
REASON_CONFLICTING_IMPORT_ANNOTATIONS = "ConflictingServiceImportAnnotations"
REASON_INVALID_EXTERNAL_TARGET_GROUP = "InvalidExternalTargetGroup"
REASON_EXTERNAL_TARGET_GROUP_NOT_FOUND = "ExternalTargetGroupNotFound"
# Route Programmed=False (ours; the reference sets none): the route's current generation is not live yet.
REASON_DEPLOY_FAILED = "DeployFailed"

MSG_NO_MATCHING_LISTENER_HOSTNAME = "No matching listener hostname for this route"
MSG_NOT_ALLOWED_BY_LISTENERS = (
    "No matching listeners allow this route. Check Gateway listener allowedRoutes policies"
)
MSG_DUAL_STACK = "Dual stack Service is not supported"
MSG_ALL_PARENTS_REJECTED = (
    "No VPC Lattice resources created. Route's parentRefs rejected by all Gateway listeners due to "
    "allowedRoutes policies. Check route status conditions for more detail."
)

# Gateway / GatewayClass / listener reasons.
REASON_PROGRAMMED = "Programmed"
REASON_PENDING = "Pending"
REASON_INVALID = "Invalid"
REASON_INVALID_ROUTE_KINDS = "InvalidRouteKinds"
REASON_UNSUPPORTED_PROTOCOL = "UnsupportedProtocol"
REASON_INVALID_CERTIFICATE_REF = "InvalidCertificateRef"
REASON_LISTENERS_NOT_VALID = "ListenersNotValid"
MSG_SN_NOT_FOUND = "VPC Lattice Service Network not found"
MSG_SN_CONFLICT = (
    "Found multiple VPC Lattice Service Networks matching Gateway name. Either ensure only one Service "
    "Network has a matching name, or use the Service Network's id as the Gateway name."
)

_TRUE_REASONS = frozenset({REASON_ACCEPTED, REASON_RESOLVED_REFS, REASON_PROGRAMMED})


def condition(type_: str, reason: str, message: str, generation: int) -> Condition:
    """A condition without a transition time (the status layer stamps it); True iff the reason is
    the condition's success reason, as in the reference."""
    status = "True" if reason in _TRUE_REASONS else "False"
    return Condition(type_, status, reason, message, generation, "")
