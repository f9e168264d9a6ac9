"""structlog configuration (JSON lines, or console rendering in DEV_MODE) and the per-reconcile log context.

Every log line written while a reconcile runs carries ``controller``, ``key`` and ``reconcile_id``: the worker
binds them with ``reconcile_context`` in structlog's contextvars, which are private to the worker's task.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import structlog

# LOG_LEVEL values (settings.LOG_LEVELS) → stdlib levels; "panic" keeps only the most severe lines.
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "panic": logging.CRITICAL,
}


def configure_logging(level: str = "info", dev_mode: bool = False, stream: TextIO | None = None) -> None:
    """Configure structlog for the whole process; stdlib ``logging`` (libraries) goes to the same stream."""
    threshold = LEVELS[level]
    output = stream if stream is not None else sys.stderr
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any
    if dev_mode:
        renderer = structlog.dev.ConsoleRenderer()
    else:
        shared.append(structlog.processors.dict_tracebacks)
        renderer = structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.PrintLoggerFactory(output),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(output)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(threshold)


def new_reconcile_id() -> str:
    return uuid.uuid4().hex[:16]


@contextmanager
def reconcile_context(controller: str, key: object, reconcile_id: str | None = None) -> Iterator[str]:
    """Bind controller, key and a fresh reconcile id for the duration of one reconcile; yields the id."""
    ident = reconcile_id or new_reconcile_id()
    with structlog.contextvars.bound_contextvars(controller=controller, key=str(key), reconcile_id=ident):
        yield ident
