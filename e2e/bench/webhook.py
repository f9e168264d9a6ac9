"""Readiness-gate webhook latency: `python -m e2e.bench.webhook`.

The controller serves the webhook on loopback with a certificate from manifests/webhook/bootstrap-cert.sh;
the webhook configuration of manifests/webhook calls it at https://127.0.0.1:<port>/mutate-pod. Its cache
holds a labelled namespace with `--services` Services (the query reads every Service of the Pod's
namespace), one of them the backend of an HTTPRoute on the controller's Gateway, so every measured Pod
needs the gate. Three views of one admission call:

* direct: `--requests` AdmissionReviews POSTed one after another over one kept-alive TLS connection,
  timed by this program (the webhook alone: TLS record, HTTP, JSON, the cache query, the patch);
* through the API server: `--pods` server-side dry-run Pod creations (admission runs, nothing is stored)
  in the labelled namespace, alternating with the same in an unlabelled namespace where the webhook is not
  called; the difference of the two is what the webhook adds to a Pod creation;
* the API server's own histogram `apiserver_admission_webhook_admission_duration_seconds` for this webhook
  and the controller's `controller_runtime_webhook_latency_seconds` (handler time), as bucket bounds.

Budget: p99 of the webhook call as the API server times it within 25 ms (its timeoutSeconds is 5 s).
"""

from __future__ import annotations

import argparse
import http.client
import json
import ssl
import sys
import time
import uuid
from typing import Any

from e2e.bench.budget import verdict
from e2e.bench.stack import NAMESPACE, BenchStack, http_route_body, print_table, route_rule, wait_for
from e2e.bench.targets import percentile
from e2e.harness.controller import free_port
from e2e.harness.webhook import (
    INJECT_LABEL,
    READINESS_GATE,
    bootstrap_certificate,
    gates_of,
    mount_secret,
    pod,
    register_webhook,
)

WEBHOOK_NAME = "mpod.gwc.k8s.aws"
CONFIGURATION = "lc-bench-webhook"
PLAIN_NAMESPACE = "bench-plain"
LABELS = {"app": "svc-0", "pod-template-hash": "h"}


def _review(namespace: str) -> bytes:
    request = {
        "uid": str(uuid.uuid4()),
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "operation": "CREATE",
        "namespace": namespace,
        "object": pod("", LABELS),
    }
    return json.dumps(
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
    ).encode()


def _histogram(text: str, metric: str, **labels: str) -> dict[float, float]:
    """Cumulative bucket counts (upper bound → count) of one histogram, summed over other labels."""
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if not line.startswith(f"{metric}_bucket{{"):
            continue
        head, _, value = line.rpartition(" ")
        if not all(f'{k}="{v}"' in head for k, v in labels.items()):
            continue
        le = head.split('le="', 1)[1].split('"', 1)[0]
        bound = float("inf") if le == "+Inf" else float(le)
        buckets[bound] = buckets.get(bound, 0.0) + float(value)
    return buckets


def _quantile_bound(buckets: dict[float, float], q: float) -> tuple[float, int]:
    """The smallest bucket bound holding a fraction q of the observations, and the count."""
    if not buckets:
        return float("nan"), 0
    total = buckets[max(buckets)]
    for bound in sorted(buckets):
        if buckets[bound] >= q * total:
            return bound, int(total)
    return float("inf"), int(total)


def _fmt(seconds: float) -> str:
    return "+Inf" if seconds == float("inf") else f"{seconds * 1000:.1f}"


class WebhookBench:
    def __init__(self, stack: BenchStack, services: int) -> None:
        self.stack = stack
        self.services = services
        self.port = free_port()

    def setup(self) -> None:
        rest = self.stack.rest
        rest.request(
            "PATCH",
            f"/api/v1/namespaces/{NAMESPACE}",
            {"metadata": {"labels": {INJECT_LABEL: "enabled"}}},
            content_type="application/merge-patch+json",
        )
        rest.create(
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": PLAIN_NAMESPACE}},
            exist_ok=True,
        )
        for i in range(self.services):
            body = {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": f"svc-{i}", "namespace": NAMESPACE},
                "spec": {"selector": {"app": f"svc-{i}"}, "ports": [{"port": 80, "targetPort": 8080}]},
            }
            rest.create(f"/api/v1/namespaces/{NAMESPACE}/services", body)
        rest.create(
            f"/apis/gateway.networking.k8s.io/v1/namespaces/{NAMESPACE}/httproutes",
            http_route_body("r0", [route_rule(0, [("svc-0", 1)])]),
        )
        register_webhook(self.stack.plane, CONFIGURATION, self.port)
        files = bootstrap_certificate(self.stack.plane, CONFIGURATION, CONFIGURATION)
        self.ca = files["ca.crt"]
        mounted = self.stack.directory / "webhook-cert"
        mount_secret(mounted, files)
        self.stack.start_controller(
            args=[f"--webhook-bind-address=127.0.0.1:{self.port}"],
            WEBHOOK_ENABLED="true",
            WEBHOOK_TLS_CERT_FILE=str(mounted / "tls.crt"),
            WEBHOOK_TLS_KEY_FILE=str(mounted / "tls.key"),
        )
        wait_for(
            "the gate on a dry-run Pod", lambda: gates_of(self.dry_run(NAMESPACE)) == [READINESS_GATE], 90
        )
        self.stack.wait_quiet(quiet_seconds=2.0)

    def dry_run(self, namespace: str) -> dict[str, Any]:
        body = pod(f"p-{uuid.uuid4().hex[:8]}", LABELS)
        result: dict[str, Any] = self.stack.rest.request(
            "POST", f"/api/v1/namespaces/{namespace}/pods", body, query={"dryRun": "All"}
        )
        return result

    def direct(self, requests: int) -> list[float]:
        context = ssl.create_default_context(cadata=self.ca.decode())
        context.check_hostname = False  # the certificate names 127.0.0.1 as an IP SAN; verified by the CA
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=10)
        samples = []
        try:
            for _ in range(requests):
                body = _review(NAMESPACE)
                began = time.perf_counter()
                connection.request("POST", "/mutate-pod", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = json.loads(response.read())
                samples.append(time.perf_counter() - began)
                if "patch" not in answer["response"]:
                    raise AssertionError(f"no patch in {answer}")
        finally:
            connection.close()
        return samples

    def through_api_server(self, pods: int) -> tuple[list[float], list[float]]:
        gated, plain = [], []
        for _ in range(pods):
            for namespace, samples in ((NAMESPACE, gated), (PLAIN_NAMESPACE, plain)):
                began = time.perf_counter()
                created = self.dry_run(namespace)
                samples.append(time.perf_counter() - began)
                expected = [READINESS_GATE] if namespace == NAMESPACE else []
                if gates_of(created) != expected:
                    raise AssertionError(f"{namespace}: gates {gates_of(created)}")
        return gated, plain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m e2e.bench.webhook",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--services", type=int, default=500, help="Services in the labelled namespace")
    parser.add_argument("--requests", type=int, default=2000, help="direct AdmissionReviews")
    parser.add_argument("--pods", type=int, default=300, help="dry-run Pod creations per namespace")
    args = parser.parse_args(argv)
    try:
        stack = BenchStack.start("webhook")
    except Exception as exc:
        print(f"could not start the benchmark stack: {exc}", file=sys.stderr)
        return 2
    try:
        bench = WebhookBench(stack, args.services)
        began = time.monotonic()
        bench.setup()
        print(f"setup (Services, route, certificate, controller) in {time.monotonic() - began:.1f} s")
        direct = bench.direct(args.requests)
        gated, plain = bench.through_api_server(args.pods)
        api_metrics = stack.rest.request_raw("GET", "/metrics")[1]
        assert stack.controller is not None
        controller_metrics = stack.controller.metrics()
    except Exception as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    finally:
        stack.close()

    api = _histogram(api_metrics, "apiserver_admission_webhook_admission_duration_seconds", name=WEBHOOK_NAME)
    handler = _histogram(
        controller_metrics, "controller_runtime_webhook_latency_seconds", webhook="/mutate-pod"
    )
    print(f"\nreadiness-gate webhook, {args.services} Services in the Pod's namespace; milliseconds")
    rows = []
    for what, samples in (
        (f"direct AdmissionReview over TLS ({len(direct)})", direct),
        (f"dry-run Pod create, webhook called ({len(gated)})", gated),
        (f"dry-run Pod create, unlabelled namespace ({len(plain)})", plain),
    ):
        rows.append(
            [what]
            + [f"{percentile(samples, q) * 1000:.1f}" for q in (50, 90, 99)]
            + [f"{max(samples) * 1000:.1f}"]
        )
    print_table(["what", "p50", "p90", "p99", "max"], rows)
    added = (percentile(gated, 50) - percentile(plain, 50)) * 1000
    print(f"added to a Pod creation by the webhook (difference of medians): {added:.1f} ms")
    api_p99, api_count = _quantile_bound(api, 0.99)
    api_p50, _ = _quantile_bound(api, 0.50)
    handler_p99, handler_count = _quantile_bound(handler, 0.99)
    print(
        f"API server histogram ({api_count} calls): p50 <= {_fmt(api_p50)} ms, p99 <= {_fmt(api_p99)} ms; "
        f"controller handler ({handler_count} requests): p99 <= {_fmt(handler_p99)} ms"
    )
    ok = verdict(
        "webhook call p99 as the API server times it <= 25 ms",
        api_p99 <= 0.025,
        f"p99 <= {_fmt(api_p99)} ms (bucket bound), dry-run p99 {percentile(gated, 99) * 1000:.1f} ms",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
