"""The only user of kubernetes-asyncio: client setup, list+watch, status/finalizer/event writes, leases.

Must never decide what to write: callers pass the exact change.
"""
