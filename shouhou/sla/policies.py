"""Which targets apply to a ticket.

Matching is pure (`rank_policies`, `resolve_targets` take plain objects); `targets_for` loads a shop's
active policies and calendars. Rule: a policy matches when each of its matchers (channel, category,
priority, tier) is blank or equal to the ticket's. The most specific matching policy (most matchers set)
wins; `position` (then id) breaks ties. A blank target on the winning policy is taken from the next
matching policy in that order — so "return request: decide within 48 h" adds a resolution target without
loosening the chat channel's 5-minute answer. Each target keeps the calendar of the policy it came from
(None = 7×24). With no policy at all the FALLBACK_TARGETS apply on the shop's default calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shouhou.sla.calendar import BusinessCalendar, always_open, calendar_from_spec
from shouhou.sla.defaults import FALLBACK_TARGETS, FALLBACK_WARN_MINUTES

TARGETS = ("first_response", "next_response", "resolution")


@dataclass(frozen=True)
class Target:
    seconds: int
    calendar: BusinessCalendar
    policy_id: int | None


@dataclass(frozen=True)
class Targets:
    policy_id: int | None  # the winning policy (stored on the ticket)
    first_response: Target
    next_response: Target
    resolution: Target
    warn_before_minutes: int

    def get(self, name: str) -> Target:
        return getattr(self, name)


def specificity(policy: Any) -> int:
    return sum(1 for v in (policy.channel, policy.category, policy.tier) if v) + (policy.priority is not None)


def policy_matches(policy: Any, *, channel: str, category: str, priority: int | None, tier: str) -> bool:
    return ((not policy.channel or policy.channel == channel)
            and (not policy.category or policy.category == category)
            and (policy.priority is None or policy.priority == priority)
            and (not policy.tier or policy.tier == tier))


def rank_policies(policies: Iterable[Any], *, channel: str, category: str, priority: int | None,
                  tier: str) -> list[Any]:
    """Matching active policies, best first."""
    found = [p for p in policies if getattr(p, "is_active", True)
             and policy_matches(p, channel=channel, category=category, priority=priority, tier=tier)]
    return sorted(found, key=lambda p: (-specificity(p), p.position, p.pk or 0))


_CALENDARS: dict[tuple[int, str], BusinessCalendar] = {}


def pure_calendar(row: Any | None) -> BusinessCalendar:
    """The pure calendar of a BusinessCalendar row (None → 7×24), cached by id and last change."""
    if row is None:
        return always_open()
    key = (row.pk, str(getattr(row, "updated_at", "")))
    cal = _CALENDARS.get(key)
    if cal is None:
        cal = calendar_from_spec(row.spec or {})
        if len(_CALENDARS) > 512:
            _CALENDARS.clear()
        _CALENDARS[key] = cal
    return cal


def resolve_targets(*, policies: Sequence[Any], default_calendar: Any | None, channel: str, category: str,
                    priority: int | None, tier: str) -> Targets:
    ranked = rank_policies(policies, channel=channel, category=category, priority=priority, tier=tier)
    out: dict[str, Target] = {}
    for name in TARGETS:
        for p in ranked:
            minutes = getattr(p, f"{name}_minutes")
            if minutes is not None:
                out[name] = Target(int(minutes) * 60, pure_calendar(p.calendar), p.pk)
                break
        else:
            out[name] = Target(FALLBACK_TARGETS[name] * 60, pure_calendar(default_calendar), None)
    top = ranked[0] if ranked else None
    return Targets(policy_id=top.pk if top else None,
                   warn_before_minutes=top.warn_before_minutes if top else FALLBACK_WARN_MINUTES, **out)


def shop_sla_config(shop) -> tuple[list, Any | None]:
    """A shop's active policies (with calendars) and its default calendar: two queries."""
    from shouhou.sla.models import BusinessCalendar as CalendarRow
    from shouhou.sla.models import SlaPolicy

    policies = list(SlaPolicy.objects.filter(shop=shop, is_active=True).select_related("calendar"))
    default = CalendarRow.objects.filter(shop=shop, is_default=True).order_by("pk").first()
    return policies, default


def targets_for(ticket, *, config: tuple[list, Any | None] | None = None) -> Targets:
    policies, default = config if config is not None else shop_sla_config(ticket.shop)
    tier = ticket.customer.tier if ticket.customer_id and ticket.customer is not None else ""
    return resolve_targets(policies=policies, default_calendar=default, channel=ticket.channel,
                           category=ticket.category, priority=ticket.priority, tier=tier)
