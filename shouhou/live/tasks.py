"""Background tasks of live: safe to run twice."""

from __future__ import annotations


def live_prune_task() -> int:
    """Drop pushed events past their replay window."""
    from shouhou.live.services import live_prune

    return live_prune()
