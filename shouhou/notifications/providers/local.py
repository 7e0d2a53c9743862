"""The embedded default: "sending" records the message as sent (the outbox row is the message)."""

from __future__ import annotations

from shouhou.notifications.providers.base import Provider, SendResult


class LocalProvider(Provider):
    name = "local"

    def send(self, message) -> SendResult:
        return SendResult(provider_message_id=f"local-{message.pk}")
