"""The hook through which a queue reports its ``workqueue_*`` metrics; runtime/ implements it with prometheus.

The queue calls these synchronously and never imports a metrics library.
"""

from __future__ import annotations

from typing import Protocol


class QueueMetrics(Protocol):
    def added(self) -> None:
        """A key was accepted by ``add`` (``workqueue_adds_total``), whether or not it was already pending."""
        ...

    def depth(self, keys: int) -> None:
        """Keys waiting to be handed out (``workqueue_depth``)."""
        ...

    def queue_latency(self, seconds: float) -> None:
        """Time a key waited between becoming ready and being handed out
        (``workqueue_queue_duration_seconds``)."""
        ...

    def work_duration(self, seconds: float) -> None:
        """Time between ``get`` and ``done`` for a key (``workqueue_work_duration_seconds``)."""
        ...

    def retried(self) -> None:
        """``add_rate_limited`` was called (``workqueue_retries_total``)."""
        ...

    def unfinished_work(self, total_seconds: float, longest_seconds: float) -> None:
        """Sum and maximum of how long keys now in process have run (``workqueue_unfinished_work_seconds``,
        ``workqueue_longest_running_processor_seconds``)."""
        ...


class NoQueueMetrics:
    def added(self) -> None:
        return None

    def depth(self, keys: int) -> None:
        return None

    def queue_latency(self, seconds: float) -> None:
        return None

    def work_duration(self, seconds: float) -> None:
        return None

    def retried(self) -> None:
        return None

    def unfinished_work(self, total_seconds: float, longest_seconds: float) -> None:
        return None
