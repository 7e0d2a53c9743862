"""Ticket clocks: first response, next response, resolution. Each function changes the ticket's clock
fields in memory from explicit `at` and `targets` (no database, no clock) and returns the names of the
fields it changed; the inbox services save them in their transaction.

- first response runs from the ticket's start until the first agent reply (first_responded_at);
- next response runs from `waiting_since` (the oldest unanswered customer message after the first
  answer) until the next agent reply;
- resolution runs from the start until resolved_at;
- while paused (pending_customer) nothing runs: on resume every running due time moves later by the
  business time the pause took in that target's calendar, and paused_seconds grows by the pause's
  business seconds on the resolution calendar (so resolution_business_seconds leaves it out);
- resolving stops the resolution clock; reopening works like a resume from resolved_at;
- a clock stopped after its due time (a late reply, a late resolution) marks the ticket breached at that due
  time, as the per-minute sweep would have: before 2026-12-06 only the sweep set `sla_breached`, so a reply
  in the minute after the due time, or any late reply while the worker was down, counted as kept in the SLA
  attainment rate (the sweep claims running, unbreached tickets only and never saw it).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime

from shouhou.sla.calendar import BusinessCalendar, CalendarError, always_open, business_seconds_between
from shouhou.sla.calendar import due_at as calendar_due_at
from shouhou.sla.policies import Targets

log = logging.getLogger(__name__)


def due_at(at: datetime, seconds: int, calendar: BusinessCalendar) -> datetime:
    """The calendar's due time; if the calendar cannot answer (a row saved before the API checked it, e.g.
    one with no opening hours), the wall clock does: a clock must never make an intake or a reply fail."""
    try:
        return calendar_due_at(at, seconds, calendar)
    except CalendarError as exc:
        log.warning("SLA calendar cannot compute a due time (%s); using the wall clock", exc)
        return calendar_due_at(at, max(0, seconds), always_open(calendar.tz))


def _shift(due: datetime | None, since: datetime, at: datetime, cal: BusinessCalendar) -> datetime | None:
    """Move a due time later by the business time between `since` and `at` (what was left at `since`
    is what is left at `at`). A due time already passed at `since` stays (it was breached)."""
    if due is None or due <= since:
        return due
    return due_at(at, business_seconds_between(since, due, cal), cal)


def next_due(ticket) -> datetime | None:
    """The earliest running clock, or None while paused, once resolved (an unanswered ticket's first-response
    clock stops with it; reopening starts it again) or when none runs: what `Ticket.next_due_at` stores."""
    if ticket.paused_at is not None or getattr(ticket, "resolved_at", None) is not None:
        return None
    dues = [d for name, d in running_dues(ticket).items()
            if name != "next_response" or ticket.waiting_since is not None]
    return min(dues) if dues else None


def _keeps_next_due(fn: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """Every clock function leaves `next_due_at` right, so the queue can read it from an index."""

    @functools.wraps(fn)
    def wrapper(ticket, **kwargs) -> list[str]:
        fields = fn(ticket, **kwargs)
        due = next_due(ticket)
        if due != getattr(ticket, "next_due_at", None):
            ticket.next_due_at = due
            fields = [*fields, "next_due_at"]
        return fields

    return wrapper


@_keeps_next_due
def clocks_start(ticket, *, at: datetime, targets: Targets) -> list[str]:
    ticket.sla_policy_id = targets.policy_id
    ticket.first_response_due_at = due_at(at, targets.first_response.seconds, targets.first_response.calendar)
    ticket.resolution_due_at = due_at(at, targets.resolution.seconds, targets.resolution.calendar)
    ticket.next_response_due_at = None
    ticket.waiting_since = at
    ticket.last_customer_message_at = at
    return ["sla_policy", "first_response_due_at", "resolution_due_at", "next_response_due_at", "waiting_since",
            "last_customer_message_at"]


@_keeps_next_due
def clocks_customer_message(ticket, *, at: datetime, targets: Targets) -> list[str]:
    """A customer message on an open, running ticket: start the next-response clock unless one runs."""
    ticket.last_customer_message_at = at
    return ["last_customer_message_at", *clocks_await_agent(ticket, at=at, targets=targets)]


@_keeps_next_due
def clocks_await_agent(ticket, *, at: datetime, targets: Targets) -> list[str]:
    """Something the agent must answer arrived (a customer message, a department's result): the
    next-response clock starts at `at` unless a response clock already runs."""
    if ticket.waiting_since is not None:
        return []
    ticket.waiting_since = at
    fields = ["waiting_since"]
    if ticket.first_responded_at is not None:
        ticket.next_response_due_at = due_at(at, targets.next_response.seconds, targets.next_response.calendar)
        ticket.sla_warned_at = ticket.sla_warned_at if ticket.sla_breached else None
        fields += ["next_response_due_at", "sla_warned_at"]
    return fields


def _breached_when_stopped(ticket, *, at: datetime, names: tuple[str, ...]) -> list[str]:
    """Clocks `names` stop at `at`: one already past its due time is a breach the sweep may not have seen
    yet. Marks it (at the earliest such due time) unless the ticket is breached already or paused (a paused
    ticket's due times move on resume; the sweep judges them then). A stop exactly at the due time is in time."""
    if getattr(ticket, "sla_breached", False) or ticket.paused_at is not None:
        return []
    late = [due for name, due in running_dues(ticket).items() if name in names and due < at]
    if not late:
        return []
    ticket.sla_breached = True
    ticket.sla_breached_at = min(late)
    return ["sla_breached", "sla_breached_at"]


@_keeps_next_due
def clocks_agent_reply(ticket, *, at: datetime, targets: Targets) -> list[str]:
    """An agent's reply: meets the first response (once) and stops the next-response clock."""
    breached = _breached_when_stopped(ticket, at=at, names=("first_response", "next_response"))
    fields = ["last_agent_reply_at", "waiting_since", "next_response_due_at", "sla_warned_at", *breached]
    if ticket.first_responded_at is None:
        ticket.first_responded_at = at
        ticket.first_response_business_seconds = business_seconds_between(
            ticket.created_at, at, targets.first_response.calendar)
        fields += ["first_responded_at", "first_response_business_seconds"]
    ticket.last_agent_reply_at = at
    ticket.waiting_since = None
    ticket.next_response_due_at = None
    if not ticket.sla_breached:
        ticket.sla_warned_at = None
    return fields


@_keeps_next_due
def clocks_pause(ticket, *, at: datetime) -> list[str]:
    if ticket.paused_at is not None:
        return []
    ticket.paused_at = at
    return ["paused_at"]


def _move_running(ticket, *, since: datetime, at: datetime, targets: Targets) -> None:
    if ticket.first_responded_at is None:
        ticket.first_response_due_at = _shift(ticket.first_response_due_at, since, at,
                                              targets.first_response.calendar)
    ticket.next_response_due_at = _shift(ticket.next_response_due_at, since, at, targets.next_response.calendar)
    ticket.resolution_due_at = _shift(ticket.resolution_due_at, since, at, targets.resolution.calendar)
    ticket.paused_seconds = (ticket.paused_seconds or 0) + business_seconds_between(
        since, at, targets.resolution.calendar)
    if not ticket.sla_breached:
        ticket.sla_warned_at = None


@_keeps_next_due
def clocks_resume(ticket, *, at: datetime, targets: Targets) -> list[str]:
    if ticket.paused_at is None:
        return []
    _move_running(ticket, since=ticket.paused_at, at=at, targets=targets)
    ticket.paused_at = None
    return ["paused_at", "first_response_due_at", "next_response_due_at", "resolution_due_at", "paused_seconds",
            "sla_warned_at"]


@_keeps_next_due
def clocks_resolve(ticket, *, at: datetime, targets: Targets) -> list[str]:
    fields = clocks_resume(ticket, at=at, targets=targets)
    fields += _breached_when_stopped(ticket, at=at, names=("first_response", "next_response", "resolution"))
    ticket.resolved_at = at
    ticket.resolution_business_seconds = max(
        0, business_seconds_between(ticket.created_at, at, targets.resolution.calendar) - (ticket.paused_seconds or 0))
    ticket.next_response_due_at = None
    ticket.waiting_since = None
    return sorted(set(fields) | {"resolved_at", "resolution_business_seconds", "next_response_due_at",
                                 "waiting_since"})


@_keeps_next_due
def clocks_reopen(ticket, *, at: datetime, targets: Targets) -> list[str]:
    if ticket.resolved_at is None:
        return clocks_resume(ticket, at=at, targets=targets)
    _move_running(ticket, since=ticket.resolved_at, at=at, targets=targets)
    ticket.resolved_at = None
    ticket.resolution_business_seconds = None
    ticket.paused_at = None
    return ["resolved_at", "resolution_business_seconds", "paused_at", "first_response_due_at",
            "next_response_due_at", "resolution_due_at", "paused_seconds", "sla_warned_at"]


def running_dues(ticket) -> dict[str, datetime]:
    """The clocks that run (or would run when not paused), by target name."""
    out: dict[str, datetime] = {}
    if ticket.first_responded_at is None and ticket.first_response_due_at is not None:
        out["first_response"] = ticket.first_response_due_at
    if ticket.next_response_due_at is not None:
        out["next_response"] = ticket.next_response_due_at
    if ticket.resolved_at is None and ticket.resolution_due_at is not None:
        out["resolution"] = ticket.resolution_due_at
    return out
