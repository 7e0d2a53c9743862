"""SLA reads: the clock to show for a ticket in the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shouhou.core.clock import now
from shouhou.inbox.choices import OPEN_TICKET_STATUSES
from shouhou.sla.clocks import running_dues

TARGET_LABELS = {"first_response": "首次响应", "next_response": "再次响应", "resolution": "解决"}


@dataclass(frozen=True)
class Clock:
    target: str            # "first_response" / "next_response" / "resolution"
    due_at: datetime
    remaining_seconds: int  # negative once breached; frozen while paused
    paused: bool
    breached: bool

    @property
    def label(self) -> str:
        return TARGET_LABELS[self.target]


def ticket_clock(*, ticket, at: datetime | None = None) -> Clock | None:
    """The earliest running target of an open ticket, None when nothing runs (closed, resolved, no SLA).
    While paused (waiting for the customer) the countdown stands still at what was left when it paused.
    Pure over the ticket's fields: no query."""
    if ticket.status not in OPEN_TICKET_STATUSES:
        return None
    dues = running_dues(ticket)
    if not dues:
        return None
    target, due = min(dues.items(), key=lambda kv: kv[1])
    at = at or now()
    paused = ticket.paused_at is not None
    reference = ticket.paused_at if paused else at
    remaining = int((due - reference).total_seconds())
    return Clock(target=target, due_at=due, remaining_seconds=remaining, paused=paused, breached=remaining <= 0)
