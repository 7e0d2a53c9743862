"""A 飞鸽 shift computed by hand (docs/metrics.md, 回复率) and compared with what each reader shows: the rate
selector, the agent's queue, the supervisor's board, insight's agents page and the API. Transfers between agents,
a bot reply then a person, two buyer messages before one reply, a reply at exactly three minutes, the 08:00 and
23:00 boundaries and a message in the night — in Asia/Shanghai, where 00:30 is 16:30 UTC of the day before."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shouhou.accounts.models import Role
from shouhou.commerce.choices import Platform
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.inbox import services
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import Conversation
from shouhou.sla.selectors import reply_rates
from shouhou.sla.tests.test_reply_rates import Desk, agents_of

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
D = dt.date(2026, 11, 10)


def t(hh: int, mm: int, ss: int = 0, *, day: dt.date = D) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=TZ)


def shift():
    """抖店 飞鸽: 3 minutes, buyer messages sent 08:00–23:00 (local) counted. ✓ in time, ✗ late or never,
    — not counted.
    n1 00:30 (16:30 UTC the day before) → a1 00:45                   —  (night)
    n2 07:59:59 → a1 08:01                                            —  (before 08:00)
    t1 08:00:00, held by a1, transferred to a2 08:01, a2 answers 08:02:30   ✓ 150 s, a2's
    t2 09:00, held by a1, transferred to a2 09:04 (already late), a2 09:05 ✗ 300 s, a2's (the answerer)
    b0 10:00 to the bot, bot answers 10:00:02                          —  (the bot's)
    b1 10:01 "转人工", bot "正在转接" 10:01:03, hand-off, a1 answers 10:03:59  ✓ 179 s, a1's
    c1 11:00 and c2 11:02, one reply by a1 11:03:30                    c1 ✗ 210 s, c2 ✓ 90 s
    e1 12:00:00 → a1 12:03:00                                          ✓ exactly 180 s
    u1 22:50 held by a2, never answered                                ✗ once 22:53 has passed
    z1 22:59:59 → a1 23:02:30                                          ✓ 151 s
    z2 23:00:00 → a1 23:01                                             —  (after 23:00)
    Counted 8 (t1 t2 b1 c1 c2 e1 u1 z1); in time 5 (t1 b1 c2 e1 z1) → 62.5 %.
    a1: b1 c1 c2 e1 z1 → 4 of 5 = 80 %; a2: t1 t2 u1 → 1 of 3 = 33.3 %."""
    shop = ShopFactory(code="shift", platform=Platform.DOUYIN)
    a1, a2 = agents_of(shop, "s-a1", "s-a2")
    desk = Desk(shop)
    desk.buyer(t(0, 30), "n1")
    desk.reply(t(0, 45), "n1", a1)
    desk.buyer(t(7, 59, 59), "n2")
    desk.reply(t(8, 1), "n2", a1)
    desk.buyer(t(8, 0), "t1")
    desk.assign(t(8, 0, 10), "t1", a1)
    with time_machine.travel(t(8, 1), tick=False):
        desk.tickets["t1"] = services.ticket_assign(ticket=desk.tickets["t1"], agent=a2, actor=a1, note="转交")
    desk.reply(t(8, 2, 30), "t1", a2)
    desk.buyer(t(9, 0), "t2")
    desk.assign(t(9, 0, 5), "t2", a1)
    with time_machine.travel(t(9, 4), tick=False):
        desk.tickets["t2"] = services.ticket_assign(ticket=desk.tickets["t2"], agent=a2, actor=a1, note="转交")
    desk.reply(t(9, 5), "t2", a2)
    Conversation.objects.create(shop=shop, channel=Channel.WEB_CHAT, contact_handle="b", bot_active=True)
    desk.buyer(t(10, 0), "b", "我的快递到哪了")
    desk.bot_reply(t(10, 0, 2), "b")
    desk.buyer(t(10, 1), "b", "转人工")
    desk.bot_reply(t(10, 1, 3), "b", "正在为您转接人工客服")
    desk.hand_off(t(10, 1, 3), "b")
    desk.assign(t(10, 1, 4), "b", a1)
    desk.reply(t(10, 3, 59), "b", a1)
    desk.buyer(t(11, 0), "c")
    desk.buyer(t(11, 2), "c", "还有一个问题")
    desk.reply(t(11, 3, 30), "c", a1)
    desk.buyer(t(12, 0), "e")
    desk.reply(t(12, 3), "e", a1)
    desk.buyer(t(22, 50), "u")
    desk.assign(t(22, 50, 5), "u", a2)
    desk.buyer(t(22, 59, 59), "z1")
    desk.reply(t(23, 2, 30), "z1", a1)
    desk.buyer(t(23, 0), "z2")
    desk.reply(t(23, 1), "z2", a1)
    return shop, a1, a2


def test_the_selector_matches_the_hand_count():
    shop, a1, a2 = shift()
    start, end = t(0, 0), t(0, 0, day=D + dt.timedelta(days=1))
    [team] = reply_rates(shop=shop, start=start, end=end, at=t(23, 59))
    assert (team.messages, team.waiting, team.rate(180).answered, team.rate(180).counted) == (8, 1, 5, 8)
    assert team.rate(180).percent == 62.5
    per = {r.agent_id: r.rate(180) for r in reply_rates(shop=shop, start=start, end=end, at=t(23, 59), by=("agent",))}
    assert {k: (v.answered, v.counted) for k, v in per.items()} == {a1.pk: (4, 5), a2.pk: (1, 3)}
    # at 22:52 u1 (22:50) can still make it; z1 is not sent yet
    [live] = reply_rates(shop=shop, start=start, end=t(22, 52), at=t(22, 52))
    assert (live.rate(180).answered, live.rate(180).counted) == (4, 6)


def test_the_board_the_queue_insight_and_the_api_show_the_same_numbers(client):
    from urllib.parse import urlencode

    from shouhou.accounts.actors import SYSTEM
    from shouhou.accounts.services import token_issue

    shop, a1, a2 = shift()
    boss = MembershipFactory(shop=shop, role=Role.SUPERVISOR, user=UserFactory(username="s-boss")).user
    with time_machine.travel(t(23, 59), tick=False):
        client.force_login(boss)
        board = client.get("/desk/team/").content.decode()
        insight = client.get(f"/insight/agents/?start={D.isoformat()}&end={(D + dt.timedelta(days=1)).isoformat()}"
                             ).content.decode()
        client.force_login(a2)
        queue = client.get("/desk/queue/").content.decode()
        token = token_issue(actor=SYSTEM, shop=shop, name="rates", scopes=["*"], role=Role.ANALYST)
        api = client.get("/api/sla/reply-rates?" + urlencode({"start": t(0, 0).isoformat(),
                                                               "end": t(0, 0, day=D + dt.timedelta(days=1)).isoformat(),
                                                               "by": "agent"}),
                         HTTP_AUTHORIZATION=f"Bearer {token.secret}").json()
    assert 'data-testid="reply-rate-team-180">62.5%' in board
    assert '80.0% <span class="muted">(4/5)' in board[board.index('data-agent="s-a1"'):][:600]
    assert '33.3% <span class="muted">(1/3)' in board[board.index('data-agent="s-a2"'):][:600]
    assert 'data-testid="reply-rate-team-180">62.5%' in queue
    assert 'data-testid="reply-rate-mine-180">33.3%' in queue
    team_row = insight[insight.index('class="team-row"'):]
    assert 'data-testid="reply-cell-180">62.5%' in team_row[:400]
    assert 'data-testid="reply-cell-180">80.0%' in insight[insight.index('data-agent="s-a1"'):][:400]
    assert 'data-testid="reply-cell-180">33.3%' in insight[insight.index('data-agent="s-a2"'):][:400]
    rows = {r["agent_id"]: (r["rates"][0]["answered"], r["rates"][0]["counted"]) for r in api["rows"]}
    assert rows == {a1.pk: (4, 5), a2.pk: (1, 3)}


def test_local_days_split_at_midnight_in_shanghai_not_utc(client):
    """A shop counted every hour (private domain: 3 and 5 minutes). p1 D-1 23:50 → 23:52 (✓ ✓);
    p2 D 00:10 (16:10 UTC of D-1) → 00:14 (✗ ✓); p3 D 07:59 → 08:05 (✗ ✗).
    Day D-1: 1 message, 3-min 1/1. Day D: 2 messages, 3-min 0/2, 5-min 1/2 — on the board at D 09:00 and in
    insight for D."""
    shop = ShopFactory(code="tz", platform=Platform.MANUAL)
    (a1,) = agents_of(shop, "tz-a1")
    desk = Desk(shop)
    prev = D - dt.timedelta(days=1)
    desk.buyer(t(23, 50, day=prev), "p1")
    desk.reply(t(23, 52, day=prev), "p1", a1)
    desk.buyer(t(0, 10), "p2")
    desk.reply(t(0, 14), "p2", a1)
    desk.buyer(t(7, 59), "p3")
    desk.reply(t(8, 5), "p3", a1)
    rows = reply_rates(shop=shop, start=t(0, 0, day=prev), end=t(0, 0, day=D + dt.timedelta(days=1)),
                       at=t(9, 0), by=("day",))
    assert [(r.day, r.messages, [(x.answered, x.counted) for x in r.rates]) for r in rows] == [
        (prev, 1, [(1, 1), (1, 1)]), (D, 2, [(0, 2), (1, 2)])]
    boss = MembershipFactory(shop=shop, role=Role.SUPERVISOR, user=UserFactory(username="tz-boss")).user
    with time_machine.travel(t(9, 0), tick=False):
        client.force_login(boss)
        board = client.get("/desk/team/").content.decode()
        insight = client.get(f"/insight/agents/?start={D.isoformat()}&end={(D + dt.timedelta(days=1)).isoformat()}"
                             ).content.decode()
    assert 'data-testid="reply-rate-team-180">0.0%' in board and 'data-testid="reply-rate-team-300">50.0%' in board
    team_row = insight[insight.index('class="team-row"'):][:600]
    assert 'data-testid="reply-cell-180">0.0%' in team_row and 'data-testid="reply-cell-300">50.0%' in team_row


def test_the_one_screen_desk_shows_the_reply_clocks_the_rates_and_the_nudge(client):
    """The agent works the shift on the one-screen desk (/desk/im/), not the old queue page: at 22:52:10, a2 has
    t1 ✓ t2 ✗ decided (1 of 2 = 50 %; u1, 22:50, can still make it), the team 4 of 7 decided (t1 b1 c2 e1 of
    t1 t2 b1 c1 c2 e1 — u1 not yet) = 66.7 %. u1's 3-minute line is 22:53:00, 50 s away: its row counts down to
    it and the nudge names it. A night message still waiting on a 飞鸽 shop is marked as not counted."""
    from shouhou.inbox.models import Ticket

    shop, a1, a2 = shift()
    u1 = Conversation.objects.get(shop=shop, contact_handle="u")
    u1_ticket = Ticket.objects.get(conversation=u1)
    with time_machine.travel(t(22, 52, 10), tick=False):
        client.force_login(a2)
        html = client.get("/desk/im/").content.decode()
        listed = client.get("/desk/im/list/").json()
    for part in (html, listed["reply_html"]):
        assert 'data-testid="im-rate-mine-180">50.0%' in part
        assert 'data-testid="im-rate-team-180">66.7%' in part
        nudge = part[part.index('data-testid="im-nudge"'):]
        assert f'data-open="{u1_ticket.pk}"' in nudge and "2026-11-10T22:53:00+08:00" in nudge
    for part in (html, listed["html"]):
        row = part[part.index(f'data-conversation="{u1.pk}"'):]
        row = row[:row.index("</li>")]
        assert 'data-testid="im-reply-clock"' in row and 'data-due="2026-11-10T22:53:00+08:00"' in row
    assert 'data-reply-line="180"' in html
    Desk(shop).buyer(t(2, 0, day=D + dt.timedelta(days=1)), "night")  # the next night, 02:00: outside 08:00–23:00
    with time_machine.travel(t(2, 1, day=D + dt.timedelta(days=1)), tick=False):
        client.force_login(a1)
        html = client.get("/desk/im/").content.decode()
    night = Conversation.objects.get(shop=shop, contact_handle="night")
    row = html[html.index(f'data-conversation="{night.pk}"'):]
    row = row[:row.index("</li>")]
    assert 'data-testid="im-reply-uncounted"' in row and 'data-testid="im-reply-clock"' not in row


def test_the_board_shows_the_messages_no_agent_held_as_insight_does(client):
    """飞鸽: v1 10:00 on a ticket nobody took, never answered (✗ once 10:03 passed); v2 11:00 → a1 11:01 (✓).
    Team 1 of 2 = 50 %; a1 1 of 1; nobody's: 0 of 1. The board said 「今天还没有计入回复率的顾客消息」 under a team
    figure of 0 % when only v1 had come in, and never showed the unassigned miss beside the agents' rows."""
    shop = ShopFactory(code="unheld", platform=Platform.DOUYIN)
    (a1,) = agents_of(shop, "h-a1")
    boss = MembershipFactory(shop=shop, role=Role.SUPERVISOR, user=UserFactory(username="h-boss")).user
    desk = Desk(shop)
    desk.buyer(t(10, 0), "v1")
    client.force_login(boss)
    with time_machine.travel(t(10, 30), tick=False):
        board = client.get("/desk/team/").content.decode()
    assert 'data-testid="reply-rate-team-180">0.0%' in board
    assert "今天还没有计入回复率的顾客消息" not in board
    row = board[board.index('data-testid="reply-rates-unassigned"'):][:500]
    assert '0.0% <span class="muted">(0/1)' in row

    desk.buyer(t(11, 0), "v2")
    desk.reply(t(11, 1), "v2", a1)
    with time_machine.travel(t(12, 0), tick=False):
        board = client.get("/desk/team/rows/").json()["html"]
        insight = client.get(f"/insight/agents/?start={D.isoformat()}&end={(D + dt.timedelta(days=1)).isoformat()}"
                             ).content.decode()
    assert 'data-testid="reply-rate-team-180">50.0%' in board
    assert '100.0% <span class="muted">(1/1)' in board[board.index('data-agent="h-a1"'):][:500]
    assert '0.0% <span class="muted">(0/1)' in board[board.index('data-testid="reply-rates-unassigned"'):][:500]
    assert 'data-testid="reply-cell-180">0.0%' in insight[insight.index('data-agent="未分配"'):][:400]


def test_insight_reply_rates_follow_the_pages_agent_and_channel_filters_and_say_which_they_do_not(client):
    """The shift on insight's agents page filtered to s-a2: the KPI table was filtered, the reply-rate table still
    showed the whole team (62.5 %) under the filter. Filtered, its team row is a2's own 1 of 3 = 33.3 %; the
    web chat channel keeps 62.5 % (every message of the shift is web chat), e-mail has none; a live-session
    filter cannot apply to buyer messages and the page says so."""
    from shouhou.insight.metrics import Filters
    from shouhou.insight.selectors import reply_rate_history

    shop, a1, a2 = shift()
    boss = MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="f-boss")).user
    start, end = t(0, 0), t(0, 0, day=D + dt.timedelta(days=1))
    with time_machine.travel(t(23, 59), tick=False):
        [mine] = reply_rate_history(shop=shop, start=start, end=end, filters=Filters.of(agent=a2.pk)).team
        [chat] = reply_rate_history(shop=shop, start=start, end=end, filters=Filters.of(channel="web_chat")).team
        [mail] = reply_rate_history(shop=shop, start=start, end=end, filters=Filters.of(channel="email")).team
        client.force_login(boss)
        base = f"/insight/agents/?start={D.isoformat()}&end={(D + dt.timedelta(days=1)).isoformat()}"
        html = client.get(f"{base}&agent={a2.pk}").content.decode()
        session = client.get(f"{base}&live_session=1").content.decode()
    assert (mine.rate(180).answered, mine.rate(180).counted) == (1, 3)
    assert (chat.rate(180).answered, chat.rate(180).counted) == (5, 8) and mail is None
    team_row = html[html.index('class="team-row"'):][:400]
    assert 'data-testid="reply-cell-180">33.3%' in team_row
    assert 'data-agent="s-a1"' not in html[html.index('data-testid="reply-history"'):]
    assert 'data-testid="reply-history-ignored"' not in html
    assert 'data-testid="reply-history-ignored"' in session


def test_the_api_names_the_bound_that_has_no_time_zone(client):
    """GET /api/sla/reply-rates with a zoned start and an end without a zone: the error named `start`."""
    from urllib.parse import urlencode

    from shouhou.accounts.actors import SYSTEM
    from shouhou.accounts.services import token_issue

    shop = ShopFactory(code="naive", platform=Platform.DOUYIN)
    token = token_issue(actor=SYSTEM, shop=shop, name="rates", scopes=["*"], role=Role.ANALYST)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token.secret}"}
    answers = {}
    for bad in ("start", "end"):
        query = {"start": "2026-11-10T00:00:00+08:00", "end": "2026-11-11T00:00:00+08:00"}
        query[bad] = query[bad][:-6]
        answers[bad] = client.get("/api/sla/reply-rates?" + urlencode(query), **auth)
    for bad, response in answers.items():
        body = response.json()
        assert response.status_code == 422 and "时区" in body["detail"]
        assert [e["loc"] for e in body["errors"]] == [[bad]]


def test_the_next_moment_the_boards_must_be_read_again_with_nothing_pushed(client):
    """The nudge window is 60 s, the line 3 minutes. c1 11:00 and c2 11:02 wait until 11:03:30; u1 22:50 never
    answered. By hand: at 11:02:30 c1 is inside the window, crossing at 11:03:00 — the next moment; c2 enters
    at 11:04:00. At 11:03:10 c1 has crossed: 11:04:00. At 22:50:30 u1 enters the window at 22:52:00; at 22:52:10
    it crosses at 22:53:00; at 22:53:00 nothing waits that can still make it. The boards carry the moment
    (data-next) and desk.js reads them again then: the nudge and the team board did not change with nothing
    pushed (a quiet night shift), though a message crossed into the window."""
    from shouhou.sla.selectors import reply_next_moment

    shop = ShopFactory(code="next", platform=Platform.DOUYIN)
    (a1,) = agents_of(shop, "n-a1")
    boss = MembershipFactory(shop=shop, role=Role.SUPERVISOR, user=UserFactory(username="n-boss")).user
    desk = Desk(shop)

    def moments(*whens):
        return [reply_next_moment(shop=shop, nudge_seconds=60, at=when) for when in whens]

    desk.buyer(t(11, 0), "c")
    desk.buyer(t(11, 2), "c", "还有一个问题")
    assert moments(t(11, 2, 30), t(11, 3, 10)) == [t(11, 3), t(11, 4)]
    desk.reply(t(11, 3, 30), "c", a1)
    assert moments(t(22, 49)) == [None]
    desk.buyer(t(22, 50), "u")
    assert moments(t(22, 50, 30), t(22, 52, 10), t(22, 53)) == [t(22, 52), t(22, 53), None]
    client.force_login(boss)
    with time_machine.travel(t(22, 50, 30), tick=False):
        team = client.get("/desk/team/").content.decode()
        rows = client.get("/desk/team/rows/").json()["html"]
        queue = client.get("/desk/queue/").content.decode()
        im = client.get("/desk/im/").content.decode()
    for html in (team, rows, queue):
        assert 'id="reply-board" data-testid="reply-board" data-next="2026-11-10T22:52:00+08:00"' in html
    assert 'data-testid="im-reply-board" data-next="2026-11-10T22:52:00+08:00"' in im


def test_a_conversation_another_agent_holds_says_so_above_the_composer(client):
    """Two agents, one conversation: a2 opening a1's conversation (the one screen or the ticket page) is told whose it
    is before answering; a1 is not warned about their own."""
    from shouhou.inbox.models import Ticket

    shop = ShopFactory(code="held", platform=Platform.DOUYIN)
    a1, a2 = agents_of(shop, "held-a1", "held-a2")
    desk = Desk(shop)
    desk.buyer(t(10, 0), "x")
    desk.assign(t(10, 0, 5), "x", a1)
    ticket = Ticket.objects.get(conversation__contact_handle="x")
    pages = {}
    for user in (a1, a2):
        client.force_login(user)
        pages[user.username] = [client.get(url).content.decode()
                                for url in (f"/desk/im/t/{ticket.pk}/", f"/desk/t/{ticket.pk}/")]
    for html in pages["held-a2"]:
        assert 'data-testid="im-held-by"' in html and "这个会话由 held-a1 负责" in html
    for html in pages["held-a1"]:
        assert 'data-testid="im-held-by"' not in html
