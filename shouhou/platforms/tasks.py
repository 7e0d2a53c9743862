"""Background jobs of the platform connectors (django-q2, like the other apps); each safe to run twice."""

from __future__ import annotations


def events_apply_task(connection_id: int) -> int:
    from shouhou.platforms.services import events_apply_pending, wake_release

    wake_release(connection_id)  # first: a push from now on queues the next task
    return events_apply_pending(connection_id)


def outbox_send_task() -> dict:
    from shouhou.platforms.services import outbox_send_due

    return outbox_send_due()


def sync_task() -> int:
    from shouhou.platforms.services import connections_sync_all

    return connections_sync_all()


def tokens_refresh_task() -> int:
    from shouhou.platforms.services import tokens_refresh_due

    return tokens_refresh_due()


def events_retry_task() -> int:
    from shouhou.platforms.services import events_retry

    return events_retry()


def orders_sync_task() -> int:
    from shouhou.platforms.orders import orders_sync_all

    return orders_sync_all()


def orders_reconcile_task() -> int:
    from shouhou.platforms.orders import orders_reconcile_all

    return orders_reconcile_all()
