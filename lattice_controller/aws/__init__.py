"""The only user of aiobotocore: Lattice, tagging, ACM calls with pagination, error mapping and metrics.

Must never decide what to create or delete: callers pass the exact call.
"""
