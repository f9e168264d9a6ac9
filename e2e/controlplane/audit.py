"""The kube-apiserver audit log of a local control plane (ServiceAccount users only), read from a mark.

The plane's audit policy logs request metadata for ServiceAccount identities, so a controller run as a
restricted identity (`identity.py`) has every Kubernetes call it makes on record: writes, and any 403.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
# Questions, not writes: the controller's start-up permission check creates these, nothing is stored.
NOT_WRITES = frozenset({"selfsubjectaccessreviews"})


@dataclass(frozen=True, slots=True)
class AuditEntry:
    verb: str
    resource: str  # "httproutes/status", "events", ...
    code: int
    user: str
    namespace: str = ""
    name: str = ""
    decision: str = ""
    """The authorizer's answer (``allow``/``forbid``): a 403 with ``allow`` came from admission, e.g.
    an event created in a namespace being deleted, not from RBAC."""

    @property
    def is_write(self) -> bool:
        return self.verb in WRITE_VERBS and self.resource not in NOT_WRITES


@dataclass(slots=True)
class AuditLog:
    """The apiserver audit log (ServiceAccount users only), read incrementally from `mark()`."""

    path: Path
    offset: int = 0

    @classmethod
    def of_plane_dir(cls, directory: Path) -> AuditLog:
        return cls(directory / "logs" / "audit.log")

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since_mark(self, user: str) -> list[AuditEntry]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        entries = []
        for line in data.splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("stage") != "ResponseComplete" or event.get("user", {}).get("username") != user:
                continue
            ref = event.get("objectRef", {})
            resource = ref.get("resource", "?") + (f"/{ref['subresource']}" if ref.get("subresource") else "")
            entries.append(
                AuditEntry(
                    event.get("verb", "?"),
                    resource,
                    int(event.get("responseStatus", {}).get("code", 0)),
                    user,
                    ref.get("namespace", ""),
                    ref.get("name", ""),
                    str((event.get("annotations") or {}).get("authorization.k8s.io/decision", "")),
                )
            )
        return entries


def kube_writes(entries: list[AuditEntry]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in entries:
        if e.is_write:
            key = f"{e.verb} {e.resource}"
            counts[key] = counts.get(key, 0) + 1
    return counts


def forbidden(entries: list[AuditEntry]) -> list[AuditEntry]:
    """The requests RBAC refused (403 with the authorizer's ``forbid``)."""
    return [e for e in entries if e.code == 403 and e.decision != "allow"]
