"""Per-agent first response: credited to the person who gave it, in insight as on the team board — one definition,
`inbox.selectors.first_responder` (docs/metrics.md, 首次响应时长). Before 2026-12-07 insight credited the ticket's
assignee at the time of reading: an agent who answered and then transferred the conversation lost the response to
the receiver, who never gave it; and the team board skipped a first reply with no shouhou user (a servicer answering
in the WeCom client) and credited the next person who replied.

Hand-computed fixture, Wednesday 2026-12-02 (Beijing), the desk calendar open 09:00–24:00 (sla defaults), so business
seconds equal wall seconds. Each ticket opens at 10:00:00 with the customer's message:

| ticket | what happens | first response | holder now |
|---|---|---|---|
| A | kefu1 answers 10:02, transfers to kefu2, who answers 10:30 | kefu1, 120 s | kefu2 |
| B | given to kefu1, transferred to kefu2 unanswered, kefu2 answers 10:07 | kefu2, 420 s | kefu2 |
| C | kefu1 answers 10:04 | kefu1, 240 s | kefu1 |
| D | given to kefu2; a WeCom servicer (no shouhou user) answers 10:01; kefu1 answers 10:20 | kefu2 (assignee), 60 s | kefu2 |

kefu1: A and C → 2 responses, average and median (120 + 240) / 2 = 180 s.
kefu2: B and D → 2 responses, average and median (420 + 60) / 2 = 240 s.
(By holder, as before: kefu1 C only, 240 s; kefu2 A, B, D, median 120 s. The team board before: kefu1 A, C, D.)
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from shouhou.accounts.actors import SystemActor
from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, UserFactory
from shouhou.desk.tests.factories import AgentProfileFactory
from shouhou.inbox.choices import Channel
from shouhou.inbox.selectors import team_load
from shouhou.inbox.services import message_receive, ticket_assign, ticket_reply
from shouhou.insight import metrics as m
from shouhou.insight.selectors import agent_kpis
from shouhou.sla.services import sla_defaults_install

pytestmark = pytest.mark.django_db

BJ = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 12, 2, tzinfo=BJ)
OPEN = DAY + dt.timedelta(hours=10)


def at(minutes: int) -> dt.datetime:
    return OPEN + dt.timedelta(minutes=minutes)


@pytest.fixture
def world(shop):
    sla_defaults_install(shop=shop)
    kefu1, kefu2 = (UserFactory(username=name) for name in ("kefu1", "kefu2"))
    for user in (kefu1, kefu2):
        MembershipFactory(shop=shop, user=user, role=Role.AGENT)
        AgentProfileFactory(shop=shop, user=user)
    with time_machine.travel(OPEN, tick=False) as clock:
        t = {name: message_receive(shop=shop, channel=Channel.WEB_CHAT, body=f"问题{name}",
                                   customer=CustomerFactory(shop=shop)).ticket for name in "ABCD"}
        ticket_assign(ticket=t["B"], agent=kefu1, actor=kefu1)
        ticket_assign(ticket=t["D"], agent=kefu2, actor=kefu2)
        clock.move_to(at(1))
        ticket_reply(ticket=t["D"], author=SystemActor("wechat_kf"), body="您好，在的", by_person=True)
        clock.move_to(at(2))
        ticket_reply(ticket=t["A"], author=kefu1, body="您好，马上为您处理")
        ticket_assign(ticket=t["A"], agent=kefu2, actor=kefu1)
        ticket_assign(ticket=t["B"], agent=kefu2, actor=kefu1)
        clock.move_to(at(4))
        ticket_reply(ticket=t["C"], author=kefu1, body="亲，这就查")
        clock.move_to(at(7))
        ticket_reply(ticket=t["B"], author=kefu2, body="抱歉，这就为您换货")
        clock.move_to(at(20))
        ticket_reply(ticket=t["D"], author=kefu1, body="已为您补发")
        clock.move_to(at(30))
        ticket_reply(ticket=t["A"], author=kefu2, body="已补发，单号稍后发您")
    for ticket in t.values():
        ticket.refresh_from_db()
    return {"kefu1": kefu1, "kefu2": kefu2, **t}


def test_the_fixture_is_what_the_table_says(world):
    assert {n: world[n].first_response_business_seconds for n in "ABCD"} == {"A": 120, "B": 420, "C": 240, "D": 60}
    assert {n: world[n].assignee.username for n in "ABCD"} == {"A": "kefu2", "B": "kefu2", "C": "kefu1", "D": "kefu2"}


def test_insight_credits_the_first_response_to_the_person_who_gave_it(shop, world):
    kefu1, kefu2 = world["kefu1"], world["kefu2"]
    by_agent = m.compute("first_response", shop=shop, start=DAY, end=DAY + dt.timedelta(days=1), group="agent")
    assert by_agent[kefu1.pk].as_dict() == {"count": 2, "avg_business_seconds": 180, "median_business_seconds": 180,
                                            "avg_wall_seconds": 180, "median_wall_seconds": 180}
    assert by_agent[kefu2.pk].as_dict() == {"count": 2, "avg_business_seconds": 240, "median_business_seconds": 240,
                                            "avg_wall_seconds": 240, "median_wall_seconds": 240}
    assert None not in by_agent
    # the agent filter of the dashboard and its drill list follow the same person
    one = m.metric("first_response", shop=shop, start=DAY, end=DAY + dt.timedelta(days=1),
                   filters=m.Filters.of(agent=kefu1.pk))
    assert (one.count, one.median_business_seconds) == (2, 180)
    drilled = m.drill_queryset("first_response", "all", shop=shop, start=DAY, end=DAY + dt.timedelta(days=1),
                               filters=m.Filters.of(agent=kefu1.pk))
    assert sorted(t.number for t in drilled) == sorted([world["A"].number, world["C"].number])
    # the KPI table (insight's agents page, the weekly report) shows those figures
    rows = {r.key: r.values["first_response"] for r in agent_kpis(shop=shop, start=DAY, end=DAY + dt.timedelta(days=1))}
    assert (rows[kefu1.pk].count, rows[kefu1.pk].median_business_seconds) == (2, 180)
    assert (rows[kefu2.pk].count, rows[kefu2.pk].median_business_seconds) == (2, 240)


def test_the_team_board_and_insight_agree(shop, world):
    with time_machine.travel(DAY + dt.timedelta(hours=23), tick=False):
        loads = {a.user.username: a for a in team_load(shop=shop)}
    assert (loads["kefu1"].answered_today, loads["kefu1"].first_response_median_seconds) == (2, 180)
    assert (loads["kefu2"].answered_today, loads["kefu2"].first_response_median_seconds) == (2, 240)


def test_the_drill_list_names_who_gave_the_first_response(client, shop, world, shop_admin):
    client.force_login(shop_admin)
    page = client.get("/insight/drill/", {"metric": "first_response", "part": "all", "start": "2026-12-02",
                                          "end": "2026-12-03", "agent": world["kefu1"].pk})
    assert page.status_code == 200
    html = page.content.decode()
    rows = re.findall(r'<tr class="drill-row"><td>(T[^<]+)</td>.*?data-testid="drill-first-responder">([^<]*)</td>',
                      html)
    # A was transferred to kefu2 after kefu1's first reply: kefu1 is named, beside the holder kefu2
    assert sorted(rows) == sorted([(world["A"].number, "kefu1"), (world["C"].number, "kefu1")])
