"""Which buyer messages a platform does not count, on the desk's per-message clocks (docs/metrics.md, 回复率,
"What is not counted"). Hand-computed on a 飞鸽 shop (3 minutes, buyer messages sent 08:00–23:00 counted):

  w1 07:50 (before the counted hours), w2 08:02 in the same conversation; nobody answers.
  At 08:04: w2 is counted and has 60 s left (its line is 08:05); w1 is not counted at all.
  The conversation's row counts down to 08:05 (w2's line) — before, it took its oldest waiting message (w1)
  and showed 「不计入回复率」 for the whole conversation while w2 ran towards its line. The nudge, the rates and
  the row agree: w2 is the one message to answer in time. A night conversation with only w3 06:00 waiting
  stays 「不计入回复率」.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shouhou.commerce.choices import Platform
from shouhou.core.testing.factories import ShopFactory
from shouhou.inbox.models import Conversation
from shouhou.inbox.selectors import conversation_reply_clocks, reply_board
from shouhou.sla.selectors import reply_rates
from shouhou.sla.tests.test_reply_rates import Desk, agents_of

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


def t(hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 10, hh, mm, ss, tzinfo=TZ)


def _row(html: str, conversation_id: int) -> str:
    row = html[html.index(f'data-conversation="{conversation_id}"'):]
    return row[:row.index("</li>")]


def test_a_counted_message_after_an_uncounted_one_keeps_its_countdown(client):
    shop = ShopFactory(code="exempt", platform=Platform.DOUYIN)
    (a1,) = agents_of(shop, "x-a1")
    desk = Desk(shop)
    desk.buyer(t(7, 50), "w", "在吗")
    desk.buyer(t(8, 2), "w", "我的快递怎么还没发？")
    desk.buyer(t(6, 0), "night", "早上好")
    w = Conversation.objects.get(shop=shop, contact_handle="w")
    night = Conversation.objects.get(shop=shop, contact_handle="night")

    clocks = conversation_reply_clocks(shop=shop, conversation_ids=[w.pk, night.pk])
    assert (clocks[w.pk].counted, clocks[w.pk].waiting_since, clocks[w.pk].crosses_at,
            clocks[w.pk].waiting_messages) == (True, t(8, 2), t(8, 5), 2)
    assert (clocks[night.pk].counted, clocks[night.pk].waiting_since) == (False, t(6, 0))
    assert clocks[w.pk].seconds_left(t(8, 4)) == 60

    with time_machine.travel(t(8, 4), tick=False):
        (row,) = reply_rates(shop=shop, start=t(0, 0), end=t(8, 4, 1), at=t(8, 4))
        board = reply_board(shop=shop, at=t(8, 4))
        client.force_login(a1)
        html = client.get("/desk/im/?scope=all").content.decode()
    # one counted message (w2), waiting, its outcome not known yet; the night messages are not counted
    assert (row.messages, row.waiting, row.rate(180).counted) == (1, 1, 0)
    assert [(m.sent_at, m.seconds_left) for m in board.forecast] == [(t(8, 2), 60)]
    counting = _row(html, w.pk)
    assert 'data-testid="im-reply-clock"' in counting and 'data-due="2026-11-10T08:05:00+08:00"' in counting
    assert 'data-testid="im-reply-uncounted"' not in counting
    uncounted = _row(html, night.pk)
    assert 'data-testid="im-reply-uncounted"' in uncounted and 'data-testid="im-reply-clock"' not in uncounted
