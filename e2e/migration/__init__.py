"""Switching from the Go controller: its RBAC shape and Lattice state, reproduced without running it."""
