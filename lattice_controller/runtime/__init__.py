"""Workers, manager start/stop order, leader election, health, readiness and metrics server.

Must never know Gateway API or Lattice semantics, nor import reconcile/.
"""
