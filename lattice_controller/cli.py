"""The ``lattice-controller`` command: ``run``, ``version`` and ``plan``.

``run`` parses the settings (a problem → one line on stderr, exit status 2), configures logging and hands
over to ``lattice_controller.app.run(settings)``, imported only then so this module works without it.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import os
import sys
from collections.abc import Sequence

import structlog

from lattice_controller import __version__
from lattice_controller.plan import add_plan_flags, plan_from_args
from lattice_controller.settings import Settings, SettingsError, add_run_flags, load_settings

PROG = "lattice-controller"
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Gateway API on Amazon VPC Lattice.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser("run", help="run the controller")
    add_run_flags(run)
    commands.add_parser("version", help="print the version")
    plan = commands.add_parser("plan", help="print the Lattice writes manifests would produce (offline)")
    add_plan_flags(plan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "version":
        print(f"{PROG} {__version__}")
        return 0
    if args.command == "plan":
        return plan_from_args(args)
    if args.command != "run":
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        settings = asyncio.run(_load(args))
    except SettingsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return _run(settings)


async def _load(args: argparse.Namespace) -> Settings:
    from lattice_controller.aws.acm import describe_instance_tags
    from lattice_controller.runtime.imds import Ec2MetadataSource

    return await load_settings(
        os.environ, args, lambda: Ec2MetadataSource(describe_instance_tags=describe_instance_tags)
    )


def _run(settings: Settings) -> int:
    from lattice_controller.runtime.logs import configure_logging

    configure_logging(settings.log_level, settings.dev_mode)
    for line in settings.ignored:
        structlog.get_logger("lattice_controller.settings").warning(line)
    try:
        app = importlib.import_module("lattice_controller.app")
    except ModuleNotFoundError as exc:
        if exc.name != "lattice_controller.app":
            raise
        print(f"{PROG}: the controller application is not part of this build", file=sys.stderr)
        return 1
    result = app.run(settings)
    if inspect.isawaitable(result):
        result = asyncio.run(_await(result))
    return int(result or 0)


async def _await(awaitable: object) -> object:
    return await awaitable  # type: ignore[misc]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
