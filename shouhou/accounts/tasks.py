"""Background tasks of accounts (take ids, call a service, safe to run twice)."""

from __future__ import annotations


def pii_retention_sweep() -> int:
    from shouhou.accounts.retention import pii_retention_sweep as sweep

    return sum(r.total for r in sweep())
