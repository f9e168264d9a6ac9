"""Tag keys, the additional-tags annotation parser and the UpdateTags diff."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lattice_controller.model import tags as t


def test_tag_keys_and_managed_by() -> None:
    assert t.MANAGED_BY == "application-networking.k8s.aws/ManagedBy"
    assert t.SOURCE_TYPE_KEY == "application-networking.k8s.aws/SourceTypeKey"
    assert t.PROTOCOL_VERSION == "application-networking.k8s.aws/ProtocolVersion"
    assert t.ROUTE_TYPE == "application-networking.k8s.aws/RouteType"
    assert t.managed_by("123", "dev", "vpc-1") == "123/dev/vpc-1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {}),
        ("", {}),
        ("a=b", {"a": "b"}),
        (" a = b , c=d ", {"a": "b", "c": "d"}),
        ("a=b=c", {"a": "b=c"}),
        ("a=", {}),
        ("=b", {}),
        ("novalue", {}),
        ("a=1,a=2", {"a": "1"}),
        ("k!=v", {}),
        ("k=v#", {}),
        ("ключ=значение", {"ключ": "значение"}),
        ("k=a b", {"k": "a b"}),
        ("k=_.:/=+-@", {"k": "_.:/=+-@"}),
        ("application-networking.k8s.aws/ManagedBy=x,ok=1", {"ok": "1"}),
        ("AWS:thing=x,Aws:x=y,aws=fine", {"aws": "fine"}),
        ("k=" + "v" * 256, {"k": "v" * 256}),
        ("k=" + "v" * 257, {}),
        ("k" * 128 + "=v", {"k" * 128: "v"}),
        ("k" * 129 + "=v", {}),
        ("k=" + "é" * 129, {}),
    ],
)
def test_parse_tags_annotation(value: str | None, expected: dict[str, str]) -> None:
    assert t.parse_tags_annotation(value) == expected


def test_parse_stops_after_fifty_distinct_keys_before_prefix_filter() -> None:
    pairs = ",".join(f"k{i}=v" for i in range(60))
    assert len(t.parse_tags_annotation(pairs)) == 50
    with_reserved = "aws:x=1," + ",".join(f"k{i}=v" for i in range(60))
    assert len(t.parse_tags_annotation(with_reserved)) == 49


@given(st.text(max_size=300))
def test_parser_never_raises_and_never_returns_controller_keys(value: str) -> None:
    parsed = t.parse_tags_annotation(value)
    assert len(parsed) <= 50
    for key, val in parsed.items():
        assert key
        assert val
        assert not t.is_controller_key(key)
        assert len(key.encode()) <= 128
        assert len(val.encode()) <= 256
        assert "," not in key
        assert "," not in val


@given(
    st.dictionaries(
        st.from_regex(r"[a-z]{1,5}", fullmatch=True), st.from_regex(r"[a-z0-9]{1,5}", fullmatch=True)
    )
)
def test_serialised_tags_round_trip(tags: dict[str, str]) -> None:
    text = ",".join(f"{k}={v}" for k, v in tags.items())
    assert t.parse_tags_annotation(text) == dict(list(tags.items())[:50])


def test_creation_tags_controller_wins() -> None:
    assert t.creation_tags({t.MANAGED_BY: "me"}, {t.MANAGED_BY: "you", "a": "1"}) == {
        t.MANAGED_BY: "me",
        "a": "1",
    }


def test_tag_change_sync_user_tags_and_protect_controller_keys() -> None:
    existing = {t.MANAGED_BY: "me", t.ROUTE_NAME: "r", "aws:cloudformation:x": "y", "old": "1", "keep": "2"}
    change = t.tag_change(existing, {"keep": "2", "new": "3"})
    assert change.untag == ("old",)
    assert change.tag == (("new", "3"),)
    assert not t.tag_change(existing, {"old": "1", "keep": "2"})


def test_tag_change_forces_managed_keys() -> None:
    existing = {t.MANAGED_BY: "someone-else"}
    change = t.tag_change(existing, {}, {t.MANAGED_BY: "me"})
    assert change.untag == ()
    assert change.tag_dict == {t.MANAGED_BY: "me"}
    assert not t.tag_change({t.MANAGED_BY: "me"}, {}, {t.MANAGED_BY: "me"})
