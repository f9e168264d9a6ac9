"""Lease I/O for leader election: read, create and replace one ``coordination.k8s.io/v1`` Lease.

Only the API calls live here; when to call them is decided by ``runtime.leader``. Writes send the exact
``resourceVersion`` that was read, so the apiserver refuses a stale replace with 409 (``Conflict``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kubernetes_asyncio.client import ApiClient, CoordinationV1Api
from kubernetes_asyncio.client.exceptions import ApiException

from lattice_controller.kube.errors import error_from_api_exception


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

    def __init__(self, api_client: ApiClient, namespace: str, name: str) -> None:
        self._api = CoordinationV1Api(api_client)
        self.namespace = namespace
        self.name = name

    async def get(self) -> LeaseRecord | None:
        """The current record, or None when the Lease does not exist."""
        try:
            lease = await self._api.read_namespaced_lease(self.name, self.namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise error_from_api_exception(exc) from exc
        return _record_from(lease)

    async def create(self, record: LeaseRecord) -> LeaseRecord:
        try:
            lease = await self._api.create_namespaced_lease(self.namespace, self._body(record))
        except ApiException as exc:
            raise error_from_api_exception(exc) from exc
        return _record_from(lease)

    async def replace(self, record: LeaseRecord) -> LeaseRecord:
        """Replace the Lease if it is still at ``record.resource_version``."""
        if not record.resource_version:
            raise ValueError("replace needs the resourceVersion the Lease was read at")
        try:
            lease = await self._api.replace_namespaced_lease(self.name, self.namespace, self._body(record))
        except ApiException as exc:
            raise error_from_api_exception(exc) from exc
        return _record_from(lease)

    def _body(self, record: LeaseRecord) -> Any:  # a plain dict: the client sends it as JSON unchanged
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


def _record_from(lease: Any) -> LeaseRecord:
    spec = lease.spec
    return LeaseRecord(
        holder_identity=(spec.holder_identity or "") if spec else "",
        lease_duration_seconds=(spec.lease_duration_seconds or 0) if spec else 0,
        acquire_time=spec.acquire_time if spec else None,
        renew_time=spec.renew_time if spec else None,
        lease_transitions=(spec.lease_transitions or 0) if spec else 0,
        resource_version=lease.metadata.resource_version or "",
    )
