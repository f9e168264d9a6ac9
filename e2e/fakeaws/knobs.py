"""Process-wide tunables of the fake: lifecycle timings and Lattice quotas.

Start-up values come from environment variables; the admin endpoint changes them at run time and `reset`
restores the start-up values. They are process-global (not per backend) so `/moto-api/reset` keeps them.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Knobs:
    draining_seconds: float = 2.0  # how long a deregistered target stays DRAINING
    initial_seconds: float = 1.0  # how long a registered target stays INITIAL before HEALTHY
    max_listeners_per_service: int = 2
    max_rules_per_listener: int = 10  # non-default rules
    max_targets_per_group: int = 1000
    max_target_groups_per_action: int = 10
    max_header_matches: int = 5
    max_targets_per_call: int = 100


_ENV = {
    "draining_seconds": "FAKEAWS_DRAINING_SECONDS",
    "initial_seconds": "FAKEAWS_INITIAL_SECONDS",
    "max_listeners_per_service": "FAKEAWS_MAX_LISTENERS_PER_SERVICE",
    "max_rules_per_listener": "FAKEAWS_MAX_RULES_PER_LISTENER",
    "max_targets_per_group": "FAKEAWS_MAX_TARGETS_PER_GROUP",
}


def knobs_from_env() -> Knobs:
    knobs = Knobs()
    for field in dataclasses.fields(Knobs):
        raw = os.environ.get(_ENV.get(field.name, ""), "")
        if raw:
            kind = float if isinstance(getattr(knobs, field.name), float) else int
            setattr(knobs, field.name, kind(raw))
    return knobs


_lock = threading.Lock()
_startup = knobs_from_env()
_current = dataclasses.replace(_startup)


def current() -> Knobs:
    """A snapshot; callers never mutate the live object."""
    with _lock:
        return dataclasses.replace(_current)


def update(changes: dict[str, Any]) -> Knobs:
    """Apply `changes` (unknown names or negative numbers are a ValueError) and return the new values."""
    global _current
    names = {f.name: type(getattr(_current, f.name)) for f in dataclasses.fields(Knobs)}
    coerced: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in names:
            raise ValueError(f"unknown setting {name!r}; known: {sorted(names)}")
        number = names[name](value)
        if number < 0:
            raise ValueError(f"{name} must be >= 0")
        coerced[name] = number
    with _lock:
        _current = dataclasses.replace(_current, **coerced)
        return dataclasses.replace(_current)


def restore() -> Knobs:
    global _current
    with _lock:
        _current = dataclasses.replace(_startup)
        return dataclasses.replace(_current)


def as_dict(knobs: Knobs) -> dict[str, Any]:
    return dataclasses.asdict(knobs)
