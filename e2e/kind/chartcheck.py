"""Lint the Helm chart (`python -m e2e.kind.chartcheck`, part of `tox -e lint`).

`helm lint --strict`, then `helm template` with the default values and with every value set, and checks of
the rendered objects: every variable of the README's settings table is a chart setting and reaches the
container's env; ServiceAccount annotations (IRSA) and the metrics Service render; the chart's CRDs are
manifests/crds (kept on uninstall, none with crds.install=false); webhook.enabled renders manifests/webhook;
the RBAC rules, the
container's probes, ports and securityContext are the same as in manifests/ (the chart and the plain
manifests are two renderings of one install and must not drift apart). Exit 0 when all hold, 1 otherwise.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART = REPO_ROOT / "charts/lattice-controller"
SAME_AS_MANIFESTS = ("livenessProbe", "readinessProbe", "ports", "securityContext")


def helm_binary() -> str:
    out = subprocess.run(
        ["bash", str(REPO_ROOT / "e2e/kind/build.sh"), "helm"], stdout=subprocess.PIPE, text=True, check=True
    )
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)["HELM"]


def readme_settings() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("### Settings", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", section, flags=re.MULTILINE)


def render(helm: str, *args: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        [helm, "template", "lattice", str(CHART), "--namespace", "aws-application-networking-system", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise AssertionError(f"helm template {' '.join(args)}: {out.stderr.strip()}")
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def manifests() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for name in ("namespace.yaml", "rbac.yaml", "deployment.yaml", "gatewayclass.yaml"):
        docs.extend(d for d in yaml.safe_load_all((REPO_ROOT / "manifests" / name).read_text()) if d)
    return docs


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    if len(found) != 1:
        raise AssertionError(f"expected one {kind} {name or ''}, found {len(found)}")
    return found[0]


def container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = one(docs, "Deployment")
    found: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return found


def check(helm: str) -> list[str]:
    problems: list[str] = []
    lint = subprocess.run([helm, "lint", "--strict", str(CHART)], capture_output=True, text=True, check=False)
    if lint.returncode != 0:
        problems.append(f"helm lint --strict: {lint.stdout.strip()} {lint.stderr.strip()}")
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    settings = readme_settings()
    if len(settings) < 10:
        problems.append(f"README settings table not found or too short: {settings}")
    missing = sorted(set(settings) - set(values["settings"]))
    if missing:
        problems.append(f"README settings missing from values.yaml `settings`: {missing}")

    defaults = render(helm)
    plain = manifests()
    for kind, name in (("ClusterRole", None), ("Role", None)):
        if one(defaults, kind, name)["rules"] != one(plain, kind, name)["rules"]:
            problems.append(f"{kind} rules differ between the chart and manifests/rbac.yaml")
    chart_c, plain_c = container(defaults), container(plain)
    for key in SAME_AS_MANIFESTS:
        if chart_c.get(key) != plain_c.get(key):
            problems.append(f"container {key} differs between the chart and manifests/deployment.yaml")
    if (
        one(defaults, "Deployment")["spec"]["template"]["spec"]["securityContext"]
        != one(plain, "Deployment")["spec"]["template"]["spec"]["securityContext"]
    ):
        problems.append("pod securityContext differs between the chart and manifests/deployment.yaml")
    if chart_c["args"] != ["run", "--leader-elect"] or one(defaults, "Deployment")["spec"]["replicas"] != 2:
        problems.append("defaults are not 2 replicas with leader election")

    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump(
            {
                "settings": {name: f"value-{i}" for i, name in enumerate(settings)},
                "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/x"}},
                "replicas": 3,
                "image": {"repository": "example.invalid/lattice-controller", "tag": "9.9.9"},
                "extraEnv": [{"name": "AWS_ENDPOINT_URL", "value": "http://x.invalid"}],
                "createNamespace": True,
            },
            f,
        )
        f.flush()
        full = render(helm, "-f", f.name)
    env = {e["name"]: e.get("value") for e in container(full)["env"]}
    for i, name in enumerate(settings):
        if env.get(name) != f"value-{i}":
            problems.append(f"setting {name} does not reach the container env (got {env.get(name)!r})")
    if env.get("AWS_ENDPOINT_URL") != "http://x.invalid":
        problems.append("extraEnv does not reach the container env")
    account = one(full, "ServiceAccount")
    if (
        account["metadata"].get("annotations", {}).get("eks.amazonaws.com/role-arn")
        != "arn:aws:iam::1:role/x"
    ):
        problems.append("serviceAccount.annotations not rendered")
    if container(full)["image"] != "example.invalid/lattice-controller:9.9.9":
        problems.append("image values not rendered")
    namespace = one(full, "Namespace")
    if namespace["metadata"]["labels"].get("pod-security.kubernetes.io/enforce") != "restricted":
        problems.append("createNamespace does not label the namespace restricted")
    one(full, "Service", "gateway-api-controller-metrics-service")
    problems.extend(crd_problems(defaults, render(helm, "--set", "crds.install=false")))
    problems.extend(webhook_problems(helm, defaults))
    return problems


def webhook_problems(helm: str, defaults: list[dict[str, Any]]) -> list[str]:
    """webhook.enabled renders manifests/webhook (Service, webhook configuration, the env, port and
    Secret volume) with a generated certificate whose CA is the caBundle; certManager renders the Certificate
    of manifests/webhook/cert-manager and the CA-injection annotation instead of a Secret."""
    problems: list[str] = []
    if any(d["kind"] == "MutatingWebhookConfiguration" for d in defaults):
        problems.append("the webhook is rendered although webhook.enabled is false")
    plain_dir = REPO_ROOT / "manifests/webhook"
    plain_config = yaml.safe_load((plain_dir / "mutatingwebhookconfiguration.yaml").read_text())
    plain_service = yaml.safe_load((plain_dir / "service.yaml").read_text())
    patch = yaml.safe_load((plain_dir / "deployment-webhook.yaml").read_text())["spec"]["template"]["spec"]
    plain_certificate = one(
        [d for d in yaml.safe_load_all((plain_dir / "cert-manager/certificate.yaml").read_text()) if d],
        "Certificate",
    )
    for args in (("--set", "webhook.enabled=true"), ("--set", "settings.WEBHOOK_ENABLED=true")):
        docs = render(helm, *args)
        config = one(docs, "MutatingWebhookConfiguration")
        hook = dict(config["webhooks"][0])
        hook["clientConfig"] = dict(hook["clientConfig"])
        bundle = hook["clientConfig"].pop("caBundle", "")
        if [hook] != plain_config["webhooks"]:
            problems.append(f"webhook configuration ({' '.join(args)}) differs from manifests/webhook")
        if one(docs, "Service", "webhook-service")["spec"] != plain_service["spec"]:
            problems.append("webhook Service differs from manifests/webhook/service.yaml")
        secret = one(docs, "Secret", "webhook-cert")
        if not bundle or secret["data"].get("ca.crt") != bundle or not secret["data"].get("tls.key"):
            problems.append(
                "the generated webhook Secret is not the caBundle's CA with a certificate and key"
            )
        c = container(docs)
        env = [e for e in c["env"] if e["name"] == "WEBHOOK_ENABLED"]
        if env != [{"name": "WEBHOOK_ENABLED", "value": "true"}]:
            problems.append(f"WEBHOOK_ENABLED in the container env: {env}")
        wanted = patch["containers"][0]
        if (
            not all(p in c["ports"] for p in wanted["ports"])
            or c.get("volumeMounts") != wanted["volumeMounts"]
        ):
            problems.append(
                "webhook port or volume mount differs from manifests/webhook/deployment-webhook.yaml"
            )
        if one(docs, "Deployment")["spec"]["template"]["spec"].get("volumes") != patch["volumes"]:
            problems.append("webhook volume differs from manifests/webhook/deployment-webhook.yaml")
    docs = render(helm, "--set", "webhook.enabled=true", "--set", "webhook.certManager.enabled=true")
    if one(docs, "Certificate")["spec"] != plain_certificate["spec"]:
        problems.append(
            "cert-manager Certificate differs from manifests/webhook/cert-manager/certificate.yaml"
        )
    annotations = one(docs, "MutatingWebhookConfiguration")["metadata"].get("annotations", {})
    if annotations.get("cert-manager.io/inject-ca-from") != "aws-application-networking-system/webhook-cert":
        problems.append("certManager.enabled does not annotate the webhook configuration for CA injection")
    if any(d["kind"] == "Secret" for d in docs):
        problems.append("certManager.enabled still renders a generated Secret")
    return problems


def crd_problems(installed: list[dict[str, Any]], skipped: list[dict[str, Any]]) -> list[str]:
    """The chart installs exactly manifests/crds (kept on uninstall), and nothing with crds.install=false."""
    problems: list[str] = []
    plain = {
        d["metadata"]["name"]: d
        for f in sorted((REPO_ROOT / "manifests/crds").glob("*.yaml"))
        for d in yaml.safe_load_all(f.read_text())
        if d
    }
    rendered = {d["metadata"]["name"]: d for d in installed if d["kind"] == "CustomResourceDefinition"}
    if sorted(rendered) != sorted(plain):
        problems.append(f"chart CRDs {sorted(rendered)} are not manifests/crds {sorted(plain)}")
    for name, crd in rendered.items():
        if name in plain and crd["spec"] != plain[name]["spec"]:
            problems.append(f"CRD {name} differs between the chart and manifests/crds")
        if crd["metadata"].get("annotations", {}).get("helm.sh/resource-policy") != "keep":
            problems.append(f"CRD {name} is not kept on uninstall")
    if any(d["kind"] == "CustomResourceDefinition" for d in skipped):
        problems.append("crds.install=false still renders CRDs")
    return problems


def main() -> int:
    problems = check(helm_binary())
    for problem in problems:
        print(f"chart: {problem}")
    print("chart: OK" if not problems else f"chart: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
