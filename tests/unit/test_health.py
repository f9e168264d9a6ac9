"""Probe and metrics servers on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from lattice_controller.runtime.http import BindFailed, HttpServer, Probes, metrics_app, probe_app
from lattice_controller.runtime.metrics import RuntimeMetrics, register_process_collectors


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def fetch(session: aiohttp.ClientSession, port: int, path: str) -> tuple[int, str]:
    async with session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


async def test_probes_pass_when_every_check_passes(http: aiohttp.ClientSession) -> None:
    probes = Probes()
    state = {"synced": False}
    probes.add_readiness_check("caches-synced", lambda: state["synced"])
    probes.add_health_check("explodes", lambda: 1 / 0 == 0)
    server = HttpServer(probe_app(probes), "127.0.0.1", 0)
    await server.start()
    try:
        assert server.port != 0
        assert await fetch(http, server.port, "/readyz") == (500, "failed: caches-synced\n")
        state["synced"] = True
        assert await fetch(http, server.port, "/readyz") == (200, "ok")
        status, text = await fetch(http, server.port, "/readyz?verbose")
        assert status == 200
        assert "[+]caches-synced ok" in text
        assert await fetch(http, server.port, "/healthz") == (500, "failed: explodes\n")
        del probes.health["explodes"]
        assert await fetch(http, server.port, "/healthz") == (200, "ok")
    finally:
        await server.stop()
    await server.stop()  # idempotent


async def test_metrics_endpoint_serves_the_given_registry(http: aiohttp.ClientSession) -> None:
    registry = CollectorRegistry()
    metrics = RuntimeMetrics(registry)
    metrics.for_controller("httproute").reconciled("success", 0.2)
    queue_metrics = metrics.for_queue("httproute")
    queue_metrics.added()
    queue_metrics.depth(3)
    queue_metrics.queue_latency(0.01)
    queue_metrics.work_duration(0.5)
    queue_metrics.retried()
    queue_metrics.unfinished_work(4.0, 3.0)
    server = HttpServer(metrics_app(registry), "127.0.0.1", 0)
    await server.start()
    try:
        async with http.get(f"http://127.0.0.1:{server.port}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
    finally:
        await server.stop()
    for line in (
        'controller_runtime_reconcile_total{controller="httproute",result="success"} 1.0',
        'controller_runtime_reconcile_time_seconds_count{controller="httproute"} 1.0',
        'controller_runtime_max_concurrent_reconciles{controller="httproute"} 0.0',
        'workqueue_adds_total{name="httproute"} 1.0',
        'workqueue_depth{name="httproute"} 3.0',
        'workqueue_queue_duration_seconds_count{name="httproute"} 1.0',
        'workqueue_work_duration_seconds_count{name="httproute"} 1.0',
        'workqueue_retries_total{name="httproute"} 1.0',
        'workqueue_unfinished_work_seconds{name="httproute"} 4.0',
        'workqueue_longest_running_processor_seconds{name="httproute"} 3.0',
    ):
        assert line in text
    assert "controller_runtime_reconcile_errors_total" in text
    assert "controller_runtime_terminal_reconcile_errors_total" in text
    assert "controller_runtime_active_workers" in text
    assert "python_gc" not in text  # not the global registry


async def test_process_collectors_add_the_process_series(http: aiohttp.ClientSession) -> None:
    registry = CollectorRegistry()
    RuntimeMetrics(registry)
    register_process_collectors(registry)
    server = HttpServer(metrics_app(registry), "127.0.0.1", 0)
    await server.start()
    try:
        async with http.get(f"http://127.0.0.1:{server.port}/metrics") as response:
            text = await response.text()
    finally:
        await server.stop()
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if not line.startswith("#")}
    for name in (
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_start_time_seconds",
        "process_open_fds",
        "process_max_fds",
        "python_info",
        "python_gc_collections_total",
    ):
        assert name in names, name


async def test_a_busy_port_is_one_line_naming_the_flag() -> None:
    taken = HttpServer(metrics_app(CollectorRegistry()), "127.0.0.1", 0)
    await taken.start()
    try:
        second = HttpServer(
            metrics_app(CollectorRegistry()), "127.0.0.1", taken.port, "--metrics-bind-address"
        )
        with pytest.raises(BindFailed) as caught:
            await second.start()
        text = str(caught.value)
        assert text.startswith(f"--metrics-bind-address 127.0.0.1:{taken.port}: ")
        assert "in use" in text
        assert "\n" not in text
    finally:
        await taken.stop()
