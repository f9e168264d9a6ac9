"""structlog configuration: JSON lines by default, console in DEV_MODE, LOG_LEVEL filtering, stdlib routed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from lattice_controller.runtime.logs import configure_logging, reconcile_context


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_with_level_filtering_and_context() -> None:
    stream = io.StringIO()
    configure_logging("warn", dev_mode=False, stream=stream)
    log = structlog.get_logger("t")
    log.info("hidden")
    with reconcile_context("httproute", "ns/name", reconcile_id="r1"):
        log.warning("shown", extra_field=1)
        logging.getLogger("library").error("from stdlib")
    log.error("after")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["shown", "from stdlib", "after"]
    assert lines[0]["controller"] == "httproute"
    assert lines[0]["key"] == "ns/name"
    assert lines[0]["reconcile_id"] == "r1"
    assert lines[0]["level"] == "warning"
    assert lines[0]["extra_field"] == 1
    assert lines[0]["timestamp"].endswith("Z")
    assert lines[1]["reconcile_id"] == "r1"
    assert "reconcile_id" not in lines[2]


def test_dev_mode_renders_for_humans() -> None:
    stream = io.StringIO()
    configure_logging("debug", dev_mode=True, stream=stream)
    structlog.get_logger("t").debug("hello", who="dev")
    text = stream.getvalue()
    assert "hello" in text
    assert "who" in text
    assert not text.lstrip().startswith("{")


def test_reconcile_ids_are_fresh_per_context() -> None:
    with reconcile_context("c", "k") as first, reconcile_context("c", "k") as second:
        assert first != second
        assert len(first) == 16
