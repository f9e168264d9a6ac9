"""Lease I/O for leader election: read, create and replace one ``coordination.k8s.io/v1`` Lease.

Only the API calls live here; when to call them is decided by ``runtime.leader``. Writes send the exact
``resourceVersion`` that was read, so the apiserver refuses a stale replace with 409 (``Conflict``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lattice_controller.kube.errors import NotFound
from lattice_controller.kube.kinds import LEASE
from lattice_controller.kube.rest import KubeRest


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """The leader-election fields of a Lease spec, plus the resourceVersion it was read at ("" = not read)."""

    holder_identity: str
    lease_duration_seconds: int
    acquire_time: datetime | None
    renew_time: datetime | None
    lease_transitions: int = 0
    resource_version: str = ""


class KubeLeaseStore:
    """One Lease, ``namespace/name``. Raises ``kube.errors.Conflict`` (409) and other ``KubeError``s."""

    def __init__(self, rest: KubeRest, namespace: str, name: str) -> None:
        self._rest = rest
        self.namespace = namespace
        self.name = name

    async def get(self) -> LeaseRecord | None:
        """The current record, or None when the Lease does not exist."""
        try:
            lease = await self._rest.get(LEASE.object_path(self.namespace, self.name))
        except NotFound:
            return None
        return _record_from(lease)

    async def create(self, record: LeaseRecord) -> LeaseRecord:
        return _record_from(await self._rest.post(LEASE.collection_path(self.namespace), self._body(record)))

    async def replace(self, record: LeaseRecord) -> LeaseRecord:
        """Replace the Lease if it is still at ``record.resource_version``."""
        if not record.resource_version:
            raise ValueError("replace needs the resourceVersion the Lease was read at")
        path = LEASE.object_path(self.namespace, self.name)
        return _record_from(await self._rest.put(path, self._body(record)))

    def _body(self, record: LeaseRecord) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if record.resource_version:
            metadata["resourceVersion"] = record.resource_version
        spec: dict[str, Any] = {
            "holderIdentity": record.holder_identity,
            "leaseDurationSeconds": record.lease_duration_seconds,
            "leaseTransitions": record.lease_transitions,
        }
        if record.acquire_time is not None:
            spec["acquireTime"] = _micro_time(record.acquire_time)
        if record.renew_time is not None:
            spec["renewTime"] = _micro_time(record.renew_time)
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": spec}


def _micro_time(moment: datetime) -> str:
    # MicroTime wants exactly six fractional digits; datetime.isoformat() drops them when microsecond == 0.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(text: Any) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def _record_from(lease: dict[str, Any]) -> LeaseRecord:
    spec = lease.get("spec") or {}
    return LeaseRecord(
        holder_identity=str(spec.get("holderIdentity") or ""),
        lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
        acquire_time=_parse_time(spec.get("acquireTime")),
        renew_time=_parse_time(spec.get("renewTime")),
        lease_transitions=int(spec.get("leaseTransitions") or 0),
        resource_version=str((lease.get("metadata") or {}).get("resourceVersion") or ""),
    )
