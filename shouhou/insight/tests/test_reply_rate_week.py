"""The weekly report's reply rates for a 快手 shop (3 and 5 minutes, buyer messages sent 08:00–23:00 Beijing
time counted), computed by hand across the week's edges: Monday 08:00 Beijing is 00:00 UTC, Sunday 22:59 is
14:59 UTC, and a message of the week before or after stays out (docs/metrics.md, 回复率)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from shouhou.accounts.models import Role
from shouhou.commerce.choices import Platform
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.insight.selectors import iso_week, reply_rate_history
from shouhou.sla.tests.test_reply_rates import Desk, agents_of

from .fixtures import TZ

pytestmark = pytest.mark.django_db
MON, SUN = dt.date(2026, 11, 16), dt.date(2026, 11, 22)  # 2026-W47


def at(day: dt.date, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=TZ)


def kuaishou_week():
    """✓/✗ for 3 and 5 minutes; — not counted.
    p0 Sun 11-15 22:58 → 22:59 (the week before)                        —
    m0 Mon 07:59:59 → 08:01 (23:59:59 UTC Sunday; before the hours)     —
    m1 Mon 08:00:00 (00:00 UTC) → 08:02 by k1                           ✓ ✓
    m2 Mon 12:00 → 12:04 by k1                                          ✗ ✓
    s1 Sun 22:58 → 23:03 by k1 (answered after the hours)              ✗ ✓ (300 s exactly)
    s2 Sun 22:59:30, held by k2, never answered                        ✗ ✗
    s3 Sun 23:00 → 23:01 (after the hours)                             —
    n1 Mon 11-23 08:01 → 08:02 (the week after)                        —
    Mon: 2 messages, 3 min 1/2, 5 min 2/2 (k1). Sun: 2 messages, 3 min 0/2, 5 min 1/2 (k1 0/1 and 1/1, k2 0/1
    and 0/1). Team for the week: 4 messages, 3 min 1/4, 5 min 3/4."""
    shop = ShopFactory(code="ks-week", platform=Platform.KUAISHOU)
    k1, k2 = agents_of(shop, "k1", "k2")
    k1.first_name = "客服小鹿"  # shown by name, as the agents' KPIs are; k2 has none: its login name
    k1.save()
    desk = Desk(shop)
    for handle, sent, answered, agent in [
        ("p0", at(MON - dt.timedelta(days=1), 22, 58), at(MON - dt.timedelta(days=1), 22, 59), k1),
        ("m0", at(MON, 7, 59, 59), at(MON, 8, 1), k1),
        ("m1", at(MON, 8, 0), at(MON, 8, 2), k1),
        ("m2", at(MON, 12, 0), at(MON, 12, 4), k1),
        ("s1", at(SUN, 22, 58), at(SUN, 23, 3), k1),
        ("s3", at(SUN, 23, 0), at(SUN, 23, 1), k1),
        ("n1", at(SUN + dt.timedelta(days=1), 8, 1), at(SUN + dt.timedelta(days=1), 8, 2), k1),
    ]:
        desk.buyer(sent, handle)
        desk.reply(answered, handle, agent)
    desk.buyer(at(SUN, 22, 59, 30), "s2")
    desk.assign(at(SUN, 22, 59, 40), "s2", k2)
    return shop, k1, k2


def test_the_history_matches_the_hand_count_on_beijing_days():
    shop, _k1, _k2 = kuaishou_week()
    start, end = iso_week("2026-W47")
    with time_machine.travel(at(SUN + dt.timedelta(days=1), 9, 0), tick=False):
        history = reply_rate_history(shop=shop, start=start, end=end)
    assert history.target_minutes == [3, 5]
    assert history.days == [MON + dt.timedelta(days=i) for i in range(7)]

    def cells(rows):
        return {d: (r.messages, [(x.answered, x.counted) for x in r.rates]) for d, r in zip(history.days, rows,
                                                                                          strict=True) if r}

    assert cells(history.team) == {MON: (2, [(1, 2), (2, 2)]), SUN: (2, [(0, 2), (1, 2)])}
    assert {label: cells(rows) for label, rows in history.agents} == {
        "客服小鹿": {MON: (2, [(1, 2), (2, 2)]), SUN: (1, [(0, 1), (1, 1)])},
        "k2": {SUN: (1, [(0, 1), (0, 1)])},
    }
    assert [a.login for a in history.agents] == ["k2", "k1"]  # by the name shown: k2 sorts before 客服小鹿


def test_the_workbooks_reply_rate_sheet_has_the_same_figures_as_numbers(client):
    shop, _k1, _k2 = kuaishou_week()
    boss = MembershipFactory(shop=shop, role=Role.SUPERVISOR, user=UserFactory(username="ks-boss")).user
    client.force_login(boss)
    with time_machine.travel(at(SUN + dt.timedelta(days=1), 9, 0), tick=False):
        raw = client.get(reverse("insight:report_xlsx"), {"week": "2026-W47"}).content
    sheet = load_workbook(io.BytesIO(raw))["回复率"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("客服", "日期", "顾客消息", "3 分钟回复率", "3 分钟内人工回复", "计入消息",
                       "5 分钟回复率", "5 分钟内人工回复", "计入消息")
    assert rows[1:] == [
        ("团队", "2026-11-16", 2, 0.5, 1, 2, 1.0, 2, 2),
        ("团队", "2026-11-22", 2, 0.0, 0, 2, 0.5, 1, 2),
        ("k2", "2026-11-22", 1, 0.0, 0, 1, 0.0, 0, 1),
        ("客服小鹿", "2026-11-16", 2, 0.5, 1, 2, 1.0, 2, 2),
        ("客服小鹿", "2026-11-22", 1, 0.0, 0, 1, 1.0, 1, 1),
    ]
    assert all(sheet.cell(r, 4).number_format == "0.0%" for r in range(2, 7))
    # one person, one name in the workbook: the 客服绩效 sheet calls k1 客服小鹿 too (it said "k1" here)
    kpi_names = {row[0] for row in load_workbook(io.BytesIO(raw))["客服绩效"].iter_rows(min_row=2, values_only=True)}
    assert "客服小鹿" in kpi_names and "k1" not in kpi_names


def test_the_agents_page_names_each_agent_as_its_kpi_table_does(client):
    shop, _k1, _k2 = kuaishou_week()
    boss = MembershipFactory(shop=shop, role=Role.SUPERVISOR, user=UserFactory(username="ks-boss2")).user
    client.force_login(boss)
    with time_machine.travel(at(SUN + dt.timedelta(days=1), 9, 0), tick=False):
        html = client.get("/insight/agents/", {"start": MON.isoformat(), "end": (SUN + dt.timedelta(days=1))
                                               .isoformat()}).content.decode()
    history = html[html.index('data-testid="reply-history"'):]
    row = history[history.index('data-agent="k1"'):]
    assert row.index("<th>客服小鹿</th>") < row.index("</tr>")
    assert "<th>k1</th>" not in history
