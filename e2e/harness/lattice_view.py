"""A read-only snapshot of everything in the (fake) Lattice account, for assertions and the demo."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

MANAGED_BY_KEY = "application-networking.k8s.aws/ManagedBy"


def lattice_client(endpoint: str, region: str = "us-west-2") -> Any:
    return boto3.client(
        "vpc-lattice",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _all(client: Any, method: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = getattr(client, method)(**kwargs, **({"nextToken": token} if token else {}))
        items += page.get("items", [])
        token = page.get("nextToken")
        if not token:
            return items


@dataclass
class LatticeView:
    service_networks: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    target_groups: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def read(cls, endpoint: str, attempts: int = 5) -> LatticeView:
        """A consistent-enough snapshot: re-read when a resource vanished while being read, or when a
        rule forwards to a target group the (later) target-group listing lacks — a read across a change."""
        c = lattice_client(endpoint)
        for _ in range(attempts - 1):
            try:
                view = cls._read(c)
            except c.exceptions.ResourceNotFoundException:
                continue
            if not view.dangling_forwards():
                return view
        return cls._read(c)

    def dangling_forwards(self) -> list[str]:
        """Target-group ids that rules or listener defaults forward to but the listing does not hold."""
        known = {tg["id"] for tg in self.target_groups}
        actions = [
            action
            for svc in self.services
            for listener in svc["listeners"]
            for action in (
                listener["detail"].get("defaultAction", {}),
                *(rule.get("action", {}) for rule in listener["rules"]),
            )
        ]
        return [
            tg_id
            for action in actions
            for ref in action.get("forward", {}).get("targetGroups", [])
            if (tg_id := ref["targetGroupIdentifier"].rsplit("/", 1)[-1]) not in known
        ]

    @classmethod
    def _read(cls, c: Any) -> LatticeView:
        view = cls(service_networks=_all(c, "list_service_networks"))
        for svc in _all(c, "list_services"):
            svc["tags"] = c.list_tags_for_resource(resourceArn=svc["arn"]).get("tags", {})
            svc["associations"] = _all(
                c, "list_service_network_service_associations", serviceIdentifier=svc["id"]
            )
            svc["listeners"] = _all(c, "list_listeners", serviceIdentifier=svc["id"])
            for listener in svc["listeners"]:
                listener["detail"] = c.get_listener(
                    serviceIdentifier=svc["id"], listenerIdentifier=listener["id"]
                )
                listener["rules"] = [
                    c.get_rule(
                        serviceIdentifier=svc["id"], listenerIdentifier=listener["id"], ruleIdentifier=r["id"]
                    )
                    for r in _all(
                        c, "list_rules", serviceIdentifier=svc["id"], listenerIdentifier=listener["id"]
                    )
                ]
            view.services.append(svc)
        for tg in _all(c, "list_target_groups"):
            tg["tags"] = c.list_tags_for_resource(resourceArn=tg["arn"]).get("tags", {})
            tg["targets"] = _all(c, "list_targets", targetGroupIdentifier=tg["id"])
            view.target_groups.append(tg)
        return view

    def service(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.services if s["name"] == name), None)

    def target_group_by_id(self, tg_id: str) -> dict[str, Any] | None:
        return next((t for t in self.target_groups if t["id"] == tg_id), None)

    def managed(self, managed_by: str) -> list[str]:
        """ARNs of services and target groups still carrying our ManagedBy tag."""
        return [
            r["arn"]
            for r in [*self.services, *self.target_groups]
            if r.get("tags", {}).get(MANAGED_BY_KEY) == managed_by
        ]

    def describe(self) -> str:
        lines: list[str] = []
        for sn in self.service_networks:
            lines.append(f"service network {sn['name']} ({sn['id']})")
        for svc in self.services:
            dns = svc.get("dnsEntry", {}).get("domainName", "")
            lines.append(f"service {svc['name']} ({svc['id']}) dns={dns}")
            for assoc in svc["associations"]:
                lines.append(f"  associated with {assoc.get('serviceNetworkName')} [{assoc.get('status')}]")
            for listener in svc["listeners"]:
                lines.append(f"  listener {listener['name']} {listener['protocol']}:{listener['port']}")
                for rule in sorted(
                    listener["rules"], key=lambda r: (r.get("isDefault", False), r.get("priority", 0))
                ):
                    lines.append(
                        f"    rule {'default' if rule.get('isDefault') else rule.get('priority')}: "
                        f"{_match(rule.get('match'))} -> {self._action(rule.get('action', {}))}"
                    )
        for tg in self.target_groups:
            targets = ", ".join(f"{t['id']}:{t['port']}[{t.get('status')}]" for t in tg["targets"]) or "none"
            lines.append(f"target group {tg['name']} ({tg['id']}) targets: {targets}")
        return "\n".join(lines)

    def _action(self, action: dict[str, Any]) -> str:
        if "fixedResponse" in action:
            return f"fixed {action['fixedResponse']['statusCode']}"
        parts = []
        for tg in action.get("forward", {}).get("targetGroups", []):
            found = self.target_group_by_id(tg["targetGroupIdentifier"].rsplit("/", 1)[-1])
            name = (
                found["tags"].get("application-networking.k8s.aws/ServiceName", found["name"])
                if found
                else "?"
            )
            parts.append(f"{name} {tg.get('weight')}")
        return "forward " + ", ".join(parts)


def _match(match: dict[str, Any] | None) -> str:
    http = (match or {}).get("httpMatch", {})
    path = http.get("pathMatch", {}).get("match", {})
    text = " ".join(f"{k} {v}" for k, v in path.items()) or "any path"
    if http.get("method"):
        text += f" {http['method']}"
    for h in http.get("headerMatches", []):
        text += f" {h['name']}={h['match'].get('exact')}"
    return text
