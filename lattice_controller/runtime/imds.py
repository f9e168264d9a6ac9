"""EC2 instance metadata (IMDSv2) as the settings ``MetadataSource``: the fallback for REGION, CLUSTER_VPC_ID,
AWS_ACCOUNT_ID and CLUSTER_NAME when they are not in the environment.

The cluster name is the tag ``aws:eks:cluster-name`` of this instance, read with ``ec2:DescribeTags``. That
call needs signed AWS requests, which only aws/ may make, so it is injected (``describe_instance_tags``);
without it the cluster name cannot come from metadata and start-up asks for CLUSTER_NAME.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping

import aiohttp

IMDS_ENDPOINT = "http://169.254.169.254"
CLUSTER_NAME_TAG = "aws:eks:cluster-name"
DescribeInstanceTags = Callable[[str, str], Awaitable[Mapping[str, str]]]
"""``(region, instance_id) -> {tag key: value}`` for the instance."""


class MetadataError(Exception):
    pass


class Ec2MetadataSource:
    def __init__(
        self,
        endpoint: str = IMDS_ENDPOINT,
        describe_instance_tags: DescribeInstanceTags | None = None,
        timeout_seconds: float = 2.0,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._describe_instance_tags = describe_instance_tags
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._token: str | None = None

    async def region(self) -> str:
        return await self._get("meta-data/placement/region")

    async def vpc_id(self) -> str:
        mac = await self._get("meta-data/mac")
        return await self._get(f"meta-data/network/interfaces/macs/{mac}/vpc-id")

    async def account_id(self) -> str:
        info = json.loads(await self._get("meta-data/identity-credentials/ec2/info"))
        return str(info["AccountId"])

    async def cluster_name(self) -> str:
        document = json.loads(await self._get("dynamic/instance-identity/document"))
        if self._describe_instance_tags is None:
            raise MetadataError("not found in env and metadata (ec2:DescribeTags is not available)")
        tags = await self._describe_instance_tags(str(document["region"]), str(document["instanceId"]))
        name = tags.get(CLUSTER_NAME_TAG, "")
        if not name:
            raise MetadataError(f"not found in env and metadata (instance has no {CLUSTER_NAME_TAG} tag)")
        return name

    async def _get(self, path: str) -> str:
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            if self._token is None:
                async with session.put(
                    f"{self._endpoint}/latest/api/token",
                    headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
                ) as response:
                    if response.status != 200:
                        raise MetadataError(f"IMDS token request returned HTTP {response.status}")
                    self._token = await response.text()
            async with session.get(
                f"{self._endpoint}/latest/{path}", headers={"X-aws-ec2-metadata-token": self._token}
            ) as response:
                if response.status != 200:
                    raise MetadataError(f"IMDS {path} returned HTTP {response.status}")
                return (await response.text()).strip()
