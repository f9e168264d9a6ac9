"""ACM certificate discovery and EC2 tag reads: the two non-Lattice reads the controller makes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from lattice_controller.aws.metrics import AwsMetrics
from lattice_controller.aws.pagination import collect_pages
from lattice_controller.aws.session import ACM, EC2, AwsClients, AwsConfig
from lattice_controller.aws.transport import AwsTransport, BotocoreTransport


class AcmApi:
    def __init__(self, transport: AwsTransport) -> None:
        self._transport = transport

    async def list_certificates(self, statuses: Sequence[str] = ("ISSUED",)) -> list[dict[str, Any]]:
        """Every ``CertificateSummary`` with one of ``statuses`` (the reference lists ``ISSUED`` only)."""

        async def page(token: str | None) -> dict[str, Any]:
            params: dict[str, Any] = {"CertificateStatuses": list(statuses)}
            if token:
                params["NextToken"] = token
            return await self._transport.call(ACM, "ListCertificates", params)

        return await collect_pages(page, items_key="CertificateSummaryList", token_key="NextToken")


class Ec2Api:
    def __init__(self, transport: AwsTransport) -> None:
        self._transport = transport

    async def describe_tags(self, filters: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
        """``DescribeTags`` with ``{name: values}`` filters, e.g. ``{"resource-id": [instance_id]}``."""
        filter_list = [{"Name": name, "Values": list(values)} for name, values in filters.items()]

        async def page(token: str | None) -> dict[str, Any]:
            params: dict[str, Any] = {"Filters": filter_list}
            if token:
                params["NextToken"] = token
            return await self._transport.call(EC2, "DescribeTags", params)

        return await collect_pages(page, items_key="Tags", token_key="NextToken")


async def describe_instance_tags(region: str, instance_id: str) -> dict[str, str]:
    """Tags of one EC2 instance (cluster-name discovery at start-up), with a short-lived EC2 client."""
    metrics = AwsMetrics(CollectorRegistry())
    async with AwsClients(AwsConfig(region=region), metrics=metrics, services=(EC2,)) as clients:
        tags = await Ec2Api(BotocoreTransport(clients, metrics)).describe_tags({"resource-id": [instance_id]})
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags}
