"""RFC 7386 merge patch helpers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lattice_controller.kube.merge_patch import apply_merge_patch, is_noop_merge_patch, merge_patch_between

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=10,
)
no_null_maps = st.dictionaries(
    st.text(max_size=2),
    st.recursive(
        st.booleans() | st.integers() | st.text(max_size=3),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
        max_leaves=10,
    ),
    max_size=4,
)


def test_apply_follows_rfc7386() -> None:
    target = {"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]}
    patch = {"a": "z", "c": {"f": None}, "l": [3]}
    assert apply_merge_patch(target, patch) == {"a": "z", "c": {"d": "e"}, "l": [3]}
    assert target["c"] == {"d": "e", "f": "g"}  # not modified


@pytest.mark.parametrize(
    ("current", "patch", "noop"),
    [
        ({"conditions": [{"type": "Accepted"}]}, {"conditions": [{"type": "Accepted"}]}, True),
        ({"a": 1}, {"b": None}, True),
        ({"a": 1}, {"a": None}, False),
        ({}, {"a": {}}, False),
        (None, {}, True),
    ],
)
def test_noop_detection(current: Any, patch: dict[str, Any], noop: bool) -> None:
    assert is_noop_merge_patch(current, patch) is noop


@given(no_null_maps, no_null_maps)
def test_patch_between_turns_current_into_desired(current: dict[str, Any], desired: dict[str, Any]) -> None:
    patch = merge_patch_between(current, desired)
    assert apply_merge_patch(current, patch) == desired
    assert (patch == {}) == (current == desired)


@given(json_values, json_values)
def test_apply_never_mutates(target: Any, patch: Any) -> None:
    before = repr(target)
    apply_merge_patch(target, patch)
    assert repr(target) == before
