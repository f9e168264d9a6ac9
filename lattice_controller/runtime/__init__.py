"""Workers, manager start/stop order, leader election, health, readiness and metrics server.

Must never know Gateway API or Lattice semantics, nor import reconcile/.
"""

from lattice_controller.runtime.http import HttpServer, Probes, metrics_app, probe_app
from lattice_controller.runtime.leader import (
    LEASE_NAME,
    ElectionTiming,
    LeaderElector,
    LeadershipLost,
    LeaseStore,
    default_identity,
)
from lattice_controller.runtime.logs import configure_logging, reconcile_context
from lattice_controller.runtime.manager import EXIT_LEADERSHIP_LOST, EXIT_OK, Manager
from lattice_controller.runtime.metrics import ControllerMetrics, RuntimeMetrics
from lattice_controller.runtime.resync import run_periodic_resync
from lattice_controller.runtime.workers import Reconciler, WorkerPool

__all__ = [
    "EXIT_LEADERSHIP_LOST",
    "EXIT_OK",
    "LEASE_NAME",
    "ControllerMetrics",
    "ElectionTiming",
    "HttpServer",
    "LeaderElector",
    "LeadershipLost",
    "LeaseStore",
    "Manager",
    "Probes",
    "Reconciler",
    "RuntimeMetrics",
    "WorkerPool",
    "configure_logging",
    "default_identity",
    "metrics_app",
    "probe_app",
    "reconcile_context",
    "run_periodic_resync",
]
