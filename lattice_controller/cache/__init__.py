"""Stores and indexes filled by informers; hands out immutable records; has_synced.

Must never write to the API server.
"""
