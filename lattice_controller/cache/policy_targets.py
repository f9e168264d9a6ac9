"""The by-target index of the application-networking policies (records: ``model.k8s.policy``, and
``model.k8s.target_group_policy`` for TargetGroupPolicy).

Index values are ``Kind:ns/name`` (``target_value``), where ``ns`` is ``targetRef.namespace`` or, when unset,
the policy's own namespace. A policy naming another namespace is therefore found from that target, and its
reconcile reports the mismatch (the reference rejects or ignores such policies).
"""

from __future__ import annotations

from collections.abc import Iterable

from lattice_controller.model.k8s.access_log_policy import AccessLogPolicy
from lattice_controller.model.k8s.auth_policy import IamAuthPolicy
from lattice_controller.model.k8s.policy import PolicyView
from lattice_controller.model.k8s.target_group_policy import TargetGroupPolicy
from lattice_controller.model.k8s.vpc_association_policy import VpcAssociationPolicy
from lattice_controller.model.keys import ObjectKey

POLICIES_BY_TARGET = "policies-by-target"


def target_value(kind: str, key: ObjectKey) -> str:
    """Value of ``POLICIES_BY_TARGET`` for the object ``kind`` ``key`` (e.g. ``Gateway``, ``ns/gw``)."""
    return f"{kind}:{key}"


def policy_targets(
    policy: PolicyView | IamAuthPolicy | VpcAssociationPolicy | AccessLogPolicy | TargetGroupPolicy,
) -> Iterable[str]:
    ref = policy.target_ref
    if ref is not None and ref.kind and ref.name:
        yield target_value(ref.kind, ObjectKey(ref.namespace or policy.meta.key.namespace, ref.name))
