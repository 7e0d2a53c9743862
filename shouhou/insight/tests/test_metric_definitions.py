"""Every metric definition of docs/metrics.md against hand-computed fixtures (fixtures.py), with its
filters and breakdowns, on SQLite and PostgreSQL (the median has one implementation per database)."""

import datetime as dt
from decimal import Decimal

import pytest

from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.models import Ticket
from shouhou.insight import metrics as m
from shouhou.insight.models import OrderLineDaily, RollupDay, SurveyInvitation, SurveyResponse
from shouhou.insight.services import rollup_refresh
from shouhou.reviews.models import RecoveryTask, Review

from .fixtures import END, IN, IN2, OUT, START, build_world

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def _rates(result: dict) -> dict:
    return {k: (v.numerator, v.denominator) for k, v in result.items()}


def _ticket(shop, n, *, created=IN, responded=None, resolved=None, frbs=None, rbs=None, breached=False,
            channel="web_chat", team="service", assignee=None, customer=None, case=None, order=None):
    t = Ticket.objects.create(shop=shop, number=f"T{n}", channel=channel, team=team, assignee=assignee,
                              customer=customer, case=case, order=order, first_responded_at=responded,
                              resolved_at=resolved, first_response_business_seconds=frbs,
                              resolution_business_seconds=rbs, sla_breached=breached)
    Ticket.objects.filter(pk=t.pk).update(created_at=created)
    return t


# ------------------------------------------------------------------------------------ time metrics

def test_first_response_median_of_an_even_count_is_the_mean_of_the_middle_two(shop, agent):
    # given four tickets first responded in the period: business 60/120/300/1000 s, wall 1/2/3/5 h
    for i, (frbs, hours) in enumerate([(60, 1), (120, 2), (300, 3), (1000, 5)]):
        _ticket(shop, i, responded=IN + hours * H, frbs=frbs, assignee=agent if i < 2 else None)
    _ticket(shop, 9, created=OUT, responded=OUT + H, frbs=5)  # responded outside the period
    # when
    r = m.metric("first_response", shop=shop, start=START, end=END)
    # then median (120+300)/2 = 210 business s, (2h+3h)/2 = 9000 wall s; averages 370 s and 11/4 h
    assert (r.count, r.avg_business_seconds, r.median_business_seconds) == (4, 370, 210)
    assert (r.avg_wall_seconds, r.median_wall_seconds) == (9900, 9000)
    by_agent = m.compute("first_response", shop=shop, start=START, end=END, group="agent")
    assert by_agent[agent.pk].as_dict() == {"count": 2, "avg_business_seconds": 90, "median_business_seconds": 90,
                                            "avg_wall_seconds": 5400, "median_wall_seconds": 5400}
    assert by_agent[None].count == 2


def test_resolution_time_ignores_unset_business_seconds_but_counts_the_ticket(shop):
    _ticket(shop, 1, resolved=IN + 2 * H, rbs=1000)
    _ticket(shop, 2, resolved=IN + 4 * H, rbs=None)
    _ticket(shop, 3, resolved=IN + 9 * H, rbs=3001)
    r = m.metric("resolution", shop=shop, start=START, end=END)
    # 3 tickets; business over the two set values: avg 2000.5 -> 2001 (half up), median 2000.5 -> 2001
    assert (r.count, r.avg_business_seconds, r.median_business_seconds) == (3, 2001, 2001)
    assert (r.avg_wall_seconds, r.median_wall_seconds) == (5 * 3600, 4 * 3600)


def test_empty_time_metric_has_no_values(shop):
    assert m.metric("resolution", shop=shop, start=START, end=END).as_dict() == {
        "count": 0, "avg_business_seconds": None, "median_business_seconds": None, "avg_wall_seconds": None,
        "median_wall_seconds": None}


# ---------------------------------------------------------------------------------------- ticket rates

def test_sla_compliance_by_channel_and_team_and_the_first_event_day(shop):
    _ticket(shop, 1, responded=IN, channel="wechat")
    _ticket(shop, 2, responded=IN, channel="wechat", breached=True, team="warehouse")
    _ticket(shop, 3, created=OUT, responded=OUT + H, resolved=IN2, channel="phone")  # resolved in the period
    _ticket(shop, 4, created=OUT, responded=OUT + H, channel="phone")  # nothing in the period
    assert _rates(m.compute("sla", shop=shop, start=START, end=END)) == {None: (2, 3)}
    assert _rates(m.compute("sla", shop=shop, start=START, end=END, group="channel")) == {"wechat": (1, 2),
                                                                                         "phone": (1, 1)}
    assert _rates(m.compute("sla", shop=shop, start=START, end=END, group="team")) == {"service": (2, 2),
                                                                                      "warehouse": (0, 1)}
    assert _rates(m.compute("sla", shop=shop, start=START, end=END, group="day")) == {
        dt.date(2026, 11, 18): (1, 2), dt.date(2026, 11, 20): (1, 1)}
    f = m.Filters.of(channel="wechat", team="service")
    assert (m.metric("sla", shop=shop, start=START, end=END, filters=f).numerator,
            m.metric("sla", shop=shop, start=START, end=END, filters=f).denominator) == (1, 1)


def test_repeat_contact_rate_per_channel(shop):
    a, b = CustomerFactory(shop=shop), CustomerFactory(shop=shop)
    _ticket(shop, 1, customer=a, channel="wechat")
    _ticket(shop, 2, customer=a, channel="wechat")
    _ticket(shop, 3, customer=a, channel="phone")
    _ticket(shop, 4, customer=b, channel="phone")
    _ticket(shop, 5, customer=None, channel="phone")  # no customer: not in the population
    assert _rates(m.compute("repeat_contact", shop=shop, start=START, end=END)) == {None: (1, 2)}
    assert _rates(m.compute("repeat_contact", shop=shop, start=START, end=END, group="channel")) == {
        "wechat": (1, 1), "phone": (0, 2)}


# ---------------------------------------------------------------------------------- refund / return

def test_return_and_refund_rates_with_every_line_dimension(shop, agent):
    w = build_world(shop, agent)
    ret = m.metric("return", shop=shop, start=START, end=END)
    assert (ret.numerator, ret.denominator, ret.ratio) == (3, 6, Decimal("0.5000"))
    ref = m.metric("refund", shop=shop, start=START, end=END)
    assert (ref.numerator, ref.denominator, ref.ratio) == (1, 6, Decimal("0.1667"))
    group = lambda dim: _rates(m.compute("return", shop=shop, start=START, end=END, group=dim))  # noqa: E731
    assert group("live_session") == {w.session.pk: (2, 4), None: (1, 2)}
    assert group("host") == {w.host.pk: (2, 4), None: (1, 2)}
    assert group("sku") == {w.sku_a.pk: (2, 4), w.sku_b.pk: (1, 2)}
    assert group("batch") == {"B1": (2, 4), "B2": (1, 2)}
    assert group("carrier") == {"SF": (2, 4), "ZTO": (1, 2)}  # the return shipment is not the order's carrier
    assert group("day") == {dt.date(2026, 11, 18): (2, 4), dt.date(2026, 11, 20): (1, 2)}
    assert group("week") == {dt.date(2026, 11, 16): (3, 6)}
    assert group("product") == {w.sku_a.product_id: (3, 6)}


def test_case_filters_narrow_only_the_numerator_of_the_line_rates(shop, agent):
    build_world(shop, agent)
    f = lambda **kw: m.metric("return", shop=shop, start=START, end=END, filters=m.Filters.of(**kw))  # noqa: E731
    assert (f(reason="size_fit").numerator, f(reason="size_fit").denominator) == (2, 6)
    assert (f(channel="portal").numerator, f(channel="portal").denominator) == (2, 6)
    assert (f(agent=agent.pk).numerator, f(agent=agent.pk).denominator) == (1, 6)
    assert (f(carrier="ZTO").numerator, f(carrier="ZTO").denominator) == (1, 2)
    assert (f(live_session=m.NONE).numerator, f(live_session=m.NONE).denominator) == (1, 2)


def test_rollup_gives_the_same_denominators_as_the_raw_lines(shop, agent):
    w = build_world(shop, agent)
    raw = {dim: _rates(m.compute("return", shop=shop, start=START, end=END, group=dim))
           for dim in ["sku", "carrier", "live_session", "day", "batch"]}
    # when the days of the period are rolled up and the raw lines would now be ignored for those days
    rows = rollup_refresh(shop=shop, days=[START.date() + dt.timedelta(days=i) for i in range(7)])
    # two groups: (11-18, session, A, B1, SF) with 4 lines and (11-20, no session, B, B2, ZTO) with 2
    assert rows == OrderLineDaily.objects.filter(shop=shop).count() == 2
    assert RollupDay.objects.filter(shop=shop).count() == 7
    # then every breakdown is unchanged
    for dim, expected in raw.items():
        assert _rates(m.compute("return", shop=shop, start=START, end=END, group=dim)) == expected, dim
    # and a stale rollup shows that the rollup really is read for rolled days
    OrderLineDaily.objects.filter(shop=shop, sku_id=w.sku_b.pk).update(lines=10)
    assert m.metric("return", shop=shop, start=START, end=END).denominator == 14
    # re-rolling (idempotent) repairs it
    rollup_refresh(shop=shop, days=[START.date() + dt.timedelta(days=i) for i in range(7)])
    assert m.metric("return", shop=shop, start=START, end=END).denominator == 6


# ------------------------------------------------------------------------------------- satisfaction

def test_csat_belongs_to_the_case_assignee_else_the_ticket_assignee(shop, agent, supervisor):
    w = build_world(shop, agent)
    customer = w.cases["r1"].customer
    ticket = _ticket(shop, 1, assignee=supervisor, channel="wechat", customer=customer)
    answers = [(w.cases["r1"], None, 5), (w.cases["r2"], None, 2), (None, ticket, 4), (w.cases["r3"], None, 4)]
    for i, (c, t, outcome) in enumerate(answers):
        inv = SurveyInvitation.objects.create(shop=shop, customer=customer, case=c, ticket=t, token=f"tok{i}")
        resp = SurveyResponse.objects.create(invitation=inv, attitude=5, speed=5, outcome=outcome)
        SurveyResponse.objects.filter(pk=resp.pk).update(created_at=OUT if i == 3 else IN)
    assert _rates(m.compute("csat", shop=shop, start=START, end=END)) == {None: (2, 3)}
    assert _rates(m.compute("csat", shop=shop, start=START, end=END, group="agent")) == {
        agent.pk: (1, 1), None: (0, 1), supervisor.pk: (1, 1)}
    assert _rates(m.compute("csat", shop=shop, start=START, end=END, group="channel")) == {
        "portal": (1, 2), "wechat": (1, 1)}
    assert _rates(m.compute("csat", shop=shop, start=START, end=END, group="live_session")) == {
        w.session.pk: (1, 2), None: (1, 1)}


def test_positive_review_rate_by_live_session_and_not_applicable_filters(shop, agent):
    w = build_world(shop, agent)
    rows = [(5, None, w.session), (4, 0, w.session), (2, 1, w.session), (None, 1, None), (None, 0, None)]
    for i, (rating, sentiment, session) in enumerate(rows):
        Review.objects.create(shop=shop, external_id=f"r{i}", rating=rating, sentiment=sentiment, posted_at=IN,
                              live_session=session, complaint_type="quality_defect" if i == 2 else "none")
    Review.objects.create(shop=shop, external_id="old", rating=5, posted_at=OUT)
    assert _rates(m.compute("positive_review", shop=shop, start=START, end=END)) == {None: (3, 5)}
    assert _rates(m.compute("positive_review", shop=shop, start=START, end=END, group="live_session")) == {
        w.session.pk: (2, 3), None: (1, 2)}
    # a filter the review population cannot carry makes the metric not applicable
    assert m.metric("positive_review", shop=shop, start=START, end=END, filters=m.Filters.of(team="service")) is None
    with pytest.raises(m.NotApplicable):
        m.compute("positive_review", shop=shop, start=START, end=END, group="team")


def test_recovery_success_counts_resolved_and_ratings_raised_to_4_or_5(shop, agent):
    outcomes = [("resolved", None, IN), ("rating_updated", 5, IN), ("rating_updated", 2, IN), ("no_answer", None, IN),
                ("resolved", None, OUT), ("", None, None)]
    for i, (outcome, rating, closed) in enumerate(outcomes):
        review = Review.objects.create(shop=shop, external_id=f"b{i}", rating=1, sentiment=0, posted_at=OUT)
        RecoveryTask.objects.create(shop=shop, number=f"RT{i}", review=review, due_at=OUT, outcome=outcome,
                                    new_rating=rating, closed_at=closed, assignee=agent if i < 2 else None,
                                    status="closed" if closed else "open")
    r = m.metric("recovery", shop=shop, start=START, end=END)
    assert (r.numerator, r.denominator, r.ratio) == (2, 4, Decimal("0.5000"))
    assert _rates(m.compute("recovery", shop=shop, start=START, end=END, group="agent")) == {agent.pk: (2, 2),
                                                                                           None: (0, 2)}


def test_metrics_read_only_their_shop(shop, other_shop, agent):
    build_world(other_shop)
    assert _rates(m.compute("return", shop=shop, start=START, end=END)) == {None: (0, 0)}
    assert m.metric("return", shop=shop, start=START, end=END).ratio is None
