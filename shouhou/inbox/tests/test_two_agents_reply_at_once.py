"""Two agents answer the same buyer message at the same moment (two desks, two real transactions started together):
both replies are stored and sent, the message is answered once — by the reply that committed first, for that agent —
and it counts once in the reply rate; the ticket's first response is set once (docs/metrics.md, 回复率:
`human_reply_at` is set only on messages still waiting, under the ticket's row lock).

The clock is set to a counted hour: the shop's rule (抖店飞鸽) counts buyer messages sent 08:00–23:00 Beijing, so run
at 23:xx the message was rightly not counted and the test failed (CI, 2026-12-07)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, UserFactory
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Message, Ticket
from shouhou.inbox.services import message_receive, ticket_reply
from shouhou.sla.selectors import reply_rates

COUNTED_HOUR = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def counted_hour():
    with time_machine.travel(COUNTED_HOUR.timestamp(), tick=True):
        yield


@pytest.mark.django_db(transaction=True)
def test_two_replies_at_once_answer_the_message_once(shop, counted_hour):
    kefu1, kefu2 = (MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username=n)).user
                    for n in ("kefu1", "kefu2"))
    received = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="这个能退吗",
                               customer=CustomerFactory(shop=shop))
    ticket_id, buyer = received.ticket.pk, received.message
    start, errors, replies = threading.Barrier(2), [], {}

    def answer(user, text):
        try:
            start.wait(timeout=10)
            replies[user.username] = ticket_reply(ticket=Ticket.objects.get(pk=ticket_id), author=user, body=text)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(u, t)) for u, t in ((kefu1, "可以的，亲"), (kefu2, "亲，可以退"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert set(replies) == {"kefu1", "kefu2"}
    assert Message.objects.filter(conversation_id=buyer.conversation_id, direction=Direction.OUTBOUND).count() == 2

    buyer.refresh_from_db()
    first = min(replies.values(), key=lambda m: (m.created_at, m.pk))
    assert buyer.human_reply_at == first.created_at and buyer.agent_id == first.author_id
    ticket = Ticket.objects.get(pk=ticket_id)
    assert ticket.first_responded_at == first.created_at
    (row,) = reply_rates(shop=shop, start=buyer.created_at, end=ticket.first_responded_at, at=ticket.first_responded_at,
                         by=("agent",))
    assert (row.agent_id, row.messages, row.waiting) == (first.author_id, 1, 0)
    assert [(r.answered, r.counted) for r in row.rates] == [(1, 1)] * len(row.rates)
