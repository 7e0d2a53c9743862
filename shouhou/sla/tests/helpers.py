"""Shared test helpers for the inbox core and SLA tests: Shanghai instants and a frozen, movable clock."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

import time_machine

from shouhou.inbox.models import AgentProfile, Shift
from shouhou.sla.calendar import SHANGHAI


def at(text: str) -> datetime:
    """'2026-11-23 10:00' (or with seconds) in Asia/Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@contextmanager
def frozen(text: str):
    """Freeze the clock at a Shanghai instant; `traveller.move_to(at(...))` moves it."""
    with time_machine.travel(at(text), tick=False) as traveller:
        yield traveller


def local(value: datetime | None) -> str | None:
    """A stored instant as 'YYYY-MM-DD HH:MM[:SS]' in Shanghai, for exact, readable assertions."""
    if value is None:
        return None
    v = value.astimezone(SHANGHAI)
    return v.strftime("%Y-%m-%d %H:%M:%S" if v.second else "%Y-%m-%d %H:%M")


def agent_profile(shop, user, *, skills=(), channels=(), capacity: int = 8, accepting: bool = True,
                  shifts: tuple[tuple[str, str], ...] = ()) -> AgentProfile:
    profile = AgentProfile.objects.create(shop=shop, user=user, skills=list(skills), channels=list(channels),
                                          capacity=capacity, accepting=accepting)
    for start, end in shifts:
        Shift.objects.create(shop=shop, agent=profile, starts_at=at(start), ends_at=at(end))
    return profile
