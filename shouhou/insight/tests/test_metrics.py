import datetime as dt
from decimal import Decimal

import pytest

from shouhou.cases.choices import CaseKind
from shouhou.cases.models import Case
from shouhou.core.testing.factories import CustomerFactory, OrderFactory, OrderLineFactory
from shouhou.inbox.models import Ticket
from shouhou.insight import metrics
from shouhou.insight.models import SurveyInvitation, SurveyResponse
from shouhou.reviews.models import Review

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 11, 16, tzinfo=TZ)
END = dt.datetime(2026, 11, 23, tzinfo=TZ)
IN = dt.datetime(2026, 11, 18, 10, 0, tzinfo=TZ)
OUT = dt.datetime(2026, 11, 10, 10, 0, tzinfo=TZ)


def _ticket(shop, n, customer=None, created=IN, responded=None, resolved=None, frbs=None, rbs=None, breached=False):
    t = Ticket.objects.create(
        shop=shop, number=f"T{n}", channel="web_chat", customer=customer, first_responded_at=responded,
        resolved_at=resolved, first_response_business_seconds=frbs, resolution_business_seconds=rbs,
        sla_breached=breached,
    )
    Ticket.objects.filter(pk=t.pk).update(created_at=created)
    return t


def test_ticket_times_and_sla(shop, other_shop):
    # given three tickets responded in the period (60s/120s/300s business; 1h, 2h, 3h wall) and one outside
    h = dt.timedelta(hours=1)
    _ticket(shop, 1, responded=IN + h, frbs=60, resolved=IN + 5 * h, rbs=600)
    _ticket(shop, 2, responded=IN + 2 * h, frbs=120, breached=True)
    _ticket(shop, 3, responded=IN + 3 * h, frbs=300, resolved=IN + 7 * h, rbs=1000, breached=True)
    _ticket(shop, 4, created=OUT, responded=OUT + h, frbs=9999)
    _ticket(other_shop, 5, responded=IN + h, frbs=1)
    frt = metrics.first_response_time(shop=shop, start=START, end=END)
    assert frt == {"count": 3, "avg_business_seconds": 160, "median_business_seconds": 120,
                   "avg_wall_seconds": 7200, "median_wall_seconds": 7200}
    rt = metrics.resolution_time(shop=shop, start=START, end=END)
    assert rt == {"count": 2, "avg_business_seconds": 800, "median_business_seconds": 800,
                  "avg_wall_seconds": 6 * 3600, "median_wall_seconds": 6 * 3600}
    sla = metrics.sla_compliance(shop=shop, start=START, end=END)
    assert (sla.numerator, sla.denominator, sla.ratio) == (1, 3, Decimal("0.3333"))


def test_repeat_contact_rate(shop):
    a, b, c = CustomerFactory(shop=shop), CustomerFactory(shop=shop), CustomerFactory(shop=shop)
    _ticket(shop, 1, customer=a)
    _ticket(shop, 2, customer=a)
    _ticket(shop, 3, customer=b)
    _ticket(shop, 4, customer=c, created=OUT)
    _ticket(shop, 5, customer=c)
    r = metrics.repeat_contact_rate(shop=shop, start=START, end=END)
    assert (r.numerator, r.denominator) == (1, 3)


def test_csat_counts_outcome_4_and_5(shop):
    customer = CustomerFactory(shop=shop)
    for i, outcome in enumerate([5, 4, 3, 1]):
        inv = SurveyInvitation.objects.create(shop=shop, customer=customer, token=f"t{i}")
        resp = SurveyResponse.objects.create(invitation=inv, attitude=3, speed=3, outcome=outcome)
        SurveyResponse.objects.filter(pk=resp.pk).update(created_at=IN if i < 3 else OUT)
    r = metrics.csat(shop=shop, start=START, end=END)
    assert (r.numerator, r.denominator, r.ratio) == (2, 3, Decimal("0.6667"))


def test_positive_review_rate(shop):
    rows = [(5, None, IN), (4, 0, IN), (3, 1, IN), (None, 1, IN), (None, 0, IN), (5, None, OUT)]
    for i, (rating, sentiment, posted) in enumerate(rows):
        Review.objects.create(shop=shop, external_id=f"r{i}", rating=rating, sentiment=sentiment, posted_at=posted)
    r = metrics.positive_review_rate(shop=shop, start=START, end=END)
    assert (r.numerator, r.denominator) == (3, 5)


def test_refund_and_return_rate(shop):
    orders = [OrderFactory(shop=shop, placed_at=IN) for _ in range(2)]
    lines = [OrderLineFactory(order=o) for o in orders for _ in range(2)]
    OrderLineFactory(order=OrderFactory(shop=shop, placed_at=OUT))
    for i, kind in enumerate([CaseKind.REFUND_ONLY, CaseKind.RETURN_REFUND, CaseKind.RETURN_REFUND]):
        case = Case.objects.create(shop=shop, number=f"C{i}", order=lines[i].order, order_line=lines[i], kind=kind)
        Case.objects.filter(pk=case.pk).update(created_at=IN)
    ref = metrics.refund_rate(shop=shop, start=START, end=END)
    ret = metrics.return_rate(shop=shop, start=START, end=END)
    assert (ref.numerator, ref.denominator) == (1, 4)
    assert (ret.numerator, ret.denominator, ret.ratio) == (2, 4, Decimal("0.5000"))


def test_empty_period_gives_no_ratio(shop):
    r = metrics.csat(shop=shop, start=START, end=END)
    assert (r.numerator, r.denominator, r.ratio) == (0, 0, None)


def test_sla_leaves_out_tickets_the_system_closed_with_no_agent_and_says_how_many(shop, agent):
    """Issue 15: 382 system tickets closed with no agent counted as met; the headline said 85.5 % while the
    agents were at 33–50 %."""
    from shouhou.insight.selectors import metric_cards

    h = dt.timedelta(hours=1)
    met = _ticket(shop, 1, responded=IN + h, resolved=IN + 2 * h)
    missed = _ticket(shop, 2, responded=IN + 3 * h, breached=True)
    Ticket.objects.filter(pk__in=[met.pk, missed.pk]).update(assignee=agent)
    for n in range(3, 9):  # opened and closed by the system, nobody held them
        Ticket.objects.filter(pk=_ticket(shop, n, responded=IN, resolved=IN).pk).update(channel="system")
    unattended = _ticket(shop, 9, responded=IN + 9 * h, breached=True)  # nobody picked it up in time: a miss
    Ticket.objects.filter(pk=unattended.pk).update(channel="system")
    sla = metrics.sla_compliance(shop=shop, start=START, end=END)
    assert (sla.numerator, sla.denominator) == (1, 3)
    card = next(c for c in metric_cards(shop=shop, start=START, end=END) if c.key == "sla")
    assert card.left_out == 6
    from django.test import Client

    client = Client()
    client.force_login(agent)
    page = client.get("/insight/", {"start": "2026-11-16", "end": "2026-11-23"}).content.decode()
    assert "33.3%" in page and "不含系统自动关闭、无客服经手的 6 张工单" in page


def test_a_session_aired_before_the_period_still_gets_a_return_rate(shop, agent):
    """Issue 15: a session's return rate was "—" when it aired before the range (no lines placed in it)."""
    from shouhou.core.testing.factories import LiveSessionFactory
    from shouhou.insight.selectors import live_session_returns

    session = LiveSessionFactory(shop=shop, title="上周专场", started_at=OUT)
    lines = [OrderLineFactory(order=OrderFactory(shop=shop, placed_at=OUT, live_session=session)) for _ in range(4)]
    for n, (line, created) in enumerate([(lines[0], OUT + dt.timedelta(days=2)), (lines[1], IN)]):
        c = Case.objects.create(shop=shop, number=f"R{n}", order=line.order, order_line=line, live_session=session,
                                kind=CaseKind.RETURN_REFUND, reason="size_fit", customer=line.order.customer)
        Case.objects.filter(pk=c.pk).update(created_at=created)
    (row,) = live_session_returns(shop=shop, start=START, end=END)
    assert row.label == "上周专场" and (row.rate.numerator, row.rate.denominator) == (1, 0)
    assert (row.session_rate.numerator, row.session_rate.denominator) == (2, 4)
    from django.test import Client

    client = Client()
    client.force_login(agent)
    page = client.get("/insight/sessions/", {"start": "2026-11-16", "end": "2026-11-23"}).content.decode()
    assert "50.0%" in page and "2/4" in page
