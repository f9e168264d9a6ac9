"""Benchmarks that print figures against the budgets of README "Benchmarks" (`python -m e2e.bench.<name>`).

They never assert in tests, never reach beyond loopback, and never leave a process running: every
program stops what it started, by PID, also on Ctrl-C and SIGTERM.
"""
