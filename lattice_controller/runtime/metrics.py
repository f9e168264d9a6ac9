"""Prometheus metrics of the runtime, with controller-runtime's names, registered on a registry passed in.

``controller_runtime_*`` are labelled ``controller``; ``workqueue_*`` are labelled ``name`` (the queue name,
which is the controller name). ``RuntimeMetrics.for_queue`` implements ``queue.QueueMetrics``. Ours:
``lattice_resync_*`` — periodic resync cycles finished, the last one's duration and key count;
``lattice_heap_*`` — heap releases after bursts of reconciles (``runtime.heap_release``).

The controller serves its own registry, not prometheus-client's global one, so the collectors every Prometheus
Python process exposes (``process_*``, ``python_info``, ``python_gc_*``) are registered on it explicitly by
``register_process_collectors``.
"""

from __future__ import annotations

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)

RECONCILE_TIME_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.15,
    0.2,
    0.25,
    0.3,
    0.35,
    0.4,
    0.45,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    1.0,
    1.25,
    1.5,
    1.75,
    2.0,
    2.5,
    3.0,
    3.5,
    4.0,
    4.5,
    5,
    6,
    7,
    8,
    9,
    10,
    15,
    20,
    25,
    30,
    40,
    50,
    60,
)
# client-go's workqueue buckets: 10 ns to 10 s, one per decade.
WORKQUEUE_BUCKETS = tuple(10.0**exponent for exponent in range(-8, 2))

RESULTS = ("success", "requeue_after", "error")


class ControllerMetrics:
    """The ``controller_runtime_*`` series of one controller."""

    def __init__(self, metrics: RuntimeMetrics, controller: str) -> None:
        self.controller = controller
        self._results = {result: metrics.reconcile_total.labels(controller, result) for result in RESULTS}
        self._errors = metrics.reconcile_errors_total.labels(controller)
        self._terminal = metrics.terminal_reconcile_errors_total.labels(controller)
        self._time = metrics.reconcile_time_seconds.labels(controller)
        self._active = metrics.active_workers.labels(controller)
        self._max = metrics.max_concurrent_reconciles.labels(controller)

    def set_max_concurrent(self, workers: int) -> None:
        self._max.set(workers)

    def worker_started(self) -> None:
        self._active.inc()

    def worker_finished(self) -> None:
        self._active.dec()

    def reconciled(self, result: str, seconds: float, *, error: bool = False, terminal: bool = False) -> None:
        self._results[result].inc()
        self._time.observe(seconds)
        if error:
            self._errors.inc()
        if terminal:
            self._terminal.inc()


class PrometheusQueueMetrics:
    """``queue.QueueMetrics`` for one queue."""

    def __init__(self, metrics: RuntimeMetrics, name: str) -> None:
        self._adds = metrics.workqueue_adds_total.labels(name)
        self._depth = metrics.workqueue_depth.labels(name)
        self._latency = metrics.workqueue_queue_duration_seconds.labels(name)
        self._duration = metrics.workqueue_work_duration_seconds.labels(name)
        self._retries = metrics.workqueue_retries_total.labels(name)
        self._unfinished = metrics.workqueue_unfinished_work_seconds.labels(name)
        self._longest = metrics.workqueue_longest_running_processor_seconds.labels(name)

    def added(self) -> None:
        self._adds.inc()

    def depth(self, keys: int) -> None:
        self._depth.set(keys)

    def queue_latency(self, seconds: float) -> None:
        self._latency.observe(seconds)

    def work_duration(self, seconds: float) -> None:
        self._duration.observe(seconds)

    def retried(self) -> None:
        self._retries.inc()

    def unfinished_work(self, total_seconds: float, longest_seconds: float) -> None:
        self._unfinished.set(total_seconds)
        self._longest.set(longest_seconds)


class RuntimeMetrics:
    """Every runtime metric family, registered once on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        by_controller = ["controller"]
        self.reconcile_total = Counter(
            "controller_runtime_reconcile_total",
            "Reconciliations per controller and result.",
            ["controller", "result"],
            registry=registry,
        )
        self.reconcile_errors_total = Counter(
            "controller_runtime_reconcile_errors_total",
            "Reconciliations that failed.",
            by_controller,
            registry=registry,
        )
        self.terminal_reconcile_errors_total = Counter(
            "controller_runtime_terminal_reconcile_errors_total",
            "Reconciliations that ended with a permanent (not retried) error.",
            by_controller,
            registry=registry,
        )
        self.reconcile_time_seconds = Histogram(
            "controller_runtime_reconcile_time_seconds",
            "Time per reconciliation.",
            by_controller,
            buckets=RECONCILE_TIME_BUCKETS,
            registry=registry,
        )
        self.active_workers = Gauge(
            "controller_runtime_active_workers",
            "Workers running a reconcile now.",
            by_controller,
            registry=registry,
        )
        self.max_concurrent_reconciles = Gauge(
            "controller_runtime_max_concurrent_reconciles",
            "Workers of the controller.",
            by_controller,
            registry=registry,
        )
        by_name = ["name"]
        self.workqueue_adds_total = Counter(
            "workqueue_adds_total", "Adds handled by the workqueue.", by_name, registry=registry
        )
        self.workqueue_depth = Gauge(
            "workqueue_depth", "Keys waiting in the workqueue.", by_name, registry=registry
        )
        self.workqueue_queue_duration_seconds = Histogram(
            "workqueue_queue_duration_seconds",
            "Seconds a key waits in the queue before it is handed out.",
            by_name,
            buckets=WORKQUEUE_BUCKETS,
            registry=registry,
        )
        self.workqueue_work_duration_seconds = Histogram(
            "workqueue_work_duration_seconds",
            "Seconds processing a key takes.",
            by_name,
            buckets=WORKQUEUE_BUCKETS,
            registry=registry,
        )
        self.workqueue_retries_total = Counter(
            "workqueue_retries_total",
            "Rate-limited re-adds handled by the workqueue.",
            by_name,
            registry=registry,
        )
        self.workqueue_unfinished_work_seconds = Gauge(
            "workqueue_unfinished_work_seconds",
            "Seconds of work in progress not yet observed by work_duration (sum over keys in process).",
            by_name,
            registry=registry,
        )
        self.workqueue_longest_running_processor_seconds = Gauge(
            "workqueue_longest_running_processor_seconds",
            "Seconds the longest-running key has been in process.",
            by_name,
            registry=registry,
        )

        self.resync_cycles_total = Counter(
            "lattice_resync_cycles_total",
            "Periodic resync cycles finished; complete=false: given up waiting for some of its keys.",
            ["complete"],
            registry=registry,
        )
        self.resync_last_cycle_seconds = Gauge(
            "lattice_resync_last_cycle_seconds",
            "Seconds from the start of the last finished resync cycle until its keys were all handled.",
            registry=registry,
        )
        self.resync_last_cycle_keys = Gauge(
            "lattice_resync_last_cycle_keys",
            "Keys the last finished resync cycle enqueued (all controllers).",
            registry=registry,
        )

        self.heap_releases_total = Counter(
            "lattice_heap_releases_total",
            "Times the heap was given back to the system after a burst of reconciles.",
            registry=registry,
        )
        self.heap_last_release_reconciles = Gauge(
            "lattice_heap_last_release_reconciles",
            "Reconciles handled (all controllers, since start) when the heap was last given back.",
            registry=registry,
        )

    def for_controller(self, controller: str) -> ControllerMetrics:
        return ControllerMetrics(self, controller)

    def cycle_finished(self, seconds: float, keys: int, *, complete: bool) -> None:
        """One resync cycle is over (``runtime.resync.CycleMetrics``)."""
        self.resync_cycles_total.labels("true" if complete else "false").inc()
        self.resync_last_cycle_seconds.set(seconds)
        self.resync_last_cycle_keys.set(keys)

    def heap_released(self, reconciles: int) -> None:
        """The heap was given back after ``reconciles`` reconciles in all (``runtime.heap_release``)."""
        self.heap_releases_total.inc()
        self.heap_last_release_reconciles.set(reconciles)

    def for_queue(self, name: str) -> PrometheusQueueMetrics:
        return PrometheusQueueMetrics(self, name)


def register_process_collectors(registry: CollectorRegistry) -> None:
    """Add ``process_cpu_seconds_total``, ``process_resident_memory_bytes``, ``process_open_fds``, ...,
    ``python_info`` and ``python_gc_*`` to ``registry`` (the collector objects of the global registry)."""
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
