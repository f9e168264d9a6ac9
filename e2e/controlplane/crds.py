"""Install the Gateway API CRDs (and their ValidatingAdmissionPolicy), then the project's own CRDs
(``manifests/crds``), and wait until they are served.

Objects are created with POST, never client-side apply: the experimental HTTPRoute CRD is larger than
the 256 KiB last-applied annotation allows. An object that already exists is left as it is.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

from e2e.controlplane.rest import ApiError, RestClient, poll

PROJECT_CRDS = Path(__file__).resolve().parents[2] / "manifests" / "crds"

# Cluster-scoped kinds shipped in config/crd/<channel>/*.yaml, by kind → resource plural.
_PLURALS = {
    "CustomResourceDefinition": "customresourcedefinitions",
    "ValidatingAdmissionPolicy": "validatingadmissionpolicies",
    "ValidatingAdmissionPolicyBinding": "validatingadmissionpolicybindings",
}


def load_documents(crd_dir: Path) -> list[dict[str, Any]]:
    """Every object in `crd_dir/*.yaml`, skipping kustomization files and empty documents."""
    docs: list[dict[str, Any]] = []
    for path in sorted(crd_dir.glob("*.yaml")):
        if path.name.startswith("kustomization"):
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind"):
                docs.append(doc)
    return docs


def _collection_path(doc: dict[str, Any]) -> str:
    kind = doc["kind"]
    if kind not in _PLURALS:
        raise ValueError(f"unexpected kind {kind} among the Gateway API CRD files")
    return f"/apis/{doc['apiVersion']}/{_PLURALS[kind]}"


def _conditions_true(crd: dict[str, Any], *types: str) -> bool:
    conds = {c["type"]: c["status"] for c in crd.get("status", {}).get("conditions", [])}
    return all(conds.get(t) == "True" for t in types)


def install_gateway_crds(client: RestClient, crd_dir: Path, timeout: float = 120.0) -> list[str]:
    """Create every object from `crd_dir`, wait for Established + discovery; return the CRD names."""
    docs = load_documents(crd_dir)
    crds = [d for d in docs if d["kind"] == "CustomResourceDefinition"]
    if not crds:
        raise RuntimeError(f"no CustomResourceDefinition in {crd_dir}")
    # CRDs first, so the admission policy's bindings never see a half-installed set.
    for doc in sorted(docs, key=lambda d: d["kind"] != "CustomResourceDefinition"):
        client.create(_collection_path(doc), doc, exist_ok=True)
    wait_for_crds(client, crds, timeout)
    return [c["metadata"]["name"] for c in crds]


def wait_for_crds(client: RestClient, crds: list[dict[str, Any]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for crd in crds:
        name = crd["metadata"]["name"]
        path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
        poll(
            f"CRD {name} Established",
            lambda p=path: _conditions_true(client.get(p), "Established", "NamesAccepted"),  # type: ignore[misc]
            max(1.0, deadline - time.monotonic()),
            interval=0.1,
        )
    wanted: dict[str, set[str]] = {}
    for crd in crds:
        spec = crd["spec"]
        for version in spec["versions"]:
            if version.get("served", True):
                wanted.setdefault(f"{spec['group']}/{version['name']}", set()).add(spec["names"]["plural"])

    def discovered(group_version: str, plurals: set[str]) -> bool:
        try:
            listing = client.get(f"/apis/{group_version}")
        except ApiError:
            return False
        served = {r["name"] for r in listing.get("resources", [])}
        return plurals <= served

    for group_version, plurals in sorted(wanted.items()):
        poll(
            f"discovery of {group_version}",
            lambda gv=group_version, ps=plurals: discovered(gv, ps),  # type: ignore[misc]
            max(1.0, deadline - time.monotonic()),
            interval=0.1,
        )
