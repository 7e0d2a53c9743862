"""Background jobs of the platform connectors (django-q2, like the other apps); each safe to run twice."""

from __future__ import annotations


def event_apply_task(event_id: int) -> str:
    from shouhou.platforms.services import event_apply

    return event_apply(event_id)


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
