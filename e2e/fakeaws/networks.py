"""Service networks and their VPC and service associations."""

from __future__ import annotations

from typing import Any

from e2e.fakeaws import lookup, sharing, validate
from e2e.fakeaws.errors import conflict, not_found, validation_error
from e2e.fakeaws.idempotency import create_once
from e2e.fakeaws.ids import iso, new_id, now, resolve_id, touched
from e2e.fakeaws.pagination import paginate
from e2e.fakeaws.records import ServiceNetwork, ServiceNetworkServiceAssociation, ServiceNetworkVpcAssociation
from e2e.fakeaws.registry import Args, Reply, drop_none, operation, required
from e2e.fakeaws.services import dns_entry
from e2e.fakeaws.state import LatticeState

AUTH_TYPES = ("NONE", "AWS_IAM")
MAX_SECURITY_GROUPS = 5


def _sn_summary(state: LatticeState, sn: ServiceNetwork) -> dict[str, Any]:
    """`state` is the owner's state (the counts include associations made by accounts it shares with)."""
    associations = sharing.associations_everywhere(state, sn.id)
    return {
        "id": sn.id,
        "name": sn.name,
        "arn": sn.arn,
        "createdAt": iso(sn.created_at),
        "lastUpdatedAt": iso(sn.updated_at),
        "numberOfAssociatedVPCs": sum(1 for a in associations if isinstance(a, ServiceNetworkVpcAssociation)),
        "numberOfAssociatedServices": sum(
            1 for a in associations if isinstance(a, ServiceNetworkServiceAssociation)
        ),
        "numberOfAssociatedResourceConfigurations": 0,
    }


@operation("CreateServiceNetwork")
def create_service_network(state: LatticeState, args: Args) -> Reply:
    name = validate.name(required(args, "name"), "name", 63)
    auth_type = validate.enum(args.get("authType"), "authType", AUTH_TYPES, default="NONE")
    tags = validate.tags(args.get("tags"))

    def create() -> tuple[str, ServiceNetwork]:
        if any(sn.name == name for sn in state.service_networks.values()):
            raise conflict(
                f"A service network with the name '{name}' already exists.", "SERVICE_NETWORK", name
            )
        sn_id, stamp = new_id("sn"), now()
        sn = ServiceNetwork(
            id=sn_id,
            arn=state.arn(f"servicenetwork/{sn_id}"),
            seq=state.next_seq(),
            created_at=stamp,
            updated_at=stamp,
            tags=tags,
            name=name,
            auth_type=auth_type,
            sharing_config=args.get("sharingConfig"),
        )
        state.service_networks[sn_id] = sn
        return sn_id, sn

    sn = create_once(state, "CreateServiceNetwork", args, state.service_networks.get, create)
    body = {
        "id": sn.id,
        "name": sn.name,
        "arn": sn.arn,
        "authType": sn.auth_type,
        "sharingConfig": sn.sharing_config,
    }
    return 201, drop_none(body)


@operation("GetServiceNetwork")
def get_service_network(state: LatticeState, args: Args) -> Reply:
    sn = lookup.usable_service_network(state, args.get("serviceNetworkIdentifier"))
    body = _sn_summary(_owner_state(state, sn), sn)
    body |= {"authType": sn.auth_type, "sharingConfig": sn.sharing_config}
    del body["numberOfAssociatedResourceConfigurations"]  # only in the List summary shape
    return 200, drop_none(body)


@operation("ListServiceNetworks")
def list_service_networks(state: LatticeState, args: Args) -> Reply:
    """The caller's networks, then those shared with it (ordered by owner account, then creation)."""
    visible = [("", sn) for sn in state.service_networks.values()]
    visible += sharing.listed_shared_networks(state)
    page, token = paginate(visible, args, lambda entry: (entry[0], entry[1].seq))
    items = [_sn_summary(_owner_state(state, sn), sn) for _, sn in page]
    return 200, drop_none({"items": items, "nextToken": token})


def _owner_state(state: LatticeState, sn: ServiceNetwork) -> LatticeState:
    if sn.id in state.service_networks:
        return state
    return sharing.account_state(state.shared_in[sn.id].owner, state.region)


@operation("UpdateServiceNetwork")
def update_service_network(state: LatticeState, args: Args) -> Reply:
    sn = lookup.service_network(state, args.get("serviceNetworkIdentifier"))
    sn.auth_type = validate.enum(required(args, "authType"), "authType", AUTH_TYPES)
    sn.updated_at = touched(sn.updated_at)
    return 200, {"id": sn.id, "name": sn.name, "arn": sn.arn, "authType": sn.auth_type}


@operation("DeleteServiceNetwork")
def delete_service_network(state: LatticeState, args: Args) -> Reply:
    sn = lookup.service_network(state, args.get("serviceNetworkIdentifier"))
    in_use = [a.id for a in sharing.associations_everywhere(state, sn.id)]
    if in_use:
        raise conflict(
            f"Service network {sn.id} cannot be deleted while it has associations: "
            f"{', '.join(sorted(in_use))}.",
            "SERVICE_NETWORK",
            sn.id,
        )
    from e2e.fakeaws.policies import forget_policies_of

    forget_policies_of(state, sn.id)
    state.shared_with.pop(sn.id, None)
    del state.service_networks[sn.id]
    return 204, None


# --- service network ↔ service -------------------------------------------------------------------------


def _snsa_view(state: LatticeState, assoc: ServiceNetworkServiceAssociation) -> dict[str, Any]:
    svc = state.services[assoc.service_id]
    sn = sharing.network_by_id(state, assoc.service_network_id)
    return drop_none(
        {
            "id": assoc.id,
            "status": assoc.status,
            "arn": assoc.arn,
            "createdBy": assoc.created_by,
            "createdAt": iso(assoc.created_at),
            "serviceId": svc.id,
            "serviceName": svc.name,
            "serviceArn": svc.arn,
            "serviceNetworkId": sn.id,
            "serviceNetworkName": sn.name,
            "serviceNetworkArn": sn.arn,
            "dnsEntry": dns_entry(svc),
            "customDomainName": svc.custom_domain_name,
        }
    )


def _snsa(state: LatticeState, identifier: object) -> ServiceNetworkServiceAssociation:
    assoc_id = resolve_id(identifier, "snsa", "serviceNetworkServiceAssociationIdentifier")
    found = state.sn_service_associations.get(assoc_id)
    if found is None:
        raise not_found(
            "SERVICE_NETWORK_SERVICE_ASSOCIATION", assoc_id, "service network service association"
        )
    return found


@operation("CreateServiceNetworkServiceAssociation")
def create_sn_service_association(state: LatticeState, args: Args) -> Reply:
    sn = lookup.usable_service_network(state, required(args, "serviceNetworkIdentifier"))
    svc = lookup.service(state, required(args, "serviceIdentifier"))
    tags = validate.tags(args.get("tags"))

    def create() -> tuple[str, ServiceNetworkServiceAssociation]:
        for existing in state.sn_service_associations.values():
            if existing.service_id == svc.id and existing.service_network_id == sn.id:
                raise conflict(
                    f"Service {svc.id} is already associated with service network {sn.id}.",
                    "SERVICE_NETWORK_SERVICE_ASSOCIATION",
                    existing.id,
                )
        assoc_id, stamp = new_id("snsa"), now()
        assoc = ServiceNetworkServiceAssociation(
            id=assoc_id,
            arn=state.arn(f"servicenetworkserviceassociation/{assoc_id}"),
            seq=state.next_seq(),
            created_at=stamp,
            updated_at=stamp,
            tags=tags,
            service_network_id=sn.id,
            service_id=svc.id,
            created_by=state.account,
        )
        state.sn_service_associations[assoc_id] = assoc
        return assoc_id, assoc

    assoc = create_once(
        state, "CreateServiceNetworkServiceAssociation", args, state.sn_service_associations.get, create
    )
    view = _snsa_view(state, assoc)
    keys = ("id", "status", "arn", "createdBy", "customDomainName", "dnsEntry")
    return 200, {k: view[k] for k in keys if k in view}


@operation("GetServiceNetworkServiceAssociation")
def get_sn_service_association(state: LatticeState, args: Args) -> Reply:
    return 200, _snsa_view(state, _snsa(state, args.get("serviceNetworkServiceAssociationIdentifier")))


@operation("DeleteServiceNetworkServiceAssociation")
def delete_sn_service_association(state: LatticeState, args: Args) -> Reply:
    assoc = _snsa(state, args.get("serviceNetworkServiceAssociationIdentifier"))
    del state.sn_service_associations[assoc.id]
    return 200, {"id": assoc.id, "status": "DELETE_IN_PROGRESS", "arn": assoc.arn}


@operation("ListServiceNetworkServiceAssociations")
def list_sn_service_associations(state: LatticeState, args: Args) -> Reply:
    items = list(state.sn_service_associations.values())
    if args.get("serviceNetworkIdentifier"):
        sn_id = resolve_id(args["serviceNetworkIdentifier"], "sn", "serviceNetworkIdentifier")
        items = [a for a in items if a.service_network_id == sn_id]
    if args.get("serviceIdentifier"):
        svc_id = resolve_id(args["serviceIdentifier"], "svc", "serviceIdentifier")
        items = [a for a in items if a.service_id == svc_id]
    page, token = paginate(items, args, lambda a: a.seq)
    return 200, drop_none({"items": [_snsa_view(state, a) for a in page], "nextToken": token})


# --- service network ↔ VPC -----------------------------------------------------------------------------


def _snva_view(state: LatticeState, assoc: ServiceNetworkVpcAssociation) -> dict[str, Any]:
    sn = sharing.network_by_id(state, assoc.service_network_id)
    return drop_none(
        {
            "id": assoc.id,
            "status": assoc.status,
            "arn": assoc.arn,
            "createdBy": assoc.created_by,
            "createdAt": iso(assoc.created_at),
            "lastUpdatedAt": iso(assoc.updated_at),
            "serviceNetworkId": sn.id,
            "serviceNetworkName": sn.name,
            "serviceNetworkArn": sn.arn,
            "vpcId": assoc.vpc_id,
            "securityGroupIds": list(assoc.security_group_ids),
            "privateDnsEnabled": assoc.private_dns_enabled,
            "dnsOptions": assoc.dns_options,
        }
    )


def _snva(state: LatticeState, identifier: object) -> ServiceNetworkVpcAssociation:
    assoc_id = resolve_id(identifier, "snva", "serviceNetworkVpcAssociationIdentifier")
    found = state.sn_vpc_associations.get(assoc_id)
    if found is None:
        raise not_found("SERVICE_NETWORK_VPC_ASSOCIATION", assoc_id, "service network VPC association")
    return found


def _security_groups(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_SECURITY_GROUPS:
        raise validation_error(
            f"securityGroupIds accepts at most {MAX_SECURITY_GROUPS} ids", "securityGroupIds"
        )
    for sg in value:
        if not isinstance(sg, str) or not sg.startswith("sg-"):
            raise validation_error(f"Invalid security group id '{sg}'", "securityGroupIds")
    return list(value)


@operation("CreateServiceNetworkVpcAssociation")
def create_sn_vpc_association(state: LatticeState, args: Args) -> Reply:
    sn = lookup.usable_service_network(state, required(args, "serviceNetworkIdentifier"))
    vpc_id = required(args, "vpcIdentifier")
    if not str(vpc_id).startswith("vpc-"):
        raise validation_error(f"Invalid vpcIdentifier '{vpc_id}'", "vpcIdentifier")
    groups = _security_groups(args.get("securityGroupIds"))
    tags = validate.tags(args.get("tags"))

    def create() -> tuple[str, ServiceNetworkVpcAssociation]:
        for existing in state.sn_vpc_associations.values():
            if existing.vpc_id == vpc_id:
                raise conflict(
                    f"VPC {vpc_id} is already associated with service network {existing.service_network_id}.",
                    "SERVICE_NETWORK_VPC_ASSOCIATION",
                    existing.id,
                )
        assoc_id, stamp = new_id("snva"), now()
        assoc = ServiceNetworkVpcAssociation(
            id=assoc_id,
            arn=state.arn(f"servicenetworkvpcassociation/{assoc_id}"),
            seq=state.next_seq(),
            created_at=stamp,
            updated_at=stamp,
            tags=tags,
            service_network_id=sn.id,
            vpc_id=vpc_id,
            security_group_ids=groups,
            private_dns_enabled=args.get("privateDnsEnabled"),
            dns_options=args.get("dnsOptions"),
            created_by=state.account,
        )
        state.sn_vpc_associations[assoc_id] = assoc
        return assoc_id, assoc

    assoc = create_once(
        state, "CreateServiceNetworkVpcAssociation", args, state.sn_vpc_associations.get, create
    )
    view = _snva_view(state, assoc)
    keys = ("id", "status", "arn", "createdBy", "securityGroupIds", "privateDnsEnabled", "dnsOptions")
    return 200, {k: view[k] for k in keys if k in view}


@operation("GetServiceNetworkVpcAssociation")
def get_sn_vpc_association(state: LatticeState, args: Args) -> Reply:
    return 200, _snva_view(state, _snva(state, args.get("serviceNetworkVpcAssociationIdentifier")))


@operation("UpdateServiceNetworkVpcAssociation")
def update_sn_vpc_association(state: LatticeState, args: Args) -> Reply:
    assoc = _snva(state, args.get("serviceNetworkVpcAssociationIdentifier"))
    if args.get("securityGroupIds") is not None:
        groups = _security_groups(args["securityGroupIds"])
        if not groups and assoc.security_group_ids:
            raise validation_error(
                "Security groups cannot be removed from an association that has them; "
                "delete and recreate the association instead.",
                "securityGroupIds",
            )
        assoc.security_group_ids = groups
    if args.get("privateDnsEnabled") is not None:
        assoc.private_dns_enabled = bool(args["privateDnsEnabled"])
    if args.get("dnsOptions") is not None:
        assoc.dns_options = args["dnsOptions"]
    assoc.updated_at = touched(assoc.updated_at)
    view = _snva_view(state, assoc)
    keys = ("id", "arn", "status", "createdBy", "securityGroupIds", "privateDnsEnabled", "dnsOptions")
    return 200, {k: view[k] for k in keys if k in view}


@operation("DeleteServiceNetworkVpcAssociation")
def delete_sn_vpc_association(state: LatticeState, args: Args) -> Reply:
    assoc = _snva(state, args.get("serviceNetworkVpcAssociationIdentifier"))
    del state.sn_vpc_associations[assoc.id]
    return 200, {"id": assoc.id, "status": "DELETE_IN_PROGRESS", "arn": assoc.arn}


@operation("ListServiceNetworkVpcAssociations")
def list_sn_vpc_associations(state: LatticeState, args: Args) -> Reply:
    items = list(state.sn_vpc_associations.values())
    if args.get("serviceNetworkIdentifier"):
        sn_id = resolve_id(args["serviceNetworkIdentifier"], "sn", "serviceNetworkIdentifier")
        items = [a for a in items if a.service_network_id == sn_id]
    if args.get("vpcIdentifier"):
        items = [a for a in items if a.vpc_id == args["vpcIdentifier"]]
    page, token = paginate(items, args, lambda a: a.seq)
    summaries = [{k: v for k, v in _snva_view(state, a).items() if k != "securityGroupIds"} for a in page]
    return 200, drop_none({"items": summaries, "nextToken": token})
