"""Channel adapters: inbound parsing and outbound delivery per channel (owned by the channels work)."""

from __future__ import annotations


def deliver_outbound(*, message_id: int) -> None:
    """Send an outbound message through its conversation's channel. Web chat needs nothing: the page polls."""
    return None
