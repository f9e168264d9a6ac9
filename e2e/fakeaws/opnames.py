"""Names the AWS operation a raw WSGI request calls, as `"<service>:<Operation>"`.

The service is the SigV4 signing name from the Authorization header (`tagging` is reported as `tag`, its
IAM prefix); the operation comes from `X-Amz-Target` (JSON protocols), `Action` (query protocols) or the
botocore REST route (rest-json, e.g. vpc-lattice). Requests that are not signed AWS calls return None.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs

from moto.core.request import Request
from moto.core.routing import get_service_router

_SERVICE_ALIASES = {"tagging": "tag"}
_REST_MODELS = {"vpc-lattice": "vpc-lattice"}


def signing_service(environ: dict[str, Any]) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION") or ""
    try:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
        return str(scope.split("/")[3])
    except IndexError:
        return None


def operation_key(environ: dict[str, Any]) -> str | None:
    service = signing_service(environ)
    if service is None:
        return None
    return f"{_SERVICE_ALIASES.get(service, service)}:{_operation(service, environ)}"


def _operation(service: str, environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if action:
        return str(action[0])
    if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        body = _peek_body(environ)
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    model = _REST_MODELS.get(service, service)
    try:
        operation, _ = get_service_router(model).match(Request(environ))
        return str(operation.name)
    except Exception:  # unknown service model or no matching route
        return "Unknown"


def _peek_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back so the wrapped app still sees it."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def protocol_of(service: str) -> str:
    """'rest-json', 'json' or 'query' — how injected errors must be shaped for botocore to parse them."""
    if service in ("vpc-lattice",):
        return "rest-json"
    if service in ("ec2", "sts", "iam", "sns", "sqs", "elasticloadbalancing", "cloudformation"):
        return "query"
    return "json"
