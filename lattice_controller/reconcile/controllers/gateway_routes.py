"""The routes attached to each gateway, kept current by route changes instead of recounted.

A gateway's status counts the routes attached to each listener and shows the assigned domain of its
first route. Recounting means walking every route of the gateway, and every route change (a new
route, its domain annotation written) wakes the gateway: a burst of N routes cost N² work. Here each
route's part (``route_attachments``, ``route_address``) is remembered per gateway; the cache tells
which routes changed (``note``), and a gateway reconcile recomputes only those. Everything is
recomputed when the basis changes: the gateway's generation (its listeners), the namespaces' labels
(listener selectors), or when this tally was never told about changes (no cache wiring: tests and
the offline plan count from scratch every time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from lattice_controller.cache import indexes
from lattice_controller.model.k8s import Gateway, Namespace, Route, RouteType
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.build.gateway import (
    AttachedRoutes,
    route_address,
    route_attachments,
    route_order,
)

RouteId = tuple[RouteType, ObjectKey]
Basis = tuple[str, int, tuple[tuple[str, tuple[tuple[str, str], ...]], ...]]


@dataclass(slots=True)
class _Part:
    counts: dict[str, int]
    address: tuple[tuple[int, str, str], str] | None  # (route order, domain)


@dataclass(slots=True)
class _Tally:
    basis: Basis
    parts: dict[RouteId, _Part] = field(default_factory=dict)
    per_listener: dict[str, int] = field(default_factory=dict)
    address: tuple[tuple[int, str, str], str] | None = None

    def add(self, route_id: RouteId, part: _Part) -> None:
        self.parts[route_id] = part
        for name, count in part.counts.items():
            self.per_listener[name] = self.per_listener.get(name, 0) + count
        if part.address is not None and (self.address is None or part.address[0] < self.address[0]):
            self.address = part.address

    def remove(self, route_id: RouteId) -> None:
        part = self.parts.pop(route_id, None)
        if part is None:
            return
        for name, count in part.counts.items():
            self.per_listener[name] -= count
        if part.address is not None and self.address is not None and part.address[0] == self.address[0]:
            # The route that gave the address changed: the next in order gives it (rare, O(routes)).
            offered = [p.address for p in self.parts.values() if p.address is not None]
            self.address = min(offered) if offered else None

    def attached(self) -> AttachedRoutes:
        return AttachedRoutes(
            {k: v for k, v in self.per_listener.items() if v}, self.address[1] if self.address else None
        )


def _route_id(route: Route) -> RouteId:
    return (route.route_type, route.meta.key)


def _part(gateway: Gateway, route: Route, namespaces: Mapping[str, Namespace]) -> _Part:
    domain = route_address(gateway, route)
    return _Part(
        route_attachments(gateway, route, namespaces),
        (route_order(route), domain) if domain is not None else None,
    )


def _basis(gateway: Gateway, namespaces: Mapping[str, Namespace]) -> Basis:
    labels = tuple(
        sorted((name, tuple(sorted(ns.meta.labels.as_dict().items()))) for name, ns in namespaces.items())
    )
    return (gateway.meta.uid, gateway.meta.generation, labels)


class GatewayRouteTally:
    """Per gateway key: each route's part of its status, and their sums."""

    def __init__(self) -> None:
        self._tallies: dict[ObjectKey, _Tally] = {}
        self._changed: dict[ObjectKey, set[RouteId]] = {}
        self._following = False
        self.recounts = 0  # full recounts (observability for tests and benchmarks)

    def follow(self) -> None:
        """From now on ``note`` is called for every route change (the cache is wired to it)."""
        self._following = True

    def note(self, old: Route | None, new: Route | None) -> None:
        """A route changed: the gateways it named before or names now recount it."""
        for route in (old, new):
            if route is None:
                continue
            for gateway in indexes.route_parent_gateways(route):
                self._changed.setdefault(ObjectKey.parse(gateway), set()).add(_route_id(route))

    def attached(
        self,
        gateway: Gateway,
        namespaces: Mapping[str, Namespace],
        routes_of_gateway: Callable[[], Iterable[Route]],
        route: Callable[[RouteId], Route | None],
    ) -> AttachedRoutes:
        """What ``gateway``'s routes add to its status now. ``routes_of_gateway``: every route naming
        it (only called for a recount); ``route``: the current record of one route (None: gone)."""
        key = gateway.meta.key
        basis = _basis(gateway, namespaces)
        tally = self._tallies.get(key)
        changed = self._changed.pop(key, set())
        if not self._following or tally is None or tally.basis != basis:
            self.recounts += 1
            tally = _Tally(basis)
            for each in routes_of_gateway():
                tally.add(_route_id(each), _part(gateway, each, namespaces))
            if self._following:
                self._tallies[key] = tally
            return tally.attached()
        for route_id in changed:
            record = route(route_id)
            part = _part(gateway, record, namespaces) if record is not None else None
            if part == tally.parts.get(route_id):
                continue  # status or annotations of ours changed: its part did not
            tally.remove(route_id)
            if part is not None:
                tally.add(route_id, part)
        return tally.attached()

    def forget(self, gateway: ObjectKey) -> None:
        self._tallies.pop(gateway, None)
        self._changed.pop(gateway, None)
