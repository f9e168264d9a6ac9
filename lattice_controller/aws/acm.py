"""ACM certificate discovery and EC2 tag reads: the two non-Lattice reads the controller makes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lattice_controller.aws.pagination import collect_pages
from lattice_controller.aws.session import ACM, EC2
from lattice_controller.aws.transport import AwsTransport


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
