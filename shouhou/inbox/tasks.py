"""Background tasks of inbox: take ids, call a service, safe to run twice."""

from __future__ import annotations


def message_deliver(message_id: int) -> None:
    """Send an outbound message through its channel adapter (scheduled after the reply committed)."""
    from shouhou.inbox.channels import deliver_outbound

    deliver_outbound(message_id=message_id)


def tickets_route_waiting_task() -> int:
    """Assign queued tickets to agents who came on duty or got room."""
    from shouhou.inbox.routing import tickets_route_waiting

    return tickets_route_waiting()


def delivery_retry_task() -> int:
    """Try again failed channel sends whose back-off has passed."""
    from shouhou.inbox.channels import delivery_retry_due

    return delivery_retry_due()
