"""Reply rates at the edge of a day whose counted hours end at midnight (a private-domain shop: every hour counts,
3 and 5 minutes; docs/metrics.md, 回复率), computed by hand, on insight's daily table and on the desk's board.

Wednesday 2026-12-02 → Thursday 12-03, Beijing time (✓ within, ✗ late or never):
    d1 Wed 23:59:00 → Thu 00:02:00 by k1 (180 s exactly: a reply at exactly T counts)     ✓ ✓   Wednesday's
    d2 Wed 23:59:30, held by k1, never answered (3 min passed 00:02:30, 5 min 00:04:30)    ✗ ✗   Wednesday's
    d3 Thu 00:00:00 → 00:03:01 by k1                                                       ✗ ✓   Thursday's
Read at Thu 00:05: Wednesday 2 messages, 3 min 1/2, 5 min 1/2; Thursday 1 message, 3 min 0/1, 5 min 1/1.
The desk's board at Thu 00:05 shows today (Thursday) only: 0/1 and 1/1; Wednesday's late-night misses stay
Wednesday's (the day the buyer sent them), however late they are found.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from shouhou.commerce.choices import Platform
from shouhou.core.testing.factories import ShopFactory
from shouhou.inbox.selectors import reply_board
from shouhou.insight.selectors import reply_rate_history
from shouhou.sla.tests.test_reply_rates import Desk, agents_of

from .fixtures import TZ

pytestmark = pytest.mark.django_db
WED, THU = dt.date(2026, 12, 2), dt.date(2026, 12, 3)


def at(day: dt.date, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=TZ)


@pytest.fixture
def midnight():
    shop = ShopFactory(code="private", platform=Platform.MANUAL)
    (k1,) = agents_of(shop, "k1")
    desk = Desk(shop)
    desk.buyer(at(WED, 23, 59), "d1")
    desk.assign(at(WED, 23, 59, 5), "d1", k1)
    desk.buyer(at(WED, 23, 59, 30), "d2")
    desk.assign(at(WED, 23, 59, 40), "d2", k1)
    desk.buyer(at(THU, 0, 0), "d3")
    desk.reply(at(THU, 0, 2), "d1", k1)
    desk.reply(at(THU, 0, 3, 1), "d3", k1)
    return shop, k1


def test_insight_counts_each_message_on_the_day_it_was_sent(midnight):
    shop, _k1 = midnight
    with time_machine.travel(at(THU, 0, 5), tick=False):
        history = reply_rate_history(shop=shop, start=at(WED, 0, 0), end=at(THU + dt.timedelta(days=1), 0, 0))
    assert history.target_minutes == [3, 5]
    team = {d: (r.messages, [(x.answered, x.counted) for x in r.rates]) for d, r in zip(history.days, history.team,
                                                                                       strict=True) if r}
    assert team == {WED: (2, [(1, 2), (1, 2)]), THU: (1, [(0, 1), (1, 1)])}


def test_the_desk_board_after_midnight_shows_today_only(midnight):
    shop, k1 = midnight
    board = reply_board(shop=shop, user=k1, at=at(THU, 0, 5))
    assert [(r.answered, r.counted) for r in board.team.rates] == [(0, 1), (1, 1)]
    assert [(r.answered, r.counted) for r in board.mine.rates] == [(0, 1), (1, 1)]


def test_just_before_midnight_the_waiting_messages_are_not_yet_misses():
    shop = ShopFactory(code="private", platform=Platform.MANUAL)
    (k1,) = agents_of(shop, "k1")
    desk = Desk(shop)
    desk.buyer(at(WED, 23, 59), "d1")
    desk.assign(at(WED, 23, 59, 5), "d1", k1)
    desk.buyer(at(WED, 23, 59, 30), "d2")
    # at 23:59:59 neither has reached 3 minutes: both waiting, nothing counted yet
    board = reply_board(shop=shop, user=k1, at=at(WED, 23, 59, 59))
    assert (board.team.messages, board.team.waiting) == (2, 2)
    assert [(r.answered, r.counted) for r in board.team.rates] == [(0, 0), (0, 0)]
    # at 00:02:30 Thursday both are Wednesday's, now late for 3 minutes; Thursday's board has none of them
    late = reply_board(shop=shop, user=k1, at=at(THU, 0, 2, 30))
    assert (late.team.messages, [(r.answered, r.counted) for r in late.team.rates]) == (0, [(0, 0), (0, 0)])
    with time_machine.travel(at(THU, 0, 2, 30), tick=False):
        history = reply_rate_history(shop=shop, start=at(WED, 0, 0), end=at(THU, 0, 0))
    wed = history.team[history.days.index(WED)]
    assert (wed.messages, [(x.answered, x.counted) for x in wed.rates]) == (2, [(0, 2), (0, 0)])
