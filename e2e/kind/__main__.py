"""`python -m e2e.kind up|down|status|test [pytest args]` (see e2e.kind.cluster and e2e.kind.tier)."""

from __future__ import annotations

import argparse
import json
import sys

from e2e.kind import cluster, tier
from e2e.kind.docker import DockerUnavailable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.kind")
    parser.add_argument("command", choices=["up", "down", "status", "test"])
    parser.add_argument("--name", default=cluster.DEFAULT_NAME, help="kind cluster name")
    args, rest = parser.parse_known_args(argv)
    try:
        if args.command == "up":
            found = cluster.up(args.name)
            print(f"kubeconfig: {found.kubeconfig}")
            print(f"fake AWS:   {found.fake_endpoint}")
            print(f"timings:    {json.dumps(found.timings)}")
        elif args.command == "down":
            cluster.down(args.name)
        elif args.command == "status":
            print(json.dumps(cluster.status(args.name), indent=2))
        else:
            return tier.run(args.name, rest)
    except (DockerUnavailable, cluster.BuildFailed, cluster.ClusterError) as exc:
        print(f"e2e.kind {args.command}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
