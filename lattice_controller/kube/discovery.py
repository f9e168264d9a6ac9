"""Which kinds the API server serves; the start-up check for the required Gateway API kinds.

Only the groups the controller cares about are queried (one request per group version), so discovery
stays cheap even on clusters with hundreds of CRDs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from lattice_controller.kube.errors import KubeError, NotFound
from lattice_controller.kube.kinds import OPTIONAL_KINDS, REQUIRED_KINDS, AnyKind, Kind
from lattice_controller.kube.rest import KubeRest

log = logging.getLogger(__name__)


class MissingRequiredKinds(RuntimeError):
    """Required kinds are not served; the message is one line naming them (like the reference's)."""

    def __init__(self, missing: Iterable[AnyKind]) -> None:
        self.missing = tuple(missing)
        names = ", ".join(f"{k.group_kind}/{'|'.join(k.candidate_versions)}" for k in self.missing)
        super().__init__(f"missing required CRDs: {names}")


@dataclass(frozen=True, slots=True)
class ServedKinds:
    """The (group, version, kind) triples served, each with its plural and scope."""

    served: frozenset[tuple[str, str, str, str, bool]]

    def resolve(self, kind: AnyKind) -> AnyKind | None:
        """``kind`` at the first of its candidate versions that is served, or None."""
        for version in kind.candidate_versions:
            for group, served_version, name, plural, namespaced in self.served:
                if (group, served_version, name) == (kind.group, version, kind.kind):
                    return Kind(group, version, plural, name, namespaced)
        return None


async def discover(rest: KubeRest, kinds: Iterable[AnyKind]) -> ServedKinds:
    """Ask the server which of the candidate group versions of ``kinds`` exist and what they serve."""
    group_versions = sorted({(k.group, v) for k in kinds for v in k.candidate_versions})
    served: set[tuple[str, str, str, str, bool]] = set()
    for group, version in group_versions:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            resource_list = await rest.get(path)
        except NotFound:
            continue
        for resource in resource_list.get("resources") or ():
            name = str(resource.get("name", ""))
            if "/" in name:  # subresources such as httproutes/status
                continue
            kind_name = str(resource.get("kind", ""))
            served.add((group, version, kind_name, name, bool(resource.get("namespaced"))))
    return ServedKinds(frozenset(served))


@dataclass(frozen=True, slots=True)
class ResolvedKinds:
    required: tuple[AnyKind, ...]
    optional: tuple[AnyKind, ...]


async def check_required_kinds(
    rest: KubeRest,
    required: Iterable[AnyKind] = REQUIRED_KINDS,
    optional: Iterable[AnyKind] = OPTIONAL_KINDS,
) -> ResolvedKinds:
    """Resolve the served version of every kind; raise ``MissingRequiredKinds`` if a required one is absent.

    Optional kinds that are not served are left out (and logged) so that they are simply not watched.
    """
    required, optional = tuple(required), tuple(optional)
    try:
        served = await discover(rest, (*required, *optional))
    except KubeError:
        log.exception("API discovery failed")
        raise
    resolved_required: list[AnyKind] = []
    missing: list[AnyKind] = []
    for kind in required:
        found = served.resolve(kind)
        if found is None:
            missing.append(kind)
        else:
            resolved_required.append(found)
    if missing:
        raise MissingRequiredKinds(missing)
    resolved_optional: list[AnyKind] = []
    for kind in optional:
        found = served.resolve(kind)
        if found is None:
            log.info("optional kind %s is not served; not watching it", kind.group_kind)
        else:
            resolved_optional.append(found)
    return ResolvedKinds(tuple(resolved_required), tuple(resolved_optional))
