"""Tolerant readers for decoded Kubernetes JSON: they never raise, they report.

Every parser in ``model.k8s`` goes through these helpers so that odd input (a string where an
integer belongs, a list where a mapping belongs) is kept in a reportable form instead of raising.
Problems are collected as ``"<path>: <what>"`` strings on the parsed record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

JSON = Mapping[str, Any]
_EMPTY: JSON = {}


class Problems:
    """Accumulates parse problems for one object; cheap when there are none."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, what: str) -> None:
        self.items.append(f"{path}: {what}")

    def freeze(self) -> tuple[str, ...]:
        return tuple(self.items)


def as_map(value: Any, path: str, problems: Problems | None = None) -> JSON:
    if isinstance(value, Mapping):
        return value
    if value is not None and problems is not None:
        problems.add(path, f"expected an object, got {type(value).__name__}")
    return _EMPTY


def as_list(value: Any, path: str, problems: Problems | None = None) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    if value is not None and problems is not None:
        problems.add(path, f"expected a list, got {type(value).__name__}")
    return []


def as_str(value: Any, path: str = "", problems: Problems | None = None, default: str = "") -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return default
    if problems is not None:
        problems.add(path, f"expected a string, got {value!r}")
    return str(value)


def opt_str(value: Any, path: str = "", problems: Problems | None = None) -> str | None:
    return None if value is None else as_str(value, path, problems)


def opt_int(value: Any, path: str, problems: Problems | None = None) -> int | None:
    """An integer, or None when absent; non-integers are reported and read as None."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        if problems is not None:
            problems.add(path, f"expected an integer, got string {value!r}")
        return int(value.strip())
    if problems is not None:
        problems.add(path, f"expected an integer, got {value!r}")
    return None


def opt_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def str_pairs(value: Any, path: str = "", problems: Problems | None = None) -> tuple[tuple[str, str], ...]:
    """A string map as a sorted tuple of pairs (hashable, compact, deterministic)."""
    mapping = as_map(value, path, problems)
    if not mapping:
        return ()
    return tuple(sorted((str(k), as_str(v, f"{path}.{k}", problems)) for k, v in mapping.items()))


def str_tuple(value: Any, path: str = "", problems: Problems | None = None) -> tuple[str, ...]:
    return tuple(as_str(v, f"{path}[{i}]", problems) for i, v in enumerate(as_list(value, path, problems)))
