"""Insight reads: metric cards, breakdowns, Pareto, rising problems, agent KPIs, the weekly review list and
the weekly report. Every function is a handful of set-based aggregate queries (one per table and metric,
plus one per label table), never a query per row. Definitions: docs/metrics.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouhou.cases.choices import CaseChannel, ClaimReason
from shouhou.commerce.choices import Carrier
from shouhou.commerce.models import SKU, Host, LiveSession, Product
from shouhou.core.clock import local_tz, localnow
from shouhou.inbox.choices import Channel, Team
from shouhou.reviews.choices import ComplaintType

from . import metrics as m
from .choices import OPEN_ACTION_STATUSES, ActionStatus
from .metrics import DATE_DIMS, NONE, Filters, NotApplicable, Rate, TimeStats
from .models import ImprovementAction

DIMENSION_LABELS = {
    "day": gettext_lazy("按天"), "week": gettext_lazy("按周"), "channel": gettext_lazy("渠道"),
    "team": gettext_lazy("团队"), "agent": gettext_lazy("客服"), "product": gettext_lazy("商品"), "sku": "SKU",
    "batch": gettext_lazy("批次"), "carrier": gettext_lazy("快递公司"), "live_session": gettext_lazy("直播场次"),
    "host": gettext_lazy("主播"), "reason": gettext_lazy("售后原因"), "complaint_type": gettext_lazy("差评类型"),
}
UNKNOWN = gettext_lazy("未知")
NOT_PROBLEMS = {"", "none"}  # complaint types that are not a complaint


# --------------------------------------------------------------------------------------------- periods

def day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=local_tz())


# The days a period may cover. Outside them there is no shop data, and near the ends of Python's calendar
# (year 1, year 9999) the local-midnight arithmetic overflows: a page asked for 0001-01-01 answered 500.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)
MAX_PERIOD_DAYS = 366  # a year at most per query (pages and API)


def check_period(start_d: date, end_d: date) -> None:
    """A period [start_d, end_d) the pages and the API accept. Raises ValueError naming what is wrong."""
    if not (FIRST_DAY <= start_d <= LAST_DAY and FIRST_DAY <= end_d <= LAST_DAY):
        raise ValueError(_("日期须在 %(first)s 至 %(last)s 之间") % {"first": FIRST_DAY.isoformat(),
                                                                   "last": LAST_DAY.isoformat()})
    if end_d <= start_d:
        raise ValueError(_("结束日期须晚于开始日期"))
    if (end_d - start_d).days > MAX_PERIOD_DAYS:
        raise ValueError(_("时间跨度最多 %(days)s 天，请分段查看") % {"days": MAX_PERIOD_DAYS})


def iso_week(value: str) -> tuple[datetime, datetime]:
    """'2026-W48' -> [Monday 00:00, next Monday 00:00) in local time. Raises ValueError."""
    try:
        year, week = value.upper().split("-W")
        year, week = int(year), int(week)
    except (ValueError, AttributeError):
        raise ValueError(_("周的格式应为 2026-W48")) from None
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:  # the form is right, the week is not (2026-W99, W00)
        raise ValueError(_("没有这一周：%(week)s（每年有 52 或 53 周）") % {"week": value}) from None
    if not FIRST_DAY <= monday <= LAST_DAY - timedelta(days=14):  # the week before is read too (rising)
        raise ValueError(_("这一周超出可查询的范围：%(week)s") % {"week": value})
    return day_start(monday), day_start(monday + timedelta(days=7))


def week_label(d: date) -> str:
    y, w, _d = d.isocalendar()
    return f"{y}-W{w:02d}"


def current_week(today: date | None = None) -> tuple[datetime, datetime]:
    today = today or localnow().date()
    monday = today - timedelta(days=today.weekday())
    return day_start(monday), day_start(monday + timedelta(days=7))


# ---------------------------------------------------------------------------------------------- labels

def labels_for(dim: str, keys) -> dict:
    """Display names for group keys: one query per referenced table."""
    keys = [k for k in keys if k is not None and k != ""]
    if dim == "day":
        return {k: k.isoformat() for k in keys}
    if dim == "week":
        return {k: week_label(k) for k in keys}
    # A "channel" is a conversation's (inbox) or, for case metrics, where the case was opened.
    choices = {"channel": (Channel, CaseChannel), "team": (Team,), "reason": (ClaimReason,),
               "complaint_type": (ComplaintType,), "carrier": (Carrier,)}
    if dim in choices:
        table = {value: label for enum in choices[dim] for value, label in enum.choices}
        return {k: str(table.get(k, k)) for k in keys}
    if dim == "batch":
        return {k: k for k in keys}
    if dim == "agent":
        users = get_user_model().objects.filter(pk__in=keys)
        return {u.pk: u.get_full_name() or u.first_name or u.get_username() for u in users}
    models = {"product": (Product, "name"), "live_session": (LiveSession, "title"), "host": (Host, "name")}
    if dim in models:
        model, attr = models[dim]
        return dict(model.objects.filter(pk__in=keys).values_list("pk", attr))
    if dim == "sku":  # people know a product by its name: "法式碎花连衣裙 红色 M（SKU-001）"
        return {pk: " ".join(part for part in (name, spec) if part) + f"（{code}）" for pk, name, spec, code in
                SKU.objects.filter(pk__in=keys).values_list("pk", "product__name", "spec", "code")}
    return {k: str(k) for k in keys}


def agent_known(*, shop, user_id: int) -> bool:
    """A person the shop's figures may name: a member, or someone with work in the shop — an agent who left it
    keeps their rows (KPIs, reply rates), so the 客服 filter and the API must follow them too. Small indexed
    look-ups, stopping at the first found."""
    from shouhou.accounts.models import Membership
    from shouhou.cases.models import Case
    from shouhou.inbox.models import Message, Ticket, TicketEvent
    from shouhou.reviews.models import RecoveryTask

    return any(qs.exists() for qs in (
        Membership.objects.filter(shop=shop, user_id=user_id), Ticket.objects.filter(shop=shop, assignee_id=user_id),
        TicketEvent.objects.filter(shop=shop, actor_id=user_id), Message.objects.filter(shop=shop, agent_id=user_id),
        Case.objects.filter(shop=shop, assignee_id=user_id), RecoveryTask.objects.filter(shop=shop, assignee_id=user_id)))


_SHOP_ROWS = {"product": Product, "live_session": LiveSession, "host": Host, "sku": SKU}


def filter_label(*, shop, name: str, value) -> str:
    """A filter's value as people know it (a reason's label, a carrier's name, a session's title), named only when
    it is this shop's: an id typed into the address of another shop's product or user shows as the bare id."""
    if value == NONE:
        return str(UNKNOWN)
    key = value
    if name in DATE_DIMS:
        key = date.fromisoformat(str(value)[:10])
    elif str(value).isdigit() and name not in m.CHAR_DIMS:
        key = int(value)
        ours = (agent_known(shop=shop, user_id=key) if name == "agent" else
                _SHOP_ROWS[name].objects.filter(shop=shop, pk=key).exists() if name in _SHOP_ROWS else True)
        if not ours:
            return str(value)
    return str(labels_for(name, [key]).get(key, str(value)))


def filter_value(key) -> str:
    """The value to put in a drill link for a group key (None -> the 未知 marker)."""
    if key is None:
        return NONE
    if isinstance(key, date):
        return key.isoformat()
    return str(key)


# ----------------------------------------------------------------------------------------------- cards

@dataclass
class Card:
    key: str
    label: str
    kind: str
    result: Rate | TimeStats | None  # None: a filter does not apply to this metric
    left_out: int | None = None  # SLA: tickets the system closed with no agent, not counted (shown apart)

    @property
    def applicable(self) -> bool:
        return self.result is not None


def metric_cards(*, shop, start: datetime, end: datetime, filters: Filters | None = None,
                 keys: list[str] | None = None) -> list[Card]:
    cards = [Card(key, str(d.label_str), "time" if d.kind == "time" else "rate",
                  m.metric(key, shop=shop, start=start, end=end, filters=filters))
             for key, d in m.METRICS.items() if keys is None or key in keys]
    for card in cards:
        if card.key == "sla" and card.result is not None:
            card.left_out = sla_left_out(shop=shop, start=start, end=end, filters=filters)
    return cards


def sla_left_out(*, shop, start: datetime, end: datetime, filters: Filters | None = None) -> int:
    """Tickets in the SLA period that the system closed with no agent (not in the SLA rate)."""
    try:
        return m.population_qs("ticket_sla_system", shop=shop, start=start, end=end, filters=filters).count()
    except NotApplicable:
        return 0


# ------------------------------------------------------------------------------------------ breakdowns

@dataclass
class BreakdownRow:
    key: object  # the group value (None = unknown)
    label: str
    values: dict  # metric key -> Rate | TimeStats | None

    @property
    def filter_value(self) -> str:
        return filter_value(self.key)


# What each breakdown page shows by default: speed and satisfaction for the people dimensions, returns and
# reviews for the product dimensions (every metric stays available through `keys`, the API and the report).
_SPEED = ["first_response", "resolution", "sla", "csat", "repeat_contact"]
_GOODS = ["return", "refund", "positive_review", "csat"]
DIMENSION_METRICS = {
    "day": list(m.METRICS), "week": list(m.METRICS), "channel": _SPEED, "team": _SPEED,
    "agent": [*_SPEED, "recovery"], "product": _GOODS, "sku": _GOODS, "batch": _GOODS, "carrier": _GOODS,
    "live_session": _GOODS, "host": _GOODS, "reason": ["return", "refund", "csat"],
    "complaint_type": ["positive_review", "recovery"],
}


def breakdown_metrics(dim: str) -> list[str]:
    return [k for k in DIMENSION_METRICS.get(dim, list(m.METRICS)) if dim in m.dimensions_for(k)]


def breakdown(*, shop, dim: str, start: datetime, end: datetime, filters: Filters | None = None,
              keys: list[str] | None = None, sort: str | None = None, limit: int | None = None) -> list[BreakdownRow]:
    """One row per group value of `dim`, each with every metric that supports the dimension."""
    if dim not in DIMENSION_LABELS:
        raise NotApplicable(dim)
    wanted = [k for k in (keys or breakdown_metrics(dim)) if dim in m.dimensions_for(k)]
    per_metric, counted = {}, set()
    for key in wanted:
        try:
            per_metric[key] = m.compute(key, shop=shop, start=start, end=end, filters=filters, group=dim)
            counted.add(key)
        except NotApplicable:
            per_metric[key] = {}
    groups = {g for values in per_metric.values() for g in values}
    calendar = _calendar_keys(dim, start, end, filters, most=min(CALENDAR_MOST, limit or CALENDAR_MOST))
    groups |= set(calendar)
    names = labels_for(dim, groups)
    # a day (week) of the period with nothing to count is a row of zeros (0/0, "—"), not missing: two days with data
    # were listed one under the other as if consecutive; the same for a metric with nothing on a day others have
    empty = {k: _empty_result(k) for k in counted} if calendar else {}
    rows = [BreakdownRow(g, str(names.get(g, UNKNOWN if g is None else g)),
                         {k: per_metric[k].get(g, empty.get(k)) for k in wanted}) for g in groups]
    if dim in {"day", "week"}:
        rows.sort(key=lambda r: (r.key is None, r.key or date.min))
    else:
        order = sort or (wanted[0] if wanted else None)
        rows.sort(key=lambda r: (-_weight(r.values.get(order)), r.label))
    return rows[:limit] if limit else rows


CALENDAR_MOST = 400  # a longer period is listed by the days (weeks) that have data only


def _calendar_keys(dim: str, start: datetime, end: datetime, filters: Filters | None, most: int) -> list[date]:
    """Every local day (dim "day") or week's Monday ("week") of [start, end); none for other dimensions, for a
    period filtered to a day or a week, or past `most` rows (the rows shown: the days with data must not be cut)."""
    if dim not in {"day", "week"} or (filters is not None and set(filters.active()) & {"day", "week"}):
        return []
    tz = local_tz()
    first, last = start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()
    step = 1
    if dim == "week":
        first, step = first - timedelta(days=first.weekday()), 7
    keys = [first + timedelta(days=i) for i in range(0, max(0, (last - first).days + 1), step)]
    return keys if len(keys) <= most else []


def _empty_result(key: str):
    return (TimeStats(0, None, None, None, None) if m.METRICS[key].kind == "time" else Rate(0, 0))


def _weight(result) -> float:
    if isinstance(result, Rate):
        return result.numerator
    if isinstance(result, TimeStats):
        return result.count
    return 0


# ------------------------------------------------------------------------------------ return analysis

@dataclass
class SessionReturns:
    key: object
    label: str
    host: str
    rate: Rate
    reasons: list[tuple[str, str, int]]  # (reason code, label, count), largest first
    # Of everything the session sold, how much came back so far (returns created before the period's end ÷
    # the session's lines): a session that aired before the period has no lines in it, so `rate` is "—"
    # there while its returns keep coming. None for orders outside any live session.
    session_rate: Rate | None = None


def live_session_returns(*, shop, start: datetime, end: datetime, filters: Filters | None = None,
                         limit: int = 20) -> list[SessionReturns]:
    """Which live session produced the most returns, and why: the return rate per session (return cases
    created in the period ÷ lines of orders placed in the period) and the reason split of those returns."""
    filters = filters or Filters()
    rates = m.compute("return", shop=shop, start=start, end=end, filters=filters, group="live_session")
    cases = m.population_qs("case_return", shop=shop, start=start, end=end, filters=filters)
    split: dict = {}
    for r in cases.values("live_session", "reason").order_by().annotate(n=Count("pk")):
        split.setdefault(r["live_session"], []).append((r["reason"], r["n"]))
    keys = sorted(rates, key=lambda k: (-rates[k].numerator, -(rates[k].ratio or 0), str(k)))
    keys = [k for k in keys if rates[k].numerator][:limit]
    sessions = {s.pk: s for s in LiveSession.objects.filter(shop=shop, pk__in=[k for k in keys if k])
                .select_related("host")}
    reason_names = dict(ClaimReason.choices)
    whole = _whole_session_rates(shop=shop, sessions=list(sessions.values()), end=end, filters=filters)
    out = []
    for k in keys:
        s = sessions.get(k)
        reasons = sorted(split.get(k, []), key=lambda x: -x[1])
        out.append(SessionReturns(k, s.title if s else _("非直播订单"), s.host.name if s and s.host else "",
                                  rates[k], [(code, str(reason_names.get(code, code)), n) for code, n in reasons],
                                  whole.get(k) if s else None))
    return out


def _whole_session_rates(*, shop, sessions: list, end: datetime, filters: Filters) -> dict:
    """{session pk: Rate} over each session's whole life up to `end`: from the day before the earliest one
    aired (orders placed ahead of a show) — one grouped computation for all of them."""
    if not sessions:
        return {}
    first_day = min(s.started_at for s in sessions).astimezone(local_tz()).date() - timedelta(days=1)
    start = min(day_start(first_day), end)
    rates = m.compute("return", shop=shop, start=start, end=end, filters=filters, group="live_session")
    return {s.pk: rates.get(s.pk, Rate(0, 0)) for s in sessions}


@dataclass
class ParetoRow:
    key: str
    label: str
    count: int
    share: Decimal
    cumulative: Decimal


PARETO = {
    # name: (population, dimension, drill metric, drill part, title)
    "reason": ("case_return", "reason", "return", "num", gettext_lazy("退货原因")),
    "complaint_type": ("review", "complaint_type", "positive_review", "den", gettext_lazy("评价问题类型")),
}


def pareto(*, shop, kind: str, start: datetime, end: datetime, filters: Filters | None = None) -> list[ParetoRow]:
    """Counts per reason (return cases) or complaint type (reviews with a complaint), largest first, with
    each row's share and the cumulative share (the 80/20 line)."""
    pop, dim, *_rest = PARETO[kind]
    qs = m.population_qs(pop, shop=shop, start=start, end=end, filters=filters)
    if dim == "complaint_type":
        qs = qs.exclude(complaint_type__in=NOT_PROBLEMS)
    counts = [(r[dim], r["n"]) for r in qs.values(dim).order_by().annotate(n=Count("pk"))]
    counts.sort(key=lambda x: (-x[1], x[0]))
    total = sum(n for _, n in counts)
    names = labels_for(dim, [k for k, _ in counts])
    rows, running = [], 0
    for key, n in counts:
        running += n
        rows.append(ParetoRow(key, names.get(key, key), n, _share(n, total), _share(running, total)))
    return rows


def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else Decimal(0)


@dataclass
class RisingRow:
    kind: str  # complaint_type | reason | sku
    key: object
    label: str
    this_week: int
    last_week: int

    @property
    def increase(self) -> int:
        return self.this_week - self.last_week

    @property
    def kind_label(self) -> str:
        """What kind of problem the row is (the table mixes three), in the reader's language."""
        return str(RISING_KIND_LABELS.get(self.kind, self.kind))


RISING_KIND_LABELS = {"complaint_type": gettext_lazy("差评类型"), "reason": gettext_lazy("售后原因"), "sku": "SKU"}


RISING = {
    # kind: (population, dimension, title)
    "complaint_type": ("review", "complaint_type", "差评类型"),
    "reason": ("case_all", "reason", "售后原因"),
    "sku": ("case_all", "sku", "SKU（售后单）"),
}


def rising_problems(*, shop, week_start: datetime, filters: Filters | None = None, limit: int = 10) -> list[RisingRow]:
    """Top problems that rose: counts in the week starting `week_start` against the week before, per
    complaint type (reviews posted), case reason and SKU (cases created); only increases, largest first.
    One query per kind (both weeks at once)."""
    last_start, this_end = week_start - timedelta(days=7), week_start + timedelta(days=7)
    rows: list[RisingRow] = []
    for kind, (pop, dim, _title) in RISING.items():
        qs = m.population_qs(pop, shop=shop, start=last_start, end=this_end, filters=filters)
        date_field = "posted_at" if pop == "review" else "created_at"
        if dim == "complaint_type":
            qs = qs.exclude(complaint_type__in=NOT_PROBLEMS)
        path = "order_line__sku" if dim == "sku" else dim
        data = qs.values(path).order_by().annotate(
            this=Count("pk", filter=Q(**{f"{date_field}__gte": week_start})),
            last=Count("pk", filter=Q(**{f"{date_field}__lt": week_start})),
        )
        found = [(r[path], r["this"], r["last"]) for r in data if r["this"] > r["last"]]
        names = labels_for(dim, [k for k, _, _ in found])
        rows += [RisingRow(kind, k, str(names.get(k, UNKNOWN if k is None else k)), this, last)
                 for k, this, last in found]
    rows.sort(key=lambda r: (-r.increase, -r.this_week, r.label))
    return rows[:limit]


# ------------------------------------------------------------------------------------------ agent KPIs

AGENT_METRICS = ["first_response", "resolution", "sla", "csat", "recovery"]


def agent_kpis(*, shop, start: datetime, end: datetime, filters: Filters | None = None) -> list[BreakdownRow]:
    """Per agent: speed (first response and resolution: count, average and median, business and wall
    clock), SLA compliance, CSAT on the tickets/cases they handled, and bad-review recovery success."""
    rows = breakdown(shop=shop, dim="agent", start=start, end=end, filters=filters, keys=AGENT_METRICS)
    return [r for r in rows if r.key is not None] + [r for r in rows if r.key is None]


# -------------------------------------------------------------------------------------------- drilling

def drill_rows(*, metric: str, part: str, shop, start: datetime, end: datetime, filters: Filters | None = None):
    """The rows behind a number (see metrics.drill_queryset), with what the list needs selected."""
    qs = m.drill_queryset(metric, part, shop=shop, start=start, end=end, filters=filters)
    model = qs.model._meta.label_lower
    related = {
        "cases.case": ["order", "order_line", "live_session", "assignee"],
        "inbox.ticket": ["assignee", "order"],
        "reviews.review": ["live_session", "order"],
        "reviews.recoverytask": ["review", "assignee"],
        "insight.surveyresponse": ["invitation__case", "invitation__ticket"],
        "commerce.orderline": ["order", "sku", "order__live_session"],
    }.get(model, [])
    qs = qs.select_related(*related)
    if model == "inbox.ticket":  # who gave the first response: the person the 客服 filter of 首次响应 follows
        from django.db.models import OuterRef, Subquery

        from shouhou.inbox.selectors import first_responder

        users = get_user_model().objects.filter(pk=OuterRef("first_responder_id"))
        qs = qs.annotate(first_responder_id=first_responder(),
                         first_responder_name=Subquery(users.values(get_user_model().USERNAME_FIELD)[:1]))
    return qs.order_by("-pk"), model


def pareto_drill(kind: str) -> tuple[str, str, str]:
    """(metric, part, filter name) whose drill lists exactly the rows of a Pareto/rising row."""
    pop, dim, metric, part, _title = PARETO[kind]
    return metric, part, dim


# ----------------------------------------------------------------------------------- improvement loop

def improvement_action_list(*, shop, status: str | None = None):
    qs = ImprovementAction.objects.filter(shop=shop).select_related("owner", "sku__product", "product", "live_session",
                                                                     "host")
    if status:
        qs = qs.filter(status=status)
    # Work first (open, in progress), then done and verified; by due date, undated last on both databases
    # (SQLite sorts NULL first, PostgreSQL last).
    stage = Case(*(When(status=s, then=Value(i)) for i, s in enumerate(
        [ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.VERIFIED])),
        default=Value(9), output_field=IntegerField())
    return qs.order_by(stage, F("due_date").asc(nulls_last=True), "pk")


def improvement_weekly_review(*, shop, today: date | None = None, done_days: int = 14) -> dict[str, list]:
    """The list for the weekly review meeting, in one query: overdue, due this week, other open actions,
    and actions done or verified in the last `done_days` days (with their before/after values)."""
    today = today or localnow().date()
    sunday = today + timedelta(days=6 - today.weekday())
    actions = improvement_action_list(shop=shop).filter(
        Q(status__in=OPEN_ACTION_STATUSES) | Q(status__in=[ActionStatus.DONE, ActionStatus.VERIFIED],
                                               done_on__gte=today - timedelta(days=done_days)))
    out: dict[str, list] = {"overdue": [], "due_this_week": [], "open": [], "recently_done": []}
    for a in actions:
        if a.status not in OPEN_ACTION_STATUSES:
            out["recently_done"].append(a)
        elif a.due_date and a.due_date < today:
            out["overdue"].append(a)
        elif a.due_date and a.due_date <= sunday:
            out["due_this_week"].append(a)
        else:
            out["open"].append(a)
    return out


# ------------------------------------------------------------------- reply rates per buyer message, by day

class AgentHistory(tuple):
    """(label, rows) of one agent's days — unpacks as a pair — with the login name as `.login` ("" for the
    messages no agent held): the page's data-agent hook, while the label is the name people read."""

    def __new__(cls, label: str, rows: list, login: str = ""):
        pair = super().__new__(cls, (label, rows))
        pair.login = login
        return pair

    @property
    def label(self) -> str:
        return self[0]

    @property
    def rows(self) -> list:
        return self[1]


@dataclass
class ReplyRateHistory:
    """Daily reply rates per agent under the shop's platform rule (docs/metrics.md, 回复率)."""

    targets: list[int]                 # seconds, e.g. [180] for 飞鸽, [180, 300] for 快手
    days: list[date]
    team: list                         # sla.selectors.ReplyRateRow or None, one per day
    agents: list[AgentHistory]         # (agent label, one row or None per day), with .login
    ignored: list[str] = field(default_factory=list)  # the page's active filters the rates do not follow

    @property
    def target_minutes(self) -> list[int]:
        return [s // 60 for s in self.targets]


def reply_rate_filters(filters) -> tuple[dict, list[str]]:
    """The page's filters as reply_rates arguments (the conversation's channel, the message's agent), and the
    names of the active filters they cannot follow (a live session, a product…: a buyer message has none)."""
    active = filters.active() if filters is not None else {}
    kwargs: dict = {}
    if active.get("channel") and active["channel"] != m.NONE:
        kwargs["channel"] = str(active["channel"])
    if str(active.get("agent", "")).isdigit():
        kwargs["agent_id"] = int(active["agent"])
    followed = {"channel": "channel" in kwargs, "agent": "agent_id" in kwargs}
    ignored = [name for name in active if not followed.get(name)]
    return kwargs, ignored


def reply_rate_history(*, shop, start: datetime, end: datetime, filters=None) -> ReplyRateHistory:
    """Two aggregate queries (per agent and day, per day) and one for the agents' names. `filters`: the page's
    (insight.metrics.Filters); the channel and the agent apply, the others are listed in `ignored`."""
    from shouhou.sla.reply_rules import reply_rule_for
    from shouhou.sla.selectors import reply_rates

    rule = reply_rule_for(shop.platform)
    narrow, ignored = reply_rate_filters(filters)
    first = start.astimezone(local_tz()).date()
    days = [first + timedelta(days=i) for i in range((end.astimezone(local_tz()).date() - first).days)]
    team = {r.day: r for r in reply_rates(shop=shop, start=start, end=end, by=("day",), **narrow)}
    per_agent: dict[int | None, dict[date, object]] = {}
    for r in reply_rates(shop=shop, start=start, end=end, by=("agent", "day"), **narrow):
        per_agent.setdefault(r.agent_id, {})[r.day] = r
    # an agent is named as the KPI table beside it names them (labels_for: the full name, else the login), so
    # one person is not "客服1号" in one table and "kefu1" in the next; the login name stays for data-agent
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=[k for k in per_agent if k])}
    labels = labels_for("agent", list(users))
    unassigned = _("未分配")
    agents = sorted((AgentHistory(labels.get(k, unassigned), [rows.get(d) for d in days],
                                  users[k].get_username() if k in users else "")
                     for k, rows in per_agent.items()), key=lambda a: (a.login == "", a.label, a.login))
    return ReplyRateHistory(targets=list(rule.targets), days=days, team=[team.get(d) for d in days], agents=agents,
                            ignored=[str(DIMENSION_LABELS.get(name, name)) for name in ignored])


# -------------------------------------------------------------------------------------- weekly report

REPORT_DIMENSIONS = ["day", "channel", "agent", "sku", "batch", "carrier", "live_session", "host"]


def weekly_report(*, shop, start: datetime, end: datetime) -> dict:
    """Everything of the weekly report (HTML page, .xlsx, CLI) for the week [start, end)."""
    return {
        "shop": shop, "start": start, "end": end, "week": week_label(start.astimezone(local_tz()).date()),
        "cards": metric_cards(shop=shop, start=start, end=end),
        "breakdowns": {dim: breakdown(shop=shop, dim=dim, start=start, end=end, limit=20)
                       for dim in REPORT_DIMENSIONS},
        "pareto": {kind: pareto(shop=shop, kind=kind, start=start, end=end) for kind in PARETO},
        "rising": rising_problems(shop=shop, week_start=start),
        "sessions": live_session_returns(shop=shop, start=start, end=end, limit=10),
        "agents": agent_kpis(shop=shop, start=start, end=end),
        "reply_rates": reply_rate_history(shop=shop, start=start, end=end),
        "actions": improvement_weekly_review(shop=shop, today=(end - timedelta(days=1)).astimezone(local_tz()).date()),
    }


# ------------------------------------------------------------------------------------- the benchmark

def dashboard_queries(*, shop, start: datetime, end: datetime) -> list[tuple[str, Callable[[], object]]]:
    """Every query the dashboard pages run, by name (timed by bench/insight_dashboard.py)."""
    jobs: list[tuple[str, Callable[[], object]]] = []
    for key in m.METRICS:
        jobs.append((f"metric {key}", lambda key=key: m.metric(key, shop=shop, start=start, end=end)))
    for dim in ["day", "week", "channel", "team", "agent", "product", "sku", "batch", "carrier", "live_session",
                "host"]:
        jobs.append((f"breakdown by {dim}", lambda dim=dim: breakdown(shop=shop, dim=dim, start=start, end=end)))
    jobs += [
        ("live session returns + reasons", lambda: live_session_returns(shop=shop, start=start, end=end)),
        ("pareto return reasons", lambda: pareto(shop=shop, kind="reason", start=start, end=end)),
        ("pareto complaint types", lambda: pareto(shop=shop, kind="complaint_type", start=start, end=end)),
        ("rising problems (week vs week)", lambda: rising_problems(shop=shop, week_start=start)),
        ("agent KPIs", lambda: agent_kpis(shop=shop, start=start, end=end)),
        ("drill return cases (count)", lambda: m.drill_queryset("return", "num", shop=shop, start=start,
                                                                end=end).count()),
    ]
    return jobs
