"""An in-memory API server for tests of the writers and reconcilers: ``MemoryRest``.

It answers ``get``/``post``/``patch`` the way ``KubeRest`` reaches a real API server, for the calls the
controller makes: objects by path, JSON merge patches (RFC 7386) on the object or its ``/status``,
``resourceVersion`` bumped on every write and checked when a patch carries one (a stale one is a 409),
an object marked for deletion gone once its last finalizer is removed, and scripted conflicts. Every
call is recorded in ``calls`` so tests can assert what was written, in which order. Pass it where a
``KubeRest`` is expected (``cast(KubeRest, rest)``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from lattice_controller.kube.errors import Conflict, NotFound
from lattice_controller.kube.kinds import AnyKind
from lattice_controller.kube.merge_patch import apply_merge_patch

JSON = dict[str, Any]


class MemoryRest:
    def __init__(self) -> None:
        self.objects: dict[str, JSON] = {}
        self.calls: list[tuple[str, str, Any]] = []
        self.conflicts_before_patch = 0
        """Answer this many patches with 409 before applying any (a concurrent writer)."""
        self._version = 0

    # -- seeding and reading back -------------------------------------------------------------------

    def put(self, kind: AnyKind, obj: JSON) -> JSON:
        """Store ``obj`` as the API server would after a create/update: returns the stored copy."""
        metadata = obj.get("metadata") or {}
        path = kind.object_path(str(metadata.get("namespace") or ""), str(metadata["name"]))
        stored = copy.deepcopy(obj)
        stored.setdefault("metadata", {})["resourceVersion"] = self._next_version()
        self.objects[path] = stored
        return copy.deepcopy(stored)

    def object(self, kind: AnyKind, namespace: str, name: str) -> JSON | None:
        found = self.objects.get(kind.object_path(namespace, name))
        return copy.deepcopy(found) if found is not None else None

    def writes(self) -> list[tuple[str, str, Any]]:
        return [c for c in self.calls if c[0] != "GET"]

    # -- the KubeRest calls ---------------------------------------------------------------------------

    async def get(self, path: str, query: Sequence[tuple[str, str]] = ()) -> JSON:
        self.calls.append(("GET", path, None))
        if path not in self.objects:
            raise NotFound(404, "NotFound")
        return copy.deepcopy(self.objects[path])

    async def post(self, path: str, body: JSON, query: Sequence[tuple[str, str]] = ()) -> JSON:
        self.calls.append(("POST", path, copy.deepcopy(body)))
        stored = copy.deepcopy(body)
        stored.setdefault("metadata", {})["resourceVersion"] = self._next_version()
        self.objects[f"{path}/{body['metadata']['name']}"] = stored
        return copy.deepcopy(stored)

    async def patch(self, path: str, body: JSON | list[JSON], content_type: str = "") -> JSON:
        self.calls.append(("PATCH", path, copy.deepcopy(body)))
        if not isinstance(body, dict):
            raise ValueError("MemoryRest applies merge patches only")
        if self.conflicts_before_patch:
            self.conflicts_before_patch -= 1
            raise Conflict(409, "Conflict")
        base = path.removesuffix("/status")
        target = self.objects.get(base)
        if target is None:
            raise NotFound(404, "NotFound")
        metadata = dict(body.get("metadata") or {})
        expected = metadata.pop("resourceVersion", None)
        if expected is not None and expected != (target.get("metadata") or {}).get("resourceVersion"):
            raise Conflict(409, "Conflict")
        patch = (
            {**body, "metadata": metadata} if metadata else {k: v for k, v in body.items() if k != "metadata"}
        )
        if path.endswith("/status"):
            patch = {"status": patch.get("status")}
        updated = apply_merge_patch(target, patch)
        updated["metadata"] = {**(updated.get("metadata") or {}), "resourceVersion": self._next_version()}
        if updated["metadata"].get("deletionTimestamp") and not updated["metadata"].get("finalizers"):
            del self.objects[base]  # the last finalizer of a deleted object went: it is gone
        else:
            self.objects[base] = updated
        return copy.deepcopy(updated)

    def _next_version(self) -> str:
        self._version += 1
        return str(self._version)
