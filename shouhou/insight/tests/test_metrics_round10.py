"""Round 10 of the examiner's hand-computed fixtures: one 飞鸽 (抖店) day read through every place that shows a reply
rate — the selector, insight's daily history, the weekly workbook, the API and the desk's team board — and an agent
who left the shop (docs/metrics.md, 回复率; docs/insight.md).

飞鸽: 3-minute human reply rate, buyer messages sent 08:00–23:00 Beijing time counted. Tuesday D = 2026-11-24,
D2 = Wednesday 2026-11-25. ✓ answered by a person within 180 s, ✗ not, — not counted.

| conversation | what happens | counted for | result |
|---|---|---|---|
| burst | buyer 10:00:00, bot welcome 10:00:01, buyer 10:01:00 and 10:02:30, 甲 answers once 10:03:30 | 甲 | ✗ (210 s), ✓ (150 s), ✓ (60 s) |
| bot | buyer 11:00 to the bot (bot answers 11:00:05); 「转人工」 11:01, bot 11:01:02, hand-off, 乙 11:03:30 | 乙 | — , ✓ (150 s) |
| depart | buyer 12:00, given to 丙, 丙 answers 12:01; 丙 then leaves the shop (membership removed) | 丙 | ✓ (60 s) |
| transfer | buyer 14:00 given to 甲, transferred to 乙 14:01, 乙 answers 14:02 | 乙 | ✓ (120 s) |
|  | buyer 14:10 (held by 乙), transferred to 甲 14:14 (already late), 甲 answers 14:15 | 甲 | ✗ (300 s) |
| closed | buyer 16:00 given to 甲, who closes the ticket 16:05 without a reply | 甲 | ✗ (never; still waiting) |
| early | buyer 07:30, 乙 answers 07:31 | — | — (before 08:00) |
| late | buyer 22:59, given to 甲; buyer 23:10; 甲 answers D2 08:05 | 甲 | ✗ on D (22:59); — (23:10) |
| owl | buyer D2 00:30 (16:30 UTC on D), never answered | — | — (outside the hours, and D2 not D) |
| other shop | 甲 is also an agent of another shop: a buyer there 10:00, never answered | — | — (another shop) |

D, team: counted 3 + 1 + 1 + 2 + 1 + 1 = 9; within 3 minutes: 2 (burst) + 1 (bot) + 1 (depart) + 1 (transfer 14:00)
= 5 → 5/9 = 0.5556 (55.6 %); waiting 1 (closed). D2: nothing counted.
Per agent on D: 甲 2 of 6 (burst 2 of 3, 14:10 ✗, closed ✗, 22:59 ✗) = 0.3333; 乙 2 of 2; 丙 1 of 1. 2 + 2 + 1 = 5,
6 + 2 + 1 = 9: the rows add up to the team.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.models import Membership
from shouhou.accounts.services import membership_remove, token_issue
from shouhou.commerce.choices import Platform
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.inbox import services
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import Conversation
from shouhou.inbox.selectors import reply_board
from shouhou.insight.selectors import reply_rate_history
from shouhou.sla.selectors import reply_rates
from shouhou.sla.tests.test_reply_rates import Desk

pytestmark = pytest.mark.django_db

BJ = ZoneInfo("Asia/Shanghai")
D, D2 = dt.date(2026, 11, 24), dt.date(2026, 11, 25)


def at(hh: int, mm: int, ss: int = 0, *, day: dt.date = D) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=BJ)


def feige_day():
    shop = ShopFactory(code="r10", name="十号店", platform=Platform.DOUYIN)
    other = ShopFactory(code="r10b", name="隔壁", platform=Platform.DOUYIN)
    jia, yi, bing = (UserFactory(username=name) for name in ("jia", "yi", "bing"))
    jia.first_name = "客服甲"
    jia.save()
    for user in (jia, yi, bing):
        MembershipFactory(shop=shop, user=user, role=Role.AGENT)
    MembershipFactory(shop=other, user=jia, role=Role.AGENT)
    boss = MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="r10-boss")).user
    desk = Desk(shop)
    # burst: three questions in a row, the bot's welcome in between answers nothing
    desk.buyer(at(10, 0), "burst", "在吗")
    desk.assign(at(10, 0, 0), "burst", jia)
    desk.bot_reply(at(10, 0, 1), "burst", "您好，欢迎光临十号店")
    desk.buyer(at(10, 1), "burst", "这件有M码吗")
    desk.buyer(at(10, 2, 30), "burst", "什么时候发货")
    desk.reply(at(10, 3, 30), "burst", jia)
    # bot: the bot answers first, the hand-off question waits for a person from when it was sent
    Conversation.objects.create(shop=shop, channel=Channel.WEB_CHAT, contact_handle="bot", bot_active=True)
    desk.buyer(at(11, 0), "bot", "我的快递到哪了")
    desk.bot_reply(at(11, 0, 5), "bot")
    desk.buyer(at(11, 1), "bot", "转人工")
    desk.bot_reply(at(11, 1, 2), "bot", "正在为您转接人工客服")
    desk.hand_off(at(11, 1, 2), "bot")
    desk.assign(at(11, 1, 10), "bot", yi)
    desk.reply(at(11, 3, 30), "bot", yi)
    # depart: 丙 answers in time, then leaves the shop
    desk.buyer(at(12, 0), "depart")
    desk.assign(at(12, 0, 10), "depart", bing)
    desk.reply(at(12, 1), "depart", bing)
    # transfer: each waiting message counts for whoever answers it
    desk.buyer(at(14, 0), "transfer")
    desk.assign(at(14, 0, 10), "transfer", jia)
    desk.assign(at(14, 1), "transfer", yi)
    desk.reply(at(14, 2), "transfer", yi)
    desk.buyer(at(14, 10), "transfer", "还有一个问题")
    desk.assign(at(14, 14), "transfer", jia)
    desk.reply(at(14, 15), "transfer", jia)
    # closed without a reply
    desk.buyer(at(16, 0), "closed")
    desk.assign(at(16, 0, 10), "closed", jia)
    with time_machine.travel(at(16, 5), tick=False):
        services.ticket_set_status(ticket=desk.tickets["closed"], status="closed", actor=jia)
    # outside the counted hours, and across the local midnight
    desk.buyer(at(7, 30), "early")
    desk.reply(at(7, 31), "early", yi)
    desk.buyer(at(22, 59), "late")
    desk.assign(at(22, 59, 10), "late", jia)
    desk.buyer(at(23, 10), "late", "人呢")
    desk.reply(at(8, 5, day=D2), "late", jia)
    desk.buyer(at(0, 30, day=D2), "owl")
    # another shop's message, held by the same person
    Desk(other).buyer(at(10, 0), "elsewhere")
    with time_machine.travel(at(10, 0, 5), tick=False):
        ticket = Conversation.objects.get(shop=other).tickets.get()
        services.ticket_assign(ticket=ticket, agent=jia, actor=jia)
    with time_machine.travel(at(9, 0, day=D2), tick=False):
        membership_remove(membership=Membership.objects.get(shop=shop, user=bing), actor=boss)
    return shop, {"jia": jia, "yi": yi, "bing": bing, "boss": boss}


TEAM_D = (9, 1, 5, 9)  # messages, waiting, answered within 3 minutes, counted
PER_AGENT_D = {"jia": (6, 1, 2, 6), "yi": (2, 0, 2, 2), "bing": (1, 0, 1, 1)}


def figures(row):
    return (row.messages, row.waiting, row.rate(180).answered, row.rate(180).counted)


def test_the_selector_matches_the_hand_count():
    shop, people = feige_day()
    start, end = at(0, 0), at(0, 0, day=D2)
    [team] = reply_rates(shop=shop, start=start, end=end, at=at(12, 0, day=D2))
    assert figures(team) == TEAM_D and team.rate(180).ratio == 0.5556 and team.rate(180).percent == 55.6
    rows = {r.agent_id: figures(r) for r in reply_rates(shop=shop, start=start, end=end, by=("agent",),
                                                         at=at(12, 0, day=D2))}
    assert rows == {people[name].pk: value for name, value in PER_AGENT_D.items()}
    [night] = reply_rates(shop=shop, start=end, end=end + dt.timedelta(days=1), at=at(12, 0, day=D2))
    assert figures(night) == (0, 0, 0, 0) and night.rate(180).ratio is None


def test_insight_the_workbook_the_api_and_the_desk_board_show_the_same_numbers(client):
    shop, people = feige_day()
    names = {"jia": "客服甲", "yi": "yi", "bing": "bing"}
    with time_machine.travel(at(12, 0, day=D2), tick=False):
        history = reply_rate_history(shop=shop, start=at(0, 0), end=at(0, 0, day=D2 + dt.timedelta(days=1)))
        client.force_login(people["boss"])
        raw = client.get(reverse("insight:report_xlsx"), {"week": "2026-W48"}).content
        page = client.get("/insight/agents/", {"start": D.isoformat(), "end": (D2 + dt.timedelta(days=1))
                                               .isoformat()}).content.decode()
        issued = token_issue(actor=SYSTEM, shop=shop, name="r10", scopes=["*"], role=Role.ADMIN)
        api = client.get("/api/sla/reply-rates?" + urlencode({"start": at(0, 0).isoformat(),
                                                              "end": at(0, 0, day=D2).isoformat(), "by": "agent"}),
                         HTTP_AUTHORIZATION=f"Bearer {issued.secret}").json()
    assert history.days == [D, D2]
    assert figures(history.team[0]) == TEAM_D and history.team[1] is None
    assert {a.label: [figures(r) if r else None for r in a.rows] for a in history.agents} == {
        names[n]: [v, None] for n, v in PER_AGENT_D.items()}
    # the workbook: one row per agent and day, the departed 丙 still named
    sheet = [row for row in load_workbook(io.BytesIO(raw))["回复率"].iter_rows(min_row=2, values_only=True)]
    assert sheet == [("团队", "2026-11-24", 9, 0.5556, 5, 9), ("bing", "2026-11-24", 1, 1.0, 1, 1),
                     ("yi", "2026-11-24", 2, 1.0, 2, 2), ("客服甲", "2026-11-24", 6, 0.3333, 2, 6)]
    # the agents page: the team's cell for D and 甲's
    table = page[page.index('data-testid="reply-history"'):]
    team_row = table[table.index('class="team-row"'):]
    assert "55.6%" in team_row[:team_row.index("</tr>")]
    jia_row = table[table.index('data-agent="jia"'):]
    assert "33.3%" in jia_row[:jia_row.index("</tr>")]
    # the API
    by_agent = {r["agent_id"]: (r["messages"], r["waiting"], r["rates"][0]["answered"], r["rates"][0]["counted"])
                for r in api["rows"]}
    assert by_agent == {people[name].pk: value for name, value in PER_AGENT_D.items()}
    # the desk's team board on D, read at 23:30 (22:59 is a miss since 23:02): the same figures as insight's D
    with time_machine.travel(at(23, 30), tick=False):
        board = reply_board(shop=shop, at=at(23, 30))
        same_day = reply_rate_history(shop=shop, start=at(0, 0), end=at(0, 0, day=D2))
    assert figures(board.team) == figures(same_day.team[0]) == TEAM_D
    assert {u.get_username(): figures(r) for u, r in board.agents} == PER_AGENT_D


# --- an agent who left the shop -----------------------------------------------------------------------------------
# 丙 answered 'depart' (ticket opened 12:00, first response 12:01: 60 s; reply rate 1 of 1) and left the shop on D2.
# Their figures stay in the period's tables (the KPI row, the reply-rate row); before round 10 the 客服 filter could
# not follow them: the select offered members only, so ?agent=<丙> narrowed the figures while the select said 全部
# (and the next 查看 dropped the filter), and the API answered 404 「本店没有这个客服」 for the id its own /agents
# listed.

def test_the_filter_bar_keeps_a_departed_agent_selected(client):
    shop, people = feige_day()
    bing = people["bing"]
    client.force_login(people["boss"])
    with time_machine.travel(at(12, 0, day=D2), tick=False):
        html = client.get("/insight/agents/", {"start": D.isoformat(), "end": D2.isoformat(),
                                               "agent": bing.pk}).content.decode()
    select = html[html.index('<select name="agent">'):]
    select = select[:select.index("</select>")]
    assert f'<option value="{bing.pk}" selected>bing' in select
    table = html[html.index('data-testid="reply-history"'):]
    assert 'data-agent="bing"' in table and 'data-agent="jia"' not in table


def test_the_api_follows_a_departed_agent_and_refuses_a_stranger(client):
    shop, people = feige_day()
    stranger = UserFactory(username="stranger")
    issued = token_issue(actor=SYSTEM, shop=shop, name="r10-api", scopes=["*"], role=Role.ADMIN)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    period = {"start": D.isoformat(), "end": D2.isoformat()}
    with time_machine.travel(at(12, 0, day=D2), tick=False):
        listed = client.get("/api/insight/agents", period, **auth).json()
        response = client.get("/api/insight/metrics", {**period, "agent_id": people["bing"].pk}, **auth)
        refused = client.get("/api/insight/metrics", {**period, "agent_id": stranger.pk}, **auth)
    assert str(people["bing"].pk) in {row["key"] for row in listed}
    assert response.status_code == 200, response.content
    first = next(m for m in response.json() if m["key"] == "first_response")
    assert (first["count"], first["avg_wall_seconds"]) == (1, 60)
    assert refused.status_code == 404 and refused.json()["errors"][0]["loc"] == ["agent_id"]


def test_a_filter_names_only_this_shops_rows(client):
    """?product= / ?agent= with another shop's id: the chip and the select show the bare id, not the other shop's
    product or person (the label was read without the shop: 「商品：隔壁的秘密新品」)."""
    from shouhou.core.testing.factories import ProductFactory

    shop, people = feige_day()
    other = ShopFactory(code="r10c", name="第三家")
    secret = ProductFactory(shop=other, name="隔壁的秘密新品")
    outsider = MembershipFactory(shop=other, role=Role.AGENT, user=UserFactory(username="outsider",
                                                                               first_name="隔壁客服")).user
    client.force_login(people["boss"])
    html = client.get("/insight/", {"start": D.isoformat(), "end": D2.isoformat(), "product": secret.pk,
                                    "agent": outsider.pk}).content.decode()
    assert "隔壁的秘密新品" not in html and "隔壁客服" not in html and "outsider" not in html
    chips = html[html.index('class="chips"'):]
    assert f'data-filter="product">商品：{secret.pk}<' in chips and f'data-filter="agent">客服：{outsider.pk}<' in chips


# --- 重复咨询率: a ticket the system opened is not the customer asking again --------------------------------------

def test_a_logistics_exception_ticket_is_not_a_repeat_contact():
    """Tuesday D, every ticket opened 10:00–16:00 Beijing:
    A: asks once in chat (10:00); the system opens a logistics-exception ticket for their parcel (11:00, channel
       system) — one contact, not a repeat (the system ticket made A a 'repeat contact' before round 10)
    B: asks in chat at 10:00 and again in a new conversation at 15:00 after the first was closed — a repeat
    C: asks once (12:00)
    E: only a logistics-exception ticket (13:00): never contacted the shop — not in the population
    By hand: customers who contacted 3 (A, B, C), of whom 1 (B) twice → 1/3 = 0.3333 (was 2/4: A and B of A B C E)."""
    from shouhou.core.testing.factories import CustomerFactory
    from shouhou.insight import metrics as m

    shop = ShopFactory(code="r10rc")
    boss = MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="r10rc-boss")).user
    a, b, c, e = (CustomerFactory(shop=shop) for _ in range(4))

    def chat(customer, hh):
        with time_machine.travel(at(hh, 0), tick=False):
            return services.message_receive(shop=shop, channel=Channel.WEB_CHAT, body="请问发货了吗",
                                            customer=customer).ticket

    def system(customer, hh):
        with time_machine.travel(at(hh, 0), tick=False):
            services.ticket_open(shop=shop, channel=Channel.SYSTEM, category="logistics", subject="物流异常：停滞",
                                 body="订单停滞 48 小时。", customer=customer)

    chat(a, 10)
    system(a, 11)
    first = chat(b, 10)
    with time_machine.travel(at(10, 30), tick=False):
        services.ticket_set_status(ticket=first, status="closed", actor=boss)
    chat(b, 15)
    chat(c, 12)
    system(e, 13)
    rate = m.metric("repeat_contact", shop=shop, start=at(0, 0), end=at(0, 0, day=D2))
    assert (rate.numerator, rate.denominator, rate.ratio) == (1, 3, Decimal("0.3333"))
    drilled = set(m.drill_queryset("repeat_contact", "den", shop=shop, start=at(0, 0), end=at(0, 0, day=D2)))
    assert drilled == {a, b, c}


# --- the dashboard's daily trend has every local day of the period ------------------------------------------------

def test_the_daily_trend_has_every_day_of_the_period(client, shop, agent):
    """The fixtures' week, Mon 2026-11-16 – Sun 11-22 (Beijing): return cases r1 and r3 on 11-18 over the 4 lines
    placed that day (2/4 = 50 %), r2 on 11-20 over its 2 lines (1/2 = 50 %), nothing on the other five days. The
    trend showed two points side by side, 11-18 next to 11-20, as if they were consecutive days; it has the seven
    days, with no value where there is nothing to count."""
    import json
    import re

    from .fixtures import PERIOD, build_world

    build_world(shop, agent)
    client.force_login(agent)
    text = client.get("/insight/", PERIOD).content.decode()
    chart = json.loads(re.search(r'<script id="insight-chart" type="application/json">(.*?)</script>', text, re.S)
                       .group(1))
    assert chart["trend"]["labels"] == [f"2026-11-{d}" for d in range(16, 23)]
    returns = next(s for s in chart["trend"]["series"] if s["label"].startswith("退货率"))
    assert returns["values"] == [None, None, 50.0, None, 50.0, None, None]


@pytest.mark.parametrize(("url", "name", "label"), [("/insight/problems/", "channel", "渠道"),
                                                   ("/insight/sessions/", "team", "团队")])
def test_a_filter_the_page_cannot_carry_is_left_out_and_said(client, url, name, label):
    # the page answered 500 (metrics.NotApplicable out of the view)
    shop, people = feige_day()
    client.force_login(people["boss"])
    response = client.get(url, {"start": D.isoformat(), "end": D2.isoformat(), name: "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="filter-dropped"' in html and f"「{label}」" in html
