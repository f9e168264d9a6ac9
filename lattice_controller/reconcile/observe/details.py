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
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from lattice_controller.aws.lattice import LatticeApi

DEFAULT_MAX_ENTRIES = 20_000
WRITE_SKEW_SECONDS = 0.5
_DESCRIBING_WRITES = frozenset({"CreateRule", "UpdateRule", "CreateTargetGroup", "UpdateTargetGroup"})


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
        # arn → (stamp, detail), or (None, written at, detail) for a write whose stamp is not seen yet
        self._entries: OrderedDict[str, tuple[str | None, float, dict[str, Any]]] = OrderedDict()
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
        return entry[2]

    def put(self, detail: Mapping[str, Any]) -> None:
        """Remember a Get response (it carries its own ``arn`` and ``lastUpdatedAt``)."""
        stamp = _stamp(detail)
        arn = detail.get("arn")
        if stamp is None or arn is None:
            return
        self._store(str(arn), (stamp, 0.0, dict(detail)))

    def remember_write(self, detail: Mapping[str, Any]) -> None:
        """Remember a write response that fully describes its resource, pending its stamp."""
        arn = detail.get("arn")
        if arn is not None:
            self._store(str(arn), (None, self._wall_clock(), dict(detail)))

    def follow_writes(self, lattice: LatticeApi) -> None:
        """Remember every describing write made through ``lattice`` (see the module docstring)."""
        lattice.add_write_observer(self._on_write)

    def _on_write(self, operation: str, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        if operation == "BatchUpdateRule":
            written = [r for r in response.get("successful") or [] if _describes_fully("Rule", r)]
        elif operation in _DESCRIBING_WRITES and _describes_fully(operation, response):
            written = [response]
        else:
            return
        for detail in written:
            self.remember_write(detail)

    def _store(self, arn: str, entry: tuple[str | None, float, dict[str, Any]]) -> None:
        self._entries[arn] = entry
        self._entries.move_to_end(arn)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def forget(self, arn: str) -> None:
        self._entries.pop(arn, None)

    def __len__(self) -> int:
        return len(self._entries)
