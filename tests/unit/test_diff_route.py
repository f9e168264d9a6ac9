"""Route plans: budgets (call counts), idempotence, minimal updates, ownership, deletion."""

from __future__ import annotations

from dataclasses import replace

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.k8s import parse_service_import
from lattice_controller.model.keys import ObjectKey
from lattice_controller.model.lattice import HealthCheckSpec, RouteLatticeState, TargetGroupConfig
from lattice_controller.model.lattice_observed import (
    ObservedRouteState,
    ObservedService,
    ObservedStaleService,
    ObservedTarget,
    ObservedTargetGroup,
)
from lattice_controller.reconcile.build import TargetGroupPolicyConfig, build_route
from lattice_controller.reconcile.diff import (
    BatchUpdateRule,
    CreateListener,
    CreateRule,
    CreateService,
    CreateServiceNetworkServiceAssociation,
    CreateTargetGroup,
    DeleteListener,
    DeleteRule,
    DeleteService,
    DeleteTargetGroup,
    DeregisterTargets,
    Plan,
    RegisterTargets,
    TagResource,
    UntagResource,
    UpdateListener,
    UpdateRule,
    UpdateService,
    UpdateTargetGroup,
    plan_route,
)
from tests.unit.test_build_helpers import SETTINGS, endpoint_slice, gateway, route, service, snapshot
from tests.unit.test_diff_helpers import FakeLattice


def desired_for(**kwargs: object) -> RouteLatticeState:
    slices = kwargs.pop("slices", None)
    r = route(**kwargs)  # type: ignore[arg-type]
    return build_route(snapshot(r, slices=slices), SETTINGS).desired  # type: ignore[arg-type]


def kinds(plan: Plan) -> list[str]:
    return [type(s).__name__ for s in plan.steps]


def converged(desired: RouteLatticeState) -> FakeLattice:
    lattice = FakeLattice()
    lattice.apply(plan_route(desired, lattice.state))
    return lattice


def test_create_budget_six_writes() -> None:
    desired = desired_for()
    plan = plan_route(desired, FakeLattice().state)
    assert kinds(plan) == [
        "CreateService",
        "CreateTargetGroup",
        "RegisterTargets",
        "CreateServiceNetworkServiceAssociation",
        "CreateListener",
        "CreateRule",
    ]
    assert plan.write_count <= 6
    assert not plan.missing
    assert not plan.waits
    create_service = plan.steps[0]
    assert isinstance(create_service, CreateService)
    assert dict(create_service.tags) == {
        tag_keys.MANAGED_BY: "123456789012/dev/vpc-0abc",
        tag_keys.ROUTE_NAME: "shop",
        tag_keys.ROUTE_NAMESPACE: "front",
        tag_keys.ROUTE_TYPE: "http",
    }
    create_tg = plan.steps[1]
    assert isinstance(create_tg, CreateTargetGroup)
    assert create_tg.name.startswith("k8s-front-svc-")
    assert len(create_tg.name) == len("k8s-front-svc-") + 10
    assert "CreateService shop-front" in plan.describe()


def test_nothing_changed_zero_writes_and_idempotent_tokens() -> None:
    desired = desired_for()
    first = plan_route(desired, FakeLattice().state)
    assert first == plan_route(desired, FakeLattice().state)
    lattice = converged(desired)
    again = plan_route(desired, lattice.state)
    assert again.steps == (), again.describe()
    assert again.describe() == "(no changes)"


def test_weight_change_is_exactly_one_update_rule() -> None:
    rules_a = [
        {
            "backendRefs": [
                {"name": "svc", "port": 80, "weight": 50},
                {"name": "svc2", "port": 80, "weight": 50},
            ]
        }
    ]
    rules_b = [
        {
            "backendRefs": [
                {"name": "svc", "port": 80, "weight": 90},
                {"name": "svc2", "port": 80, "weight": 10},
            ]
        }
    ]
    snap_services = [service(), service("svc2")]
    a = build_route(snapshot(route(rules=rules_a), services=snap_services), SETTINGS).desired
    b = build_route(snapshot(route(rules=rules_b), services=snap_services), SETTINGS).desired
    lattice = converged(a)
    plan = plan_route(b, lattice.state)
    assert kinds(plan) == ["UpdateRule"]
    step = plan.steps[0]
    assert isinstance(step, UpdateRule)
    assert sorted(w for _, w in step.action.forward) == [10, 90]


def test_target_changes_send_only_the_difference_in_batches() -> None:
    lattice = converged(desired_for(slices=[endpoint_slice(ips=["10.0.0.1", "10.0.0.2"])]))
    plan = plan_route(desired_for(slices=[endpoint_slice(ips=["10.0.0.2", "10.0.0.3"])]), lattice.state)
    assert kinds(plan) == ["DeregisterTargets", "RegisterTargets"]
    assert plan.steps[0].targets == (("10.0.0.1", 8080),)  # type: ignore[union-attr]
    assert plan.steps[1].targets == (("10.0.0.3", 8080),)  # type: ignore[union-attr]

    many = [f"10.1.{i // 250}.{i % 250}" for i in range(250)]
    plan = plan_route(desired_for(slices=[endpoint_slice(ips=many)]), lattice.state)
    registers = [s for s in plan.steps if isinstance(s, RegisterTargets)]
    assert [len(s.targets) for s in registers] == [100, 100, 50]


def test_draining_targets_are_not_deregistered_again() -> None:
    lattice = converged(desired_for(slices=[endpoint_slice(ips=["10.0.0.1", "10.0.0.2"])]))
    tg = lattice.state.target_groups[0]
    draining = replace(
        tg, targets=(ObservedTarget("10.0.0.1", 8080, "DRAINING"), ObservedTarget("10.0.0.2", 8080))
    )
    state = replace(lattice.state, target_groups=(draining,))
    plan = plan_route(desired_for(slices=[endpoint_slice(ips=["10.0.0.2"])]), state)
    assert plan.steps == ()


def test_rule_reorder_is_one_batch_and_stale_rule_deleted() -> None:
    two = [{"matches": [{"path": {"value": "/a"}}]}, {"matches": [{"path": {"value": "/b"}}]}]
    lattice = converged(desired_for(rules=two))
    swapped = {
        "application-networking.k8s.aws/rule-0-priority": "2",
        "application-networking.k8s.aws/rule-1-priority": "1",
    }
    plan = plan_route(desired_for(rules=two, annotations=swapped), lattice.state)
    assert kinds(plan) == ["BatchUpdateRule"]
    assert sorted(p for _, p in plan.steps[0].priorities) == [1, 2]  # type: ignore[union-attr]

    plan = plan_route(desired_for(rules=two[:1]), lattice.state)
    assert kinds(plan) == ["DeleteRule"]
    lattice.apply(plan)
    assert plan_route(desired_for(rules=two[:1]), lattice.state).steps == ()


def test_new_rule_and_changed_match() -> None:
    lattice = converged(desired_for(rules=[{"matches": [{"path": {"value": "/a"}}]}]))
    plan = plan_route(desired_for(rules=[{"matches": [{"path": {"value": "/z"}}]}]), lattice.state)
    assert kinds(plan) == ["DeleteRule", "CreateRule"]
    create = plan.steps[1]
    assert isinstance(create, CreateRule)
    assert create.priority == 1


def test_additional_tags_sync_and_controller_keys_protected() -> None:
    lattice = converged(desired_for(annotations={"application-networking.k8s.aws/tags": "team=a,env=dev"}))
    plan = plan_route(
        desired_for(annotations={"application-networking.k8s.aws/tags": "team=b"}), lattice.state
    )
    untags = [s for s in plan.steps if isinstance(s, UntagResource)]
    tags = [s for s in plan.steps if isinstance(s, TagResource)]
    # TG, service, association, listener, rule: each loses env and gets team=b.
    assert len(untags) == len(tags) == 5
    assert all(s.keys == ("env",) for s in untags)
    assert all(s.tags == (("team", "b"),) for s in tags)


OURS = "123456789012/dev/vpc-0abc"
TAKEOVER = {"application-networking.k8s.aws/allow-takeover-from": "999/other/vpc-x"}


def _desired_with(adoption: tuple[str, ...] = (), **kwargs: object) -> RouteLatticeState:
    settings = replace(SETTINGS, adoption_allowed_namespaces=adoption)
    slices = kwargs.pop("slices", None)
    r = route(**kwargs)  # type: ignore[arg-type]
    return build_route(snapshot(r, slices=slices), settings).desired  # type: ignore[arg-type]


def test_foreign_service_is_a_conflict_unless_takeover_is_named_and_opted_in() -> None:
    foreign = ObservedService(
        "svc-1", "arn:svc-1", "shop-front", tags=((tag_keys.MANAGED_BY, "999/other/vpc-x"),)
    )
    state = replace(FakeLattice().state, service=foreign)
    plan = plan_route(desired_for(), state)
    assert plan.steps == ()
    assert plan.conflict == "Found existing resource not owned by controller: arn:svc-1"

    # allow-takeover-from alone is not enough: the owner or the platform must opt in.
    plan = plan_route(desired_for(annotations=TAKEOVER), state)
    assert plan.steps == ()
    assert plan.conflict is not None
    assert "is owned by 999/other/vpc-x" in plan.conflict
    assert "ADOPTION_ALLOWED_NAMESPACES lists namespace front" in plan.conflict
    assert "application-networking.k8s.aws/AllowAdoptionBy=front/shop" in plan.conflict

    for desired, observed in (
        (_desired_with(("front",), annotations=TAKEOVER), state),
        (_desired_with(("*",), annotations=TAKEOVER), state),
        (
            desired_for(annotations=TAKEOVER),
            replace(
                state,
                service=replace(
                    foreign, tags=(*(foreign.tags or ()), (tag_keys.ALLOW_ADOPTION_BY, "front/shop"))
                ),
            ),
        ),
    ):
        plan = plan_route(desired, observed)
        assert plan.conflict is None
        tag_step = next(s for s in plan.steps if isinstance(s, TagResource) and s.resource == "arn:svc-1")
        assert dict(tag_step.tags)[tag_keys.MANAGED_BY] == OURS
        assert dict(tag_step.tags)[tag_keys.ADOPTED_FROM] == "999/other/vpc-x"


def test_untagged_service_is_adopted_only_with_an_opt_in() -> None:
    untagged = ObservedService("svc-1", "arn:svc-1", "manual-svc", tags=())
    state = replace(FakeLattice().state, service=untagged)
    plan = plan_route(desired_for(), state)
    assert plan.steps == ()
    assert plan.conflict == (
        "Lattice service manual-svc (arn:svc-1) was not created by us; route front/shop may adopt it only "
        "if the controller setting ADOPTION_ALLOWED_NAMESPACES lists namespace front (or *), or the "
        "service carries the tag application-networking.k8s.aws/AllowAdoptionBy=front/shop"
    )
    # A tag naming another route is no opt-in for this one.
    other = replace(untagged, tags=((tag_keys.ALLOW_ADOPTION_BY, "front/other"),))
    assert plan_route(desired_for(), replace(state, service=other)).conflict is not None

    opted_in = replace(untagged, tags=((tag_keys.ALLOW_ADOPTION_BY, "front/shop"),))
    for desired, observed in (
        (desired_for(), replace(state, service=opted_in)),
        (_desired_with(("front",)), state),
    ):
        plan = plan_route(desired, observed)
        first_service_write = next(s for s in plan.steps if getattr(s, "resource", None) == "arn:svc-1")
        assert isinstance(first_service_write, TagResource)
        assert dict(first_service_write.tags) == {
            tag_keys.MANAGED_BY: OURS,
            tag_keys.ADOPTED_FROM: "unmanaged",
            tag_keys.ROUTE_NAME: "shop",
            tag_keys.ROUTE_NAMESPACE: "front",
            tag_keys.ROUTE_TYPE: "http",
        }
    clash = ObservedService(
        "svc-1",
        "arn:svc-1",
        "shop-front",
        tags=((tag_keys.MANAGED_BY, OURS), (tag_keys.ROUTE_NAME, "shop-x")),
    )
    plan = plan_route(desired_for(), replace(FakeLattice().state, service=clash))
    assert plan.conflict == "Found existing resource with conflicting service name: arn:svc-1"


def _adopted(previous: str) -> ObservedService:
    return ObservedService(
        "svc-1",
        "arn:svc-1",
        "manual-svc",
        tags=(
            (tag_keys.ADOPTED_FROM, previous),
            (tag_keys.ALLOW_ADOPTION_BY, "front/shop"),
            (tag_keys.MANAGED_BY, OURS),
            (tag_keys.ROUTE_NAME, "shop"),
            (tag_keys.ROUTE_NAMESPACE, "front"),
            (tag_keys.ROUTE_TYPE, "http"),
        ),
    )


def test_route_deletion_releases_an_adopted_service_unless_the_platform_allowed_the_adoption() -> None:
    lattice = converged(desired_for())
    deleting = build_route(snapshot(route(deleting=True)), SETTINGS).desired
    for previous, restore in (("unmanaged", []), ("999/other/vpc-x", ["TagResource"])):
        state = replace(lattice.state, service=_adopted(previous))
        plan = plan_route(deleting, state)
        assert "DeleteService" not in kinds(plan)
        assert kinds(plan)[:2] == ["DeleteServiceNetworkServiceAssociation", "DeleteListener"]
        release = [s for s in plan.steps if getattr(s, "resource", None) == "arn:svc-1"]
        assert [type(s).__name__ for s in release] == [*restore, "UntagResource"]
        untag = release[-1]
        assert isinstance(untag, UntagResource)
        expected = {tag_keys.ADOPTED_FROM, tag_keys.ROUTE_NAME, tag_keys.ROUTE_NAMESPACE, tag_keys.ROUTE_TYPE}
        if previous == "unmanaged":
            expected.add(tag_keys.MANAGED_BY)
        else:
            assert dict(release[0].tags) == {tag_keys.MANAGED_BY: previous}  # type: ignore[union-attr]
        assert set(untag.keys) == expected

    allowed = build_route(
        snapshot(route(deleting=True)), replace(SETTINGS, adoption_allowed_namespaces=("front",))
    ).desired
    plan = plan_route(allowed, replace(lattice.state, service=_adopted("unmanaged")))
    assert "DeleteService" in kinds(plan)


def test_delete_plan_removes_owned_service_and_unused_target_groups() -> None:
    desired = desired_for()
    lattice = converged(desired)
    deleting = build_route(snapshot(route(deleting=True)), SETTINGS).desired
    plan = plan_route(deleting, lattice.state)
    assert kinds(plan) == [
        "DeleteServiceNetworkServiceAssociation",
        "DeleteListener",
        "DeleteService",
        "DeregisterTargets",
        "DeleteTargetGroup",
    ]
    lattice.apply(plan)
    assert lattice.state.service is None
    assert lattice.state.target_groups == ()
    assert plan_route(deleting, lattice.state).steps == ()


def test_delete_leaves_foreign_service_and_shared_target_groups() -> None:
    lattice = converged(desired_for())
    service_arn = lattice.state.service.arn  # type: ignore[union-attr]
    foreign = replace(lattice.state.service, tags=((tag_keys.MANAGED_BY, "other"),))  # type: ignore[arg-type]
    shared_tg = replace(lattice.state.target_groups[0], service_arns=(service_arn, "arn:someone-else"))
    state = replace(lattice.state, service=foreign, target_groups=(shared_tg,))
    deleting = build_route(snapshot(route(deleting=True)), SETTINGS).desired
    assert plan_route(deleting, state).steps == ()


def test_backend_removed_deletes_its_target_group_after_rules_change() -> None:
    two = [{"backendRefs": [{"name": "svc", "port": 80}, {"name": "svc2", "port": 80}]}]
    services = [service(), service("svc2")]
    lattice = FakeLattice()
    lattice.apply(
        plan_route(
            build_route(snapshot(route(rules=two), services=services), SETTINGS).desired, lattice.state
        )
    )
    one = build_route(snapshot(route(), services=services), SETTINGS).desired
    plan = plan_route(one, lattice.state)
    assert kinds(plan) == ["UpdateRule", "DeleteTargetGroup"]
    assert isinstance(plan.steps[-1], DeleteTargetGroup)


def test_missing_service_network_is_reported() -> None:
    empty = replace(FakeLattice().state, service_networks=())
    plan = plan_route(desired_for(), empty)
    assert plan.missing == ("service network gw not found",)
    # Nothing is created for a service no network would reach (no orphan service, TG, targets).
    assert plan.steps == ()
    # An existing service keeps being updated; only the association waits for its network.
    lattice = converged(desired_for())
    plan = plan_route(desired_for(), replace(lattice.state, associations=(), service_networks=()))
    assert plan.missing == ("service network gw not found",)
    assert not any(isinstance(s, CreateServiceNetworkServiceAssociation) for s in plan.steps)


def test_listener_protocol_change_recreates_and_stale_listener_deleted() -> None:
    lattice = converged(desired_for())
    listener = lattice.state.listeners[0]
    https_listener = replace(listener, protocol="HTTPS")
    stale = replace(listener, id="listener-x", arn="arn:listener-x", port=8443)
    state = replace(lattice.state, listeners=(https_listener, stale))
    plan = plan_route(desired_for(), state)
    assert kinds(plan)[:3] == ["DeleteListener", "DeleteListener", "CreateListener"]
    assert isinstance(plan.steps[2], CreateListener)
    assert isinstance(plan.steps[3], CreateRule)


def test_association_removed_only_when_ours() -> None:
    lattice = converged(desired_for())
    standalone = desired_for(annotations={"application-networking.k8s.aws/standalone": "true"})
    assert kinds(plan_route(standalone, lattice.state)) == ["DeleteServiceNetworkServiceAssociation"]
    foreign = replace(lattice.state.associations[0], tags=((tag_keys.MANAGED_BY, "other"),))
    assert plan_route(standalone, replace(lattice.state, associations=(foreign,))).steps == ()


def test_step_types_cover_delete_rule_and_services() -> None:
    assert DeleteRule
    assert DeleteService
    assert DeleteListener
    assert DeregisterTargets
    assert BatchUpdateRule


def test_route_without_accepted_parent_changes_nothing() -> None:
    lattice = converged(desired_for())
    rejected = desired_for(parent_refs=[{"name": "gw", "namespace": "infra", "port": 9}])
    assert rejected.service is None
    assert plan_route(rejected, lattice.state) == Plan()


def test_health_check_from_policy_is_updated_once() -> None:

    lattice = converged(desired_for())
    snap = snapshot(route())
    policy = TargetGroupPolicyConfig(health_check=HealthCheckSpec(path="/healthz", interval_seconds=10))
    snap = replace(snap, target_group_policies={ObjectKey("front", "svc"): policy})
    desired = build_route(snap, SETTINGS).desired
    plan = plan_route(desired, lattice.state)
    assert kinds(plan) == ["UpdateTargetGroup"]
    step = plan.steps[0]
    assert isinstance(step, UpdateTargetGroup)
    assert (
        step.health_check.path,
        step.health_check.interval_seconds,
        step.health_check.timeout_seconds,
    ) == ("/healthz", 10, 5)
    lattice.apply(plan)
    assert plan_route(desired, lattice.state).steps == ()


def test_certificate_follows_desired_state() -> None:

    lattice = converged(desired_for())
    desired = desired_for()
    assert desired.service is not None
    with_cert = replace(desired, service=replace(desired.service, certificate_arn="arn:acm:cert"))
    plan = plan_route(with_cert, lattice.state)
    assert plan.steps == (UpdateService(lattice.state.service.arn, "arn:acm:cert"),)  # type: ignore[union-attr]
    pending_discovery = replace(with_cert, service=replace(with_cert.service, discover_certificate=True))  # type: ignore[arg-type]
    assert plan_route(pending_discovery, lattice.state).steps == ()
    lattice.apply(plan)
    assert plan_route(with_cert, lattice.state).steps == ()
    # No longer wanted (no HTTPS Terminate listener): cleared after the listener changes.
    plan = plan_route(desired, lattice.state)
    assert plan.steps == (UpdateService(lattice.state.service.arn, ""),)  # type: ignore[union-attr]
    lattice.apply(plan)
    assert plan_route(desired, lattice.state).steps == ()
    # A taken-over service keeps the certificate its owner set.
    lattice.apply(plan_route(with_cert, lattice.state))
    takeover = replace(desired, service=replace(desired.service, allow_takeover_from="blue"))
    assert not [s for s in plan_route(takeover, lattice.state).steps if isinstance(s, UpdateService)]


def test_service_import_backend_resolves_export_target_group() -> None:

    r = route(
        rules=[
            {
                "backendRefs": [
                    {"name": "remote", "kind": "ServiceImport", "group": "application-networking.k8s.aws"}
                ]
            }
        ]
    )
    snap = replace(
        snapshot(r),
        service_imports={
            ObjectKey("front", "remote"): parse_service_import(
                {"metadata": {"name": "remote", "namespace": "front"}}
            )
        },
    )
    build = build_route(snap, SETTINGS)
    assert build.desired.target_groups == ()
    export_tg = ObservedTargetGroup(
        "tg-export",
        "arn:tg-export",
        "k8s-front-remote-x",
        TargetGroupConfig("vpc-other"),
        tags=(
            (tag_keys.SOURCE_TYPE_KEY, "ServiceExport"),
            (tag_keys.SERVICE_NAME, "remote"),
            (tag_keys.SERVICE_NAMESPACE, "front"),
            (tag_keys.CLUSTER_NAME, "other"),
        ),
    )
    state = replace(FakeLattice().state, target_groups=(export_tg,))
    plan = plan_route(build.desired, state)
    rule = next(s for s in plan.steps if isinstance(s, CreateRule))
    assert rule.action.forward == (("tg-export", 1),)
    assert not any(isinstance(s, DeleteTargetGroup) for s in plan.steps)
    missing = plan_route(build.desired, FakeLattice().state)
    assert missing.missing == ("target group for import front/remote could not be found",)
    rule = next(s for s in missing.steps if isinstance(s, CreateRule))
    assert rule.action.fixed_status == 500


def test_tls_passthrough_default_action_follows_backends() -> None:
    tls = [
        {
            "name": "tls",
            "port": 443,
            "protocol": "TLS",
            "tls": {"mode": "Passthrough"},
            "allowedRoutes": {"namespaces": {"from": "All"}},
        }
    ]
    services = [service(), service("svc2")]

    def desired(name: str) -> RouteLatticeState:
        r = route(kind="TLSRoute", hostnames=["a.example.com"], rules=[{"backendRefs": [{"name": name}]}])
        return build_route(
            snapshot(r, services=services, gateways=[gateway(listeners=tls)]), SETTINGS
        ).desired

    lattice = converged(desired("svc"))
    assert lattice.state.listeners[0].rules == ()
    plan = plan_route(desired("svc2"), lattice.state)
    # svc2 has no endpoints, so its new TG gets no RegisterTargets.
    assert kinds(plan) == ["CreateTargetGroup", "UpdateListener", "DeregisterTargets", "DeleteTargetGroup"]
    assert isinstance(plan.steps[1], UpdateListener)
    lattice.apply(plan)
    assert plan_route(desired("svc2"), lattice.state).steps == ()


def _stale_from(state: ObservedRouteState) -> ObservedStaleService:
    assert state.service is not None
    return ObservedStaleService(
        state.service, state.associations, tuple(listener.arn for listener in state.listeners)
    )


def test_a_changed_service_name_deletes_the_former_service_once_the_new_one_serves() -> None:
    old = converged(desired_for())
    stale = _stale_from(old.state)
    renamed = desired_for(annotations={"application-networking.k8s.aws/service-name-override": "new-name"})
    # The new service does not exist yet: it is created, the former one stays (and is waited on).
    first = replace(old.state, service=None, associations=(), listeners=(), stale_services=(stale,))
    plan = plan_route(renamed, first)
    assert kinds(plan)[0] == "CreateService"
    assert "DeleteService" not in kinds(plan)
    assert any("former service shop-front" in wait for wait in plan.waits)

    new = FakeLattice(replace(first, stale_services=()))
    new.apply(plan)
    serving = replace(new.state, stale_services=(stale,))
    plan = plan_route(renamed, serving)
    assert kinds(plan) == ["DeleteServiceNetworkServiceAssociation", "DeleteListener", "DeleteService"]
    assert plan.steps[-1] == DeleteService(stale.service.arn)
    assert not plan.waits

    # Deleting the route deletes the former service too.
    deleting = build_route(
        snapshot(
            route(
                deleting=True,
                annotations={"application-networking.k8s.aws/service-name-override": "new-name"},
            )
        ),
        SETTINGS,
    ).desired
    plan = plan_route(deleting, serving)
    assert [s for s in plan.steps if isinstance(s, DeleteService)] == [
        DeleteService(new.state.service.arn),  # type: ignore[union-attr]
        DeleteService(stale.service.arn),
    ]
    assert "DeleteTargetGroup" in kinds(plan)


def test_a_grpc_route_of_the_same_name_keeps_its_target_groups() -> None:
    """Target groups are the route's by name, namespace and kind (their SourceTypeKey): an HTTPRoute
    does not delete those of a GRPCRoute that shares its name, and vice versa."""
    lattice = converged(desired_for())
    ours = lattice.state.target_groups[0]
    grpc_tags = tuple(
        (k, tag_keys.SOURCE_TYPE_GRPC_ROUTE if k == tag_keys.SOURCE_TYPE_KEY else v) for k, v in ours.tags
    )
    assert (tag_keys.SOURCE_TYPE_KEY, tag_keys.SOURCE_TYPE_HTTP_ROUTE) in ours.tags
    grpc = replace(ours, arn=ours.arn + "-grpc", name=ours.name + "-grpc", tags=grpc_tags, service_arns=())
    unused_http = replace(ours, arn=ours.arn + "-old", name=ours.name + "-old", service_arns=())
    state = replace(lattice.state, target_groups=(ours, grpc, unused_http))
    deletions = [s for s in plan_route(desired_for(), state).steps if isinstance(s, DeleteTargetGroup)]
    assert deletions == [DeleteTargetGroup(unused_http.arn)]


def test_a_missing_import_in_a_weighted_rule_sends_its_share_to_the_invalid_backends_group() -> None:
    """A ServiceImport backend whose exported target group is missing is not dropped from a weighted
    rule: its weight goes to the route's target group without targets (5xx), and the plan says which."""
    r = route(
        rules=[
            {
                "backendRefs": [
                    {"name": "svc", "port": 80, "weight": 10},
                    {
                        "name": "remote",
                        "kind": "ServiceImport",
                        "group": "application-networking.k8s.aws",
                        "weight": 90,
                    },
                ]
            }
        ]
    )
    snap = replace(
        snapshot(r),
        service_imports={
            ObjectKey("front", "remote"): parse_service_import(
                {"metadata": {"name": "remote", "namespace": "front"}}
            )
        },
    )
    desired = build_route(snap, SETTINGS).desired
    lattice = FakeLattice()
    plan = plan_route(desired, lattice.state)
    assert plan.unresolved == (
        "target group for import front/remote could not be found; its share of the rule's traffic "
        "gets a 5xx until it exists",
    )
    lattice.apply(plan)
    empty = next(tg for tg in lattice.state.target_groups if "5xx-invalid-backends" in dict(tg.tags).values())
    assert empty.targets == ()
    rule = lattice.state.listeners[0].rules[0]
    weights = sorted((f.target_group_id, f.weight) for f in rule.action.forward)  # type: ignore[union-attr]
    assert (empty.id, 90) in weights
    assert len(weights) == 2
