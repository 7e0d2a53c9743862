"""Background tasks of live: safe to run twice."""

from __future__ import annotations


def live_prune_task() -> int:
    """Drop pushed events past their replay window."""
    from shouhou.live.services import live_prune

    return live_prune()


def live_number_task() -> int:
    """Number and push events whose numbering never ran after their change committed (a process that
    stopped between the two): pages then get them by push or catch-up."""
    from shouhou.live.services import live_number_stale

    return live_number_stale()
