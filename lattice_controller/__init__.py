"""lattice-controller: the Gateway API on Amazon VPC Lattice."""

__version__ = "0.1.0"
