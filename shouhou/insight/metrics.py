"""After-sales metrics. Definitions: docs/metrics.md (followed exactly; change both together).

Every metric reads one shop and the half-open period [start, end). A metric is built from a
*population* (the rows it counts, e.g. "tickets first responded in the period") and, for rates, a
numerator condition. The same population function serves the number, every breakdown and the drill
list, so a drilled list always has exactly the rows behind the number.

Filters and breakdown dimensions share one table of expressions per population (`_dims_*`): filtering
on a dimension and grouping by it use the same SQL expression. A filter the population cannot carry
(e.g. `team` on reviews) makes the metric "not applicable" (`None`), except for the order-line
denominator of the refund/return rates, which takes only the line dimensions.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    CharField,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.db.models.functions import Trunc

from shouhou.cases.choices import CaseKind
from shouhou.cases.models import Case
from shouhou.commerce.models import OrderLine, Shipment
from shouhou.core.clock import local_tz
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import Ticket
from shouhou.inbox.selectors import first_responder
from shouhou.reviews.choices import Outcome, TaskStatus
from shouhou.reviews.models import RecoveryTask, Review

from .choices import MetricKey
from .models import OrderLineDaily, RollupDay, SurveyResponse

NONE = "__none__"  # a filter value meaning "not set" (the 未知 group of a breakdown)

# ---------------------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    channel: str | None = None
    team: str | None = None
    agent: int | str | None = None
    product: int | str | None = None
    sku: int | str | None = None
    batch: str | None = None
    carrier: str | None = None
    live_session: int | str | None = None
    host: int | str | None = None
    reason: str | None = None
    complaint_type: str | None = None
    day: date | str | None = None  # a local day (from a "by day" breakdown)
    week: date | str | None = None  # the Monday of a local ISO week (from a "by week" breakdown)

    @classmethod
    def of(cls, **values) -> Filters:
        """Accept model instances or ids; empty strings mean "no filter"."""
        clean = {}
        names = {f.name for f in fields(cls)}
        for name, value in values.items():
            if name not in names or value is None or value == "":
                continue
            clean[name] = getattr(value, "pk", value)
        return cls(**clean)

    def active(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def with_(self, **values) -> Filters:
        return Filters.of(**{**self.active(), **values})


FILTER_NAMES = [f.name for f in fields(Filters)]
CHAR_DIMS = {"channel", "team", "batch", "carrier", "reason", "complaint_type"}
DATE_DIMS = {"day", "week"}


class NotApplicable(Exception):  # noqa: N818 (a signal, not an error)
    """The population cannot carry a requested filter or dimension."""


# ------------------------------------------------------------------------------------ dimension tables

def _carrier(order_path: str):
    """An order's carrier: the carrier of its first outbound (non-return) shipment."""
    return Subquery(
        Shipment.objects.filter(order=OuterRef(order_path), is_return=False, voided_at__isnull=True).order_by("pk")
        .values("carrier")[:1],
        output_field=CharField(),
    )


def _period_exprs(date_expr) -> dict:
    tz = local_tz()
    return {"day": Trunc(date_expr, "day", output_field=DateField(), tzinfo=tz),
            "week": Trunc(date_expr, "week", output_field=DateField(), tzinfo=tz)}


def _dims_case(p: str = "") -> dict:
    return {
        "channel": F(p + "channel"), "agent": F(p + "assignee"), "live_session": F(p + "live_session"),
        "host": F(p + "live_session__host"), "product": F(p + "order_line__product"),
        "sku": F(p + "order_line__sku"), "batch": F(p + "order_line__batch_no"), "carrier": _carrier(p + "order"),
        "reason": F(p + "reason"),
    }


def _ticket_line(p: str, name: str, output):
    """A ticket's order line is its case's line (a ticket without a case has no product/SKU/batch)."""
    return F(p + "case__order_line__" + name)


def _dims_ticket(p: str = "") -> dict:
    return {
        "channel": F(p + "channel"), "team": F(p + "team"), "agent": F(p + "assignee"),
        "live_session": F(p + "order__live_session"), "host": F(p + "order__live_session__host"),
        "product": _ticket_line(p, "product", IntegerField()), "sku": _ticket_line(p, "sku", IntegerField()),
        "batch": _ticket_line(p, "batch_no", CharField()), "carrier": _carrier(p + "order"),
    }


def _dims_first_response() -> dict:
    """A first response belongs to the person who gave it (the ticket's first reply), not to whoever holds the
    ticket now: the team board's definition (inbox.selectors.first_responder; docs/metrics.md)."""
    return {**_dims_ticket(), "agent": first_responder()}


def _dims_review(p: str = "") -> dict:
    return {
        "live_session": F(p + "live_session"), "host": F(p + "live_session__host"),
        "product": F(p + "order_line__product"), "sku": F(p + "order_line__sku"),
        "batch": F(p + "order_line__batch_no"), "carrier": _carrier(p + "order"),
        "complaint_type": F(p + "complaint_type"),
    }


def _dims_recovery() -> dict:
    return {**_dims_review("review__"), "agent": F("assignee")}


_DIM_OUTPUT = {"channel": CharField(), "team": CharField(), "batch": CharField(), "carrier": CharField(),
               "reason": CharField(), "complaint_type": CharField()}


def _dims_survey() -> dict:
    """A survey answer belongs to its invitation's case when there is one, else to its ticket."""
    case_dims, ticket_dims = _dims_case("invitation__case__"), _dims_ticket("invitation__ticket__")
    out = {}
    for name in {*case_dims, *ticket_dims}:
        output = _DIM_OUTPUT.get(name, IntegerField())
        on_case = case_dims.get(name, Value(None, output_field=output))
        on_ticket = ticket_dims.get(name, Value(None, output_field=output))
        out[name] = CaseWhen(When(invitation__case__isnull=False, then=on_case), default=on_ticket,
                             output_field=output)
    return out


def _dims_line() -> dict:
    return {"live_session": F("order__live_session"), "host": F("order__live_session__host"),
            "product": F("product"), "sku": F("sku"), "batch": F("batch_no"), "carrier": _carrier("order")}


# ------------------------------------------------------------------------------------------ populations

@dataclass(frozen=True)
class Population:
    key: str
    label: str
    model: type
    in_period: Callable[[datetime, datetime], Q]
    date_expr: Callable[[datetime, datetime], object]  # the datetime a row is dated by (for day/week)
    dims: Callable[[], dict]
    base: Q = field(default_factory=Q)
    shop_path: str = "shop"


def _between(name: str) -> Callable[[datetime, datetime], Q]:
    return lambda start, end: Q(**{f"{name}__gte": start, f"{name}__lt": end})


def _sla_date(start: datetime, end: datetime):
    return CaseWhen(When(first_responded_at__gte=start, first_responded_at__lt=end, then=F("first_responded_at")),
                    default=F("resolved_at"))


# SLA is the team's promise kept. A ticket the system opened and closed with no agent ever holding it (a
# logistics notice answered automatically) kept no promise: counting it as met made the weekly headline
# 85.5 % while agents were at 33–50 %. It is left out of the rate (and its count shown apart), unless it
# breached: then nobody picked it up in time, a real miss. Customers' tickets always count.
SLA_SYSTEM_ONLY = Q(channel=Channel.SYSTEM, assignee__isnull=True, sla_breached=False)
SLA_HANDLED = ~SLA_SYSTEM_ONLY

# 重复咨询率 counts the customer asking: a ticket the system opened for them (a logistics exception, channel
# `system`) is not a contact, and made a customer who asked once a "repeat contact" (and one who never asked a
# contact at all).
CUSTOMER_CONTACT = Q(customer__isnull=False) & ~Q(channel=Channel.SYSTEM)

POPULATIONS: dict[str, Population] = {p.key: p for p in [
    Population("ticket_first_response", "首次响应的工单", Ticket, _between("first_responded_at"),
               lambda s, e: F("first_responded_at"), _dims_first_response),
    Population("ticket_resolved", "解决的工单", Ticket, _between("resolved_at"), lambda s, e: F("resolved_at"),
               _dims_ticket),
    Population("ticket_sla", "首响或解决的工单（有客服经手或已超时）", Ticket,
               lambda s, e: _between("first_responded_at")(s, e) | _between("resolved_at")(s, e), _sla_date,
               _dims_ticket, SLA_HANDLED),
    Population("ticket_sla_system", "系统自动处理、无客服经手的工单（不计入 SLA）", Ticket,
               lambda s, e: _between("first_responded_at")(s, e) | _between("resolved_at")(s, e), _sla_date,
               _dims_ticket, SLA_SYSTEM_ONLY),
    Population("ticket_created", "顾客发起的新工单", Ticket, _between("created_at"), lambda s, e: F("created_at"),
               _dims_ticket, CUSTOMER_CONTACT),
    Population("survey", "满意度评价", SurveyResponse, _between("created_at"), lambda s, e: F("created_at"),
               _dims_survey, Q(), "invitation__shop"),
    Population("review", "评价", Review, _between("posted_at"), lambda s, e: F("posted_at"), _dims_review),
    Population("recovery_closed", "结束的差评挽回任务", RecoveryTask, _between("closed_at"),
               lambda s, e: F("closed_at"), _dims_recovery, Q(status=TaskStatus.CLOSED)),
    Population("case_refund", "仅退款售后单", Case, _between("created_at"), lambda s, e: F("created_at"), _dims_case,
               Q(kind=CaseKind.REFUND_ONLY)),
    Population("case_return", "退货退款售后单", Case, _between("created_at"), lambda s, e: F("created_at"),
               _dims_case, Q(kind=CaseKind.RETURN_REFUND)),
    Population("case_all", "售后单", Case, _between("created_at"), lambda s, e: F("created_at"), _dims_case),
    Population("line", "订单行（按下单时间）", OrderLine, _between("order__placed_at"),
               lambda s, e: F("order__placed_at"), _dims_line),
]}


def _dims_for(pop: Population, start: datetime, end: datetime) -> dict:
    return {**pop.dims(), **_period_exprs(pop.date_expr(start, end))}


def _value_q(alias: str, dim: str, value) -> Q:
    if value == NONE:
        q = Q(**{f"{alias}__isnull": True})
        return q | Q(**{alias: ""}) if dim in CHAR_DIMS else q
    if dim in DATE_DIMS:
        value = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return Q(**{alias: value})


def population_qs(pop_key: str, *, shop, start: datetime, end: datetime, filters: Filters | None = None,
                  only: set[str] | None = None) -> QuerySet:
    """The rows of a population in the period, narrowed by the filters. Raises NotApplicable.
    `only` limits which filters are applied (the others are ignored, for line denominators)."""
    pop = POPULATIONS[pop_key]
    qs = pop.model.objects.filter(pop.base, pop.in_period(start, end), **{pop.shop_path: shop})
    dims = _dims_for(pop, start, end)
    for name, value in (filters or Filters()).active().items():
        if only is not None and name not in only:
            continue
        if name not in dims:
            raise NotApplicable(name)
        alias = f"_f_{name}"
        qs = qs.alias(**{alias: dims[name]}).filter(_value_q(alias, name, value))
    return qs


# -------------------------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def ratio(self) -> Decimal | None:
        if not self.denominator:
            return None
        return (Decimal(self.numerator) / Decimal(self.denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    @property
    def value(self) -> Decimal | None:
        return self.ratio

    @property
    def count(self) -> int:
        return self.denominator

    def as_dict(self) -> dict:
        return {"numerator": self.numerator, "denominator": self.denominator, "ratio": self.ratio}


@dataclass(frozen=True)
class TimeStats:
    count: int
    avg_business_seconds: int | None
    median_business_seconds: int | None
    avg_wall_seconds: int | None
    median_wall_seconds: int | None

    @property
    def value(self) -> Decimal | None:
        """The headline (and improvement-action) value: the median in business seconds."""
        return None if self.median_business_seconds is None else Decimal(self.median_business_seconds)

    def as_dict(self) -> dict:
        return {"count": self.count, "avg_business_seconds": self.avg_business_seconds,
                "median_business_seconds": self.median_business_seconds, "avg_wall_seconds": self.avg_wall_seconds,
                "median_wall_seconds": self.median_wall_seconds}


def _secs(value) -> int | None:
    """Seconds rounded half up to a whole second."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = value.total_seconds()
    return int(Decimal(str(value)).quantize(Decimal("1"), ROUND_HALF_UP))


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the middle value, or the mean of the two middle values."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class Epoch(Func):
    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ------------------------------------------------------------------------------------- metric catalogue

@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    kind: str  # "rate" | "time" | "repeat"
    population: str  # the denominator (rates) or the timed rows
    numerator_population: str | None = None  # rates over two populations (refund/return)
    numerator_q: Q | None = None  # rates within one population
    business_field: str = ""
    wall_end: str = ""
    unit: str = ""

    @property
    def label_str(self) -> str:
        return str(MetricKey(self.key).label)


_GOOD_REVIEW = Q(rating__gte=4) | Q(rating__isnull=True, sentiment=1)
_RECOVERED = Q(outcome=Outcome.RESOLVED) | Q(outcome=Outcome.RATING_UPDATED, new_rating__gte=4)
LINE_DIMS = {"live_session", "host", "product", "sku", "batch", "carrier", "day", "week"}

METRICS: dict[str, MetricDef] = {m.key: m for m in [
    MetricDef("first_response", "首次响应时长", "time", "ticket_first_response",
              business_field="first_response_business_seconds", wall_end="first_responded_at"),
    MetricDef("resolution", "解决时长", "time", "ticket_resolved", business_field="resolution_business_seconds",
              wall_end="resolved_at"),
    MetricDef("sla", "SLA 达成率", "rate", "ticket_sla", numerator_q=Q(sla_breached=False)),
    MetricDef("csat", "满意度 CSAT", "rate", "survey", numerator_q=Q(outcome__gte=4)),
    MetricDef("positive_review", "好评率", "rate", "review", numerator_q=_GOOD_REVIEW),
    MetricDef("refund", "仅退款率", "rate", "line", numerator_population="case_refund"),
    MetricDef("return", "退货率", "rate", "line", numerator_population="case_return"),
    MetricDef("repeat_contact", "重复咨询率", "repeat", "ticket_created"),
    MetricDef("recovery", "差评挽回成功率", "rate", "recovery_closed", numerator_q=_RECOVERED),
]}


# ------------------------------------------------------------------------------------------- computing

def _grouped(qs: QuerySet, expr, group: str | None) -> tuple[QuerySet, list[str]]:
    if group is None:
        return qs, []
    return qs.annotate(_g=expr).values("_g").order_by(), ["_g"]


def _time_rows(m: MetricDef, qs: QuerySet, dims: dict, group: str | None) -> dict:
    """{group value: TimeStats}; one query."""
    wall = ExpressionWrapper(F(m.wall_end) - F("created_at"), output_field=DurationField())
    if connection.vendor == "postgresql":
        qs, keys = _grouped(qs, dims.get(group), group)
        rows = qs.annotate(
            _n=Count("pk"), _ab=Avg(m.business_field), _mb=Median(m.business_field), _aw=Avg(wall),
            _mw=Median(Epoch(wall)),
        ) if keys else [qs.aggregate(_n=Count("pk"), _ab=Avg(m.business_field), _mb=Median(m.business_field),
                                     _aw=Avg(wall), _mw=Median(Epoch(wall)))]
        return {r.get("_g"): TimeStats(r["_n"], _secs(r["_ab"]), _secs(r["_mb"]), _secs(r["_aw"]), _secs(r["_mw"]))
                for r in rows}
    # Other databases have no median aggregate: fetch the values in one query and compute them here.
    if group is not None:
        qs = qs.annotate(_g=dims[group])
    buckets: dict = {}
    for g, business, end, created in qs.values_list("_g" if group else "pk", m.business_field, m.wall_end,
                                                    "created_at").order_by():
        buckets.setdefault(g if group else None, []).append((business, (end - created).total_seconds()))
    if group is None and not buckets:
        buckets[None] = []
    out = {}
    for g, rows in buckets.items():
        business = [b for b, _ in rows if b is not None]
        wall_values = [w for _, w in rows]
        out[g] = TimeStats(
            len(rows), _secs(Decimal(sum(business)) / len(business)) if business else None,
            _secs(_median(business)), _secs(Decimal(str(sum(wall_values))) / len(wall_values)) if rows else None,
            _secs(_median(wall_values)),
        )
    return out


def _count_rows(qs: QuerySet, dims: dict, group: str | None, good: Q | None = None) -> dict:
    """{group value: (good, total)} in one query."""
    aggs = {"_n": Count("pk")}
    if good is not None:
        aggs["_k"] = Count("pk", filter=good)
    if group is None:
        r = qs.aggregate(**aggs)
        return {None: (r.get("_k", 0), r["_n"])}
    qs, _ = _grouped(qs, dims[group], group)
    return {r["_g"]: (r.get("_k", 0), r["_n"]) for r in qs.annotate(**aggs)}


def _line_counts(*, shop, start: datetime, end: datetime, filters: Filters, group: str | None) -> dict:
    """Order lines of orders placed in the period, per group: whole local days that are rolled up are read
    from `OrderLineDaily`, everything else from the order lines themselves (docs/metrics.md, "Rollups")."""
    tz = local_tz()
    first = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    full_days = [first + timedelta(days=i) for i in range((last - first).days + 1)
                 if datetime.combine(first + timedelta(days=i), datetime.min.time(), tzinfo=tz) >= start
                 and datetime.combine(first + timedelta(days=i + 1), datetime.min.time(), tzinfo=tz) <= end]
    rolled = set(RollupDay.objects.filter(shop=shop, day__in=full_days).values_list("day", flat=True)) \
        if full_days else set()
    runs = _runs(sorted(rolled))
    result: dict = {}
    # The raw part: only the stretches of the period that are not rolled up (often none, or just today).
    gaps, cursor = [], start
    for a, b in runs:
        a_dt, b_dt = datetime.combine(a, datetime.min.time(), tzinfo=tz), datetime.combine(b, datetime.min.time(),
                                                                                             tzinfo=tz)
        if a_dt > cursor:
            gaps.append((cursor, a_dt))
        cursor = max(cursor, b_dt)
    if cursor < end:
        gaps.append((cursor, end))
    if gaps:
        gap_q = Q()
        for a_dt, b_dt in gaps:
            gap_q |= Q(order__placed_at__gte=a_dt, order__placed_at__lt=b_dt)
        raw = population_qs("line", shop=shop, start=start, end=end, filters=filters, only=LINE_DIMS).filter(gap_q)
        dims = _dims_for(POPULATIONS["line"], start, end)
        for g, (_, n) in _count_rows(raw, dims, group).items():
            result[g] = result.get(g, 0) + n
    if runs:
        roll = OrderLineDaily.objects.filter(shop=shop)
        day_q = Q()
        for a, b in runs:
            day_q |= Q(day__gte=a, day__lt=b)
        roll = roll.filter(day_q)
        cols = {"live_session": F("live_session_id"), "host": F("host_id"), "product": F("product_id"),
                "sku": F("sku_id"), "batch": F("batch_no"), "carrier": F("carrier"), "day": F("day"),
                "week": Trunc("day", "week", output_field=DateField())}
        for name, value in filters.active().items():
            if name in LINE_DIMS:
                roll = roll.alias(**{f"_f_{name}": cols[name]}).filter(_value_q(f"_f_{name}", name, value))
        if group is None:
            total = roll.aggregate(n=Sum("lines"))["n"] or 0
            result[None] = result.get(None, 0) + total
        else:
            for r in roll.annotate(_g=cols[group]).values("_g").order_by().annotate(n=Sum("lines")):
                result[r["_g"]] = result.get(r["_g"], 0) + r["n"]
    return result


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Contiguous runs of days as half-open [first, last + 1)."""
    runs: list[tuple[date, date]] = []
    for d in days:
        if runs and runs[-1][1] == d:
            runs[-1] = (runs[-1][0], d + timedelta(days=1))
        else:
            runs.append((d, d + timedelta(days=1)))
    return runs


def _normalise_key(dim: str | None, value):
    if value == "" and dim in CHAR_DIMS:
        return None
    if isinstance(value, datetime):
        return value.date()
    return value


def compute(key: str, *, shop, start: datetime, end: datetime, filters: Filters | None = None,
            group: str | None = None) -> dict:
    """{group value (None when not grouped or unknown): Rate | TimeStats}. Raises NotApplicable."""
    m = METRICS[key]
    filters = filters or Filters()
    pop = POPULATIONS[m.population]
    dims = _dims_for(pop, start, end)
    if group is not None and group not in dims:
        raise NotApplicable(group)
    out: dict = {}
    if m.kind == "time":
        qs = population_qs(m.population, shop=shop, start=start, end=end, filters=filters)
        for g, stats in _time_rows(m, qs, dims, group).items():
            out[_normalise_key(group, g)] = stats
        return out
    if m.kind == "repeat":
        qs = population_qs(m.population, shop=shop, start=start, end=end, filters=filters)
        if group is not None:
            qs = qs.annotate(_g=dims[group])
        counts: dict = {}
        for r in qs.values(*(["_g"] if group else []), "customer").order_by().annotate(n=Count("pk")):
            g = _normalise_key(group, r.get("_g"))
            repeat, total = counts.get(g, (0, 0))
            counts[g] = (repeat + (r["n"] >= 2), total + 1)
        if group is None:
            counts.setdefault(None, (0, 0))
        return {g: Rate(*v) for g, v in counts.items()}
    if m.numerator_population:
        num_pop = POPULATIONS[m.numerator_population]
        num_qs = population_qs(m.numerator_population, shop=shop, start=start, end=end, filters=filters)
        nums = {_normalise_key(group, g): n for g, (_, n) in
                _count_rows(num_qs, _dims_for(num_pop, start, end), group).items()}
        if group is not None and group not in LINE_DIMS:
            raise NotApplicable(group)
        dens = {_normalise_key(group, g): n for g, n in
                _line_counts(shop=shop, start=start, end=end, filters=filters, group=group).items()}
        keys = set(nums) | set(dens) | ({None} if group is None else set())
        return {g: Rate(nums.get(g, 0), dens.get(g, 0)) for g in keys}
    qs = population_qs(m.population, shop=shop, start=start, end=end, filters=filters)
    for g, (good, total) in _count_rows(qs, dims, group, m.numerator_q).items():
        g = _normalise_key(group, g)
        prev = out.get(g)
        out[g] = Rate(good + (prev.numerator if prev else 0), total + (prev.denominator if prev else 0))
    return out


def metric(key: str, *, shop, start: datetime, end: datetime, filters: Filters | None = None):
    """The metric's value for the period: Rate or TimeStats, or None when a filter does not apply."""
    try:
        return compute(key, shop=shop, start=start, end=end, filters=filters)[None]
    except NotApplicable:
        return None


def drill_queryset(key: str, part: str, *, shop, start: datetime, end: datetime,
                   filters: Filters | None = None) -> QuerySet:
    """Exactly the rows behind a number: part "num" (the numerator of a rate), "den" (its denominator) or
    "all" (the timed rows of a time metric, the same as "den"). Raises NotApplicable / KeyError."""
    m = METRICS[key]
    filters = filters or Filters()
    if m.kind == "repeat":
        tickets = population_qs(m.population, shop=shop, start=start, end=end, filters=filters)
        from shouhou.commerce.models import Customer

        if part == "num":
            repeaters = tickets.values("customer").order_by().annotate(n=Count("pk")).filter(n__gte=2)
            return Customer.objects.filter(shop=shop, pk__in=repeaters.values("customer"))
        return Customer.objects.filter(shop=shop, pk__in=tickets.values("customer"))
    if m.numerator_population and part == "num":
        return population_qs(m.numerator_population, shop=shop, start=start, end=end, filters=filters)
    if m.numerator_population:
        return population_qs("line", shop=shop, start=start, end=end, filters=filters, only=LINE_DIMS)
    qs = population_qs(m.population, shop=shop, start=start, end=end, filters=filters)
    if part == "num":
        if m.numerator_q is None:
            raise KeyError(part)
        return qs.filter(m.numerator_q)
    return qs


def dimensions_for(key: str) -> list[str]:
    """The breakdown dimensions a metric supports."""
    m = METRICS[key]
    if m.numerator_population:
        return [d for d in DIMENSION_ORDER if d in LINE_DIMS]
    pop = POPULATIONS[m.population]
    return [d for d in DIMENSION_ORDER if d in {*pop.dims(), *DATE_DIMS}]


DIMENSION_ORDER = ["day", "week", "channel", "team", "agent", "product", "sku", "batch", "carrier", "live_session",
                   "host", "reason", "complaint_type"]


# ---------------------------------------------------------------------- the original named functions

def _legacy(key: str, shop, start, end, filters: dict):
    return metric(key, shop=shop, start=start, end=end, filters=Filters.of(**filters))


def first_response_time(*, shop, start: datetime, end: datetime, **filters) -> dict:
    return _legacy("first_response", shop, start, end, filters).as_dict()


def resolution_time(*, shop, start: datetime, end: datetime, **filters) -> dict:
    return _legacy("resolution", shop, start, end, filters).as_dict()


def sla_compliance(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    return _legacy("sla", shop, start, end, filters)


def csat(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    return _legacy("csat", shop, start, end, filters)


def positive_review_rate(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    return _legacy("positive_review", shop, start, end, filters)


def refund_rate(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    return _legacy("refund", shop, start, end, filters)


def return_rate(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    return _legacy("return", shop, start, end, filters)


def repeat_contact_rate(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    return _legacy("repeat_contact", shop, start, end, filters)


def recovery_success_rate(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    return _legacy("recovery", shop, start, end, filters)


__all__ = ["METRICS", "POPULATIONS", "Filters", "Rate", "TimeStats", "compute", "metric",
           "drill_queryset", "population_qs"]
