"""The TargetGroupPolicy reconciler writes Accepted only when it changes, and the triggers fan a policy
change out to its rivals and to the routes of the Service it names."""

from __future__ import annotations

from typing import Any, cast

from lattice_controller.kube import kinds as k
from lattice_controller.kube.testing import MemoryRest
from lattice_controller.kube.writes import KubeWriter
from lattice_controller.model.keys import ObjectKey
from lattice_controller.plan import load_view
from lattice_controller.reconcile.build import BuildSettings
from lattice_controller.reconcile.controllers.context import ControllerContext
from lattice_controller.reconcile.controllers.target_group_policy import TargetGroupPolicyReconciler
from lattice_controller.reconcile.triggers import triggers

SETTINGS = BuildSettings("123456789012", "dev", "vpc-1")
TGP_PATH = "/apis/application-networking.k8s.aws/v1alpha1/namespaces/front/targetgrouppolicies"


def _policy(name: str, created: str, target: str = "svc") -> dict[str, Any]:
    return {
        "apiVersion": "application-networking.k8s.aws/v1alpha1",
        "kind": "TargetGroupPolicy",
        "metadata": {"name": name, "namespace": "front", "creationTimestamp": created, "generation": 1},
        "spec": {"targetRef": {"group": "", "kind": "Service", "name": target}},
    }


DOCS = [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc", "namespace": "front"}, "spec": {}},
    {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "shop", "namespace": "front"},
        "spec": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "svc"}]}]},
    },
    _policy("old", "2026-01-01T00:00:00Z"),
    _policy("new", "2026-01-02T00:00:00Z"),
    _policy("ghost", "2026-01-01T00:00:00Z", target="nobody"),
]


def _context(rest: MemoryRest) -> ControllerContext:
    view = load_view(DOCS, SETTINGS)
    return ControllerContext(
        stores=view.stores,
        kinds=view.kinds,
        settings=SETTINGS,
        writer=KubeWriter(cast(Any, rest)),
        recorder=cast(Any, None),
        lattice=cast(Any, None),
        tags=cast(Any, None),
        inventory=cast(Any, None),
        now=lambda: "2026-03-01T00:00:00Z",
    )


async def test_statuses_are_written_once() -> None:
    rest = MemoryRest()
    for doc in DOCS[2:]:
        rest.put(k.TARGET_GROUP_POLICY, doc)
    ctx = _context(rest)
    reconciler = TargetGroupPolicyReconciler(ctx)
    for name in ("old", "new", "ghost"):
        await reconciler.reconcile(ObjectKey("front", name))
    written = {path.rsplit("/", 2)[-2]: body["status"]["conditions"] for _, path, body in rest.writes()}
    assert {name: (c[0]["reason"], c[0]["observedGeneration"]) for name, c in written.items()} == {
        "old": ("Accepted", 1),
        "new": ("Conflicted", 1),
        "ghost": ("TargetNotFound", 1),
    }
    # The cache sees the written status: nothing more to write.
    store = ctx.store(k.TARGET_GROUP_POLICY)
    assert store is not None
    for name in ("old", "new", "ghost"):
        store.watched("MODIFIED", rest.objects[f"{TGP_PATH}/{name}"])
    rest.calls.clear()
    for name in ("old", "new", "ghost"):
        await reconciler.reconcile(ObjectKey("front", name))
    assert rest.writes() == []


def test_policy_change_reaches_rivals_and_routes() -> None:
    ctx = _context(MemoryRest())
    store = ctx.store(k.TARGET_GROUP_POLICY)
    assert store is not None
    old = store.get(ObjectKey("front", "old"))
    out = triggers(ctx, k.TARGET_GROUP_POLICY, old, None)
    assert out == {
        ("targetgrouppolicy", ObjectKey("front", "old")),
        ("targetgrouppolicy", ObjectKey("front", "new")),
        ("httproute", ObjectKey("front", "shop")),
    }
    service = ctx.store(k.SERVICE).get(ObjectKey("front", "svc"))  # type: ignore[union-attr]
    assert ("targetgrouppolicy", ObjectKey("front", "new")) in triggers(ctx, k.SERVICE, None, service)
