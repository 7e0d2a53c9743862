"""A 快手 evening and morning counted by hand (round 7): a burst that straddles 23:00 answered by one reply after a
transfer mid-wait, a reply at exactly 3 minutes, messages after 23:00 and after midnight (Asia/Shanghai) that do
not count, and the next morning's first counted second. Targets 3 and 5 minutes, counted 08:00–23:00."""

from __future__ import annotations

import datetime as dt

import pytest

from shouhou.commerce.choices import Platform
from shouhou.core.testing.factories import ShopFactory
from shouhou.sla.selectors import reply_rates
from shouhou.sla.tests.test_reply_rates import DAY, Desk, agents_of, at, day_bounds

pytestmark = pytest.mark.django_db
DAY2 = DAY + dt.timedelta(days=1)


def kuaishou_burst():
    """The burst of c1 up to its transfer, before anyone answers (see kuaishou_evening)."""
    shop = ShopFactory(code="ks7", platform=Platform.KUAISHOU)
    a1, a2 = agents_of(shop, "ks7-a1", "ks7-a2")
    desk = Desk(shop)
    desk.buyer(at(22, 56), "c1", "这个衣服起球了")
    desk.assign(at(22, 56, 10), "c1", a1)
    desk.buyer(at(22, 58, 30), "c1", "能退吗")
    desk.buyer(at(22, 59, 59), "c1", "？")
    desk.buyer(at(23, 0), "c1", "人呢")
    desk.assign(at(23, 0, 30), "c1", a2)
    return shop, a1, a2, desk


def kuaishou_evening():
    """c1 (held by a1, transferred to a2 at 23:00:30, a2's one reply at 23:01:30 answers the whole burst):
         m1 22:56:00 → 330 s  ✗3 ✗5
         m2 22:58:30 → 180 s  ✓3 ✓5 (exactly 3 minutes counts)
         m3 22:59:59 →  91 s  ✓3 ✓5
         m4 23:00:00           —  (sent after the counted hours)
       c2 23:58:00, answered 00:01:00 the next day: —
       c3 00:30:00 the next day (16:30 UTC the day before), never answered: —
       c4 08:00:00 the next day, answered by a1 at 08:04:59: 299 s ✗3 ✓5
    Day 1: 3 counted, 3-min 2/3, 5-min 2/3, all for a2 (whoever answers a waiting message owns it).
    Day 2: 1 counted, 3-min 0/1, 5-min 1/1, for a1."""
    shop, a1, a2, desk = kuaishou_burst()
    desk.reply(at(23, 1, 30), "c1", a2)
    desk.buyer(at(23, 58), "c2")
    desk.reply(at(0, 1, day=DAY2), "c2", a1)
    desk.buyer(at(0, 30, day=DAY2), "c3")
    desk.buyer(at(8, 0, day=DAY2), "c4")
    desk.reply(at(8, 4, 59, day=DAY2), "c4", a1)
    return shop, a1, a2


def test_the_evening_and_the_morning_match_the_hand_count():
    shop, a1, a2 = kuaishou_evening()
    start, _ = day_bounds()
    _, end = day_bounds(DAY2)
    later = end + dt.timedelta(hours=1)

    d1, d2 = reply_rates(shop=shop, start=start, end=end, at=later, by=("day",))
    assert (d1.day, d1.messages, d1.waiting) == (DAY, 3, 0)
    assert [(r.seconds, r.answered, r.counted) for r in d1.rates] == [(180, 2, 3), (300, 2, 3)]
    assert (d2.day, d2.messages, d2.waiting) == (DAY2, 1, 0)
    assert [(r.seconds, r.answered, r.counted) for r in d2.rates] == [(180, 0, 1), (300, 1, 1)]

    rows = reply_rates(shop=shop, start=start, end=end, at=later, by=("agent", "day"))
    assert [(r.agent_id, r.day, r.rate(180).answered, r.rate(300).answered, r.rate(300).counted) for r in rows] == [
        (a1.pk, DAY2, 0, 1, 1), (a2.pk, DAY, 2, 2, 3)]


def test_the_burst_is_judged_live_message_by_message():
    # At 23:00:59, nobody has answered yet: m1 (22:56:00) has passed its 3-minute line (22:59:00) but not its
    # 5-minute line (23:01:00); m2 and m3 can still make both; m4 does not count: only m1 is known, a 3-minute miss
    shop, _a1, a2, _desk = kuaishou_burst()
    start, end = day_bounds()
    [live] = reply_rates(shop=shop, start=start, end=end, at=at(23, 0, 59))
    assert (live.messages, live.waiting) == (3, 3)
    assert [(r.seconds, r.answered, r.counted) for r in live.rates] == [(180, 0, 1), (300, 0, 0)]
    # held by a2 now: the transfer moved the waiting messages to the agent who holds them
    assert [(r.agent_id, r.waiting) for r in reply_rates(shop=shop, start=start, end=end, at=at(23, 0, 59),
                                                          by=("agent",))] == [(a2.pk, 3)]
