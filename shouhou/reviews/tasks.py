"""Background jobs for reviews (small, idempotent)."""

from __future__ import annotations

from shouhou.reviews.services import recovery_sweep_breaches


def sweep_recovery_breaches() -> int:
    """Mark recovery tasks past their due time as breached (safe to run twice)."""
    return recovery_sweep_breaches()
