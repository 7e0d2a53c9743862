"""Periodic insight jobs (declared in schedules.py). Each is idempotent and safe to run twice."""

from __future__ import annotations

from .services import improvement_measure_due, rollup_refresh_recent


def rollup_refresh_task() -> int:
    """Re-roll the last three whole days of every shop's order lines (the dashboard denominators)."""
    return rollup_refresh_recent(days_back=3)


def improvement_measure_task() -> int:
    """Fill the after value of improvement actions whose after period has ended."""
    return improvement_measure_due()
