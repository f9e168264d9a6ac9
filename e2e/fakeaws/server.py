"""Entry point: `python -m e2e.fakeaws --port PORT [--host 127.0.0.1]`.

Serves every moto service on one port, with VPC Lattice completed by this project, behind the admin and
fault layer. Prints `fakeaws listening on http://HOST:PORT` once the socket is bound (PORT 0 picks a free
port; read the real one from that line).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from typing import Any


def build_app() -> Any:
    """The patched moto WSGI app wrapped in the admin/fault middleware."""
    from moto.moto_api._internal.models import moto_api_backend
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from e2e.fakeaws.handlers import install
    from e2e.fakeaws.middleware import FakeAwsMiddleware

    operations = install()
    return FakeAwsMiddleware(
        DomainDispatcherApplication(create_backend_app), moto_api_backend.reset, operations
    )


def _exit_with_parent(parent: int) -> None:
    """A test runner killed with SIGKILL cannot stop its server; the server notices it was orphaned."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m e2e.fakeaws", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("FAKEAWS_PORT", "0")))
    parser.add_argument("--verbose", action="store_true", help="log every request (werkzeug access log)")
    parser.add_argument("--exit-with-parent", action="store_true", help="stop when the parent process dies")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.WARNING)

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    app = build_app()
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_address[1]
    os.environ["MOTO_PORT"] = str(port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if args.exit_with_parent:
        _exit_with_parent(os.getppid())
    print(f"fakeaws listening on http://{args.host}:{port}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
