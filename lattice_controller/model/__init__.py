"""Frozen records: Kubernetes views, Lattice resources, keys, names, tags, outcomes.

Must never perform I/O or import kube/, aws/ or any client library.
"""
