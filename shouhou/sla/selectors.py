"""SLA reads: the clock to show for a ticket in the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

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


@dataclass(frozen=True)
class ClockDetail:
    """One target of a ticket, for the API: running or stopped, met or breached."""

    target: str
    due_at: datetime | None
    stopped_at: datetime | None     # first_responded_at / resolved_at; None for next response
    business_seconds: int | None    # open time it took (first response, resolution), pauses left out
    running: bool                   # counting now (not paused, not stopped)
    remaining_seconds: int | None   # due − now (− paused_at while paused); None when stopped or unset
    breached: bool                  # passed its due time while running, or stopped after it

    @property
    def label(self) -> str:
        return TARGET_LABELS[self.target]


def ticket_clocks(*, ticket, at: datetime | None = None) -> list[ClockDetail]:
    """The three targets of a ticket in a fixed order. Pure over the ticket's fields: no query."""
    at = at or now()
    is_open = ticket.status in OPEN_TICKET_STATUSES
    paused = ticket.paused_at is not None
    reference = ticket.paused_at if paused else at
    out = []
    for target, due, stopped, seconds in (
        ("first_response", ticket.first_response_due_at, ticket.first_responded_at,
         ticket.first_response_business_seconds),
        ("next_response", ticket.next_response_due_at, None, None),
        ("resolution", ticket.resolution_due_at, ticket.resolved_at, ticket.resolution_business_seconds),
    ):
        live = is_open and due is not None and stopped is None
        remaining = int((due - reference).total_seconds()) if live else None
        breached = (remaining is not None and remaining <= 0) or (
            stopped is not None and due is not None and stopped > due)
        out.append(ClockDetail(target=target, due_at=due, stopped_at=stopped, business_seconds=seconds,
                               running=live and not paused, remaining_seconds=remaining, breached=breached))
    return out


@dataclass(frozen=True)
class CalendarDay:
    day: date
    kind: str          # "holiday" (closed) / "makeup_workday" (worked)
    name: str          # the festival's name from the package, or "" for the shop's own day
    source: str        # "public" (from the package) / "shop" (added by the shop)
    active: bool       # False: a public day the shop removed
    weekday: int


@dataclass(frozen=True)
class CalendarYear:
    year: int
    country: str                # "" when the calendar follows no public holidays
    official: bool              # the package has the published schedule (make-up weekends) for this year
    days: tuple[CalendarDay, ...]


def calendar_year(*, calendar, year: int) -> CalendarYear:
    """The special days of one year on a calendar row: the package's holidays and make-up workdays (with
    the shop's removals marked), and the shop's own additions, in date order. No query."""
    from shouhou.sla.holidays import public_year

    spec = calendar.spec or {}
    country = spec.get("public_holidays") or ""
    public = public_year(country, year) if country else None
    days: list[CalendarDay] = []
    for kind, own_key, removed_key in (("holiday", "holidays", "holidays_removed"),
                                       ("makeup_workday", "makeup_workdays", "makeup_workdays_removed")):
        removed = set(spec.get(removed_key, []))
        listed: dict[date, str] = {}
        if public:
            listed = dict(public.holidays) if kind == "holiday" else {d: "" for d in public.makeup_workdays}
        for d, name in listed.items():
            days.append(CalendarDay(d, kind, name, "public", d.isoformat() not in removed, d.weekday()))
        for text in spec.get(own_key, []):
            d = date.fromisoformat(str(text))
            if d.year == year and d not in listed:
                days.append(CalendarDay(d, kind, "", "shop", True, d.weekday()))
    days.sort(key=lambda x: (x.day, x.kind))
    return CalendarYear(year=year, country=country, official=bool(public and public.official), days=tuple(days))
