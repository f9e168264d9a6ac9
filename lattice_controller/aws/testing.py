"""An in-memory ``AwsTransport`` for unit tests of code above ``aws/``: scripted answers, recorded calls.

Never used by the running controller. Example::

    transport = ScriptedTransport()
    transport.on("ListServices", {"items": [{"id": "svc-1", "name": "a-b"}]})
    transport.fail("GetService", "ResourceNotFoundException")
    api = LatticeApi(transport)
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lattice_controller.aws.errors import make_error
from lattice_controller.aws.metrics import CallLedger

Handler = Callable[[Mapping[str, Any]], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class RecordedCall:
    service: str
    operation: str
    params: Mapping[str, Any]


class UnscriptedCall(AssertionError):
    """A call reached the transport with no answer scripted for its operation."""


class ScriptedTransport:
    """Answers each operation from a handler (a function of the params) or a fixed response.

    Operations without a script raise ``UnscriptedCall`` unless ``default`` is given (a response
    returned for every unscripted call, e.g. ``{}`` for writes).
    """

    def __init__(self, *, default: Mapping[str, Any] | None = None) -> None:
        self._handlers: dict[str, Handler] = {}
        self._default = default
        self.calls: list[RecordedCall] = []
        self.ledger = CallLedger()

    def on(self, operation: str, answer: Mapping[str, Any] | Handler) -> None:
        """Script ``operation``: a response dict, or ``fn(params) -> response`` (may be async)."""
        if callable(answer):
            self._handlers[operation] = answer
        else:
            fixed = dict(answer)
            self._handlers[operation] = lambda _params: copy.deepcopy(fixed)

    def pages(
        self,
        operation: str,
        pages: Sequence[Sequence[Mapping[str, Any]]],
        *,
        items_key: str = "items",
        token_key: str = "nextToken",
        request_token_key: str | None = None,
    ) -> None:
        """Script a paginated List: page ``n`` is returned for token ``"page-n"`` (first page: no token)."""
        request_key = request_token_key or token_key

        def answer(params: Mapping[str, Any]) -> Mapping[str, Any]:
            token = params.get(request_key)
            index = int(str(token).removeprefix("page-")) if token else 0
            response: dict[str, Any] = {items_key: [dict(i) for i in pages[index]]}
            if index + 1 < len(pages):
                response[token_key] = f"page-{index + 1}"
            return response

        self._handlers[operation] = answer

    def fail(
        self, operation: str, code: str, message: str = "scripted failure", *, times: int | None = None
    ) -> None:
        """Make ``operation`` raise the typed error for ``code`` (``times`` times, then the previous
        script takes over again; forever when ``times`` is None)."""
        previous = self._handlers.get(operation)
        remaining = [times]

        def answer(params: Mapping[str, Any]) -> Mapping[str, Any] | Awaitable[Mapping[str, Any]]:
            if remaining[0] is None or remaining[0] > 0:
                if remaining[0] is not None:
                    remaining[0] -= 1
                raise make_error("scripted", operation, code, message)
            if previous is None:
                raise UnscriptedCall(operation)
            return previous(params)

        self._handlers[operation] = answer

    def count(self, operation: str) -> int:
        return self.ledger.count(operation)

    def params_of(self, operation: str) -> list[Mapping[str, Any]]:
        return [c.params for c in self.calls if c.operation == operation]

    async def call(self, service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        recorded = copy.deepcopy(dict(params))
        self.calls.append(RecordedCall(service, operation, recorded))
        self.ledger.record_call(service, operation)
        self.ledger.record_request(service, operation)
        handler = self._handlers.get(operation)
        if handler is None:
            if self._default is None:
                raise UnscriptedCall(f"{service} {operation} {recorded}")
            return copy.deepcopy(dict(self._default))
        result = handler(recorded)
        if isinstance(result, Awaitable):
            result = await result
        return copy.deepcopy(dict(result))
