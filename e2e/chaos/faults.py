"""Faults injected while the workload runs, and the two controller replicas they hit.

* `kill9`: kill -9 a random replica at whatever point it is, then start a fresh one;
* `leader`: stop the leading replica (SIGTERM) and start a fresh one; the standby takes over;
* `errors`: 20 % of Lattice calls answer HTTP 500 for a few seconds;
* `throttle`: a throttling storm (1 request/s per operation) for a few seconds;
* `apiserver`: kube-apiserver stopped and started again (every watch breaks);
* `oob`: an out-of-band change of a Lattice resource the controller owns (`OOB_CHANGES`): delete a
  service, association, listener, rule or target group; change a rule's match or a target group's health
  check; deregister a target. Lattice refuses some (a target group still in use): those count as
  refused. With nothing to change yet, the fault is deferred to the next slot; `oob_round` makes one
  change of every kind at once.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import boto3

from e2e.bench.stack import BenchStack
from e2e.harness.controller import MANAGED_BY, ControllerProcess, controller_env, start_controller
from e2e.harness.lattice_view import MANAGED_BY_KEY, lattice_client

LEASE_NAMESPACE = "aws-application-networking-system"
STORM_OPERATIONS = (
    "CreateService",
    "CreateRule",
    "UpdateRule",
    "RegisterTargets",
    "ListRules",
    "ListTargets",
)
FAULT_KINDS = ("kill9", "leader", "errors", "throttle", "apiserver", "oob")
OOB_CHANGES = (
    "delete-service",
    "delete-association",
    "delete-listener",
    "delete-rule",
    "change-rule",
    "delete-target-group",
    "change-health-check",
    "deregister-target",
)


def tagging_client(endpoint: str, region: str = "us-west-2") -> Any:
    return boto3.client(
        "resourcegroupstaggingapi",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def managed_arns(endpoint: str, managed_by: str = MANAGED_BY) -> dict[str, dict[str, str]]:
    """ARN → tags of every resource carrying ``ManagedBy=managed_by`` (tagging API, all pages)."""
    client = tagging_client(endpoint)
    found: dict[str, dict[str, str]] = {}
    token = ""
    while True:
        page = client.get_resources(
            TagFilters=[{"Key": MANAGED_BY_KEY, "Values": [managed_by]}], PaginationToken=token
        )
        for item in page.get("ResourceTagMappingList", []):
            found[item["ResourceARN"]] = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
        token = page.get("PaginationToken") or ""
        if not token:
            return found


@dataclass
class Replicas:
    """Two controller processes with --leader-elect; replaced, never restarted in place."""

    stack: BenchStack
    env: dict[str, str] = field(default_factory=dict)
    processes: list[ControllerProcess] = field(default_factory=list)
    logs: list[Any] = field(default_factory=list)
    exits: int = 0  # replicas that exited by themselves (and were replaced)

    def start(self, count: int = 2, **env: str) -> None:
        self.env = controller_env(
            self.stack.fake.env(),
            DEFAULT_SERVICE_NETWORK="app-network",
            POD_NAMESPACE=LEASE_NAMESPACE,
            **env,
        )
        for _ in range(count):
            self.processes.append(self._new())

    def _new(self) -> ControllerProcess:
        process = start_controller(self.stack.plane, self.env, leader_elect=True, wait_ready=False)
        if not isinstance(process, ControllerProcess):
            raise TypeError("the chaos suite kills and replaces local controller processes only")
        self.logs.append(process.log_path)
        return process

    def leader(self) -> ControllerProcess | None:
        """The replica whose log says it became leader last (None if none has)."""
        best: tuple[float, ControllerProcess] | None = None
        for process in self.processes:
            if process.process.poll() is not None:
                continue
            for line in process.log_path.read_text(errors="replace").splitlines():
                if '"became leader"' in line:
                    try:
                        stamp = str(json.loads(line).get("timestamp", ""))
                    except ValueError:
                        continue
                    key = time.mktime(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) if stamp else 0.0
                    if best is None or key >= best[0]:
                        best = (key, process)
        return best[1] if best else None

    def supervise(self) -> list[str]:
        """Do what the kubelet does: start a fresh replica for every one that exited (a leader that
        could not renew its Lease exits on purpose). Returns one line per exit."""
        exits = []
        for process in list(self.processes):
            code = process.process.poll()
            if code is not None:
                last = process.log_tail(1).strip()[:160]
                exits.append(f"pid {process.process.pid} exited with {code}: {last}")
                self.processes = [p for p in self.processes if p is not process] + [self._new()]
        self.exits += len(exits)
        return exits

    def replace(self, victim: ControllerProcess, *, kill: bool) -> None:
        if kill:
            victim.kill()
        else:
            victim.stop()
        self.processes = [p for p in self.processes if p is not victim] + [self._new()]

    def metric(self, name: str, **labels: str) -> float:
        total = 0.0
        for process in self.processes:
            try:
                text = process.metrics()
            except OSError:
                continue
            for line in text.splitlines():
                head, _, value = line.rpartition(" ")
                metric, _, label_text = head.partition("{")
                if metric == name and all(f'{k}="{v}"' in label_text for k, v in labels.items()):
                    total += float(value)
        return total

    def stop_all(self) -> None:
        for process in self.processes:
            process.stop()
        self.processes = []
        for path in self.logs:
            path.unlink(missing_ok=True)


class Faults:
    def __init__(self, stack: BenchStack, replicas: Replicas, rng: random.Random) -> None:
        self.stack = stack
        self.replicas = replicas
        self.rng = rng
        self.injected: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.changes: Counter[str] = Counter()  # out-of-band changes Lattice accepted, by kind
        self.deferred = 0
        self._clear_at: float | None = None
        self.lattice = lattice_client(stack.fake.endpoint)

    def inject(self, kind: str | None = None) -> str:
        kind = kind or self.rng.choice(FAULT_KINDS)
        deferred = self.deferred
        description = getattr(self, f"_{kind}")()
        if self.deferred == deferred:
            self.injected[kind] += 1
        return f"{kind}: {description}"

    def tick(self) -> None:
        """Clear a timed fault (5xx period, throttling storm) whose time is up."""
        if self._clear_at is not None and time.monotonic() >= self._clear_at:
            self.stack.admin.clear_faults()
            self._clear_at = None

    def clear(self) -> None:
        self.stack.admin.clear_faults()
        self._clear_at = None

    # --- the faults --------------------------------------------------------------------------------

    def _kill9(self) -> str:
        victim = self.rng.choice(self.replicas.processes)
        self.replicas.replace(victim, kill=True)
        return f"killed pid {victim.process.pid}"

    def _leader(self) -> str:
        leader = self.replicas.leader()
        if leader is None:
            return self._kill9()
        self.replicas.replace(leader, kill=self.rng.random() < 0.5)
        return f"leader pid {leader.process.pid} gone"

    def _errors(self) -> str:
        seconds = self.rng.uniform(3, 8)
        self.stack.admin.set_error_rate(
            0.2, operation="vpc-lattice:*", status=500, seed=self.rng.randint(0, 2**31)
        )
        self._clear_at = time.monotonic() + seconds
        return f"20 % HTTP 500 for {seconds:.1f} s"

    def _throttle(self) -> str:
        seconds = self.rng.uniform(3, 8)
        for operation in STORM_OPERATIONS:
            self.stack.admin.set_throttle(f"vpc-lattice:{operation}", 1, burst=1)
        self._clear_at = time.monotonic() + seconds
        return f"1 request/s per operation for {seconds:.1f} s"

    def _apiserver(self) -> str:
        downtime = self.rng.uniform(0.5, 3)
        self.stack.plane.restart_apiserver(downtime=downtime)
        return f"restarted after {downtime:.1f} s down"

    def _oob(self) -> str:
        kinds = list(OOB_CHANGES)
        self.rng.shuffle(kinds)
        ours = sorted(managed_arns(self.stack.fake.endpoint))
        for kind in kinds:
            done = self.change(kind, ours)
            if done is not None:
                return done
        self.deferred += 1
        return f"nothing to change yet ({len(ours)} resources tagged ManagedBy us): deferred"

    def oob_round(self) -> list[str]:
        """One out-of-band change of every kind (where a resource of that kind exists)."""
        done = []
        for kind in OOB_CHANGES:
            made = self.changes[kind]
            result = self.change(kind, sorted(managed_arns(self.stack.fake.endpoint)))
            if result is not None:
                done.append(result)
            if self.changes[kind] > made:
                self.injected["oob"] += 1
        return done

    def change(self, kind: str, ours: list[str]) -> str | None:
        """Apply out-of-band change ``kind`` to a random resource of ours; None if there is none."""
        pattern = {
            "delete-service": r":service/svc-[^/]+$",
            "delete-association": r":servicenetworkserviceassociation/",
            "delete-listener": r"/listener/listener-[^/]+$",
            "delete-rule": r"/rule/rule-[^/]+$",
            "change-rule": r"/rule/rule-[^/]+$",
            "delete-target-group": r":targetgroup/",
            "change-health-check": r":targetgroup/",
            "deregister-target": r":targetgroup/",
        }[kind]
        candidates = [arn for arn in ours if re.search(pattern, arn)]
        if not candidates:
            return None
        arn = self.rng.choice(candidates)
        parts = arn.rsplit(":", 1)[-1].split("/")
        try:
            what = self._apply(kind, parts)
        except self.lattice.exceptions.ClientError as exc:
            self.refused[kind] += 1
            return f"{kind} {parts[-1]}: refused ({exc.response.get('Error', {}).get('Code')})"
        self.changes[kind] += 1
        return f"{kind} {what}"

    def _apply(self, kind: str, parts: list[str]) -> str:
        c = self.lattice
        if kind == "delete-service":
            c.delete_service(serviceIdentifier=parts[1])
        elif kind == "delete-association":
            c.delete_service_network_service_association(serviceNetworkServiceAssociationIdentifier=parts[1])
        elif kind == "delete-listener":
            c.delete_listener(serviceIdentifier=parts[1], listenerIdentifier=parts[3])
        elif kind in ("delete-rule", "change-rule"):
            ids = {"serviceIdentifier": parts[1], "listenerIdentifier": parts[3], "ruleIdentifier": parts[5]}
            if kind == "delete-rule":
                c.delete_rule(**ids)
            else:
                match = {"httpMatch": {"pathMatch": {"match": {"prefix": "/chaos"}, "caseSensitive": True}}}
                c.update_rule(**ids, match=match)
        elif kind == "delete-target-group":
            c.delete_target_group(targetGroupIdentifier=parts[1])
        elif kind == "change-health-check":
            c.update_target_group(targetGroupIdentifier=parts[1], healthCheck={"path": "/chaos"})
        else:
            targets = c.list_targets(targetGroupIdentifier=parts[1]).get("items", [])
            if not targets:
                return f"{parts[1]}: no target"
            target = self.rng.choice(targets)
            c.deregister_targets(
                targetGroupIdentifier=parts[1], targets=[{"id": target["id"], "port": target["port"]}]
            )
        return parts[-1]
