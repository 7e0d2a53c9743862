"""Reply-rate clocks on two paths found in round 10 by holding the figures against hand-computed fixtures
(docs/metrics.md):

- 微信客服 on a private-domain shop (3 and 5 minutes, every hour counted). The buyer writes at 10:00:00 (send_time), a
  servicer answers in the WeCom client at 10:01:00 (send_time); shouhou reads both at 10:06:00 (a late pull after an
  outage). The answer was dated when it was read (ticket_reply at now(): 10:06), so a 60-second answer counted as
  360 s: 0/1 within 3 and 5 minutes instead of 1/1, first response 360 s instead of 60 s.
- 飞鸽: a buyer message left waiting in a conversation closed without a reply was never answered by the reply in the
  buyer's next conversation (1/2 instead of 2/2, and it waited for ever).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from shouhou.commerce.choices import Platform
from shouhou.core.testing.factories import ShopFactory
from shouhou.inbox.channels.kf_sandbox import KfSandbox
from shouhou.inbox.channels.wechat_kf import kf_fetch
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import ChannelAccount, Message, Ticket
from shouhou.sla.selectors import reply_rates

pytestmark = pytest.mark.django_db

BJ = ZoneInfo("Asia/Shanghai")
D = dt.datetime(2026, 11, 24, tzinfo=BJ)
BUYER, SERVICER, READ = D + dt.timedelta(hours=10), D + dt.timedelta(hours=10, minutes=1), \
    D + dt.timedelta(hours=10, minutes=6)


@pytest.fixture
def kf(settings):
    sandbox = KfSandbox().start()
    settings.SHOUHOU_INBOX_API_BASES = {"wechat_kf": sandbox.url}
    yield sandbox
    sandbox.stop()


def test_a_servicer_answer_read_late_keeps_its_send_time(kf):
    shop = ShopFactory(code="r10kf", platform=Platform.MANUAL)
    account = ChannelAccount.objects.create(shop=shop, channel=Channel.WECHAT_KF, name="十号店微信客服", key="kf-r10",
                                            app_id=kf.corp_id, token=kf.callback_token, aes_key=kf.aes_key,
                                            secret=kf.secret)
    kf.customer_text("wmR10", "我的衣服什么时候发货", msgid="r10-1")["send_time"] = int(BUYER.timestamp())
    kf.servicer_text("wmR10", "今天下午发出", servicer="lisi")["send_time"] = int(SERVICER.timestamp())
    with time_machine.travel(READ, tick=False):
        kf_fetch(account=account, open_kfid="wkSANDBOX01")
    buyer = Message.objects.get(shop=shop, direction=Direction.INBOUND)
    assert buyer.created_at == BUYER  # the buyer's side already keeps its send time
    [row] = reply_rates(shop=shop, start=D, end=D + dt.timedelta(days=1), at=D + dt.timedelta(days=1))
    assert [(r.seconds, r.answered, r.counted) for r in row.rates] == [(180, 1, 1), (300, 1, 1)]
    assert buyer.human_reply_at == SERVICER
    assert Ticket.objects.get(shop=shop).first_responded_at == SERVICER


def test_a_reply_in_the_buyers_next_conversation_answers_what_the_closed_one_left_waiting():
    """飞鸽 (3 minutes, 08:00–23:00). The buyer writes 16:00; the agent closes the ticket at 16:00:30 without a
    reply; the buyer writes again 16:01, which opens a new conversation (everything in the first is closed); the
    agent answers 16:02. On the platform it is one chat with one buyer: the 16:02 reply answers both, 120 s ✓ and
    60 s ✓ → 2/2. shouhou leaves the 16:00 message waiting for ever in the closed conversation → 1/2."""
    from shouhou.accounts.choices import Role
    from shouhou.core.testing.factories import MembershipFactory, UserFactory
    from shouhou.inbox import services
    from shouhou.sla.tests.test_reply_rates import Desk

    shop = ShopFactory(code="r10cl", platform=Platform.DOUYIN)
    agent = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="r10cl")).user
    desk = Desk(shop)
    desk.buyer(D + dt.timedelta(hours=16), "buyer")
    with time_machine.travel(D + dt.timedelta(hours=16, seconds=30), tick=False):
        services.ticket_set_status(ticket=desk.tickets["buyer"], status="closed", actor=agent)
    desk.buyer(D + dt.timedelta(hours=16, minutes=1), "buyer", "怎么关了？")
    desk.reply(D + dt.timedelta(hours=16, minutes=2), "buyer", agent)
    [row] = reply_rates(shop=shop, start=D, end=D + dt.timedelta(days=1), at=D + dt.timedelta(days=1))
    assert (row.rate(180).answered, row.rate(180).counted, row.waiting) == (2, 2, 0)


def test_the_reply_answers_only_the_same_buyers_closed_conversations_and_a_failed_delivery_undoes_it():
    from shouhou.accounts.choices import Role
    from shouhou.core.testing.factories import MembershipFactory, UserFactory
    from shouhou.inbox import services
    from shouhou.sla.tests.test_reply_rates import Desk

    shop = ShopFactory(code="r10c2", platform=Platform.DOUYIN)
    agent = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="r10c2")).user
    desk = Desk(shop)
    # another buyer's message, closed without a reply: not this buyer's
    other = desk.buyer(D + dt.timedelta(hours=15, minutes=59), "other")
    with time_machine.travel(D + dt.timedelta(hours=15, minutes=59, seconds=30), tick=False):
        services.ticket_set_status(ticket=desk.tickets["other"], status="closed", actor=agent)
    first = desk.buyer(D + dt.timedelta(hours=16), "buyer")
    with time_machine.travel(D + dt.timedelta(hours=16, seconds=30), tick=False):
        services.ticket_set_status(ticket=desk.tickets["buyer"], status="closed", actor=agent)
    desk.buyer(D + dt.timedelta(hours=16, minutes=1), "buyer", "怎么关了？")
    reply = desk.reply(D + dt.timedelta(hours=16, minutes=2), "buyer", agent)
    first.refresh_from_db()
    other.refresh_from_db()
    assert first.human_reply_at == reply.created_at and other.human_reply_at is None
    # the reply did not reach the buyer: what it answered waits again, in both conversations
    assert services.reply_delivery_failed(reply) == 2
    first.refresh_from_db()
    assert first.human_reply_at is None
