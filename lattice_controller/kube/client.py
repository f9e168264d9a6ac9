"""kubernetes-asyncio ``ApiClient`` set-up, and a ``KubeRest`` over an existing ``ApiClient``.

The controller's own calls go through ``kube.rest.KubeRest`` built with ``KubeRest.connect`` (no
kubernetes-asyncio import, ~65 MiB less RSS). This module is for code that wants kubernetes-asyncio
anyway (tests' ``kube_api`` fixture, typed APIs): ``load_api_client`` builds one with the same precedence,
and ``rest_from_api_client`` reuses its configuration for ``KubeRest``. Importing this module imports
kubernetes-asyncio.
"""

from __future__ import annotations

import logging
import ssl

from kubernetes_asyncio import config
from kubernetes_asyncio.client import ApiClient, Configuration

from lattice_controller.kube.connection import ClusterConnection, in_cluster_available
from lattice_controller.kube.rest import KubeRest

__all__ = ["ApiClient", "load_api_client", "rest_from_api_client"]

log = logging.getLogger(__name__)


async def load_api_client(kubeconfig: str | None) -> ApiClient:
    """A dedicated ``ApiClient`` (the global default configuration is never touched).

    Order: ``kubeconfig`` when given (an unreadable path is an error), else the in-cluster service account,
    else ``$KUBECONFIG`` / ``~/.kube/config`` as kubectl would pick it.
    """
    configuration = Configuration()
    if kubeconfig:
        await config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
        log.info("kube client from kubeconfig %s", kubeconfig)
    elif in_cluster_available():
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        log.info("kube client from in-cluster service account")
    else:
        await config.load_kube_config(client_configuration=configuration)
        log.info("kube client from default kubeconfig")
    return ApiClient(configuration=configuration)


def rest_from_api_client(api_client: ApiClient, *, request_timeout: float = 60.0) -> KubeRest:
    """A ``KubeRest`` using the server, TLS material and (refreshing) token of ``api_client``."""
    cfg = api_client.configuration
    context: ssl.SSLContext | bool
    if cfg.verify_ssl:
        context = ssl.create_default_context(cafile=cfg.ssl_ca_cert)
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cfg.cert_file:
        context.load_cert_chain(cfg.cert_file, cfg.key_file)
    if not str(cfg.host).startswith("https://"):
        context = False

    async def auth_headers() -> dict[str, str]:
        bearer = (await cfg.auth_settings()).get("BearerToken")
        return {"Authorization": str(bearer["value"])} if bearer and bearer.get("value") else {}

    connection = ClusterConnection(
        str(cfg.host), context, auth_headers, getattr(cfg, "tls_server_name", None)
    )
    return KubeRest(connection, request_timeout=request_timeout)
