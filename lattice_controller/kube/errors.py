"""Errors raised by kube/: kubernetes-asyncio exceptions translated at the boundary.

Callers outside kube/ catch these, never ``kubernetes_asyncio`` types.
"""

from __future__ import annotations


class KubeError(Exception):
    """A failed Kubernetes API call; ``status`` is the HTTP status (0 when no response arrived)."""

    def __init__(self, status: int, reason: str, message: str = "") -> None:
        self.status = status
        self.reason = reason
        self.message = message
        super().__init__(f"{status} {reason}: {message}" if message else f"{status} {reason}")


class NotFound(KubeError):
    pass


class Conflict(KubeError):
    """409: optimistic-lock failure (stale resourceVersion) or AlreadyExists."""


class Expired(KubeError):
    """410 Gone: the resourceVersion (or continue token) is too old; the caller must list again."""


def error_for(status: int, reason: str, message: str = "") -> KubeError:
    cls = {404: NotFound, 409: Conflict, 410: Expired}.get(status, KubeError)
    return cls(status, reason, message)


def error_from_status_object(status_obj: dict[str, object]) -> KubeError:
    """From a ``kind: Status`` body (watch ERROR events, error responses)."""
    code = status_obj.get("code")
    return error_for(
        code if isinstance(code, int) else 0,
        str(status_obj.get("reason") or ""),
        str(status_obj.get("message") or ""),
    )
