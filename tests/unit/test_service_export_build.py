"""ServiceExport's pure parts: the target groups built per exportedPorts entry or from the legacy port
annotation (protocols, TargetGroupPolicy overrides, tags, targets), the problems reported instead, and
the shared target-group plan's withdrawal of a group still in use (and importers skipping it)."""

from __future__ import annotations

from typing import Any

from lattice_controller.model import tags as tag_keys
from lattice_controller.model.k8s import parse_endpoint_slice, parse_service
from lattice_controller.model.k8s.service_export import parse_service_export
from lattice_controller.model.lattice import HealthCheckSpec, ImportedTargetGroup, TargetGroupConfig
from lattice_controller.model.lattice_observed import ObservedTarget, ObservedTargetGroup
from lattice_controller.reconcile.build import BuildSettings
from lattice_controller.reconcile.build.inputs import TargetGroupPolicyConfig
from lattice_controller.reconcile.build.service_export import ExportSnapshot, build_export
from lattice_controller.reconcile.diff import DeleteTargetGroup, TagResource, find_imported
from lattice_controller.reconcile.diff.target_groups import plan_owned_groups

SETTINGS = BuildSettings(account="111122223333", cluster="east", vpc="vpc-1")
FEDERATED = {"application-networking.k8s.aws/federation": "amazon-vpc-lattice"}
SERVICE = parse_service(
    {
        "metadata": {"name": "pay", "namespace": "shop"},
        "spec": {
            "ports": [{"name": "http", "port": 80}, {"name": "grpc", "port": 9000}],
            "ipFamilies": ["IPv4"],
        },
    }
)
SLICES = (
    parse_endpoint_slice(
        {
            "metadata": {
                "name": "pay-1",
                "namespace": "shop",
                "labels": {"kubernetes.io/service-name": "pay"},
            },
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080}, {"name": "grpc", "port": 9090}],
            "endpoints": [
                {"addresses": ["10.0.0.1"], "conditions": {"ready": True}},
                {"addresses": ["10.0.0.2"], "conditions": {"ready": False}},
                {"addresses": ["10.0.0.3"], "conditions": {"terminating": True}},
            ],
        }
    ),
)


def export(annotations: dict[str, str] | None = None, ports: list[dict[str, Any]] | None = None) -> Any:
    obj: dict[str, Any] = {
        "metadata": {"name": "pay", "namespace": "shop", "annotations": {**FEDERATED, **(annotations or {})}}
    }
    if ports is not None:
        obj["spec"] = {"exportedPorts": ports}
    return parse_service_export(obj)


def test_legacy_export_one_group_on_port_80_tagged_with_the_export() -> None:
    built = build_export(ExportSnapshot(export(), SERVICE, SLICES), SETTINGS)
    [spec] = built.target_groups
    assert built.problem is None
    assert spec.config == TargetGroupConfig(vpc="vpc-1", protocol="HTTP", protocol_version="HTTP1", port=80)
    assert spec.create_tags == {
        tag_keys.MANAGED_BY: "111122223333/east/vpc-1",
        tag_keys.CLUSTER_NAME: "east",
        tag_keys.SERVICE_NAME: "pay",
        tag_keys.SERVICE_NAMESPACE: "shop",
        tag_keys.SOURCE_TYPE_KEY: "ServiceExport",
        tag_keys.PROTOCOL_VERSION: "HTTP1",
    }
    # Every non-terminating endpoint, ready or not, on every port.
    assert sorted((t.ip, t.port) for t in spec.targets or ()) == [
        ("10.0.0.1", 8080),
        ("10.0.0.1", 9090),
        ("10.0.0.2", 8080),
        ("10.0.0.2", 9090),
    ]
    # The port annotation narrows the targets to the named Service ports.
    [narrow] = build_export(
        ExportSnapshot(export({"application-networking.k8s.aws/port": "9000"}), SERVICE, SLICES), SETTINGS
    ).target_groups
    assert {t.port for t in narrow.targets or ()} == {9090}


def test_exported_ports_by_route_type_and_the_export_policy() -> None:
    ports = [
        {"port": 80, "routeType": "HTTP"},
        {"port": 9000, "routeType": "GRPC"},
        {"port": 443, "routeType": "TLS"},
    ]
    specs = build_export(ExportSnapshot(export(ports=ports), SERVICE, SLICES), SETTINGS).target_groups
    assert [(s.config.port, s.config.protocol, s.config.protocol_version) for s in specs] == [
        (80, "HTTP", "HTTP1"),
        (9000, "HTTP", "GRPC"),
        (443, "TCP", ""),
    ]
    assert {t.port for t in specs[1].targets or ()} == {9090}
    assert specs[2].targets == ()  # no Service port 443: no targets, not an error
    assert len({s.name for s in specs}) == 3  # names differ by port
    policy = TargetGroupPolicyConfig("HTTPS", "HTTP2", HealthCheckSpec(path="/ok"))
    snapshot = ExportSnapshot(export(ports=ports[:1]), SERVICE, SLICES, export_policy=policy)
    [spec] = build_export(snapshot, SETTINGS).target_groups
    assert (spec.config.protocol, spec.config.protocol_version, spec.health_check) == (
        "HTTPS",
        "HTTP2",
        HealthCheckSpec(path="/ok"),
    )
    # The Service's policy gives the health check first (the reference's resolver).
    service_policy = TargetGroupPolicyConfig(health_check=HealthCheckSpec(path="/svc"))
    snapshot = ExportSnapshot(export(), SERVICE, SLICES, service_policy=service_policy, export_policy=policy)
    [spec] = build_export(snapshot, SETTINGS).target_groups
    assert spec.health_check == HealthCheckSpec(path="/svc")


def test_problems_instead_of_groups() -> None:
    missing = build_export(ExportSnapshot(export()), SETTINGS)
    assert missing.target_groups == ()
    assert missing.problem
    assert "Service shop/pay of ServiceExport shop/pay does not exist" in missing.problem
    named = build_export(
        ExportSnapshot(export({"application-networking.k8s.aws/service-name": "other"})), SETTINGS
    )
    assert named.problem
    assert "Service shop/other" in named.problem
    bad_port = build_export(
        ExportSnapshot(export({"application-networking.k8s.aws/port": "http"}), SERVICE, SLICES), SETTINGS
    )
    assert bad_port.problem
    assert "'http' is not a port number" in bad_port.problem
    ignored = parse_service_export({"metadata": {"name": "x", "namespace": "shop"}})
    assert not ignored.federated


def _observed(
    arn: str, users: tuple[str, ...] = (), tags: dict[str, str] | None = None
) -> ObservedTargetGroup:
    base = {
        tag_keys.CLUSTER_NAME: "east",
        tag_keys.SERVICE_NAME: "pay",
        tag_keys.SERVICE_NAMESPACE: "shop",
        tag_keys.SOURCE_TYPE_KEY: "ServiceExport",
        tag_keys.PROTOCOL_VERSION: "HTTP1",
    }
    return ObservedTargetGroup(
        arn.rsplit("/", 1)[-1],
        arn,
        "k8s-shop-pay-x",
        TargetGroupConfig(vpc="vpc-1"),
        service_arns=users,
        tags=tuple(sorted({**base, **(tags or {})}.items())),
        targets=(ObservedTarget("10.0.0.1", 8080, "HEALTHY"),),
    )


def test_an_unwanted_group_in_use_is_withdrawn_then_deleted_once_unused() -> None:
    used = _observed("arn:tg/tg-1", users=("arn:svc/other-cluster",))
    plan = plan_owned_groups((), (used,), owns=lambda tg: True, withdraw=True)
    assert plan.steps == [TagResource(used.arn, ((tag_keys.EXPORT_WITHDRAWN, "true"),))]
    assert plan.delete_steps == []
    assert plan.waits
    withdrawn = _observed(
        "arn:tg/tg-1", users=("arn:svc/other-cluster",), tags={tag_keys.EXPORT_WITHDRAWN: "true"}
    )
    again = plan_owned_groups((), (withdrawn,), owns=lambda tg: True, withdraw=True)
    assert again.steps == []
    assert again.waits
    unused = _observed("arn:tg/tg-1", tags={tag_keys.EXPORT_WITHDRAWN: "true"})
    done = plan_owned_groups((), (unused,), owns=lambda tg: True, withdraw=True)
    assert done.delete_steps[-1] == DeleteTargetGroup(unused.arn)
    assert not done.waits
    # Importers skip a withdrawn group (and one of another cluster when the import names a cluster).
    imported = ImportedTargetGroup("pay", "shop")
    assert find_imported(imported, (withdrawn,)) is None
    assert find_imported(imported, (used,)) == "tg-1"
    assert find_imported(ImportedTargetGroup("pay", "shop", cluster="west"), (used,)) is None
    assert find_imported(ImportedTargetGroup("pay", "shop", vpc="vpc-2"), (used,)) is None
