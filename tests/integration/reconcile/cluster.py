"""The Kubernetes side of the reconciler tests: an in-memory API server and the controller's own stores.

``Cluster`` keeps objects in ``MemoryRest`` (what ``KubeWriter`` and ``EventRecorder`` write to) and feeds
every change into real cache stores — the controller's parsers and indexes — as the reflectors would, so
a reconciler reads what it wrote on its next run. Every change is also passed through the controller's
triggers, and the keys they return are collected in ``woken``: the tests see which reconciles a change
would start, without a queue.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol, cast

from lattice_controller.aws.inventory import LatticeInventory
from lattice_controller.aws.lattice import LatticeApi
from lattice_controller.aws.tagging import TagStore
from lattice_controller.cache.controller_kinds import STORE_SPECS, detached_store
from lattice_controller.cache.store import Store
from lattice_controller.kube import kinds as k
from lattice_controller.kube.events import EventRecorder
from lattice_controller.kube.kinds import AnyKind
from lattice_controller.kube.rest import KubeRest
from lattice_controller.kube.testing import MemoryRest
from lattice_controller.kube.writes import KubeWriter
from lattice_controller.model.keys import ObjectKey
from lattice_controller.reconcile.build import BuildSettings
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.observe import DetailCache
from lattice_controller.reconcile.triggers import Trigger, triggers

JSON = dict[str, Any]
CACHED_KINDS: tuple[AnyKind, ...] = tuple(
    kind for kind in (*k.REQUIRED_KINDS, *k.OPTIONAL_KINDS, *k.CORE_KINDS) if kind.group_kind in STORE_SPECS
)
NOW = "2026-01-01T00:00:00Z"


class Edge(Protocol):
    @property
    def lattice(self) -> LatticeApi: ...

    @property
    def tags(self) -> TagStore: ...

    @property
    def inventory(self) -> LatticeInventory: ...


class Cluster:
    def __init__(self, settings: BuildSettings, edge: Edge, details: DetailCache | None = None) -> None:
        """``edge``: the AWS side, an ``AwsEdge`` (fake AWS endpoint) or any object with the same three
        members (e.g. facades over a scripted transport in the unit tier)."""
        lattice, tags, inventory = edge.lattice, edge.tags, edge.inventory
        self.rest = MemoryRest()
        api = cast(KubeRest, self.rest)
        details = details or DetailCache()
        details.follow_writes(lattice)  # as the app wires it
        self.stores: dict[str, Store[Any]] = {}
        self.woken: set[Trigger] = set()
        self._paths: dict[str, AnyKind] = {}
        self.ctx = ControllerContext(
            self.stores,
            {},
            settings,
            writer=KubeWriter(api),
            recorder=EventRecorder(api, "lattice-controller", now=lambda: NOW),
            lattice=lattice,
            tags=tags,
            inventory=inventory,
            details=details,
            now=lambda: NOW,
        )
        for kind in CACHED_KINDS:
            store = detached_store(kind)
            store.subscribe(self._listener(kind))
            self.stores[kind.group_kind] = store

    def _listener(self, kind: AnyKind) -> Any:
        def on_change(old: Any, new: Any) -> None:
            self.woken.update(triggers(self.ctx, kind, old, new))

        return on_change

    # -- changes from "users" -----------------------------------------------------------------------

    def apply(self, kind: AnyKind, obj: JSON) -> None:
        """Create or replace ``obj`` (keeping finalizers and status the controller wrote)."""
        metadata = obj["metadata"]
        current = self.rest.object(kind, metadata.get("namespace", ""), metadata["name"])
        new = copy.deepcopy(obj)
        if current is not None:
            kept = current["metadata"]
            new["metadata"] = {
                **{n: kept[n] for n in ("finalizers", "annotations") if n in kept},
                **new["metadata"],
            }
            if "status" in current:
                new["status"] = current["status"]
            changed_spec = {n: v for n, v in obj.items() if n not in ("metadata", "status")} != {
                n: v for n, v in current.items() if n not in ("metadata", "status")
            }
            generation = int(kept.get("generation", 1))
            new["metadata"]["generation"] = generation + 1 if changed_spec else generation
        else:
            new["metadata"].setdefault("generation", 1)
            new["metadata"].setdefault("uid", f"uid-{metadata['name']}")
        stored = self.rest.put(kind, new)
        self._paths[kind.object_path(metadata.get("namespace", ""), metadata["name"])] = kind
        self.stores[kind.group_kind].watched("MODIFIED", stored)

    def delete(self, kind: AnyKind, key: ObjectKey) -> None:
        """What ``kubectl delete`` does: gone at once without finalizers, else marked for deletion."""
        path = kind.object_path(key.namespace, key.name)
        current = self.rest.objects.get(path)
        if current is None:
            return
        if current["metadata"].get("finalizers"):
            patched = copy.deepcopy(current)
            patched["metadata"]["deletionTimestamp"] = NOW
            self.rest.put(kind, patched)
        else:
            del self.rest.objects[path]
        self.sync()

    # -- what the reflectors would see ---------------------------------------------------------------

    def sync(self) -> None:
        """Feed every object changed in the API server since the last sync into its store."""
        for path, kind in list(self._paths.items()):
            store = self.stores[kind.group_kind]
            obj = self.rest.objects.get(path)
            if obj is None:
                del self._paths[path]
                gone = path.rsplit("/", 1)[-1]
                namespace = path.split("/namespaces/")[1].split("/")[0] if "/namespaces/" in path else ""
                store.watched("DELETED", {"metadata": {"name": gone, "namespace": namespace}})
            else:
                store.watched("MODIFIED", copy.deepcopy(obj))

    def object(self, kind: AnyKind, key: ObjectKey) -> JSON | None:
        return self.rest.object(kind, key.namespace, key.name)

    def take_woken(self) -> set[Trigger]:
        woken, self.woken = self.woken, set()
        return woken

    def events(self) -> list[tuple[str, str, str]]:
        """``(type, reason, message)`` of every event recorded, in order."""
        return [
            (body["type"], body["reason"], body["message"])
            for method, path, body in self.rest.calls
            if method == "POST" and path.endswith("/events")
        ]

    def kube_writes(self) -> list[tuple[str, str]]:
        """``(method, what)`` of every write: ``PATCH finalizers``, ``PATCH status``, ``POST event``..."""
        out = []
        for method, path, body in self.rest.writes():
            if method == "POST":
                out.append((method, "event"))
            elif path.endswith("/status"):
                out.append((method, "status"))
            else:
                out.append(
                    (method, "+".join(sorted((body.get("metadata") or {}).keys() - {"resourceVersion"})))
                )
        return out
