"""SLA reads: the clock to show for a ticket in the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

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


def calendar_year(*, calendar, year: int, language: str = "zh-hans") -> CalendarYear:
    """The special days of one year on a calendar row: the package's holidays (named in `language`) and make-up
    workdays (with the shop's removals marked), and the shop's own additions, in date order. No query."""
    from shouhou.sla.holidays import public_year

    spec = calendar.spec or {}
    country = spec.get("public_holidays") or ""
    public = public_year(country, year, language) if country else None
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


# --- reply rates per buyer message (docs/metrics.md, 回复率) ---------------------------------------------

@dataclass(frozen=True)
class TargetRate:
    """Buyer messages answered by a person within `seconds` ÷ buyer messages whose outcome is known (answered,
    or older than the target); `ratio` None when there are none yet."""

    seconds: int
    answered: int
    counted: int
    pass_line: Decimal | None = None

    @property
    def ratio(self) -> float | None:
        return round(self.answered / self.counted, 4) if self.counted else None

    @property
    def percent(self) -> float | None:
        return None if self.ratio is None else round(self.ratio * 100, 1)

    @property
    def minutes(self) -> int:
        return self.seconds // 60

    @property
    def below_pass_line(self) -> bool:
        return self.pass_line is not None and self.ratio is not None and self.ratio < self.pass_line


@dataclass(frozen=True)
class ReplyRateRow:
    agent_id: int | None   # None in a row for the whole shop, or for messages no agent held yet
    day: date | None
    messages: int          # counted buyer messages in the period
    waiting: int           # of which not answered by a person yet
    rates: tuple[TargetRate, ...]

    def rate(self, seconds: int) -> TargetRate | None:
        return next((r for r in self.rates if r.seconds == seconds), None)


def _counted_messages(*, shop, start: datetime, end: datetime, rule, channel: str = "", agent_id: int | None = None):
    from django.db.models.functions import ExtractHour

    from shouhou.core.clock import local_tz
    from shouhou.inbox.choices import Direction
    from shouhou.inbox.models import Message

    qs = Message.objects.filter(shop=shop, awaits_human=True, direction=Direction.INBOUND,
                                created_at__gte=start, created_at__lt=end)
    if rule.counted_hours is not None:
        first, last = rule.counted_hours
        qs = qs.annotate(local_hour=ExtractHour("created_at", tzinfo=local_tz())).filter(
            local_hour__gte=first, local_hour__lt=last)
    if channel:
        qs = qs.filter(conversation__channel=channel)
    if agent_id is not None:
        qs = qs.filter(agent_id=agent_id)
    return qs


def reply_rates(*, shop, start: datetime, end: datetime, by: tuple[str, ...] = (), at: datetime | None = None,
                channel: str = "", agent_id: int | None = None) -> list[ReplyRateRow]:
    """Reply rates of the shop's buyer messages sent in [start, end), under the shop's platform rule
    (sla.reply_rules), grouped by `by` ⊆ ("agent", "day" (local date)). One aggregate query.
    A message not yet answered counts against a target only once it is older than the target at `at`
    (default now), so today's live rates do not count messages that can still make it."""
    from datetime import timedelta

    from django.db.models import Count, F, Q
    from django.db.models.functions import TruncDate

    from shouhou.core.clock import local_tz
    from shouhou.sla.reply_rules import reply_rule_for

    unknown = set(by) - {"agent", "day"}
    if unknown:
        raise ValueError(f"reply_rates: cannot group by {sorted(unknown)}")
    rule = reply_rule_for(shop.platform)
    # what is known at `at` (now): a message sent just before `end` and left unanswered past its target is a
    # miss, even when `end` came first (capping `at` at `end` left those out of every closed period)
    at = at or now()
    qs = _counted_messages(shop=shop, start=start, end=end, rule=rule, channel=channel, agent_id=agent_id)
    keys = []
    if "agent" in by:
        keys.append("agent_id")
    if "day" in by:
        qs = qs.annotate(local_day=TruncDate("created_at", tzinfo=local_tz()))
        keys.append("local_day")
    aggregates = {"messages": Count("id"), "waiting": Count("id", filter=Q(human_reply_at__isnull=True))}
    for seconds in rule.targets:
        within = timedelta(seconds=seconds)
        aggregates[f"answered_{seconds}"] = Count("id", filter=Q(human_reply_at__lte=F("created_at") + within))
        aggregates[f"counted_{seconds}"] = Count("id", filter=Q(human_reply_at__isnull=False)
                                                 | Q(created_at__lte=at - within))
    rows = qs.values(*keys).order_by(*keys).annotate(**aggregates) if keys else [qs.aggregate(**aggregates)]
    return [ReplyRateRow(
        agent_id=row.get("agent_id"), day=row.get("local_day"), messages=row["messages"] or 0,
        waiting=row["waiting"] or 0,
        rates=tuple(TargetRate(seconds=s, answered=row[f"answered_{s}"] or 0, counted=row[f"counted_{s}"] or 0,
                               pass_line=rule.pass_line.get(s)) for s in rule.targets),
    ) for row in rows]


@dataclass
class WaitingMessage:
    message_id: int
    conversation_id: int
    agent_id: int | None
    sent_at: datetime
    crosses_at: datetime   # when the platform's first target is missed
    seconds_left: int      # negative: already missed, still unanswered
    body: str
    ticket_id: int | None = None   # filled in by the desk (inbox.selectors.reply_board)
    agent: object | None = None

    @property
    def state(self) -> str:
        return "late" if self.seconds_left < 0 else "nudge"


def reply_clock_forecast(*, shop, within_seconds: int = 60, at: datetime | None = None,
                         agent_id: int | None = None, limit: int = 50) -> list[WaitingMessage]:
    """Buyer messages waiting for a person whose first-target mark (飞鸽: 3 minutes) falls within the next
    `within_seconds`: the ones to answer now. Soonest first; reads only waiting messages (a partial index)."""
    from datetime import timedelta

    from shouhou.sla.reply_rules import reply_rule_for

    rule = reply_rule_for(shop.platform)
    at = at or now()
    clock = timedelta(seconds=rule.clock_seconds)
    qs = _counted_messages(shop=shop, start=at - clock, end=at + timedelta(seconds=1), rule=rule, agent_id=agent_id)
    qs = qs.filter(human_reply_at__isnull=True, created_at__lte=at - clock + timedelta(seconds=within_seconds))
    out = []
    for row in qs.order_by("created_at", "id").values("id", "conversation_id", "agent_id", "created_at", "body")[:limit]:
        crosses = row["created_at"] + clock
        out.append(WaitingMessage(message_id=row["id"], conversation_id=row["conversation_id"], agent_id=row["agent_id"],
                                  sent_at=row["created_at"], crosses_at=crosses,
                                  seconds_left=int((crosses - at).total_seconds()), body=(row["body"] or "")[:80]))
    return out


def reply_next_moment(*, shop, nudge_seconds: int, at: datetime | None = None) -> datetime | None:
    """The next instant a reply board changes with nothing pushed: a waiting buyer message entering the nudge
    window (its first-target mark `nudge_seconds` away) or, inside it, crossing the mark (a miss now counts).
    None when no waiting message can still make it. Two small reads of the partial index of waiting messages."""
    from datetime import timedelta

    from shouhou.sla.reply_rules import reply_rule_for

    rule = reply_rule_for(shop.platform)
    at = at or now()
    clock, nudge = timedelta(seconds=rule.clock_seconds), timedelta(seconds=nudge_seconds)
    qs = _counted_messages(shop=shop, start=at - clock + timedelta(microseconds=1), end=at + timedelta(seconds=1),
                           rule=rule).filter(human_reply_at__isnull=True)
    moments = []
    first = qs.order_by("created_at").values_list("created_at", flat=True).first()
    if first is not None:
        crosses = first + clock
        moments.append(crosses if crosses - nudge <= at else crosses - nudge)
    beyond = qs.filter(created_at__gt=at - clock + nudge).order_by("created_at").values_list("created_at",
                                                                                           flat=True).first()
    if beyond is not None:
        moments.append(beyond + clock - nudge)
    return min(moments) if moments else None
