"""Insight API (/api/insight/): metrics with filters, breakdowns, drill-down, Pareto, rising problems,
agent KPIs, live-session returns, and the improvement actions (CRUD + status + announcement).
Every call reads `request.auth.shop` only; ids of another shop answer 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from shouhou.accounts.permissions import VIEW
from shouhou.api.errors import DomainError
from shouhou.api.params import MAX_ID, OFFSET, limit_query
from shouhou.commerce.models import SKU, Host, LiveSession, Product

from . import metrics as m
from . import selectors as sel
from . import services as svc
from .models import ImprovementAction

router = Router(tags=["洞察与改进"])


# ------------------------------------------------------------------------------------------- schemas

class FilterQuery(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    channel: str | None = None
    team: str | None = None
    agent_id: int | None = Field(None, ge=1, le=MAX_ID)
    product_id: int | None = Field(None, ge=1, le=MAX_ID)
    sku_id: int | None = Field(None, ge=1, le=MAX_ID)
    batch: str | None = None
    carrier: str | None = None
    live_session_id: int | None = Field(None, ge=1, le=MAX_ID)
    host_id: int | None = Field(None, ge=1, le=MAX_ID)
    reason: str | None = None
    complaint_type: str | None = None


class ResultOut(Schema):
    applicable: bool
    numerator: int | None = None
    denominator: int | None = None
    ratio: Decimal | None = None
    count: int | None = None
    avg_business_seconds: int | None = None
    median_business_seconds: int | None = None
    avg_wall_seconds: int | None = None
    median_wall_seconds: int | None = None


class MetricOut(ResultOut):
    key: str
    label: str
    kind: str


class BreakdownRowOut(Schema):
    key: str | None
    label: str
    metrics: dict[str, ResultOut]


class DrillItemOut(Schema):
    id: int
    label: str


class DrillOut(Schema):
    metric: str
    part: str
    model: str
    count: int
    items: list[DrillItemOut]


class SessionReturnsOut(Schema):
    live_session_id: int | None
    title: str
    host: str
    returns: int
    lines: int
    ratio: Decimal | None
    reasons: dict[str, int]
    # Of all the session's lines, the share returned so far (to the period's end); null outside live sessions.
    session_returns: int | None = None
    session_lines: int | None = None
    session_ratio: Decimal | None = None


class ParetoOut(Schema):
    key: str
    label: str
    count: int
    share: Decimal
    cumulative: Decimal


class RisingOut(Schema):
    kind: str
    key: str | None
    label: str
    this_week: int
    last_week: int
    increase: int


class ActionIn(Schema):
    finding: str
    dimension: str = "other"
    dimension_key: str = ""
    product_id: int | None = None
    sku_id: int | None = None
    live_session_id: int | None = None
    host_id: int | None = None
    owner_id: int | None = None
    due_date: dt.date | None = None
    fix_type: str = "other"
    fix_description: str = ""
    metric: str = "return"
    metric_filters: dict[str, str | int] = {}
    baseline_start: dt.date | None = None
    baseline_end: dt.date | None = None
    announcement: str = ""
    announce: bool = False


class ActionPatch(Schema):
    finding: str | None = None
    dimension: str | None = None
    dimension_key: str | None = None
    product_id: int | None = None
    sku_id: int | None = None
    live_session_id: int | None = None
    host_id: int | None = None
    owner_id: int | None = None
    due_date: dt.date | None = None
    fix_type: str | None = None
    fix_description: str | None = None
    metric: str | None = None
    metric_filters: dict[str, str | int] | None = None
    baseline_start: dt.date | None = None
    baseline_end: dt.date | None = None
    announcement: str | None = None
    announce: bool | None = None


class StatusIn(Schema):
    status: str


class AnnounceIn(Schema):
    announcement: str | None = None


class ActionOut(Schema):
    id: int
    finding: str
    dimension: str
    dimension_key: str
    product_id: int | None
    sku_id: int | None
    live_session_id: int | None
    host_id: int | None
    owner_id: int | None
    owner: str | None
    due_date: dt.date | None
    fix_type: str
    fix_description: str
    status: str
    metric: str
    metric_filters: dict
    baseline_start: dt.date | None
    baseline_end: dt.date | None
    baseline_value: Decimal | None
    baseline_count: int | None
    done_on: dt.date | None
    after_start: dt.date | None
    after_end: dt.date | None
    after_value: Decimal | None
    after_count: int | None
    announcement: str
    announce: bool
    announced_at: dt.datetime | None
    created_at: dt.datetime


class WeeklyReviewOut(Schema):
    overdue: list[ActionOut]
    due_this_week: list[ActionOut]
    open: list[ActionOut]
    recently_done: list[ActionOut]


# ------------------------------------------------------------------------------------------- helpers

MAX_PERIOD_DAYS = sel.MAX_PERIOD_DAYS


def _need(request, action: str = VIEW) -> None:
    if not request.auth.can(action):
        raise DomainError("无权执行此操作。", status=403)


def _filters(request, q: FilterQuery) -> tuple[dt.datetime, dt.datetime, m.Filters]:
    shop = request.auth.shop
    end_d = q.end or (sel.localnow().date() + dt.timedelta(days=1))
    start_d = q.start or (end_d - dt.timedelta(days=7))
    if end_d <= start_d:
        raise DomainError("end 必须晚于 start", status=400, field="end")
    if (end_d - start_d).days > MAX_PERIOD_DAYS:  # as the pages (views._period): a year at most per query
        raise DomainError(f"时间跨度最多 {MAX_PERIOD_DAYS} 天（start 到 end），请分段查询", status=400, field="start")
    try:  # as the pages: dates far outside any shop's data (year 1, year 9999) are refused, not overflowed
        sel.check_period(start_d, end_d)
    except ValueError as exc:
        raise DomainError(str(exc), status=400, field="start") from exc
    for name, model in {"product_id": Product, "sku_id": SKU, "live_session_id": LiveSession,
                        "host_id": Host}.items():
        value = getattr(q, name)
        if value is not None and not model.objects.filter(shop=shop, pk=value).exists():
            raise DomainError(f"本店没有这个{model._meta.verbose_name}", status=404, field=name)
    # a member, or an agent who left the shop: their figures stay (the /agents rows list them) and can be filtered
    if q.agent_id is not None and not sel.agent_known(shop=shop, user_id=q.agent_id):
        raise DomainError("本店没有这个客服", status=404, field="agent_id")
    filters = m.Filters.of(channel=q.channel, team=q.team, agent=q.agent_id, product=q.product_id, sku=q.sku_id,
                           batch=q.batch, carrier=q.carrier, live_session=q.live_session_id, host=q.host_id,
                           reason=q.reason, complaint_type=q.complaint_type)
    return sel.day_start(start_d), sel.day_start(end_d), filters


def _result(result) -> dict:
    if result is None:
        return {"applicable": False}
    return {"applicable": True, **result.as_dict(),
            **({"count": result.count} if isinstance(result, m.Rate) else {})}


def _action_out(a: ImprovementAction) -> dict:
    return {
        **{f: getattr(a, f) for f in ("id", "finding", "dimension", "dimension_key", "product_id", "sku_id",
                                      "live_session_id", "host_id", "owner_id", "due_date", "fix_type",
                                      "fix_description", "status", "metric", "metric_filters", "baseline_start",
                                      "baseline_end", "baseline_value", "baseline_count", "done_on", "after_start",
                                      "after_end", "after_value", "after_count", "announcement", "announce",
                                      "announced_at", "created_at")},
        "owner": a.owner.get_username() if a.owner_id else None,
    }


def _action(request, improvementaction_id: int) -> ImprovementAction:
    return get_object_or_404(ImprovementAction.objects.select_related("owner", "shop"), shop=request.auth.shop,
                             pk=improvementaction_id)


_FK_FIELDS = {"product_id": "product", "sku_id": "sku", "live_session_id": "live_session", "host_id": "host",
              "owner_id": "owner"}


def _service_fields(data: dict) -> dict:
    return {_FK_FIELDS.get(k, k): v for k, v in data.items()}


def _run(fn, **kwargs):
    try:
        return fn(**kwargs)
    except svc.ImprovementError as exc:
        status = 404 if exc.field in {"product", "sku", "live_session", "host", "owner"} else 400
        raise DomainError(str(exc), status=status, field=exc.field) from exc


# ----------------------------------------------------------------------------------------- endpoints

@router.get("/metrics", response=list[MetricOut], summary="指标（按筛选条件）")
def list_metrics(request, q: Query[FilterQuery]):
    _need(request)
    start, end, filters = _filters(request, q)
    return [{"key": c.key, "label": c.label, "kind": c.kind, **_result(c.result)}
            for c in sel.metric_cards(shop=request.auth.shop, start=start, end=end, filters=filters)]


@router.get("/breakdowns/{dimension}", response=list[BreakdownRowOut], summary="分维度指标")
def breakdown(request, dimension: str, q: Query[FilterQuery], limit: int = limit_query(200, 1000)):
    _need(request)
    if dimension not in sel.DIMENSION_LABELS:
        raise DomainError(f"未知的维度：{dimension}", status=404, field="dimension")
    start, end, filters = _filters(request, q)
    rows = sel.breakdown(shop=request.auth.shop, dim=dimension, start=start, end=end, filters=filters,
                         limit=min(limit, 1000))
    return [{"key": None if r.key is None else r.filter_value, "label": r.label,
             "metrics": {k: _result(v) for k, v in r.values.items()}} for r in rows]


@router.get("/drill/{metric}", response=DrillOut, summary="指标明细（与数字一致的行）")
def drill(request, metric: str, q: Query[FilterQuery], part: str = "num", limit: int = limit_query(100, 500),
          offset: int = OFFSET):
    _need(request)
    if metric not in m.METRICS or part not in {"num", "den", "all"}:
        raise DomainError("未知的指标或部分（part 为 num/den/all）", status=404, field="metric")
    start, end, filters = _filters(request, q)
    try:
        qs, model = sel.drill_rows(metric=metric, part=part, shop=request.auth.shop, start=start, end=end,
                                   filters=filters)
    except (m.NotApplicable, KeyError) as exc:
        raise DomainError("该筛选条件不适用于此指标", status=400, field="part") from exc
    items = [{"id": row.pk, "label": str(getattr(row, "number", "") or row)}
             for row in qs[offset:offset + min(limit, 500)]]
    return {"metric": metric, "part": part, "model": model, "count": qs.count(), "items": items}


@router.get("/live-sessions/returns", response=list[SessionReturnsOut], summary="各直播场次退货及原因")
def session_returns(request, q: Query[FilterQuery], limit: int = limit_query(20, 200)):
    _need(request)
    start, end, filters = _filters(request, q)
    return [{"live_session_id": r.key, "title": r.label, "host": r.host, "returns": r.rate.numerator,
             "lines": r.rate.denominator, "ratio": r.rate.ratio, "reasons": {code: n for code, _l, n in r.reasons},
             **({"session_returns": r.session_rate.numerator, "session_lines": r.session_rate.denominator,
                 "session_ratio": r.session_rate.ratio} if r.session_rate else {})}
            for r in sel.live_session_returns(shop=request.auth.shop, start=start, end=end, filters=filters,
                                              limit=min(limit, 200))]


@router.get("/pareto/{kind}", response=list[ParetoOut], summary="帕累托：退货原因 / 差评类型")
def pareto(request, kind: str, q: Query[FilterQuery]):
    _need(request)
    if kind not in sel.PARETO:
        raise DomainError("kind 为 reason 或 complaint_type", status=404, field="kind")
    start, end, filters = _filters(request, q)
    return [{"key": r.key, "label": r.label, "count": r.count, "share": r.share, "cumulative": r.cumulative}
            for r in sel.pareto(shop=request.auth.shop, kind=kind, start=start, end=end, filters=filters)]


@router.get("/rising", response=list[RisingOut], summary="本周上升最多的问题（对比上周）")
def rising(request, week: str = "", limit: int = limit_query(10, 100)):
    _need(request)
    try:
        start = sel.iso_week(week)[0] if week else sel.current_week()[0]
    except ValueError as exc:
        raise DomainError(str(exc), status=400, field="week") from exc
    return [{"kind": r.kind, "key": None if r.key is None else str(r.key), "label": r.label,
             "this_week": r.this_week, "last_week": r.last_week, "increase": r.increase}
            for r in sel.rising_problems(shop=request.auth.shop, week_start=start, limit=min(limit, 100))]


@router.get("/agents", response=list[BreakdownRowOut], summary="客服绩效（速度与满意度）")
def agents(request, q: Query[FilterQuery]):
    _need(request)
    start, end, filters = _filters(request, q)
    return [{"key": None if r.key is None else r.filter_value, "label": r.label,
             "metrics": {k: _result(v) for k, v in r.values.items()}}
            for r in sel.agent_kpis(shop=request.auth.shop, start=start, end=end, filters=filters)]


@router.get("/actions", response=list[ActionOut], summary="改进行动列表")
def list_actions(request, status: str | None = None, limit: int = limit_query(100, 500), offset: int = OFFSET):
    _need(request)
    qs = sel.improvement_action_list(shop=request.auth.shop, status=status)
    return [_action_out(a) for a in qs[offset:offset + min(limit, 500)]]


@router.get("/actions/weekly-review", response=WeeklyReviewOut, summary="周会清单")
def weekly_review(request):
    _need(request)
    review = sel.improvement_weekly_review(shop=request.auth.shop)
    return {k: [_action_out(a) for a in v] for k, v in review.items()}


@router.post("/actions", response={201: ActionOut}, summary="新建改进行动")
def create_action(request, payload: ActionIn):
    _need(request)
    data = _service_fields(payload.dict())
    finding = data.pop("finding")
    data = {k: v for k, v in data.items() if v is not None}
    action = _run(svc.improvement_create, shop=request.auth.shop, actor=request.auth, finding=finding, **data)
    return Status(201, _action_out(action))


@router.get("/actions/{improvementaction_id}", response=ActionOut, summary="改进行动详情")
def get_action(request, improvementaction_id: int):
    _need(request)
    return _action_out(_action(request, improvementaction_id))


@router.patch("/actions/{improvementaction_id}", response=ActionOut, summary="修改改进行动")
def update_action(request, improvementaction_id: int, payload: ActionPatch):
    _need(request)
    action = _action(request, improvementaction_id)
    data = _service_fields(payload.dict(exclude_unset=True))
    return _action_out(_run(svc.improvement_update, action=action, actor=request.auth, **data))


@router.post("/actions/{improvementaction_id}/status", response=ActionOut, summary="改变状态（完成 / 验证）")
def set_status(request, improvementaction_id: int, payload: StatusIn):
    _need(request)
    action = _action(request, improvementaction_id)
    return _action_out(_run(svc.improvement_set_status, action=action, status=payload.status,
                            actor=request.auth))


@router.post("/actions/{improvementaction_id}/announce", response=ActionOut, summary="记录已向顾客公告")
def announce(request, improvementaction_id: int, payload: AnnounceIn):
    _need(request)
    action = _action(request, improvementaction_id)
    return _action_out(_run(svc.improvement_announce, action=action, actor=request.auth,
                            text=payload.announcement))


@router.delete("/actions/{improvementaction_id}", response={204: None}, summary="删除改进行动")
def delete_action(request, improvementaction_id: int):
    _need(request)
    svc.improvement_delete(action=_action(request, improvementaction_id), actor=request.auth)
    return Status(204, None)
