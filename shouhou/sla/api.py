"""/api/sla/: business calendars, SLA policies, the default install, a due-time preview and a ticket's
clocks. Every query is filtered by request.auth.shop (another shop's id answers 404); reads need VIEW,
writes TEAM_MANAGE or POLICY_EDIT; invalid input answers 422 naming the field; every write is audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db import transaction
from ninja import Field, Path, Query, Router, Schema, Status

from shouhou.accounts.permissions import POLICY_EDIT, TEAM_MANAGE, VIEW
from shouhou.api.errors import DomainError
from shouhou.core.audit import audit_record
from shouhou.core.clock import now
from shouhou.desk import team as team_svc
from shouhou.inbox.models import Ticket
from shouhou.sla.calendar import CalendarError, calendar_from_spec, due_at, has_opening_hours, target_error
from shouhou.sla.defaults import MAX_TARGET_MINUTES
from shouhou.sla.models import BusinessCalendar, SlaPolicy
from shouhou.sla.policies import pure_calendar
from shouhou.sla.selectors import ticket_clocks
from shouhou.sla.services import sla_defaults_apply

router = Router(tags=["SLA时效"])

Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


# --- schemas ------------------------------------------------------------------------------------

class SlaCalendarIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    spec: dict[str, Any] = Field(description='{"weekly": {"mon": ["09:00-18:00"], "sun": ["00:00-02:00", '
                                             '"20:00-24:00"]}, "holidays": ["2026-10-01"], '
                                             '"makeup_workdays": ["2026-10-10"], "makeup_weekday": 0}；'
                                             '跨午夜的夜班拆成两段')
    is_default: bool = Field(False, description="店铺默认日历（没有匹配策略时使用）")


class SlaCalendarOut(Schema):
    id: int
    name: str
    spec: dict[str, Any]
    is_default: bool
    policies: int = Field(description="使用该日历的策略数")
    updated_at: dt.datetime


class SlaPolicyIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    channel: str = Field("", description="渠道（web_chat、phone、wechat…），空表示任意")
    category: str = Field("", description="工单分类（return_request、safety…），空表示任意")
    priority: int | None = Field(None, description="1 紧急 … 4 低，空表示任意")
    tier: str = Field("", description="会员等级（regular、silver、gold、vip），空表示任意")
    first_response_minutes: int | None = Field(None, ge=0, le=MAX_TARGET_MINUTES,
                                               description="首次响应时限（分钟，0 表示立即）；空则取下一条匹配策略")
    next_response_minutes: int | None = Field(None, ge=0, le=MAX_TARGET_MINUTES, description="再次响应时限（分钟）")
    resolution_minutes: int | None = Field(None, ge=0, le=MAX_TARGET_MINUTES, description="解决时限（分钟）")
    warn_before_minutes: int = Field(2, ge=0, le=24 * 60, description="到期前多少分钟预警（0 不预警）")
    calendar_id: int | None = Field(None, ge=1, le=2_147_483_647, description="工作日历；空表示 7×24 小时")
    is_active: bool = True
    position: int = Field(100, ge=0, le=32767, description="同样具体时按此排序（小的优先）")


class SlaPolicyOut(Schema):
    id: int
    name: str
    channel: str
    category: str
    priority: int | None
    tier: str
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    warn_before_minutes: int
    calendar_id: int | None
    calendar_name: str | None
    is_active: bool
    position: int
    updated_at: dt.datetime


class SlaInstallIn(Schema):
    night_shift: bool = Field(False, description="客服日历加上 00:00–02:00 夜班")


class SlaInstallOut(Schema):
    calendars: int
    policies: int


class SlaDueOut(Schema):
    start: dt.datetime
    minutes: int
    due_at: dt.datetime
    wall_minutes: int = Field(description="从开始到到期的自然时间（分钟）")


class SlaClockOut(Schema):
    target: str = Field(description="first_response / next_response / resolution")
    label: str
    due_at: dt.datetime | None
    stopped_at: dt.datetime | None = Field(description="首次响应时间 / 解决时间")
    business_seconds: int | None = Field(description="用去的营业时间（秒，不含暂停）")
    running: bool
    remaining_seconds: int | None = Field(description="距到期秒数（暂停时停在暂停那一刻；负数表示已超时）")
    breached: bool


class SlaTicketClocksOut(Schema):
    ticket_id: int
    number: str
    status: str
    policy_id: int | None
    policy_name: str | None
    warn_before_minutes: int | None
    paused: bool
    paused_at: dt.datetime | None
    paused_seconds: int
    waiting_since: dt.datetime | None
    sla_warned_at: dt.datetime | None
    sla_breached: bool
    sla_breached_at: dt.datetime | None
    escalated_to: str | None = Field(description="超时后升级给的主管")
    clocks: list[SlaClockOut]


# --- helpers ------------------------------------------------------------------------------------

def _need(request, *actions: str) -> None:
    if not any(request.auth.can(a) for a in actions):
        raise DomainError("无权执行此操作（需要排班管理或政策编辑权限）。" if len(actions) > 1 else "无权执行此操作。",
                          status=403)


def _need_write(request) -> None:
    _need(request, TEAM_MANAGE, POLICY_EDIT)


def _config(fn, **kwargs):
    try:
        return fn(**kwargs)
    except team_svc.ConfigError as exc:
        raise DomainError(str(exc), status=422, field=exc.field) from exc


def _calendar(request, calendar_id: int, *, field: str = "calendar_id") -> BusinessCalendar:
    row = BusinessCalendar.objects.filter(shop=request.auth.shop, pk=calendar_id).first()
    if row is None:
        raise DomainError("工作日历不存在", status=404, field=field)
    return row


def _policy(request, policy_id: int) -> SlaPolicy:
    row = SlaPolicy.objects.filter(shop=request.auth.shop, pk=policy_id).select_related("calendar").first()
    if row is None:
        raise DomainError("SLA 策略不存在", status=404, field="policy_id")
    return row


def _calendar_out(c: BusinessCalendar, policies: int | None = None) -> dict:
    if policies is None:
        policies = SlaPolicy.objects.filter(calendar=c).count()
    return {"id": c.pk, "name": c.name, "spec": c.spec or {}, "is_default": c.is_default, "policies": policies,
            "updated_at": c.updated_at}


def _policy_out(p: SlaPolicy) -> dict:
    return {"id": p.pk, "name": p.name, "channel": p.channel, "category": p.category, "priority": p.priority,
            "tier": p.tier, "first_response_minutes": p.first_response_minutes,
            "next_response_minutes": p.next_response_minutes, "resolution_minutes": p.resolution_minutes,
            "warn_before_minutes": p.warn_before_minutes, "calendar_id": p.calendar_id,
            "calendar_name": p.calendar.name if p.calendar_id else None, "is_active": p.is_active,
            "position": p.position, "updated_at": p.updated_at}


def _audit_fields(row, names) -> dict:
    return {n: getattr(row, n) for n in names}


CALENDAR_FIELDS = ("name", "spec", "is_default")
POLICY_FIELDS = ("name", "channel", "category", "priority", "tier", "first_response_minutes",
                 "next_response_minutes", "resolution_minutes", "warn_before_minutes", "calendar_id", "is_active",
                 "position")


TARGET_FIELDS = ("first_response_minutes", "next_response_minutes", "resolution_minutes")


def _answerable(minutes: int | None, cal, *, field: str, what: str) -> None:
    """What the API accepts the clock must answer: refuse a target this calendar cannot compute."""
    if minutes is None:
        return
    problem = target_error(minutes * 60, cal, at=now())
    if problem:
        raise DomainError(f"{field}: {what}的 {minutes} 分钟无法按该日历计算到期时间（{problem}）", status=422,
                          field=field)


def _save_calendar(request, payload: SlaCalendarIn, row: BusinessCalendar | None) -> BusinessCalendar:
    spec = _config(team_svc.calendar_spec_check, spec=payload.spec)
    cal = calendar_from_spec(spec)
    if not has_opening_hours(cal):
        raise DomainError("spec.weekly: 至少需要一段营业时间，否则时限永远不会到期", status=422, field="spec.weekly")
    if row is not None:  # the policies on this calendar must still be answerable with the new hours
        for p in SlaPolicy.objects.filter(calendar=row).order_by("pk"):
            for name in TARGET_FIELDS:
                _answerable(getattr(p, name), cal, field="spec.weekly", what=f"策略「{p.name}」")
    with transaction.atomic():
        before = _audit_fields(row, CALENDAR_FIELDS) if row else {}
        saved = _config(team_svc.calendar_save, shop=request.auth.shop, name=payload.name, spec=spec,
                        is_default=payload.is_default, calendar=row, actor=request.auth)
        audit_record(action="sla.calendar." + ("update" if row else "create"), obj=saved, actor=request.auth,
                     before=before, after=_audit_fields(saved, CALENDAR_FIELDS))
    return saved


def _save_policy(request, payload: SlaPolicyIn, row: SlaPolicy | None) -> SlaPolicy:
    cal = pure_calendar(_calendar(request, payload.calendar_id) if payload.calendar_id is not None else None)
    for name in TARGET_FIELDS:
        _answerable(getattr(payload, name), cal, field=name, what="时限")
    with transaction.atomic():
        before = _audit_fields(row, POLICY_FIELDS) if row else {}
        saved = _config(team_svc.sla_policy_save, shop=request.auth.shop, policy=row, actor=request.auth,
                        **payload.dict())
        audit_record(action="sla.policy." + ("update" if row else "create"), obj=saved, actor=request.auth,
                     before=before, after=_audit_fields(saved, POLICY_FIELDS))
    return SlaPolicy.objects.select_related("calendar").get(pk=saved.pk)


# --- calendars ----------------------------------------------------------------------------------

@router.get("/calendars", response=list[SlaCalendarOut], summary="工作日历（营业时间、节假日、调休、夜班）")
def calendars(request):
    _need(request, VIEW)
    from django.db.models import Count

    rows = (BusinessCalendar.objects.filter(shop=request.auth.shop).annotate(n_policies=Count("slapolicy"))
            .order_by("-is_default", "name", "id"))
    return [_calendar_out(c, c.n_policies) for c in rows]


@router.post("/calendars", response={201: SlaCalendarOut}, summary="新建工作日历")
def calendar_create(request, payload: SlaCalendarIn):
    _need_write(request)
    return Status(201, _calendar_out(_save_calendar(request, payload, None)))


@router.get("/calendars/{calendar_id}", response=SlaCalendarOut, summary="工作日历详情")
def calendar_detail(request, calendar_id: Id):
    _need(request, VIEW)
    return _calendar_out(_calendar(request, calendar_id))


@router.put("/calendars/{calendar_id}", response=SlaCalendarOut, summary="修改工作日历（整体替换）")
def calendar_update(request, calendar_id: Id, payload: SlaCalendarIn):
    _need_write(request)
    return _calendar_out(_save_calendar(request, payload, _calendar(request, calendar_id)))


@router.get("/calendars/{calendar_id}/due", response=SlaDueOut,
            summary="按该日历试算到期时间（开始时间 + N 分钟营业时间）")
def calendar_due(request, calendar_id: Id, minutes: int = Query(..., ge=0, le=MAX_TARGET_MINUTES),
                 start: dt.datetime | None = None):
    _need(request, VIEW)
    cal = pure_calendar(_calendar(request, calendar_id))
    start = start or now()
    if start.tzinfo is None:
        raise DomainError("start 须带时区，如 2026-11-23T21:50:00+08:00", status=422, field="start")
    if not has_opening_hours(cal):
        raise DomainError("该日历没有营业时间", status=422, field="calendar_id")
    try:
        due = due_at(start, minutes * 60, cal)
    except CalendarError as exc:
        raise DomainError(f"minutes: 无法按该日历计算到期时间（{exc}）", status=422, field="minutes") from exc
    return {"start": start, "minutes": minutes, "due_at": due,
            "wall_minutes": int((due - start).total_seconds() // 60)}


# --- policies -----------------------------------------------------------------------------------

@router.get("/policies", response=list[SlaPolicyOut], summary="SLA 策略（按渠道、分类、优先级、会员等级匹配，最具体的优先）")
def policies(request, active_only: bool = False):
    _need(request, VIEW)
    rows = SlaPolicy.objects.filter(shop=request.auth.shop).select_related("calendar").order_by("position", "id")
    if active_only:
        rows = rows.filter(is_active=True)
    return [_policy_out(p) for p in rows]


@router.post("/policies", response={201: SlaPolicyOut}, summary="新建 SLA 策略")
def policy_create(request, payload: SlaPolicyIn):
    _need_write(request)
    return Status(201, _policy_out(_save_policy(request, payload, None)))


@router.get("/policies/{policy_id}", response=SlaPolicyOut, summary="SLA 策略详情")
def policy_detail(request, policy_id: Id):
    _need(request, VIEW)
    return _policy_out(_policy(request, policy_id))


@router.put("/policies/{policy_id}", response=SlaPolicyOut,
            summary="修改 SLA 策略（整体替换；is_active=false 停用）。已开的工单沿用开单时算好的到期时间")
def policy_update(request, policy_id: Id, payload: SlaPolicyIn):
    _need_write(request)
    return _policy_out(_save_policy(request, payload, _policy(request, policy_id)))


@router.post("/defaults", response=SlaInstallOut,
             summary="安装默认日历与策略（在线 5 分钟、电话即时、私域 15 分钟、退换货 2 小时/48 小时…；已有的同名项不改）")
def defaults_install(request, payload: SlaInstallIn):
    _need_write(request)
    shop = request.auth.shop
    cal_before = BusinessCalendar.objects.filter(shop=shop).count()
    pol_before = SlaPolicy.objects.filter(shop=shop).count()
    with transaction.atomic():
        sla_defaults_apply(shop=shop, actor=request.auth, night_shift=payload.night_shift)
        out = {"calendars": BusinessCalendar.objects.filter(shop=shop).count() - cal_before,
               "policies": SlaPolicy.objects.filter(shop=shop).count() - pol_before}
        audit_record(action="sla.defaults.install", obj=shop, shop=shop, actor=request.auth,
                     after={**out, "night_shift": payload.night_shift})
    return out


# --- a ticket's clocks --------------------------------------------------------------------------

@router.get("/tickets/{ticket_id}/clocks", response=SlaTicketClocksOut,
            summary="工单的三个 SLA 时钟（首次响应、再次响应、解决）：到期、剩余、暂停、超时与升级")
def ticket_clocks_get(request, ticket_id: Id):
    _need(request, VIEW)
    t = (Ticket.objects.filter(shop=request.auth.shop, pk=ticket_id).select_related("sla_policy", "escalated_to")
         .first())
    if t is None:
        raise DomainError("工单不存在", status=404, field="ticket_id")
    policy = t.sla_policy if t.sla_policy_id else None
    return {
        "ticket_id": t.pk, "number": t.number, "status": t.status, "policy_id": t.sla_policy_id,
        "policy_name": policy.name if policy else None,
        "warn_before_minutes": policy.warn_before_minutes if policy else None,
        "paused": t.paused_at is not None, "paused_at": t.paused_at, "paused_seconds": t.paused_seconds or 0,
        "waiting_since": t.waiting_since, "sla_warned_at": t.sla_warned_at, "sla_breached": t.sla_breached,
        "sla_breached_at": t.sla_breached_at,
        "escalated_to": t.escalated_to.get_username() if t.escalated_to_id else None,
        "clocks": [{"target": c.target, "label": c.label, "due_at": c.due_at, "stopped_at": c.stopped_at,
                    "business_seconds": c.business_seconds, "running": c.running,
                    "remaining_seconds": c.remaining_seconds, "breached": c.breached}
                   for c in ticket_clocks(ticket=t)],
    }


# --- reply rates per buyer message (docs/metrics.md, 回复率) ---------------------------------------------

class ReplyTargetOut(Schema):
    seconds: int
    answered: int = Field(description="由人工在该时限内回复的顾客消息数")
    counted: int = Field(description="计入的顾客消息数（已回复，或已超过该时限仍未回复）")
    ratio: float | None
    pass_line: float | None = Field(None, description="平台公布的及格线（如快手 5 分钟 ≥ 0.80）")


class ReplyRateRowOut(Schema):
    agent_id: int | None = Field(None, description="客服；按客服分组时为空表示尚无人接待的消息")
    day: dt.date | None = None
    messages: int
    waiting: int
    rates: list[ReplyTargetOut]


class ReplyRatesOut(Schema):
    platform: str
    targets: list[int]
    counted_hours: list[int] | None = Field(None, description="计入的本地小时 [开始, 结束)，空表示全天")
    rows: list[ReplyRateRowOut]


@router.get("/reply-rates", response=ReplyRatesOut,
            summary="按顾客消息的回复率（飞鸽 3 分钟人工回复率、快手 3/5 分钟、视频号），可按客服、日期分组")
def reply_rates_get(request, start: dt.datetime, end: dt.datetime,
                    by: Annotated[str, Query(description="agent、day 或 agent,day；空表示全店")] = ""):
    from shouhou.sla.reply_rules import reply_rule_for
    from shouhou.sla.selectors import reply_rates

    _need(request, VIEW)
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise DomainError("时间须带时区，如 2026-11-06T00:00:00+08:00", status=422, field=name)
    for name, value in (("start", start), ("end", end)):
        if not 2000 <= value.year <= 2100:
            raise DomainError("时间应在 2000–2100 年之间", status=422, field=name)
    if end <= start or end - start > dt.timedelta(days=92):
        raise DomainError("结束须晚于开始，且跨度不超过 92 天", status=422, field="end")
    groups = tuple(g for g in (x.strip() for x in by.split(",")) if g)
    if set(groups) - {"agent", "day"}:
        raise DomainError(f"不能按「{by}」分组（可选 agent、day）", status=422, field="by")
    shop = request.auth.shop
    rule = reply_rule_for(shop.platform)
    rows = reply_rates(shop=shop, start=start, end=end, by=groups)
    return {"platform": shop.platform, "targets": list(rule.targets),
            "counted_hours": list(rule.counted_hours) if rule.counted_hours else None,
            "rows": [{"agent_id": r.agent_id, "day": r.day, "messages": r.messages, "waiting": r.waiting,
                      "rates": [{"seconds": t.seconds, "answered": t.answered, "counted": t.counted, "ratio": t.ratio,
                                 "pass_line": float(t.pass_line) if t.pass_line is not None else None}
                                for t in r.rates]} for r in rows]}
