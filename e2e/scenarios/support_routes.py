"""Transitional alias of `e2e.scenarios.support`, the one support module of the scenarios: kept only
for scenario tests written against the old module names; it holds no code. Import from
`e2e.scenarios.support`.
"""

from e2e.scenarios.support import *  # noqa: F403
