"""A real Kubernetes control plane for tests, without Docker: etcd, kube-apiserver, and optionally
kube-controller-manager + kwok + a Python binder, on loopback, started from pytest fixtures or from
`python -m e2e.controlplane up|down|status|restart-apiserver|workloads`.

It must never stop a process it did not start (PIDs are recorded in `<dir>/state.json`), never look
processes up by name, and never commit or download binaries itself (`build.sh` builds them into a cache).
"""
