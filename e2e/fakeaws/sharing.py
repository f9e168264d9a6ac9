"""Service networks shared with other accounts (a minimal model of AWS RAM sharing).

`share(network_arn, with_account)` (admin API `POST /_fakeaws/share`) lets account B use a network owned by
account A, in the network's region:
* B's `GetServiceNetwork` finds it by ARN or id; B's `ListServiceNetworks` lists it after B's own networks
  (AWS: "Lists the service networks owned by or shared with this account") unless the share was made with
  `listed=False`, which models a caller that finds the network only through its VPC association (the
  reference controller's service network lookup fallback);
* B can create VPC and service associations with it by ARN or id. They live in B's state (B's ARNs, B's
  lists show the shared network's name/id/ARN); the owner sees them only in the network's
  `numberOfAssociated*` counts and in `DeleteServiceNetwork`'s "still associated" conflict;
* B cannot update or delete the network, put policies on it or read its tags (ResourceNotFound).
`unshare` refuses while B still has associations with the network. Both sides of a share hang off the
per-account states, so a state reset forgets every share.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from moto.vpclattice.models import vpclattice_backends

from e2e.fakeaws.records import (
    ServiceNetwork,
    ServiceNetworkServiceAssociation,
    ServiceNetworkVpcAssociation,
    ShareRecord,
)
from e2e.fakeaws.state import LatticeState, state_of

_NETWORK_ARN = re.compile(
    r"arn:[a-z0-9\-]+:vpc-lattice:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):servicenetwork/(?P<id>sn-[0-9a-z]{17})"
)
_ACCOUNT = re.compile(r"\d{12}")


def account_state(account: str, region: str) -> LatticeState:
    """The Lattice state of `account` in `region` (created on first use, like any moto backend)."""
    return state_of(vpclattice_backends[account][region])


def _parse(network_arn: Any, with_account: Any) -> tuple[str, str, str, str]:
    match = _NETWORK_ARN.fullmatch(str(network_arn or ""))
    if match is None:
        raise ValueError(f"network_arn must be a service network ARN, got {network_arn!r}")
    if not isinstance(with_account, str) or not _ACCOUNT.fullmatch(with_account):
        raise ValueError(f"with_account must be a 12-digit account id, got {with_account!r}")
    if with_account == match["account"]:
        raise ValueError(f"{network_arn} is owned by {with_account} already")
    return match["region"], match["account"], match["id"], with_account


def share(network_arn: Any, with_account: Any, listed: bool = True) -> dict[str, Any]:
    region, owner, sn_id, sharee = _parse(network_arn, with_account)
    owner_state = account_state(owner, region)
    with owner_state.lock:
        network = owner_state.service_networks.get(sn_id)
        if network is None or network.arn != network_arn:
            raise ValueError(f"no service network {network_arn}")
        owner_state.shared_with.setdefault(sn_id, set()).add(sharee)
    sharee_state = account_state(sharee, region)
    with sharee_state.lock:
        sharee_state.shared_in[sn_id] = ShareRecord(owner, bool(listed))
    return {"network_arn": network_arn, "with_account": sharee, "listed": bool(listed)}


def unshare(network_arn: Any, with_account: Any) -> dict[str, Any]:
    region, owner, sn_id, sharee = _parse(network_arn, with_account)
    sharee_state = account_state(sharee, region)
    with sharee_state.lock:
        in_use = [a.id for a in _associations_in(sharee_state, sn_id)]
        if in_use:
            names = ", ".join(sorted(in_use))
            raise ValueError(f"{sharee} still has associations with {network_arn}: {names}")
        sharee_state.shared_in.pop(sn_id, None)
    owner_state = account_state(owner, region)
    with owner_state.lock:
        owner_state.shared_with.get(sn_id, set()).discard(sharee)
    return {"network_arn": network_arn, "with_account": sharee}


# --- the sharee's view -------------------------------------------------------------------------------------
# These run under the caller's lock only. They read the owner's tables through list()/get() snapshots
# rather than taking the owner's lock, so two accounts sharing with each other cannot deadlock.


def shared_network(state: LatticeState, sn_id: str) -> ServiceNetwork | None:
    """The network `sn_id` of another account, when it is (still) shared with `state`'s account."""
    record = state.shared_in.get(sn_id)
    if record is None:
        return None
    owner_state = account_state(record.owner, state.region)
    network = owner_state.service_networks.get(sn_id)
    if network is None or state.account not in owner_state.shared_with.get(sn_id, ()):
        return None
    return network


def network_by_id(state: LatticeState, sn_id: str) -> ServiceNetwork:
    """The network an association of `state` names: its own, or one shared with it."""
    local = state.service_networks.get(sn_id)
    if local is not None:
        return local
    record = state.shared_in[sn_id]  # associations with a network are refused once it is unshared
    return account_state(record.owner, state.region).service_networks[sn_id]


def listed_shared_networks(state: LatticeState) -> list[tuple[str, ServiceNetwork]]:
    """`(owner account, network)` of the networks shared with `state`'s account that it lists."""
    found = []
    for sn_id, record in list(state.shared_in.items()):
        network = shared_network(state, sn_id)
        if network is not None and record.listed:
            found.append((record.owner, network))
    return found


# --- the owner's view --------------------------------------------------------------------------------------


def _associations_in(
    state: LatticeState, sn_id: str
) -> Iterator[ServiceNetworkVpcAssociation | ServiceNetworkServiceAssociation]:
    for vpc_assoc in list(state.sn_vpc_associations.values()):
        if vpc_assoc.service_network_id == sn_id:
            yield vpc_assoc
    for svc_assoc in list(state.sn_service_associations.values()):
        if svc_assoc.service_network_id == sn_id:
            yield svc_assoc


def associations_everywhere(
    state: LatticeState, sn_id: str
) -> list[ServiceNetworkVpcAssociation | ServiceNetworkServiceAssociation]:
    """Associations with `state`'s network `sn_id`: its own and those of the accounts it shares it with."""
    found = list(_associations_in(state, sn_id))
    for sharee in sorted(state.shared_with.get(sn_id, ())):
        sharee_state = account_state(sharee, state.region)
        if sn_id in sharee_state.shared_in:
            found += _associations_in(sharee_state, sn_id)
    return found
