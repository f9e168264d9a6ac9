"""``lattice-controller plan -f FILE``: what manifests would produce in Lattice, without a cluster or AWS.

The manifests fill the same stores and indexes the live cache uses; each route then goes through the
same pure build and diff as in the controller, against an empty account in which the service networks
the Gateways name already exist. Output: per route, its parent conditions and the ordered AWS writes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from lattice_controller.cache.controller_kinds import detached_store
from lattice_controller.cache.store import Store
from lattice_controller.kube import kinds as k
from lattice_controller.kube.kinds import AnyKind
from lattice_controller.model.k8s import Route
from lattice_controller.model.lattice_observed import ObservedRouteState, ObservedServiceNetwork
from lattice_controller.reconcile.build import BuildSettings, RouteBuild, build_route
from lattice_controller.reconcile.controllers.context import ROUTE_KINDS, CacheView
from lattice_controller.reconcile.diff import Plan, plan_route

PLANNED_KINDS: tuple[AnyKind, ...] = (
    k.GATEWAY_CLASS,
    k.GATEWAY,
    *ROUTE_KINDS.values(),
    k.REFERENCE_GRANT,
    k.SERVICE,
    k.ENDPOINT_SLICE,
    k.NAMESPACE,
    k.TARGET_GROUP_POLICY,
)
DEFAULT_CLASS = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "GatewayClass",
    "metadata": {"name": "amazon-vpc-lattice"},
    "spec": {"controllerName": "application-networking.k8s.aws/gateway-api-controller"},
}


def load_view(documents: Iterable[Mapping[str, Any]], settings: BuildSettings) -> CacheView:
    """Stores filled from manifest documents (unknown kinds ignored); the shipped GatewayClass is assumed
    when the manifests bring none."""
    by_kind = {(kind.group, kind.kind): kind for kind in PLANNED_KINDS}
    stores: dict[str, Store[Any]] = {}
    for kind in PLANNED_KINDS:
        stores[kind.group_kind] = detached_store(kind)
    docs = list(documents)
    if not any(d.get("kind") == "GatewayClass" for d in docs):
        docs.insert(0, DEFAULT_CLASS)
    for raw in docs:
        doc = dict(raw)
        group = str(doc.get("apiVersion", "")).rpartition("/")[0]
        found = by_kind.get((group, str(doc.get("kind", ""))))
        if found is not None:
            metadata = dict(doc.get("metadata") or {})
            if found.namespaced:
                metadata.setdefault("namespace", "default")
            stores[found.group_kind].watched("ADDED", {**doc, "metadata": metadata})
    return CacheView(stores, {kind.group_kind: kind for kind in PLANNED_KINDS}, settings)


NETWORK_ID_PREFIX = "sn-"


def plan_from_empty(view: CacheView, route: Route) -> tuple[RouteBuild, Plan]:
    """The route's build and its plan against an empty account in which every service network the
    route associates with exists, with id ``sn-<name or id>`` (``NETWORK_ID_PREFIX``)."""
    build = build_route(view.route_snapshot(route), view.settings)
    networks = tuple(
        ObservedServiceNetwork(
            f"{NETWORK_ID_PREFIX}{a.service_network.name_or_id}",
            f"arn:sn/{a.service_network.name_or_id}",
            a.service_network.name_or_id,
        )
        for a in build.desired.associations
    )
    return build, plan_route(build.desired, ObservedRouteState(service_networks=networks))


def describe_route(view: CacheView, route: Route) -> str:
    build, plan = plan_from_empty(view, route)
    lines = [f"{route.kind} {route.meta.key}"]
    if not build.relevant:
        return lines[0] + "\n  not attached to a Gateway of this controller: nothing to do"
    for parent in build.parents:
        conditions = ", ".join(
            f"{c.type}={c.status}({c.reason}{': ' + c.message if c.message else ''})"
            for c in parent.conditions
        )
        lines.append(f"  parent {parent.parent_ref.name}: {conditions}")
    lines += [f"  warning: {w}" for w in build.warnings]
    lines += [f"  note: {n}" for n in build.notes]
    lines += ["  " + line for line in plan.describe().splitlines()]
    return "\n".join(lines)


def run_plan(paths: Sequence[str], settings: BuildSettings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    documents: list[Mapping[str, Any]] = []
    for path in paths:
        text = sys.stdin.read() if path == "-" else Path(path).read_text()
        documents += [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    view = load_view(documents, settings)
    routes = sorted(view.routes(), key=lambda r: (r.kind, str(r.meta.key)))
    if not routes:
        print("no routes in the manifests", file=out)
    for route in routes:
        print(describe_route(view, route) + "\n", file=out)
    for line in shared_service_names(view, routes):
        print(line, file=out)
    return 0


def shared_service_names(view: CacheView, routes: Iterable[Route]) -> list[str]:
    """A note per service name several routes derive: each plan above names it, but in Lattice the
    route applied first gets it and the others their fallback names (docs/compatibility.md)."""
    by_name: dict[str, list[tuple[Route, str]]] = {}
    for route in routes:
        build = build_route(view.route_snapshot(route), view.settings)
        service = build.desired.service
        if build.relevant and service is not None and service.fallback_name is not None:
            by_name.setdefault(service.name, []).append((route, service.fallback_name))
    return [
        f"note: {', '.join(f'{r.kind} {r.meta.key}' for r, _ in sharing)} derive the service name {name}; "
        "the route applied first gets it, each other one its fallback name ("
        + ", ".join(f"{r.meta.key}: {fallback}" for r, fallback in sharing)
        + ")"
        for name, sharing in by_name.items()
        if len(sharing) > 1
    ]


def add_plan_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-f", "--filename", action="append", required=True, help="manifest file, or - for stdin"
    )
    parser.add_argument("--account", default="123456789012", help="AWS account id for the ManagedBy tag")
    parser.add_argument("--cluster", default="cluster", help="cluster name for tags")
    parser.add_argument("--vpc", default="vpc-00000000000000000", help="cluster VPC id")
    parser.add_argument(
        "--default-service-network",
        default="",
        metavar="NAME",
        help="as DEFAULT_SERVICE_NETWORK with ENABLE_SERVICE_NETWORK_OVERRIDE=true: every route that is "
        "not standalone associates with the service network NAME only (default: each route associates "
        "with the service networks its Gateways name)",
    )
    parser.add_argument(
        "--no-reference-grants", action="store_true", help="as ENFORCE_REFERENCE_GRANTS=false"
    )


def plan_from_args(args: argparse.Namespace) -> int:
    settings = BuildSettings(
        account=args.account,
        cluster=args.cluster,
        vpc=args.vpc,
        default_service_network=args.default_service_network,
        service_network_override=bool(args.default_service_network),
        enforce_reference_grants=not args.no_reference_grants,
    )
    return run_plan(args.filename, settings)
