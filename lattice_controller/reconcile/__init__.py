"""The domain: triggers, pure build and diff, apply, pure status, the reconcilers.

Must never touch the workqueue or import runtime/.
"""
