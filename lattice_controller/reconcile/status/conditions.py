"""Condition merging with stable transition times."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from lattice_controller.model.k8s import Condition


def merge_conditions(
    existing: Iterable[Condition], desired: Iterable[Condition], now: str, keep_others: bool = False
) -> tuple[Condition, ...]:
    """Desired conditions (in order) stamped with the stored ``lastTransitionTime`` when the stored
    condition of that type has the same status, else ``now``; other stored types are kept after
    them when ``keep_others``."""
    stored = {c.type: c for c in existing}
    out = []
    for condition in desired:
        previous = stored.get(condition.type)
        time = previous.last_transition_time if previous and previous.status == condition.status else now
        out.append(replace(condition, last_transition_time=time or now))
    if keep_others:
        types = {c.type for c in out}
        out += [c for c in stored.values() if c.type not in types]
    return tuple(out)


def set_condition(conditions: tuple[Condition, ...], condition: Condition) -> tuple[Condition, ...]:
    """Replace the condition of the same type (or append), keeping order."""
    if any(c.type == condition.type for c in conditions):
        return tuple(condition if c.type == condition.type else c for c in conditions)
    return (*conditions, condition)
