"""After-sales metrics. Definitions: docs/metrics.md. Every function is one aggregate query over one shop
and the half-open period [start, end); optional filters narrow it (live_session, host, product, channel,
agent). A rate returns (numerator, denominator, ratio or None when the denominator is 0)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Avg, Count, F, Max, Q

from shouhou.cases.choices import CaseKind
from shouhou.cases.models import Case
from shouhou.commerce.models import OrderLine
from shouhou.inbox.models import Ticket
from shouhou.reviews.models import Review

from .models import SurveyResponse


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def ratio(self) -> Decimal | None:
        if not self.denominator:
            return None
        return (Decimal(self.numerator) / Decimal(self.denominator)).quantize(Decimal("0.0001"))


# Where each dashboard filter lives on a ticket and on a case (same filters, different paths).
_TICKET_PATHS = {"live_session": "order__live_session", "host": "order__live_session__host",
                 "product": "order__lines__product", "channel": "channel", "agent": "assignee"}
_CASE_PATHS = {"live_session": "live_session", "host": "live_session__host",
               "product": "order_line__product", "channel": "channel", "agent": "assignee"}


def _filters(paths: dict[str, str], filters: dict) -> Q:
    q = Q()
    for name, path in paths.items():
        value = filters.get(name)
        if value is not None and value != "":
            q &= Q(**{path: value})
    return q


def _ticket_filters(**filters) -> Q:
    return _filters(_TICKET_PATHS, filters)


def _case_filters(**filters) -> Q:
    return _filters(_CASE_PATHS, filters)


def first_response_time(*, shop, start: datetime, end: datetime, **filters) -> dict:
    """Tickets first responded in the period: average business seconds and wall-clock seconds."""
    qs = Ticket.objects.filter(
        _ticket_filters(**filters), shop=shop, first_responded_at__gte=start, first_responded_at__lt=end
    ).distinct()
    row = qs.aggregate(
        count=Count("pk", distinct=True),
        avg_business_seconds=Avg("first_response_business_seconds"),
        avg_wall=Avg(F("first_responded_at") - F("created_at")),
    )
    return _seconds(row)


def resolution_time(*, shop, start: datetime, end: datetime, **filters) -> dict:
    qs = Ticket.objects.filter(_ticket_filters(**filters), shop=shop, resolved_at__gte=start, resolved_at__lt=end)
    row = qs.aggregate(
        count=Count("pk", distinct=True),
        avg_business_seconds=Avg("resolution_business_seconds"),
        avg_wall=Avg(F("resolved_at") - F("created_at")),
    )
    return _seconds(row)


def _seconds(row: dict) -> dict:
    wall = row.pop("avg_wall")
    row["avg_wall_seconds"] = None if wall is None else round(wall.total_seconds())
    if row["avg_business_seconds"] is not None:
        row["avg_business_seconds"] = round(row["avg_business_seconds"])
    return row


def sla_compliance(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    in_period = Q(first_responded_at__gte=start, first_responded_at__lt=end) | Q(
        resolved_at__gte=start, resolved_at__lt=end
    )
    row = Ticket.objects.filter(_ticket_filters(**filters), in_period, shop=shop).aggregate(
        total=Count("pk", distinct=True), ok=Count("pk", filter=Q(sla_breached=False), distinct=True)
    )
    return Rate(row["ok"], row["total"])


def csat(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    """Survey answers in the period with outcome ≥ 4 ÷ answers (Chatwoot-style)."""
    q = Q()
    if filters.get("agent") is not None:
        q &= Q(invitation__ticket__assignee=filters["agent"]) | Q(invitation__case__assignee=filters["agent"])
    if filters.get("live_session") is not None:
        q &= Q(invitation__case__live_session=filters["live_session"])
    row = SurveyResponse.objects.filter(
        q, invitation__shop=shop, created_at__gte=start, created_at__lt=end
    ).aggregate(total=Count("pk", distinct=True), good=Count("pk", filter=Q(outcome__gte=4), distinct=True))
    return Rate(row["good"], row["total"])


def positive_review_rate(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    """好评率: reviews posted in the period with rating ≥ 4 (or sentiment = 1 when unrated) ÷ reviews."""
    q = Q()
    if filters.get("live_session") is not None:
        q &= Q(live_session=filters["live_session"])
    if filters.get("host") is not None:
        q &= Q(live_session__host=filters["host"])
    if filters.get("product") is not None:
        q &= Q(order_line__product=filters["product"])
    good = Q(rating__gte=4) | Q(rating__isnull=True, sentiment=1)
    row = Review.objects.filter(q, shop=shop, posted_at__gte=start, posted_at__lt=end).aggregate(
        total=Count("pk", distinct=True), good=Count("pk", filter=good, distinct=True)
    )
    return Rate(row["good"], row["total"])


def _kind_rate(kind: str, *, shop, start, end, **filters) -> Rate:
    from django.db.models import Subquery
    from django.db.models.functions import Coalesce

    cases = (
        Case.objects.filter(_case_filters(**filters), shop=shop, kind=kind, created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("shop")
        .annotate(n=Count("pk", distinct=True))
        .values("n")[:1]
    )
    lq = Q()
    if filters.get("live_session") is not None:
        lq &= Q(order__live_session=filters["live_session"])
    if filters.get("host") is not None:
        lq &= Q(order__live_session__host=filters["host"])
    if filters.get("product") is not None:
        lq &= Q(product=filters["product"])
    row = OrderLine.objects.filter(
        lq, shop=shop, order__placed_at__gte=start, order__placed_at__lt=end
    ).aggregate(lines=Count("pk", distinct=True), cases=Max(Coalesce(Subquery(cases), 0)))
    return Rate(row["cases"] or 0, row["lines"])


def refund_rate(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    return _kind_rate(CaseKind.REFUND_ONLY, shop=shop, start=start, end=end, **filters)


def return_rate(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    return _kind_rate(CaseKind.RETURN_REFUND, shop=shop, start=start, end=end, **filters)


def repeat_contact_rate(*, shop, start: datetime, end: datetime, **filters) -> Rate:
    """Customers with ≥ 2 tickets opened in the period ÷ customers with ≥ 1."""
    from django.db.models import Subquery

    per_customer = (
        Ticket.objects.filter(
            _ticket_filters(**filters), shop=shop, customer__isnull=False, created_at__gte=start, created_at__lt=end
        )
        .order_by()
        .values("customer")
        .annotate(n=Count("pk", distinct=True))
    )
    from shouhou.commerce.models import Customer

    row = Customer.objects.filter(shop=shop, pk__in=Subquery(per_customer.values("customer"))).aggregate(
        total=Count("pk", distinct=True),
        repeat=Count("pk", filter=Q(pk__in=Subquery(per_customer.filter(n__gte=2).values("customer"))), distinct=True),
    )
    return Rate(row["repeat"], row["total"])
