"""Writes to Kubernetes objects: status (status subresource), finalizers, annotations.

Callers pass the exact change; these helpers only carry it out, and return False without calling the
API server when the change is empty or would change nothing, so "no write when nothing changed" is cheap:

* ``patch_status(kind, key, patch, current=...)`` merge-patches ``/status``; with ``current`` (the
  status the caller already has, e.g. from the cache) a patch that changes nothing is skipped.
* ``update_status(kind, key, desired)`` reads the object fresh, computes the minimal merge patch from its
  status to ``desired`` (the whole status), skips when empty, and writes it with ``metadata.resourceVersion``
  for optimistic locking, retrying on 409 with a fresh read.
* ``patch_pod_condition(key, condition)`` sets one condition of a Pod's status with a strategic merge
  patch (conditions merge by type), leaving the kubelet's conditions alone.
* ``add_finalizer`` / ``remove_finalizer`` read fresh, skip when already so, and merge-patch the full
  finalizer list with ``metadata.resourceVersion``, retrying on 409. Check the cached record first to
  avoid the read when nothing is to be done.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt

from lattice_controller.kube.errors import Conflict, NotFound
from lattice_controller.kube.kinds import POD, AnyKind
from lattice_controller.kube.merge_patch import is_noop_merge_patch, merge_patch_between
from lattice_controller.kube.rest import MERGE_PATCH, STRATEGIC_MERGE_PATCH, KubeRest
from lattice_controller.model.keys import ObjectKey

log = logging.getLogger(__name__)

JSON = dict[str, Any]
T = TypeVar("T")


class KubeWriter:
    def __init__(self, rest: KubeRest, *, conflict_retries: int = 5) -> None:
        self.rest = rest
        self.conflict_retries = conflict_retries
        self.writes = 0  # PATCH calls sent, for tests and metrics

    async def get(self, kind: AnyKind, key: ObjectKey) -> JSON:
        return await self.rest.get(kind.object_path(key.namespace, key.name))

    async def patch(
        self, kind: AnyKind, key: ObjectKey, patch: Mapping[str, Any], *, subresource: str = ""
    ) -> JSON:
        """A raw merge patch (no skipping, no retry)."""
        self.writes += 1
        return await self.rest.patch(
            kind.object_path(key.namespace, key.name, subresource), dict(patch), MERGE_PATCH
        )

    async def create(self, kind: AnyKind, namespace: str, body: Mapping[str, Any]) -> JSON:
        """POST a new object of ``kind`` (``Conflict`` when the name is taken)."""
        self.writes += 1
        return await self.rest.post(kind.collection_path(namespace), dict(body))

    # ---- status --------------------------------------------------------------------------------------

    async def patch_status(
        self,
        kind: AnyKind,
        key: ObjectKey,
        patch: Mapping[str, Any],
        *,
        current: Mapping[str, Any] | None = None,
        resource_version: str | None = None,
    ) -> bool:
        """Merge-patch ``{"status": patch}``; False (no call) when empty or a no-op against ``current``.

        With ``resource_version`` the write fails with ``Conflict`` if the object changed meanwhile.
        """
        if not patch or (current is not None and is_noop_merge_patch(current, patch)):
            return False
        body: JSON = {"status": dict(patch)}
        if resource_version:
            body["metadata"] = {"resourceVersion": resource_version}
        await self.patch(kind, key, body, subresource="status")
        return True

    async def patch_pod_condition(self, key: ObjectKey, condition: Mapping[str, Any]) -> None:
        """Set one condition (by ``type``) in the Pod's status; the other conditions are untouched."""
        self.writes += 1
        body = {"status": {"conditions": [dict(condition)]}}
        await self.rest.patch(POD.object_path(key.namespace, key.name, "status"), body, STRATEGIC_MERGE_PATCH)

    async def update_status(self, kind: AnyKind, key: ObjectKey, desired: Mapping[str, Any]) -> bool:
        """Make the status equal ``desired`` (read fresh, minimal patch, optimistic lock, retry on 409)."""

        async def attempt() -> bool:
            obj = await self.get(kind, key)
            current = obj.get("status") or {}
            patch = merge_patch_between(current, desired)
            if not patch:
                return False
            return await self.patch_status(kind, key, patch, resource_version=_resource_version(obj))

        return await self._retry_on_conflict(f"status of {kind.kind} {key}", attempt)

    # ---- finalizers ----------------------------------------------------------------------------------

    async def add_finalizer(self, kind: AnyKind, key: ObjectKey, finalizer: str) -> bool:
        """Add ``finalizer``; False when it is already there. NotFound propagates."""
        return await self._edit_finalizers(kind, key, finalizer, add=True)

    async def remove_finalizer(self, kind: AnyKind, key: ObjectKey, finalizer: str) -> bool:
        """Remove ``finalizer``; False when it is absent or the object is already gone."""
        try:
            return await self._edit_finalizers(kind, key, finalizer, add=False)
        except NotFound:
            return False

    async def _edit_finalizers(self, kind: AnyKind, key: ObjectKey, finalizer: str, *, add: bool) -> bool:
        async def attempt() -> bool:
            obj = await self.get(kind, key)
            metadata = obj.get("metadata") or {}
            finalizers = list(metadata.get("finalizers") or ())
            if (finalizer in finalizers) == add:
                return False
            if add:
                finalizers.append(finalizer)
            else:
                finalizers = [f for f in finalizers if f != finalizer]
            patch = {"metadata": {"finalizers": finalizers, "resourceVersion": _resource_version(obj)}}
            await self.patch(kind, key, patch)
            return True

        verb = "add" if add else "remove"
        return await self._retry_on_conflict(f"{verb} finalizer {finalizer} on {kind.kind} {key}", attempt)

    # ---- annotations ---------------------------------------------------------------------------------

    async def patch_annotations(
        self,
        kind: AnyKind,
        key: ObjectKey,
        changes: Mapping[str, str | None],
        *,
        current: Mapping[str, str] | None = None,
    ) -> bool:
        """Set (None: remove) annotations; False (no call) when empty or a no-op against ``current``."""
        if not changes or (current is not None and is_noop_merge_patch(current, changes)):
            return False
        await self.patch(kind, key, {"metadata": {"annotations": dict(changes)}})
        return True

    async def _retry_on_conflict(self, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` (a fresh read and a locked write) again on 409, ``conflict_retries`` times
        in all, without waiting: the conflict means the object changed, and the next read sees it."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(Conflict),
            stop=stop_after_attempt(self.conflict_retries),
            before_sleep=lambda _state: log.debug("conflict writing %s; retrying with a fresh read", what),
            reraise=True,
        )
        result: T = await retrying(attempt)
        return result


def _resource_version(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")
