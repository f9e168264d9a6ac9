"""WSGI layer in front of moto: the admin API under `/_fakeaws/`, call counters and injected faults.

Admin API (JSON in and out; errors are 400 `{"error": ...}`):
  GET    /_fakeaws/health            {"ok": true, "operations": [...]} (Lattice ops served by the project)
  POST   /_fakeaws/reset             body {"state","counters","faults","settings"}: bools, all default true
  GET    /_fakeaws/counters          {"vpc-lattice:CreateService": 3, "tag:GetResources": 1, ...}
  DELETE /_fakeaws/counters          zero them
  GET    /_fakeaws/faults            rules + {"injected": {"throttled": {key: n}, "errors": {key: n}}}
  DELETE /_fakeaws/faults            remove every rule
  POST   /_fakeaws/faults/latency    {"operation": key, "seconds": s} or {"operation", "min": a, "max": b}
  POST   /_fakeaws/faults/throttle   {"operation": key, "rate": per_second, "burst": n, "status"?: int}
  POST   /_fakeaws/faults/errors     {"operation": key, "rate": 0..1, "status"?: int, "seed"?: int}
  GET    /_fakeaws/settings          timings and quotas (see knobs.Knobs)
  POST   /_fakeaws/settings          {"draining_seconds": 0.5, "initial_seconds": 0.2, ...}
  GET    /_fakeaws/target-health     the health-check rules (see `health`)
  POST   /_fakeaws/target-health     {"target_group"?, "targets"?: ["ip:port"], "initial_seconds"?, "status"?}
  DELETE /_fakeaws/target-health     remove every rule
  POST   /_fakeaws/share             {"network_arn": arn, "with_account": "210987654321", "listed"?: bool}
  POST   /_fakeaws/unshare           {"network_arn": arn, "with_account": ...} (see `sharing`)
`operation` keys: "vpc-lattice:CreateService", "vpc-lattice:*", "*" (default "*").
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from e2e.fakeaws import health, knobs, opnames
from e2e.fakeaws.faults import Decision, FaultBoard

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
ADMIN_PREFIX = "/_fakeaws/"
_THROTTLE_CODES = {"rest-json": "ThrottlingException", "json": "ThrottlingException", "query": "Throttling"}
_DEFAULT_THROTTLE_STATUS = {"vpc-lattice": 429}  # the Lattice model's ThrottlingException status; others 400


def default_throttle_status(operation_key: str) -> int:
    return _DEFAULT_THROTTLE_STATUS.get(operation_key.split(":", 1)[0], 400)


class FakeAwsMiddleware:
    def __init__(self, app: WsgiApp, reset_state: Callable[[], None], operations: list[str]) -> None:
        self._app = app
        self._reset_state = reset_state
        self._operations = operations
        self.board = FaultBoard()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(ADMIN_PREFIX) or path == ADMIN_PREFIX.rstrip("/"):
            return self._admin(environ, start_response, path[len(ADMIN_PREFIX) :].strip("/"))
        if path.startswith("/moto-api"):
            return self._app(environ, start_response)
        key = opnames.operation_key(environ)
        if key is None:
            return self._app(environ, start_response)
        decision = self.board.decide(key)
        if decision.delay > 0:
            time.sleep(decision.delay)
        if decision.error is not None:
            return _injected_error(start_response, key, decision)
        return self._app(environ, start_response)

    # --- admin API ---------------------------------------------------------------------------------------

    def _admin(self, environ: dict[str, Any], start_response: StartResponse, route: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            body = _json_body(environ)
            result = self._route(method, route, body)
        except (ValueError, TypeError, KeyError) as error:
            return _reply(start_response, 400, {"error": str(error)})
        if result is None:
            return _reply(start_response, 404, {"error": f"no admin route {method} /_fakeaws/{route}"})
        return _reply(start_response, 200, result)

    def _route(self, method: str, route: str, body: dict[str, Any]) -> Any:
        board = self.board
        if route == "health" and method == "GET":
            return {"ok": True, "operations": self._operations}
        if route == "reset" and method == "POST":
            if body.get("state", True):
                self._reset_state()
            if body.get("counters", True):
                board.reset_counters()
            if body.get("faults", True):
                board.clear_faults()
            if body.get("settings", True):
                knobs.restore()
                health.clear()
            return {"ok": True}
        if route == "counters":
            if method == "GET":
                return board.counters()
            if method == "DELETE":
                board.reset_counters()
                return {"ok": True}
        if route == "faults":
            if method == "GET":
                return board.describe()
            if method == "DELETE":
                board.clear_faults()
                return {"ok": True}
        if route.startswith("faults/") and method == "POST":
            return self._set_fault(route.split("/", 1)[1], body)
        if route in ("share", "unshare") and method == "POST":
            from e2e.fakeaws import sharing  # imports moto's backends: only in the server process

            if route == "share":
                return sharing.share(body["network_arn"], body["with_account"], body.get("listed", True))
            return sharing.unshare(body["network_arn"], body["with_account"])
        if route == "target-health":
            if method == "GET":
                return health.describe()
            if method == "POST":
                return health.set_rule(body)
            if method == "DELETE":
                health.clear()
                return {"ok": True}
        if route == "settings":
            if method == "GET":
                return knobs.as_dict(knobs.current())
            if method == "POST":
                return knobs.as_dict(knobs.update(body))
        return None

    def _set_fault(self, kind: str, body: dict[str, Any]) -> Any:
        key = str(body.get("operation") or "*")
        if kind == "latency":
            if "seconds" in body:
                self.board.set_latency(key, float(body["seconds"]))
            else:
                self.board.set_latency(key, float(body["min"]), float(body["max"]))
        elif kind == "throttle":
            status = int(body.get("status") or default_throttle_status(key))
            self.board.set_throttle(key, float(body["rate"]), float(body.get("burst", 1)), status)
        elif kind == "errors":
            seed = body.get("seed")
            self.board.set_error_rate(
                key, float(body["rate"]), int(body.get("status") or 500), None if seed is None else int(seed)
            )
        else:
            return None
        return self.board.describe()


def _json_body(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    if not raw.strip():
        return {}
    parsed = json.loads(raw)
    if not isinstance(parsed, dict):
        raise ValueError("the admin API takes a JSON object")
    return parsed


def _reply(start_response: StartResponse, status: int, payload: Any) -> Iterable[bytes]:
    data = json.dumps(payload).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    start_response(
        f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _injected_error(start_response: StartResponse, key: str, decision: Decision) -> Iterable[bytes]:
    service, operation = key.split(":", 1)
    protocol = opnames.protocol_of(service)
    if decision.error == "throttle":
        code = _THROTTLE_CODES[protocol] if service != "ec2" else "RequestLimitExceeded"
        message = f"Rate exceeded for {operation} (injected by fakeaws)"
    else:
        code = {
            "rest-json": "InternalServerException",
            "json": "InternalFailure",
            "query": "InternalFailure",
        }[protocol]
        code = "InternalError" if service == "ec2" else code
        message = f"An internal error occurred in {operation} (injected by fakeaws)"
    headers = [("x-amzn-RequestId", "fakeaws-injected"), ("x-amzn-ErrorType", code)]
    if decision.retry_after:
        headers.append(("Retry-After", str(decision.retry_after)))
    if protocol == "query":
        if service == "ec2":
            text = (
                f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
                f"<Message>{message}</Message></Error></Errors><RequestID>fakeaws</RequestID></Response>"
            )
        else:
            text = (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                "</Error><RequestId>fakeaws</RequestId></ErrorResponse>"
            )
        headers.append(("Content-Type", "text/xml"))
    else:
        text = json.dumps({"__type": code, "message": message})
        headers.append(("Content-Type", "application/json"))
    data = text.encode()
    headers.append(("Content-Length", str(len(data))))
    start_response(f"{decision.status} Injected", headers)
    return [data]
