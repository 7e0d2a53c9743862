"""Local days (Asia/Shanghai) at the edges, counted by hand (an examiner's probe, 2026-12-06): a case created at
23:59:59 local on the period's last day is in; one at 00:00 local the day after is out (though both are the
same UTC day); the by-day breakdown puts a case at 07:30 local (23:30 UTC the day before) on its local day;
Pareto shares and the cumulative line add up; another shop's cases never count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shouhou.insight import metrics as m
from shouhou.insight import selectors as sel

from .fixtures import END, START, TZ, build_world, case

pytestmark = pytest.mark.django_db


def test_the_period_and_the_days_are_local_days(shop, agent, other_shop):
    # given the hand-computed world (3 returns and 1 refund in the period, on 6 lines) and edge cases
    w = build_world(shop, agent)
    case(shop, "C-EDGE-IN", w.lines[3], "return_refund", "quality", created=END - dt.timedelta(seconds=1))
    case(shop, "C-EDGE-OUT", w.lines[5], "return_refund", "quality", created=END)
    case(shop, "C-MORNING", w.lines[5], "return_refund", "size_fit",
         created=dt.datetime(2026, 11, 20, 7, 30, tzinfo=TZ))
    build_world(other_shop)  # the neighbour's own returns: never in this shop's figures

    # then the period counts 3 + 2 returns (23:59:59 in, 00:00 out) on the 6 lines placed in it
    ret = m.metric("return", shop=shop, start=START, end=END)
    assert (ret.numerator, ret.denominator) == (5, 6)
    refund = m.metric("refund", shop=shop, start=START, end=END)
    assert (refund.numerator, refund.denominator) == (1, 6)

    # and by local day: 11-18 (r1, f1 are refunds elsewhere), 11-20 (r2 at 15:00 and 07:30), 11-22 (23:59:59)
    days = {r.key: r.values["return"].numerator for r in
            sel.breakdown(shop=shop, dim="day", start=START, end=END, keys=["return"]) if r.values.get("return")}
    assert days[dt.date(2026, 11, 20)] == 2
    assert days[dt.date(2026, 11, 22)] == 1
    assert dt.date(2026, 11, 19) not in days or days[dt.date(2026, 11, 19)] == 0
    assert sum(days.values()) == 5

    # and the return-reason Pareto: size_fit 3 (r1, r3, morning), quality 2 (r2, edge-in); 60 % then 100 %
    rows = sel.pareto(shop=shop, kind="reason", start=START, end=END)
    assert [(r.key, r.count) for r in rows] == [("size_fit", 3), ("quality", 2)]
    assert [r.share for r in rows] == [Decimal("0.6"), Decimal("0.4")]
    assert rows[-1].cumulative == Decimal("1")


def test_an_empty_shop_has_figures_without_errors(client, other_shop):
    from django.urls import reverse

    from shouhou.accounts.choices import Role
    from shouhou.core.testing.factories import MembershipFactory, UserFactory

    user = MembershipFactory(shop=other_shop, role=Role.SUPERVISOR, user=UserFactory(username="empty")).user
    client.force_login(user)
    for name, args in (("insight:dashboard", []), ("insight:problems", []), ("insight:agents", []),
                       ("insight:sessions", []), ("insight:by", ["day"]), ("insight:report", []),
                       ("insight:report_xlsx", [])):
        assert client.get(reverse(name, args=args), {"start": "2026-11-16", "end": "2026-11-23"}).status_code == 200
    assert m.metric("return", shop=other_shop, start=START, end=END).ratio is None


def test_the_by_day_and_by_week_breakdowns_list_every_day_of_the_period_with_nothing_as_zero(shop, agent):
    # given returns on a few days only of the period
    build_world(shop, agent)
    rows = sel.breakdown(shop=shop, dim="day", start=START, end=END)
    days = [r.key for r in rows]
    first, last = START.astimezone(TZ).date(), (END - dt.timedelta(microseconds=1)).astimezone(TZ).date()
    # then every local day is a row, in order (two days with data were listed one under the other before)
    assert days == [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    # a day with nothing at all counts 0/0 for a rate and 0 for a time ("—" on the page), not "not applicable"
    empty = [r for r in rows if all(v is not None and (v.count if isinstance(v, m.TimeStats) else v.denominator) == 0
                                    for v in r.values.values())]
    assert empty, "the fixture leaves some days without anything"
    assert empty[0].values["return"] == m.Rate(0, 0)
    assert empty[0].values["first_response"] == m.TimeStats(0, None, None, None, None)
    # the week view: each Monday from the period's first week on
    weeks = [r.key for r in sel.breakdown(shop=shop, dim="week", start=START, end=END)]
    assert weeks[0] == first - dt.timedelta(days=first.weekday()) and all(w.weekday() == 0 for w in weeks)
    assert weeks == sorted(set(weeks)) and weeks[-1] <= last
    # a period filtered to one day lists that day only, not the whole calendar
    one = sel.breakdown(shop=shop, dim="day", start=START, end=END, filters=m.Filters.of(day=days[0]))
    assert [r.key for r in one] in ([], [days[0]])


def test_the_by_day_page_and_api_show_the_empty_days(client, shop, agent):
    from shouhou.accounts.choices import Role
    from shouhou.core.testing.factories import MembershipFactory, UserFactory

    build_world(shop, agent)
    boss = MembershipFactory(shop=shop, role=Role.SUPERVISOR, user=UserFactory(username="boss")).user
    client.force_login(boss)
    first, last = START.astimezone(TZ).date(), (END - dt.timedelta(microseconds=1)).astimezone(TZ).date()
    html = client.get(f"/insight/by/day/?start={first}&end={last + dt.timedelta(days=1)}").content.decode()
    for i in range((last - first).days + 1):
        assert (first + dt.timedelta(days=i)).isoformat() in html
