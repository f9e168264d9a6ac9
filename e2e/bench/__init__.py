"""Benchmarks that print figures against design.md's budgets (`python -m e2e.bench.<name> --help`).

They never assert in tests, never reach beyond loopback, and never leave a process running: every
program stops what it started, by PID, also on Ctrl-C and SIGTERM.
"""
