"""Wiring of the AWS edge: clients → transport → facades → inventory, opened and closed as one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from lattice_controller.aws.acm import AcmApi
from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.metrics import AwsMetrics
from lattice_controller.aws.session import SERVICES, AwsClients, AwsConfig
from lattice_controller.aws.tagging import TagStore
from lattice_controller.aws.throttle import OperationPacer
from lattice_controller.aws.transport import BotocoreTransport


@dataclass(frozen=True, slots=True)
class AwsEdge:
    """Everything a reconciler needs from AWS; built by ``open_aws_edge``."""

    clients: AwsClients
    metrics: AwsMetrics
    transport: BotocoreTransport
    lattice: LatticeApi
    tags: TagStore
    inventory: LatticeInventory
    acm: AcmApi
    pacer: OperationPacer


@asynccontextmanager
async def open_aws_edge(
    config: AwsConfig,
    *,
    registry: CollectorRegistry,
    use_tagging_api: bool = True,
    inventory_max_age_seconds: float | None = 300.0,
    services: Sequence[str] = SERVICES,
) -> AsyncIterator[AwsEdge]:
    """Open the clients, build the facades on one transport, close the clients on exit.

    ``use_tagging_api`` is ``not DISABLE_TAGGING_SERVICE_API``; ``inventory_max_age_seconds`` None keeps
    listings until the resync driver starts a new cycle; ``registry`` is where the
    ``aws_api_*`` series are registered (the process registry in the controller, a fresh one in tests).
    """
    metrics = AwsMetrics(registry)
    pacer = OperationPacer(config.calls_per_second, metrics=metrics)
    async with AwsClients(config, metrics=metrics, services=services, pacer=pacer) as clients:
        transport = BotocoreTransport(clients, metrics)
        lattice = LatticeApi(transport)
        tags = TagStore(lattice, transport, use_tagging_api=use_tagging_api)
        inventory = LatticeInventory(
            lattice, tags, max_age_seconds=inventory_max_age_seconds, on_fetch=metrics.listing_fetched
        )
        yield AwsEdge(clients, metrics, transport, lattice, tags, inventory, AcmApi(transport), pacer)
