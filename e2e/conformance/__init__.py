"""The upstream Gateway API conformance suite run against lattice-controller: `python -m e2e.conformance`."""
