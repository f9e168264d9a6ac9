"""pytest fixtures for the real control plane; imported with `from e2e.controlplane.fixtures import *`.

* `control_plane` (session): etcd + kube-apiserver + Gateway API CRDs (channel from env
  `LC_GATEWAY_CHANNEL`, default experimental), or the plane named by env `LC_KUBECONFIG` (then it is
  never stopped here). Yields a `ControlPlane`.
* `workloads` (session): the same plane with KCM + kwok + binder + fake Node running.
* `kube_api` (function, async): a kubernetes-asyncio `ApiClient` for the admin kubeconfig.
* `namespace` (function): a fresh `t-<8hex>` namespace name; deleted afterwards without waiting.

The plane's directory (logs, certs, etcd data) is a fresh `/tmp/lc-controlplane-*`, removed after the
session unless env `LC_KEEP_CONTROLPLANE_DIR` is set. Missing binaries skip the tests locally but fail
them when env `CI` is set.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import pytest_asyncio

from e2e.controlplane.assets import AssetsUnavailable
from e2e.controlplane.plane import ControlPlane

__all__ = ["control_plane", "kube_api", "namespace", "workloads"]


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"control plane unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"control plane unavailable: {reason}")


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    reuse = os.environ.get("LC_KUBECONFIG")
    if reuse:
        yield ControlPlane.attach(Path(reuse))
        return
    channel = os.environ.get("LC_GATEWAY_CHANNEL", "experimental")
    # Not under pytest's basetemp: a concurrent pytest session prunes old basetemp dirs, and with them
    # a running plane's etcd data and certificates.
    directory = Path(tempfile.mkdtemp(prefix="lc-controlplane-"))
    try:
        plane = ControlPlane.start(directory, channel=channel)
    except AssetsUnavailable as exc:
        shutil.rmtree(directory, ignore_errors=True)
        _unavailable(str(exc))
    atexit.register(plane.stop)  # in case the session dies before the teardown below
    try:
        yield plane
    finally:
        plane.stop()
        atexit.unregister(plane.stop)
        if not os.environ.get("LC_KEEP_CONTROLPLANE_DIR"):
            shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def workloads(control_plane: ControlPlane) -> ControlPlane:
    try:
        control_plane.ensure_workloads()
    except AssetsUnavailable as exc:
        _unavailable(str(exc))
    return control_plane


@pytest_asyncio.fixture
async def kube_api(control_plane: ControlPlane) -> AsyncIterator[Any]:
    from kubernetes_asyncio import client, config

    configuration = client.Configuration()
    await config.load_kube_config(
        config_file=str(control_plane.kubeconfig), client_configuration=configuration
    )
    api = client.ApiClient(configuration=configuration)
    try:
        yield api
    finally:
        await api.close()


@pytest.fixture
def namespace(control_plane: ControlPlane) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    rest = control_plane.rest()
    rest.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    rest.delete(f"/api/v1/namespaces/{name}")
