"""RouteIndex: the shared ManagedBy listing grouped by route tags, kept current by our own writes."""

from __future__ import annotations

from lattice_controller.aws.inventory_tags import RouteIndex
from lattice_controller.model import tags as tag_keys

SVC = "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-1"
TG = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-1"


def _tags(route: str, namespace: str = "default") -> dict[str, str]:
    return {tag_keys.ROUTE_NAME: route, tag_keys.ROUTE_NAMESPACE: namespace}


def test_groups_by_route_and_follows_adds_and_removes() -> None:
    listing = {SVC: _tags("web"), TG: _tags("web"), "arn:other": {"k": "v"}}
    index = RouteIndex.build(listing)
    assert set(index.by_route[("web", "default")]) == {SVC, TG}
    assert ("web", "other") not in index.by_route
    index.remove(TG)
    assert set(index.by_route[("web", "default")]) == {SVC}
    index.add(TG, _tags("api"))
    assert set(index.by_route[("api", "default")]) == {TG}
