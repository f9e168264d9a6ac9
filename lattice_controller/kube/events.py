"""Kubernetes Events (core/v1) about the objects the controller reconciles.

Best effort, like client-go's recorder: a failed event write is logged, never raised. A repeat of the
same (object, type, reason, message) bumps ``count`` and ``lastTimestamp`` on the event created before
instead of creating another (the recorder remembers recent events in a bounded map).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lattice_controller.kube.errors import KubeError, NotFound
from lattice_controller.kube.kinds import EVENT, AnyKind
from lattice_controller.kube.rest import MERGE_PATCH, KubeRest
from lattice_controller.model.keys import ObjectKey

log = logging.getLogger(__name__)

NORMAL = "Normal"
WARNING = "Warning"
_MAX_MESSAGE = 1024


@dataclass(frozen=True, slots=True)
class InvolvedObject:
    kind: AnyKind
    key: ObjectKey
    uid: str = ""
    resource_version: str = ""

    def to_k8s(self) -> dict[str, Any]:
        ref: dict[str, Any] = {
            "apiVersion": self.kind.api_version,
            "kind": self.kind.kind,
            "name": self.key.name,
        }
        if self.key.namespace:
            ref["namespace"] = self.key.namespace
        if self.uid:
            ref["uid"] = self.uid
        if self.resource_version:
            ref["resourceVersion"] = self.resource_version
        return ref


@dataclass(slots=True)
class _Recorded:
    namespace: str
    name: str
    count: int
    first_timestamp: str


def _now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EventRecorder:
    def __init__(
        self,
        rest: KubeRest,
        component: str,
        *,
        host: str = "",
        remember: int = 4096,
        now: Callable[[], str] = _now_rfc3339,
    ) -> None:
        self.rest = rest
        self.component = component
        self.host = host
        self._remember = remember
        self._now = now
        self._recent: OrderedDict[tuple[str, ...], _Recorded] = OrderedDict()

    async def normal(self, obj: InvolvedObject, reason: str, message: str) -> None:
        await self.emit(obj, NORMAL, reason, message)

    async def warning(self, obj: InvolvedObject, reason: str, message: str) -> None:
        await self.emit(obj, WARNING, reason, message)

    async def emit(self, obj: InvolvedObject, event_type: str, reason: str, message: str) -> None:
        message = message[:_MAX_MESSAGE]
        identity = (obj.kind.group_kind, str(obj.key), obj.uid, event_type, reason, message)
        now = self._now()
        try:
            recorded = self._recent.get(identity)
            if recorded is not None and await self._bump(recorded, now):
                self._recent.move_to_end(identity)
                return
            self._remember_event(identity, await self._create(obj, event_type, reason, message, now))
        except KubeError as exc:
            log.warning(
                "cannot record event %s %s on %s %s: %s", event_type, reason, obj.kind.kind, obj.key, exc
            )

    async def _bump(self, recorded: _Recorded, now: str) -> bool:
        patch = {"count": recorded.count + 1, "lastTimestamp": now}
        try:
            await self.rest.patch(EVENT.object_path(recorded.namespace, recorded.name), patch, MERGE_PATCH)
        except NotFound:  # expired (events live for an hour by default): create a new one
            return False
        recorded.count += 1
        return True

    async def _create(
        self, obj: InvolvedObject, event_type: str, reason: str, message: str, now: str
    ) -> _Recorded:
        namespace = obj.key.namespace or "default"
        name = f"{obj.key.name}.{time.time_ns():x}"
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": obj.to_k8s(),
            "reason": reason,
            "message": message,
            "type": event_type,
            "source": {"component": self.component, **({"host": self.host} if self.host else {})},
            "reportingComponent": self.component,
            "reportingInstance": self.host or self.component,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        await self.rest.post(EVENT.collection_path(namespace), body)
        return _Recorded(namespace, name, 1, now)

    def _remember_event(self, identity: tuple[str, ...], recorded: _Recorded) -> None:
        self._recent[identity] = recorded
        self._recent.move_to_end(identity)
        while len(self._recent) > self._remember:
            self._recent.popitem(last=False)
