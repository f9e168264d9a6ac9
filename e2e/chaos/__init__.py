"""Chaos suite: random Kubernetes changes under injected faults, then invariants that prove nothing is lost.

`python -m e2e.chaos [--ops N] [--seed S]` (see `run.py`). Modules: `world` (the random workload:
routes, Services, EndpointSlices, ReferenceGrants, a second Gateway), `faults` (controller kill -9,
5xx period, throttling storm, apiserver restart, leader loss, out-of-band Lattice changes), `invariants`
(what Lattice must hold once converged, computed from the final manifests by the `plan` code path).
"""
