"""The probe server (``/healthz``, ``/readyz``) and the metrics server (``/metrics``), on aiohttp.web.

A probe answers 200 ``ok`` when every check registered for it passes, else 500 listing the failing checks;
``?verbose`` lists every check. Checks are synchronous callables returning True when healthy, False when not,
or a string saying why not (shown after the check's name); one that raises counts as failing.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

Check = Callable[[], bool | str]


class Probes:
    def __init__(self) -> None:
        self.health: dict[str, Check] = {"ping": lambda: True}
        self.readiness: dict[str, Check] = {"ping": lambda: True}

    def add_health_check(self, name: str, check: Check) -> None:
        self.health[name] = check

    def add_readiness_check(self, name: str, check: Check) -> None:
        self.readiness[name] = check


def probe_app(probes: Probes) -> web.Application:
    app = web.Application()
    app.router.add_get("/healthz", _probe_handler(lambda: probes.health))
    app.router.add_get("/readyz", _probe_handler(lambda: probes.readiness))
    return app


def metrics_app(registry: CollectorRegistry) -> web.Application:
    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    return app


def _probe_handler(
    checks: Callable[[], dict[str, Check]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        results = {name: _outcome(check) for name, check in checks().items()}
        failing = [_named(name, why) for name, (ok, why) in results.items() if not ok]
        if "verbose" in request.query:
            lines = [
                f"[+]{name} ok" if ok else f"[-]{_named(name, why)} failed"
                for name, (ok, why) in results.items()
            ]
            lines.append("check passed" if not failing else "check failed")
            return web.Response(status=500 if failing else 200, text="\n".join(lines) + "\n")
        if failing:
            return web.Response(status=500, text=f"failed: {', '.join(failing)}\n")
        return web.Response(text="ok")

    return handler


def _outcome(check: Check) -> tuple[bool, str]:
    """(passes, why not): a string result is a failure with that reason."""
    try:
        result = check()
    except Exception:
        return False, ""
    if isinstance(result, str):
        return False, result
    return bool(result), ""


def _named(name: str, why: str) -> str:
    return f"{name} ({why})" if why else name


class BindFailed(Exception):
    """A server could not listen on its address (busy port, unknown host): one line naming the flag."""


class HttpServer:
    """One aiohttp application on ``host:port``; port 0 picks a free port, read ``port`` once started.
    ``flag``: the command-line flag that set the address, named when binding fails; ``ssl_context``: serve
    HTTPS with it."""

    def __init__(
        self,
        app: web.Application,
        host: str,
        port: int,
        flag: str = "",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._app = app
        self._ssl_context = ssl_context
        self._host = host or None
        self._requested_port = port
        self._flag = flag
        self._runner: web.AppRunner | None = None
        self.port = port

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._requested_port, ssl_context=self._ssl_context)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            address = f"{self._host or ''}:{self._requested_port}"
            raise BindFailed(f"{self._flag or 'listen'} {address}: {exc.strerror or exc}") from None
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
