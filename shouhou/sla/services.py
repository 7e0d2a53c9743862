"""SLA writes: default calendars and policies for a shop, department due times, and the sweep.

`sla_sweep(at=)` is set-based: a fixed number of UPDATE statements whatever the number of tickets
(one per distinct warning lead time), and events written with bulk_create — never a query per ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from shouhou.accounts.choices import Role
from shouhou.core.audit import audit_record
from shouhou.core.clock import local_tz, now
from shouhou.inbox.choices import OPEN_TICKET_STATUSES, EscalationStatus, Team, TicketEventKind
from shouhou.inbox.models import Escalation, Shift, Ticket, TicketEvent
from shouhou.sla.clocks import due_at
from shouhou.sla.defaults import (
    DEFAULT_POLICIES,
    DEPARTMENT_TARGET_MINUTES,
    DESK_CALENDAR_NAME,
    FALLBACK_WARN_MINUTES,
    MAX_TARGET_MINUTES,
    OFFICE_CALENDAR_NAME,
    desk_calendar_spec,
    office_calendar_spec,
)
from shouhou.sla.models import BusinessCalendar, SlaPolicy
from shouhou.sla.policies import pure_calendar

K = TicketEventKind
BATCH = 2000


# --- defaults -----------------------------------------------------------------------------------------

@transaction.atomic
def sla_defaults_install(*, shop, night_shift: bool = False) -> None:
    """Create the default calendars and policies for a shop. Idempotent: rows are found by name and an
    existing row (possibly edited by the shop) is left as it is."""
    has_default = BusinessCalendar.objects.filter(shop=shop, is_default=True).exists()
    desk, _ = BusinessCalendar.objects.get_or_create(
        shop=shop, name=DESK_CALENDAR_NAME,
        defaults={"spec": desk_calendar_spec(night_shift=night_shift), "is_default": not has_default})
    office, _ = BusinessCalendar.objects.get_or_create(shop=shop, name=OFFICE_CALENDAR_NAME,
                                                       defaults={"spec": office_calendar_spec()})
    calendars = {DESK_CALENDAR_NAME: desk, OFFICE_CALENDAR_NAME: office, None: None}
    existing = set(SlaPolicy.objects.filter(shop=shop).values_list("name", flat=True))
    SlaPolicy.objects.bulk_create([
        SlaPolicy(shop=shop, name=d.name, channel=d.channel, category=d.category, priority=d.priority, tier=d.tier,
                  first_response_minutes=d.first, next_response_minutes=d.next, resolution_minutes=d.resolution,
                  warn_before_minutes=d.warn, calendar=calendars[d.calendar], position=d.position)
        for d in DEFAULT_POLICIES if d.name not in existing
    ])


def sla_defaults_apply(*, shop, actor, night_shift: bool = False) -> None:
    """sla_defaults_install on behalf of staff (`POST /api/sla/defaults`): supervisors and admins."""
    from shouhou.accounts.actors import require_role
    from shouhou.accounts.permissions import TEAM_MANAGE

    require_role(actor, shop, TEAM_MANAGE)
    sla_defaults_install(shop=shop, night_shift=night_shift)


def office_calendar(shop) -> BusinessCalendar | None:
    """The calendar departments work to: the office calendar, else the shop default, else None (7×24)."""
    rows = list(BusinessCalendar.objects.filter(Q(name=OFFICE_CALENDAR_NAME) | Q(is_default=True), shop=shop))
    for row in rows:
        if row.name == OFFICE_CALENDAR_NAME:
            return row
    return rows[0] if rows else None


def department_minutes(*, shop, department: str) -> int:
    custom = (shop.settings or {}).get("escalation_minutes") or {}
    try:
        minutes = int(custom[department])
    except (KeyError, TypeError, ValueError, OverflowError):
        return DEPARTMENT_TARGET_MINUTES.get(department, DEPARTMENT_TARGET_MINUTES[Team.QUALITY])
    return min(max(minutes, 0), MAX_TARGET_MINUTES)  # a typo in the settings must not break an escalation


def department_due_at(*, shop, department: str, at: datetime) -> datetime:
    """`at` + the department's target in business minutes on its calendar."""
    return due_at(at, department_minutes(shop=shop, department=department) * 60, pure_calendar(office_calendar(shop)))


# --- correcting a year's public holidays on a calendar -------------------------------------------------

class CalendarDayError(ValueError):
    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


DAY_KINDS = {"holiday": ("holidays", "holidays_removed"), "makeup_workday": ("makeup_workdays",
                                                                            "makeup_workdays_removed")}


@transaction.atomic
def calendar_day_set(*, calendar: BusinessCalendar, actor, day: date, kind: str, on: bool) -> BusinessCalendar:
    """Make `day` a holiday (kind "holiday") or a make-up workday ("makeup_workday") on this calendar, or
    not (`on=False`). A day the public-holiday package already has is removed through the `*_removed`
    override; a day it lacks is added to the calendar's own list. Supervisors and admins only; audited."""
    from shouhou.accounts.actors import require_role
    from shouhou.accounts.permissions import TEAM_MANAGE
    from shouhou.sla.holidays import FIRST_YEAR, LAST_YEAR, public_days

    require_role(actor, calendar.shop, TEAM_MANAGE)
    if kind not in DAY_KINDS:
        raise CalendarDayError(f"kind: 未知的类型 {kind!r}（可用 holiday / makeup_workday）", field="kind")
    if not isinstance(day, date) or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarDayError(f"date: 日期须在 {FIRST_YEAR}–{LAST_YEAR} 年之间", field="date")
    row = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    spec = dict(row.spec or {})
    own_key, removed_key = DAY_KINDS[kind]
    before = {key: list(spec.get(key, [])) for key in (own_key, removed_key)}
    country = spec.get("public_holidays") or ""
    public_off, public_worked = public_days(country) if country else (frozenset(), frozenset())
    in_package = day in (public_off if kind == "holiday" else public_worked)
    text = day.isoformat()
    own = [d for d in spec.get(own_key, []) if d != text]
    removed = [d for d in spec.get(removed_key, []) if d != text]
    if on and not in_package:
        own.append(text)
    if not on and in_package:
        removed.append(text)
    spec[own_key], spec[removed_key] = sorted(own), sorted(removed)
    if not spec[removed_key]:
        del spec[removed_key]
    row.spec = spec
    row.save(update_fields=["spec", "updated_at"])
    audit_record(action=f"sla.calendar.{kind}_{'add' if on else 'remove'}", obj=row, actor=actor,
                 before=before, after={own_key: spec[own_key], removed_key: spec.get(removed_key, [])},
                 note=f"{text} {'设为' if on else '取消'}{'节假日' if kind == 'holiday' else '调休上班日'}")
    return row


@transaction.atomic
def calendar_follow_public_holidays(*, calendar: BusinessCalendar, actor, country: str = "CN") -> BusinessCalendar:
    """Let a calendar follow a country's public holidays and make-up workdays (sla.holidays). Audited."""
    from shouhou.accounts.actors import require_role
    from shouhou.accounts.permissions import TEAM_MANAGE
    from shouhou.sla.holidays import COUNTRIES

    require_role(actor, calendar.shop, TEAM_MANAGE)
    if country not in COUNTRIES:
        raise CalendarDayError(f"country: 未知的国家或地区 {country!r}", field="country")
    row = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    before = {"public_holidays": (row.spec or {}).get("public_holidays", "")}
    row.spec = {**(row.spec or {}), "public_holidays": country}
    row.save(update_fields=["spec", "updated_at"])
    audit_record(action="sla.calendar.public_holidays", obj=row, actor=actor, before=before,
                 after={"public_holidays": country})
    return row


# --- the sweep ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepResult:
    breached: int = 0
    warned: int = 0
    escalations_overdue: int = 0
    priority_raised: int = 0


def due_by(moment: datetime) -> Q:
    """A running clock whose due time is at or before `moment`."""
    return (Q(first_responded_at__isnull=True, first_response_due_at__lte=moment)
            | Q(next_response_due_at__lte=moment)
            | Q(resolved_at__isnull=True, resolution_due_at__lte=moment))


def running_tickets() -> QuerySet[Ticket]:
    return Ticket.objects.filter(status__in=OPEN_TICKET_STATUSES, paused_at__isnull=True)


def _which(row: dict, at: datetime) -> str:
    tz = local_tz()
    parts = []
    if row["first_responded_at"] is None and row["first_response_due_at"] and row["first_response_due_at"] <= at:
        parts.append(f"首次响应（截止 {row['first_response_due_at'].astimezone(tz):%m-%d %H:%M}）")
    if row["next_response_due_at"] and row["next_response_due_at"] <= at:
        parts.append(f"再次响应（截止 {row['next_response_due_at'].astimezone(tz):%m-%d %H:%M}）")
    if row["resolved_at"] is None and row["resolution_due_at"] and row["resolution_due_at"] <= at:
        parts.append(f"解决（截止 {row['resolution_due_at'].astimezone(tz):%m-%d %H:%M}）")
    return "、".join(parts)


def _earliest(row: dict) -> datetime | None:
    dues = [row["next_response_due_at"]]
    if row["first_responded_at"] is None:
        dues.append(row["first_response_due_at"])
    if row["resolved_at"] is None:
        dues.append(row["resolution_due_at"])
    dues = [d for d in dues if d is not None]
    return min(dues) if dues else None


_ROW = ("pk", "shop_id", "first_responded_at", "first_response_due_at", "next_response_due_at", "resolved_at",
        "resolution_due_at", "escalated_to__username")


def _bulk_events(qs: QuerySet[Ticket], make) -> int:
    n = 0
    batch: list[TicketEvent] = []
    for row in qs.order_by("pk").values(*_ROW).iterator(chunk_size=BATCH):
        batch.append(make(row))
        if len(batch) >= BATCH:
            TicketEvent.objects.bulk_create(batch)
            n += len(batch)
            batch = []
    if batch:
        TicketEvent.objects.bulk_create(batch)
        n += len(batch)
    return n


def supervisor_on_duty(*, shop_id: int, at: datetime) -> int | None:
    """The user id a breach of this shop escalates to: an active supervisor, on duty first, then lowest id."""
    from shouhou.accounts.models import Membership

    on_duty = Shift.objects.filter(shop_id=shop_id, agent__user=OuterRef("user"), starts_at__lte=at, ends_at__gt=at)
    return (Membership.objects.filter(shop_id=shop_id, role=Role.SUPERVISOR, user__is_active=True)
            .annotate(on_duty=Exists(on_duty)).order_by("-on_duty", "user_id").values_list("user_id", flat=True)
            .first())


def _sweep_breaches(at: datetime) -> int:
    # Two steps on purpose: claiming the rows with a plain conditional UPDATE, then one UPDATE per shop for
    # the supervisor. A correlated supervisor subquery inside the claiming UPDATE made PostgreSQL
    # overestimate its cost and JIT-compile it: ~0.7 s of compilation per sweep at 100,000 open tickets.
    with transaction.atomic():
        n = running_tickets().filter(due_by(at), sla_breached=False).update(
            sla_breached=True, sla_breached_at=at, updated_at=at)
        if not n:
            return 0
        claimed = Ticket.objects.filter(sla_breached_at=at, sla_breached=True)
        for shop_id in sorted(set(claimed.values_list("shop_id", flat=True).distinct())):
            supervisor = supervisor_on_duty(shop_id=shop_id, at=at)
            if supervisor is not None:
                claimed.filter(shop_id=shop_id, escalated_to__isnull=True).update(escalated_to_id=supervisor)
        fresh = claimed.exclude(Exists(TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=K.SLA_BREACH)))

        def make(row: dict) -> TicketEvent:
            who = row["escalated_to__username"]
            note = f"已超时：{_which(row, at)}" + (f"，已升级给主管 {who}" if who else "，本店暂无主管可升级")
            return TicketEvent(shop_id=row["shop_id"], ticket_id=row["pk"], kind=K.SLA_BREACH, to_value=who or "",
                               note=note[:500])

        _bulk_events(fresh, make)
    return n


def _sweep_warnings(at: datetime) -> int:
    leads = set(SlaPolicy.objects.filter(warn_before_minutes__gt=0).values_list("warn_before_minutes", flat=True)
                .distinct())
    total = 0
    with transaction.atomic():
        base = running_tickets().filter(sla_breached=False, sla_warned_at__isnull=True)
        for lead in sorted(leads):
            total += base.filter(due_by(at + timedelta(minutes=lead)),
                                 sla_policy__warn_before_minutes=lead).update(sla_warned_at=at, updated_at=at)
        if FALLBACK_WARN_MINUTES > 0:
            total += base.filter(due_by(at + timedelta(minutes=FALLBACK_WARN_MINUTES)),
                                 sla_policy__isnull=True).update(sla_warned_at=at, updated_at=at)
        if not total:
            return 0
        fresh = Ticket.objects.filter(sla_warned_at=at, sla_breached=False)
        tz = local_tz()

        def make(row: dict) -> TicketEvent:
            due = _earliest(row)
            minutes = max(0, int((due - at).total_seconds() // 60)) if due else 0
            return TicketEvent(shop_id=row["shop_id"], ticket_id=row["pk"], kind=K.SLA_WARNING,
                               to_value=f"{due.astimezone(tz):%H:%M}" if due else "",
                               note=f"还有 {minutes} 分钟超时（截止 {due.astimezone(tz):%m-%d %H:%M}）" if due else "即将超时")

        _bulk_events(fresh, make)
    return total


def _sweep_escalations(at: datetime) -> int:
    with transaction.atomic():
        n = Escalation.objects.filter(status__in=(EscalationStatus.OPEN, EscalationStatus.IN_PROGRESS),
                                      due_at__lte=at, overdue_notified_at__isnull=True).update(
            overdue_notified_at=at, updated_at=at)
        if not n:
            return 0
        tz = local_tz()
        labels = dict(Team.choices)
        rows = (Escalation.objects.filter(overdue_notified_at=at).order_by("pk")
                .values_list("shop_id", "ticket_id", "department", "due_at", "owner__username"))
        TicketEvent.objects.bulk_create([
            TicketEvent(shop_id=shop_id, ticket_id=ticket_id, kind=K.ESCALATION_UPDATE, from_value=department,
                        to_value="overdue",
                        note=f"{labels.get(department, department)}处理已逾期（截止 {due.astimezone(tz):%m-%d %H:%M}）"
                             + (f"，负责人 {owner}" if owner else ""))
            for shop_id, ticket_id, department, due, owner in rows.iterator(chunk_size=BATCH)
        ], batch_size=BATCH)
    return n


def _sweep_age(at: datetime) -> int:
    """Raise the priority of tickets that waited long (triage.AGE_BUMPS); one event per raised ticket."""
    from shouhou.inbox.choices import Priority
    from shouhou.inbox.triage import AGE_BUMPS

    total = 0
    for before, hours, after in AGE_BUMPS:
        with transaction.atomic():
            qs = Ticket.objects.filter(status__in=OPEN_TICKET_STATUSES, priority=before,
                                       created_at__lte=at - timedelta(hours=hours))
            rows = list(qs.values_list("pk", "shop_id"))
            if not rows:
                continue
            TicketEvent.objects.bulk_create([
                TicketEvent(shop_id=shop_id, ticket_id=pk, kind=K.PRIORITY, from_value=Priority(before).label,
                            to_value=Priority(after).label, note=f"等待超过 {hours} 小时，自动提高优先级")
                for pk, shop_id in rows], batch_size=BATCH)
            qs.update(priority=after, updated_at=at)
            total += len(rows)
    return total


def sla_sweep(*, at: datetime | None = None) -> SweepResult:
    """Periodic (every minute): breaches (flag, event, escalate to a supervisor), warnings before breach,
    overdue department escalations, priority by age. Safe to run twice: each step claims its rows with a
    conditional UPDATE, so an event is written once."""
    at = at or now()
    breached = _sweep_breaches(at)
    warned = _sweep_warnings(at)
    overdue = _sweep_escalations(at)
    raised = _sweep_age(at)
    return SweepResult(breached=breached, warned=warned, escalations_overdue=overdue, priority_raised=raised)
