"""Small stdlib-only helpers: injectable clock, backoff, task groups, logging context.

Must never import anything outside the standard library or talk to a network.
"""
