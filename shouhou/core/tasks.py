"""Background tasks of core (take ids, call a service, safe to run twice)."""

from __future__ import annotations


def webhook_nonces_purge_task() -> int:
    from shouhou.core.webhooks import webhook_nonces_purge

    return webhook_nonces_purge()


def counters_purge_task() -> int:
    from shouhou.core.counters import counters_purge

    return counters_purge()
