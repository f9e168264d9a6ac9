"""What the controller must be allowed to do in the cluster, and asking the API server whether it is.

``needed_access`` lists the (verb, resource) pairs the controller uses; ``denied`` asks the API server
with one SelfSubjectAccessReview per pair (every authenticated identity may create those) and returns the
ones refused. ``describe`` renders a list of them on one line, grouped by resource.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lattice_controller.kube.kinds import EVENT, LEASE, AnyKind
from lattice_controller.kube.rest import KubeRest

SSAR_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
_CONCURRENT_REVIEWS = 8


@dataclass(frozen=True, slots=True, order=True)
class Access:
    """One verb on one resource (optionally a subresource), cluster-wide unless ``namespace`` is set."""

    group: str
    resource: str
    verb: str
    subresource: str = ""
    namespace: str = ""

    @property
    def target(self) -> str:
        """``httproutes/status.gateway.networking.k8s.io``, ``events``, ``leases... in namespace x``."""
        name = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        name = f"{name}.{self.group}" if self.group else name
        return f"{name} in namespace {self.namespace}" if self.namespace else name

    def review(self) -> dict[str, object]:
        attributes = {"verb": self.verb, "group": self.group, "resource": self.resource}
        if self.subresource:
            attributes["subresource"] = self.subresource
        if self.namespace:
            attributes["namespace"] = self.namespace
        return {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        }


def on_kind(kind: AnyKind, verbs: Iterable[str], subresource: str = "", namespace: str = "") -> list[Access]:
    return [Access(kind.group, kind.plural, verb, subresource, namespace) for verb in verbs]


def needed_access(
    *,
    watched: Iterable[AnyKind],
    patched: Iterable[AnyKind],
    status_patched: Iterable[AnyKind],
    lease_namespace: str | None,
    created: Iterable[AnyKind] = (),
) -> tuple[Access, ...]:
    """Every permission the controller uses: list+watch on ``watched`` (all namespaces), get+patch on
    ``patched`` (finalizers, annotations), patch on the status of ``status_patched``, create on
    ``created`` (objects the controller owns), create+patch on events and, with leader election,
    get/create/update on the Lease in ``lease_namespace``."""
    needed: list[Access] = []
    for kind in watched:
        needed += on_kind(kind, ("list", "watch"))
    for kind in patched:
        needed += on_kind(kind, ("get", "patch"))
    for kind in status_patched:
        needed += on_kind(kind, ("patch",), subresource="status")
    for kind in created:
        needed += on_kind(kind, ("create",))
    needed += on_kind(EVENT, ("create", "patch"))
    if lease_namespace is not None:
        needed += on_kind(LEASE, ("get", "create", "update"), namespace=lease_namespace)
    return tuple(dict.fromkeys(needed))


async def denied(rest: KubeRest, accesses: Sequence[Access]) -> list[Access]:
    """The members of ``accesses`` the API server refuses to the controller's identity (KubeError if it
    cannot be asked)."""
    gate = asyncio.Semaphore(_CONCURRENT_REVIEWS)

    async def allowed(access: Access) -> bool:
        async with gate:
            answer = await rest.post(SSAR_PATH, access.review())
        return bool((answer.get("status") or {}).get("allowed"))

    answers = await asyncio.gather(*(allowed(access) for access in accesses))
    return [access for access, ok in zip(accesses, answers, strict=True) if not ok]


def describe(accesses: Iterable[Access]) -> str:
    """``list, watch referencegrants.gateway.networking.k8s.io; patch gateways/status...`` (one line)."""
    verbs_by_target: dict[str, list[str]] = {}
    for access in accesses:
        verbs = verbs_by_target.setdefault(access.target, [])
        if access.verb not in verbs:
            verbs.append(access.verb)
    return "; ".join(f"{', '.join(verbs)} {target}" for target, verbs in verbs_by_target.items())
