"""JSON merge patch (RFC 7386) as pure functions: apply one, compute the smallest one between two states.

Used to skip writes that would change nothing and to turn "the status should be X" into the minimal patch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """The result of applying ``patch`` to ``target`` (neither is modified)."""
    if not isinstance(patch, Mapping):
        return patch
    result: dict[str, Any] = dict(target) if isinstance(target, Mapping) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = apply_merge_patch(result.get(name), value)
    return result


def merge_patch_between(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The smallest merge patch turning ``current`` into ``desired``; empty when they are equal.

    Lists and scalars are replaced whole (merge patch cannot do better); keys absent from ``desired`` become
    null. ``desired`` must not contain null values (they cannot be expressed by a merge patch).
    """
    patch: dict[str, Any] = {}
    for name in current:
        if name not in desired:
            patch[name] = None
    for name, new in desired.items():
        old = current.get(name)
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            nested = merge_patch_between(old, new)
            if nested:
                patch[name] = nested
        elif name not in current or old != new:
            patch[name] = new
    return patch


def is_noop_merge_patch(current: Any, patch: Mapping[str, Any]) -> bool:
    """Would applying ``patch`` leave ``current`` unchanged?"""
    return bool(apply_merge_patch(current, patch) == (current if isinstance(current, Mapping) else {}))
