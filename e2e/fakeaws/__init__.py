"""A fake AWS endpoint for tests: moto server with VPC Lattice completed by this project.

The package patches moto's VPC Lattice classes in place, in the server process only. It must never edit
installed files, never subclass moto's response/backends (routing would bypass the subclass), and never be
imported by `lattice_controller` code: it is test infrastructure.
"""
