from __future__ import annotations

from shouhou.notifications.services import message_send, outbox_dispatch


def message_send_task(pk: int) -> str:
    return message_send(pk=pk)


def outbox_dispatch_task() -> dict[str, int]:
    return outbox_dispatch()
