"""Fixtures of the in-cluster checks: the kind cluster recorded by `python -m e2e.kind up`, the fake AWS
endpoint in it (through its loopback port), and the controller Deployment started with a fresh account."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from e2e.controlplane.fixtures import *  # noqa: F403
from e2e.fakeaws.fixtures import *  # noqa: F403
from e2e.harness.controller import controller_env
from e2e.kind.cluster import ClusterError, KindCluster
from e2e.kind.incluster import InClusterController, cluster_from_env


@pytest.fixture(scope="session")
def kind_cluster() -> KindCluster:
    if os.environ.get("LC_CONTROLLER_TARGET") != "kind":
        pytest.skip("in-cluster checks run in the kind tier (python -m e2e.kind test)")
    try:
        return cluster_from_env()
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def incluster(kind_cluster: KindCluster, aws_env: dict[str, str]) -> Iterator[InClusterController]:
    """Both replicas Ready and one leader, against a freshly reset fake account; scaled to 0 afterwards."""
    env = controller_env(
        aws_env, DEFAULT_SERVICE_NETWORK="app-network", RECONCILE_DEFAULT_RESYNC_SECONDS="60"
    )
    controller = InClusterController.start(env)
    yield controller
    if controller.stop() != 0:
        print(controller.log_tail())
