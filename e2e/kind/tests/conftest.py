"""Fixtures of the in-cluster checks: the kind cluster recorded by `python -m e2e.kind up`, the fake AWS
endpoint in it (through its loopback port), and the controller Deployment started with a fresh account."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e.controlplane.fixtures import *  # noqa: F403
from e2e.fakeaws.fixtures import *  # noqa: F403
from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.controller import controller_env, in_kind
from e2e.kind.cluster import ClusterError, KindCluster
from e2e.kind.incluster import InClusterController, cluster_from_env


@pytest.fixture(scope="session")
def kind_cluster() -> KindCluster:
    if not in_kind():
        pytest.skip("in-cluster checks run in the kind tier (python -m e2e.kind test)")
    try:
        return cluster_from_env()
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)


def _started(aws_env: dict[str, str]) -> Iterator[InClusterController]:
    env = controller_env(
        aws_env, DEFAULT_SERVICE_NETWORK="app-network", RECONCILE_DEFAULT_RESYNC_SECONDS="60"
    )
    controller = InClusterController.start(env)
    yield controller
    if controller.stop() != 0:
        print(controller.log_tail())


@pytest.fixture
def incluster(kind_cluster: KindCluster, aws_env: dict[str, str]) -> Iterator[InClusterController]:
    """Both replicas Ready and one leader, against a freshly reset fake account; scaled to 0 afterwards."""
    yield from _started(aws_env)


@pytest.fixture(scope="class")
def steady(kind_cluster: KindCluster, fake_aws: FakeAws) -> Iterator[InClusterController]:
    """As `incluster`, started once for a class of checks that only look at the running Deployment (no
    AWS changes, no pod deleted): each start is a scale 0 → 2 and a Lease election, some 15 s."""
    fake_aws.admin.reset()
    yield from _started(fake_aws.env())
