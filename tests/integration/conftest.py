"""Integration fixtures: a real kube-apiserver (e2e.controlplane) and the fake AWS endpoint (e2e.fakeaws)."""

from e2e.controlplane.fixtures import *  # noqa: F403
from e2e.fakeaws.fixtures import *  # noqa: F403
