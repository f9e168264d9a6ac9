"""Details that List calls leave out (rule match/action, TG health check, service certificate),
remembered across resync cycles by ``(arn, lastUpdatedAt)``.

Lattice moves ``lastUpdatedAt`` on every update, so a detail fetched once stays valid until the
list summary shows a newer stamp; an out-of-band edit is therefore still seen at the next cycle.
Summaries without a stamp (items the inventory filled from our own create responses) never hit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

DEFAULT_MAX_ENTRIES = 20_000


def _stamp(summary: Mapping[str, Any]) -> str | None:
    value = summary.get("lastUpdatedAt")
    return None if value is None else str(value)


class DetailCache:
    """An LRU of ``arn → (lastUpdatedAt, Get response)``; one per process, shared by reconciles."""

    def __init__(self, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
        self._max_entries = max_entries
        self.hits = 0
        self.misses = 0

    def get(self, summary: Mapping[str, Any]) -> dict[str, Any] | None:
        """The remembered detail of the resource ``summary`` describes, if it is still current."""
        stamp = _stamp(summary)
        entry = self._entries.get(str(summary.get("arn")))
        if stamp is None or entry is None or entry[0] != stamp:
            self.misses += 1
            return None
        self._entries.move_to_end(str(summary["arn"]))
        self.hits += 1
        return entry[1]

    def put(self, detail: Mapping[str, Any]) -> None:
        """Remember a Get response (it carries its own ``arn`` and ``lastUpdatedAt``)."""
        stamp = _stamp(detail)
        arn = detail.get("arn")
        if stamp is None or arn is None:
            return
        self._entries[str(arn)] = (stamp, dict(detail))
        self._entries.move_to_end(str(arn))
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def forget(self, arn: str) -> None:
        self._entries.pop(arn, None)

    def __len__(self) -> int:
        return len(self._entries)
