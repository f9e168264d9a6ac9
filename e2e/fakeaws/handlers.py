"""Installs the project's Lattice operations into moto, in place, in the current process.

* one plain function per operation on `VPCLatticeResponse`, named `camelcase_to_underscores(<Operation>)`
  (moto dispatches by botocore operation name), replacing moto's own handler where there is one;
* the Resource Groups Tagging API hooks on `VPCLatticeBackend` (`iter_tagged_resources`, `tag_resource`,
  `untag_resource`), so `tag:GetResources` sees this project's state.
Idempotent; call it before the server handles its first request.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections import ChainMap
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

from moto.core.resource_tagging import TaggedResource
from moto.core.utils import camelcase_to_underscores
from moto.vpclattice.models import VPCLatticeBackend
from moto.vpclattice.responses import VPCLatticeResponse

from e2e.fakeaws import networks, policies, rules, services, tagging, targetgroups
from e2e.fakeaws.errors import LatticeError, internal_error
from e2e.fakeaws.registry import OPERATIONS, Operation
from e2e.fakeaws.state import state_of

_log = logging.getLogger("e2e.fakeaws")
_MODULES = (networks, policies, rules, services, tagging, targetgroups)  # importing them fills OPERATIONS
_installed = False


def install() -> list[str]:
    """Patch moto; returns the botocore names of the operations now served by this project."""
    global _installed
    if not _installed:
        for name, fn in OPERATIONS.items():
            setattr(VPCLatticeResponse, camelcase_to_underscores(name), _make_handler(name, fn))
        _install_tagging_hooks()
        _installed = True
    return sorted(OPERATIONS)


def _request_args(response: Any) -> dict[str, Any]:
    merged = dict(ChainMap(dict(response.params or {}), dict(response.uri_match or {})))
    for key in (
        "resourceArn",
        "serviceIdentifier",
        "listenerIdentifier",
        "ruleIdentifier",
        "targetGroupIdentifier",
        "serviceNetworkIdentifier",
        "resourceIdentifier",
        "serviceNetworkServiceAssociationIdentifier",
        "serviceNetworkVpcAssociationIdentifier",
        "accessLogSubscriptionIdentifier",
    ):
        if isinstance(merged.get(key), str):
            merged[key] = unquote(merged[key])
    return merged


def _make_handler(name: str, operation: Operation) -> Callable[[Any], Any]:
    def handler(self: Any) -> Any:
        state = state_of(self.backend)
        try:
            args = _request_args(self)
            with state.lock:
                status, body = operation(state, args)
        except LatticeError as error:
            return error.response()
        except Exception as error:  # a bug here must still be a JSON AWS error, not an HTML 500
            _log.error("fakeaws %s failed:\n%s", name, traceback.format_exc())
            return internal_error(f"fakeaws internal error in {name}: {error!r}").response()
        body_text = "" if body is None else json.dumps(body)
        return body_text, {"status": status, "Content-Type": "application/json"}

    handler.__name__ = camelcase_to_underscores(name)
    handler.__qualname__ = f"VPCLatticeResponse.{handler.__name__}"
    return handler


def _install_tagging_hooks() -> None:
    original_tag = VPCLatticeBackend.tag_resource
    original_untag = VPCLatticeBackend.untag_resource

    def iter_tagged_resources(self: VPCLatticeBackend) -> Iterator[TaggedResource]:
        state = state_of(self)
        with state.lock:
            found = [
                TaggedResource(arn=r.arn, tags=dict(r.tags), resource_type=kind)
                for kind, r in tagging.iter_resources(state)
            ]
        yield from found

    def tag_resource(self: VPCLatticeBackend, arn: str, tags: dict[str, str]) -> None:
        if not tagging.handles_arn(arn):
            original_tag(self, arn, tags)
            return
        state = state_of(self)
        with state.lock:
            try:
                tagging.add_tags(tagging.find_by_arn(state, arn), tags)
            except LatticeError as error:  # the tagging API reports NotImplementedError per ARN
                raise NotImplementedError(error.message) from error

    def untag_resource(self: VPCLatticeBackend, arn: str, tag_keys: list[str]) -> None:
        if not tagging.handles_arn(arn):
            original_untag(self, arn, tag_keys)
            return
        state = state_of(self)
        with state.lock:
            try:
                tagging.remove_tags(tagging.find_by_arn(state, arn), tag_keys)
            except LatticeError as error:
                raise NotImplementedError(error.message) from error

    setattr(VPCLatticeBackend, "iter_tagged_resources", iter_tagged_resources)  # noqa: B010
    setattr(VPCLatticeBackend, "tag_resource", tag_resource)  # noqa: B010
    setattr(VPCLatticeBackend, "untag_resource", untag_resource)  # noqa: B010
