"""Long-lived aiobotocore clients for every AWS service the controller talks to.

Endpoints and credentials come from botocore's own resolution (credential chain, ``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_VPC_LATTICE`` …); only ``LATTICE_ENDPOINT`` overrides the Lattice client's
endpoint, as in the reference. Retries use botocore's ``standard`` mode with ``max_attempts`` counted
as total attempts (the reference uses 20 for Lattice and ACM), except that a connect that fails is
tried at most ``connect_attempts`` times (see ``aws.retries``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session

from lattice_controller.aws.metrics import AwsMetrics
from lattice_controller.aws.retries import install_retries
from lattice_controller.aws.throttle import OperationPacer

USER_AGENT_EXTRA = "amazon-vpc-lattice-gateway-api-controller"

LATTICE = "vpc-lattice"
TAGGING = "resourcegroupstaggingapi"
ACM = "acm"
EC2 = "ec2"
SERVICES = (LATTICE, TAGGING, ACM)
"""The clients the controller keeps open. EC2 (``DescribeTags`` once at start-up, ``aws.acm``) gets a
short-lived client of its own: its model alone holds about 14 MiB while a client is open."""


@dataclass(frozen=True, slots=True)
class AwsConfig:
    """How to build the clients. ``max_attempts`` counts the first attempt (1 = never retry);
    ``connect_attempts``: attempts when the endpoint cannot be connected to (AWS unreachable: the call
    fails within seconds, so the route says so, instead of after minutes of retries);
    ``calls_per_second``: client-side limit per API operation (0 = none; retry-after hints still apply)."""

    region: str
    lattice_endpoint: str | None = None
    max_attempts: int = 20
    connect_attempts: int = 3
    user_agent_extra: str = USER_AGENT_EXTRA
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 60.0
    max_pool_connections: int = 20
    calls_per_second: float = 0.0
    # botocore re-checks every request against the service model before sending it (about a quarter of
    # the client-side CPU of a call). Requests here are built from typed specs and the service validates
    # them anyway (a bad one comes back as ValidationException), so the check is off.
    parameter_validation: bool = False

    def client_config(self) -> AioConfig:
        return AioConfig(
            region_name=self.region,
            retries={"total_max_attempts": self.max_attempts, "mode": "standard"},
            user_agent_extra=self.user_agent_extra,
            connect_timeout=self.connect_timeout_seconds,
            read_timeout=self.read_timeout_seconds,
            max_pool_connections=self.max_pool_connections,
            parameter_validation=self.parameter_validation,
        )

    def endpoint_for(self, service: str) -> str | None:
        """``None`` lets botocore resolve the endpoint (env vars, config file, partition rules)."""
        if service == LATTICE and self.lattice_endpoint:
            return self.lattice_endpoint
        return None


class AwsClients:
    """An async context manager holding one client per service; closes them all on exit.

    ``metrics`` (optional) gets its per-attempt hooks installed on every client, and so does ``pacer``
    (the client-side rate limit; ``None``: none at all). ``services`` limits which clients are built (the
    EC2 model alone takes ~0.5 s to load).
    """

    def __init__(
        self,
        config: AwsConfig,
        *,
        metrics: AwsMetrics | None = None,
        session: AioSession | None = None,
        services: Sequence[str] = SERVICES,
        pacer: OperationPacer | None = None,
    ) -> None:
        self.config = config
        self._metrics = metrics
        self.pacer = pacer
        self._session = session or get_session()
        self._stack = AsyncExitStack()
        self._clients: dict[str, Any] = {}
        self._services = tuple(services)

    async def __aenter__(self) -> AwsClients:
        client_config = self.config.client_config()
        try:
            for service in self._services:
                client = await self._stack.enter_async_context(
                    self._session.create_client(
                        service,
                        region_name=self.config.region,
                        endpoint_url=self.config.endpoint_for(service),
                        config=client_config,
                    )
                )
                install_retries(client, self.config.max_attempts, self.config.connect_attempts)
                if self.pacer is not None:
                    self.pacer.install(client)
                if self._metrics is not None:
                    self._metrics.install_hooks(client)
                self._clients[service] = client
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._clients.clear()
        await self._stack.aclose()

    def client(self, service: str) -> Any:
        """The open client for ``service`` (one of ``SERVICES``)."""
        try:
            return self._clients[service]
        except KeyError:
            raise RuntimeError(
                f"no open AWS client for {service!r}; use 'async with AwsClients(...)'"
            ) from None

    def service_label(self, service: str) -> str:
        """The model's service id, used as the ``service`` metric label (e.g. "VPC Lattice")."""
        return str(self.client(service).meta.service_model.service_id)

    @property
    def lattice(self) -> Any:
        return self.client(LATTICE)

    @property
    def tagging(self) -> Any:
        return self.client(TAGGING)

    @property
    def acm(self) -> Any:
        return self.client(ACM)
