"""Details that List calls leave out (rule match/action, TG health check, service certificate),
remembered across resync cycles by ``(arn, lastUpdatedAt)``.

Lattice moves ``lastUpdatedAt`` on every update, so a detail fetched once stays valid until the
list summary shows a newer stamp; an out-of-band edit is therefore still seen at the next cycle.
Summaries without a stamp (items the inventory filled from our own create responses) never hit.

Our own writes: the responses of ``CreateRule``, ``UpdateRule``, ``BatchUpdateRule`` (each successful
rule), ``CreateTargetGroup`` and ``UpdateTargetGroup`` describe the resource completely but carry no
stamp. ``follow_writes`` remembers them as pending; the first list summary that shows a stamp no later
than the write (plus ``WRITE_SKEW_SECONDS`` for clock skew) adopts it, so a rule we just created or
changed is not read back with a Get at the next cycle. A stamp later than that means someone changed
the resource after us: a miss, and the Get reads what they did.

Kept compactly: of a detail only the members a reconcile reads (``KEPT``: a rule's priority, match and
action, a target group's config, a listener's default action, a service's certificate), as one compact
JSON text decoded on each hit (a fresh dict: callers may keep it). A delete made through the API
forgets the resource and everything under it (a service's listeners and rules), so the cache holds
only resources that exist, up to its LRU bound for those deleted by others.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lattice_controller.aws.lattice import LatticeApi

DEFAULT_MAX_ENTRIES = 20_000
WRITE_SKEW_SECONDS = 0.5
_DESCRIBING_WRITES = frozenset({"CreateRule", "UpdateRule", "CreateTargetGroup", "UpdateTargetGroup"})
_DELETES = frozenset({"DeleteService", "DeleteListener", "DeleteRule", "DeleteTargetGroup"})
KEPT = ("priority", "match", "action", "config", "defaultAction", "certificateArn")
"""The members of a Get response that reconciles read from a remembered detail."""


def encode(detail: Mapping[str, Any]) -> str | None:
    """The ``KEPT`` members of ``detail`` as compact JSON; None if they are not JSON (never from the API)."""
    try:
        return json.dumps({k: detail[k] for k in KEPT if k in detail}, separators=(",", ":"))
    except (TypeError, ValueError):
        return None


def decode(text: str) -> dict[str, Any]:
    detail: dict[str, Any] = json.loads(text)
    return detail


def _stamp(summary: Mapping[str, Any]) -> str | None:
    value = summary.get("lastUpdatedAt")
    return None if value is None else str(value)


def _seconds(value: Any) -> float | None:
    """A ``lastUpdatedAt`` (botocore's datetime, or ISO-8601 text) as POSIX seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def _describes_fully(operation: str, detail: Mapping[str, Any]) -> bool:
    if "TargetGroup" in operation:
        return bool((detail.get("config") or {}).get("healthCheck"))
    return "match" in detail and "action" in detail


class DetailCache:
    """An LRU of ``arn → (lastUpdatedAt, Get response)``; one per process, shared by reconciles."""

    def __init__(
        self, *, max_entries: int = DEFAULT_MAX_ENTRIES, wall_clock: Callable[[], float] = time.time
    ) -> None:
        # arn → (stamp, 0, encoded detail), or (None, written at, encoded detail) for a write whose
        # stamp is not seen yet
        self._entries: OrderedDict[str, tuple[str | None, float, str]] = OrderedDict()
        self._max_entries = max_entries
        self._wall_clock = wall_clock
        self.hits = 0
        self.misses = 0

    def get(self, summary: Mapping[str, Any]) -> dict[str, Any] | None:
        """The remembered detail of the resource ``summary`` describes, if it is still current."""
        stamp = _stamp(summary)
        arn = str(summary.get("arn"))
        entry = self._entries.get(arn)
        if stamp is not None and entry is not None and entry[0] is None:
            moment = _seconds(summary.get("lastUpdatedAt"))
            if moment is not None and moment <= entry[1] + WRITE_SKEW_SECONDS:
                entry = self._entries[arn] = (stamp, entry[1], entry[2])
        if stamp is None or entry is None or entry[0] != stamp:
            self.misses += 1
            return None
        self._entries.move_to_end(arn)
        self.hits += 1
        return decode(entry[2])

    def put(self, detail: Mapping[str, Any]) -> None:
        """Remember a Get response (it carries its own ``arn`` and ``lastUpdatedAt``)."""
        stamp = _stamp(detail)
        arn = detail.get("arn")
        encoded = encode(detail)
        if stamp is None or arn is None or encoded is None:
            return
        self._store(str(arn), (stamp, 0.0, encoded))

    def remember_write(self, detail: Mapping[str, Any]) -> None:
        """Remember a write response that fully describes its resource, pending its stamp."""
        arn = detail.get("arn")
        encoded = encode(detail)
        if arn is not None and encoded is not None:
            self._store(str(arn), (None, self._wall_clock(), encoded))

    def follow_writes(self, lattice: LatticeApi) -> None:
        """Remember every describing write made through ``lattice`` (see the module docstring)."""
        lattice.add_write_observer(self._on_write)

    def _on_write(self, operation: str, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        if operation in _DELETES:
            if response.get("arn"):
                self.forget_under(str(response["arn"]))
            return
        if operation == "BatchUpdateRule":
            written = [r for r in response.get("successful") or [] if _describes_fully("Rule", r)]
        elif operation in _DESCRIBING_WRITES and _describes_fully(operation, response):
            written = [response]
        else:
            return
        for detail in written:
            self.remember_write(detail)

    def _store(self, arn: str, entry: tuple[str | None, float, str]) -> None:
        self._entries[arn] = entry
        self._entries.move_to_end(arn)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def forget(self, arn: str) -> None:
        self._entries.pop(arn, None)

    def forget_under(self, arn: str) -> None:
        """Forget ``arn`` and every resource under it (``arn/…``: a service's listeners and rules)."""
        self.forget(arn)
        prefix = arn + "/"
        for nested in [a for a in self._entries if a.startswith(prefix)]:
            del self._entries[nested]

    def __len__(self) -> int:
        return len(self._entries)
