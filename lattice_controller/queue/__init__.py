"""Workqueue with client-go semantics: dirty/processing sets, delaying queue, rate limiters, priorities.

Must never know what a key means or call a reconciler.
"""
