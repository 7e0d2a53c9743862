"""The one-screen desk over real HTTP: the list shows the customer's last message (not the bot's), waiting
conversations first; the pane and the side panel (tracking events); actions answer JSON for fetch()."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Message, Ticket
from shouhou.inbox.services import message_receive, ticket_reply

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _says(shop, customer, text):
    return message_receive(shop=shop, channel=Channel.WEB_CHAT, body=text, customer=customer).ticket


def test_the_list_shows_the_customers_last_message_and_waiting_ones_first(agent_client, shop, agent):
    with time_machine.travel(T0, tick=False) as clock:
        answered = _says(shop, CustomerFactory(shop=shop, name="王先生"), "发票怎么开")
        clock.shift(60)
        waiting_long = _says(shop, CustomerFactory(shop=shop, name="李女士"), "面霜漏了")
        clock.shift(60)
        waiting_short = _says(shop, CustomerFactory(shop=shop, name="赵女士"), "什么时候发货")
        ticket_reply(ticket=answered, author=agent, body="您好，可以开电子发票")
        # a bot's words after the customer's question do not hide the question
        Message.objects.create(shop=shop, conversation=waiting_long.conversation, direction=Direction.OUTBOUND,
                               is_bot=True, body="亲，机器人小助手为您服务")
        clock.shift(120)
        response = agent_client.get("/desk/im/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.ticket.pk for r in rows] == [waiting_long.pk, waiting_short.pk, answered.pk]
    assert [r.last_message for r in rows] == ["面霜漏了", "什么时候发货", "发票怎么开"]
    assert [r.waiting for r in rows] == [True, True, False]
    html = response.content.decode()
    assert "机器人小助手" not in html and html.count('data-testid="im-wait"') == 2


def test_the_pane_has_the_conversation_and_the_parcels_tracking_events(agent_client, shop):
    from shouhou.commerce.models import Shipment
    from shouhou.logistics.models import TrackingEvent

    customer = CustomerFactory(shop=shop, name="李女士")
    order = OrderFactory(shop=shop, customer=customer, order_no="XL20261101001")
    shipment = Shipment.objects.create(shop=shop, order=order, carrier="sf", tracking_no="SF1234567890")
    TrackingEvent.objects.create(shop=shop, shipment=shipment, occurred_at=T0, status="in_transit",
                                 description="快件已到达【杭州转运中心】", event_key="k1")
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="快递到哪了", customer=customer,
                             order=order).ticket
    page = agent_client.get(f"/desk/im/?t={ticket.pk}").content.decode()
    pane = agent_client.get(f"/desk/im/t/{ticket.pk}/").content.decode()
    for html in (page, pane):
        assert "快递到哪了" in html and "快件已到达【杭州转运中心】" in html and 'data-testid="tracking-events"' in html


def test_actions_posted_by_fetch_answer_json(agent_client, shop):
    ticket = _says(shop, CustomerFactory(shop=shop), "在吗")
    headers = {"HTTP_X_DESK_FETCH": "1"}
    ok = agent_client.post(f"/desk/t/{ticket.pk}/act/reply/", {"body": "您好，在的"}, **headers)
    assert ok.status_code == 200 and ok.json()["ok"] is True
    blocked = agent_client.post(f"/desk/t/{ticket.pk}/act/reply/", {"body": "给五星好评返现10元"}, **headers)
    assert blocked.status_code == 422 and blocked.json()["blocked"]
    bad = agent_client.post(f"/desk/t/{ticket.pk}/act/status/", {"status": "nonsense"}, **headers)
    assert bad.status_code == 400 and bad.json()["ok"] is False and bad.json()["error"]
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    # and nothing is left over to flash on the next full page
    assert "已回复" not in agent_client.get(f"/desk/t/{ticket.pk}/").content.decode().split("timeline")[0]


def test_another_shops_ticket_is_not_found(agent_client, other_shop):
    ticket = _says(other_shop, CustomerFactory(shop=other_shop), "别的店")
    assert agent_client.get(f"/desk/im/t/{ticket.pk}/").status_code == 404
    assert agent_client.get(f"/desk/im/?t={ticket.pk}").status_code == 404


def _waiting(shop, n, *, start=T0, **kw):
    """n open conversations of the shop waiting for an answer, the first the longest (a minute apart)."""
    from shouhou.desk.tests.factories import TicketFactory

    return [TicketFactory(shop=shop, status="open", waiting_since=start + dt.timedelta(minutes=i),
                          last_customer_message_at=start + dt.timedelta(minutes=i), **kw) for i in range(n)]


def test_a_cut_list_says_so_counts_them_all_and_keeps_the_open_and_alerted_ones(agent_client, shop, agent):
    # given 63 conversations waiting (the list shows the 60 longest-waiting) and one of another agent
    from shouhou.core.testing.factories import UserFactory

    tickets = _waiting(shop, 63)
    _waiting(shop, 1, assignee=UserFactory(username="other"))
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        page = agent_client.get(f"/desk/im/?t={tickets[61].pk}")
        listed = agent_client.get(f"/desk/im/list/?t={tickets[61].pk}"
                                  f"&keep={tickets[62].conversation_id},{tickets[0].conversation_id},x")
    rows = page.context["rows"]
    # then the page says the list is cut and how many there are (mine and unassigned: not the other agent's)
    assert rows.total == 63 and rows.cut
    assert "只显示最早等待的 60 个，共 63 个" in page.content.decode()
    # and the open conversation is in it, appended past the cut; the 63rd is not
    assert [r.ticket.pk for r in rows] == [t.pk for t in tickets[:60]] + [tickets[61].pk]
    assert [r.beyond for r in rows][-2:] == [False, True]
    # the live refresh keeps the count, the open one and the one just alerted (by its conversation; each once)
    body = listed.json()
    assert (body["total"], body["shown"]) == (63, 62)
    assert "只显示最早等待的 60 个，共 63 个" in body["html"]
    assert body["html"].count('data-beyond="1"') == 2
    assert f'data-ticket="{tickets[62].pk}"' in body["html"] and f'data-ticket="{tickets[61].pk}"' in body["html"]
    # all open: the other agent's one is counted too
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        assert agent_client.get("/desk/im/list/?scope=all").json()["total"] == 64


def test_a_list_that_fits_says_nothing(agent_client, shop):
    mine = _waiting(shop, 3)
    body = agent_client.get(f"/desk/im/list/?t={mine[2].pk}&keep={mine[0].conversation_id}").json()
    assert (body["total"], body["shown"]) == (3, 3)
    assert 'data-testid="im-cut"' not in body["html"] and 'data-beyond' not in body["html"]


def test_only_conversations_of_the_list_are_kept_past_the_cut(shop, other_shop, agent):
    from shouhou.core.testing.factories import UserFactory
    from shouhou.inbox.selectors import desk_conversations

    mine = _waiting(shop, 3)
    theirs = _waiting(other_shop, 1)[0]
    colleagues = _waiting(shop, 1, start=T0 + dt.timedelta(hours=1), assignee=UserFactory(username="other"))[0]
    resolved = _waiting(shop, 1)[0]
    type(resolved).objects.filter(pk=resolved.pk).update(status="resolved")
    strangers = [theirs, colleagues, resolved]
    listed = desk_conversations(shop=shop, user=agent, limit=2, keep=[t.pk for t in strangers],
                                keep_conversations=[t.conversation_id for t in [*strangers, mine[2]]])
    assert [(r.ticket.pk, r.beyond) for r in listed] == [(mine[0].pk, False), (mine[1].pk, False), (mine[2].pk, True)]
    assert listed.total == 3
    # all open: a colleague's conversation is the list's, and kept
    listed = desk_conversations(shop=shop, user=agent, scope="all", limit=2, keep=[colleagues.pk, theirs.pk])
    assert [r.ticket.pk for r in listed if r.beyond] == [colleagues.pk] and listed.total == 4


def test_the_desk_list_is_three_queries_whatever_its_length(shop, agent, django_assert_max_num_queries):
    from shouhou.inbox.selectors import desk_conversations

    tickets = _waiting(shop, 70)
    at = T0 + dt.timedelta(hours=2)
    with django_assert_max_num_queries(3):
        listed = desk_conversations(shop=shop, user=agent, at=at, keep=[tickets[65].pk],
                                    keep_conversations=[tickets[69].conversation_id, "x"])
    assert (listed.total, len(listed), listed.limit) == (70, 62, 60)
    assert [r.ticket.pk for r in listed.rows[-2:]] == [tickets[65].pk, tickets[69].pk]
    with django_assert_max_num_queries(1):  # not cut: no count, nothing to keep
        assert desk_conversations(shop=shop, user=agent, at=at, limit=100, keep=[tickets[3].pk]).total == 70


def test_the_cut_is_said_in_english_too(agent_client, shop):
    _waiting(shop, 61)
    agent_client.cookies["django_language"] = "en"
    html = agent_client.get("/desk/im/list/").json()["html"]
    assert "Showing only the 60 longest-waiting, of 61" in html


def test_a_file_is_linked_under_the_name_the_sender_gave_it_in_the_pane_the_ticket_and_the_live_poll(
        agent_client, shop):
    from django.core.files.base import ContentFile

    customer = CustomerFactory(shop=shop, name="李女士")
    ticket = _says(shop, customer, "发票在附件里")
    first = ticket.conversation.messages.get()
    named = Message(shop=shop, conversation=ticket.conversation, direction=Direction.INBOUND, body="[附件] x",
                    attachment_name="<b>十二月</b>发票.pdf")
    named.attachment.save("mail-F1.pdf", ContentFile(b"%PDF-1.4"), save=True)
    unnamed = Message(shop=shop, conversation=ticket.conversation, direction=Direction.INBOUND, body="[附件] y")
    unnamed.attachment.save("mail-F2.pdf", ContentFile(b"%PDF-1.4"), save=True)
    link = (f'<a href="/desk/m/{named.pk}/file/?shop={shop.pk}" rel="noopener" data-testid="msg-file-name">'
            "&lt;b&gt;十二月&lt;/b&gt;发票.pdf</a>")
    fallback = f'<a href="/desk/m/{unnamed.pk}/file/?shop={shop.pk}" rel="noopener" data-testid="msg-file-name">附件</a>'
    pane = agent_client.get(f"/desk/im/t/{ticket.pk}/").content.decode()
    page = agent_client.get(f"/desk/t/{ticket.pk}/").content.decode()
    polled = agent_client.get(f"/desk/t/{ticket.pk}/poll/", {"m": first.pk, "e": 10**6}).json()["html"]
    for html in (pane, page, polled):
        assert link in html and fallback in html and "<b>十二月" not in html


def _long_conversation(shop, n=230):
    """A conversation of `n` customer messages 「第1条」…, a minute apart, and an event at its start."""
    ticket = _says(shop, CustomerFactory(shop=shop), "第1条")
    Message.objects.bulk_create([
        Message(shop=shop, conversation_id=ticket.conversation_id, direction=Direction.INBOUND, body=f"第{i}条",
                created_at=T0 + dt.timedelta(minutes=i)) for i in range(2, n + 1)])
    return ticket


@pytest.mark.parametrize("page", ["/desk/t/{pk}/", "/desk/im/t/{pk}/"])
def test_a_long_conversation_opens_on_its_newest_messages_and_loads_earlier_ones(agent_client, shop, page):
    """Before, the page drew every message of the conversation (and the customer's chat only its oldest 200): the
    agent opens on the newest 200 and reads back a page at a time (「查看更早的消息」, a message-id cursor)."""
    with time_machine.travel(T0, tick=False):
        ticket = _long_conversation(shop)
    ids = list(Message.objects.filter(conversation=ticket.conversation).order_by("pk").values_list("pk", flat=True))
    html = agent_client.get(page.format(pk=ticket.pk)).content.decode()
    assert set(map(int, re.findall(r'data-key="m(\d+)"', html))) == set(ids[30:])  # the newest 200
    assert "第230条" in html
    before = re.search(r'data-earlier-url="(/desk/t/\d+/earlier/)" data-before="(\d+)"', html)
    assert before and int(before.group(2)) == Message.objects.get(conversation=ticket.conversation, body="第31条").pk
    earlier = agent_client.get(before.group(1), {"before": before.group(2)}).json()
    assert earlier["earlier"] is None  # the beginning: no button any more
    assert [int(k) for k in re.findall(r'data-key="m(\d+)"', earlier["html"])] == ids[:30]  # oldest first
    assert "第1条" in earlier["html"] and "第30条" in earlier["html"]
    assert agent_client.get(before.group(1), {"before": "x"}).status_code == 400


def test_earlier_messages_are_this_shops_only(agent_client, shop, other_shop):
    with time_machine.travel(T0, tick=False):
        theirs = _long_conversation(other_shop, n=5)
    assert agent_client.get(f"/desk/t/{theirs.pk}/earlier/", {"before": 10**6}).status_code == 404


def test_a_short_conversation_has_no_earlier_button(agent_client, shop):
    with time_machine.travel(T0, tick=False):
        ticket = _long_conversation(shop, n=200)
    html = agent_client.get(f"/desk/t/{ticket.pk}/").content.decode()
    assert len(re.findall(r'data-key="m(\d+)"', html)) == 200 and "data-earlier-url" not in html


def test_a_conversation_transferred_to_the_agent_past_the_cut_stays_in_their_list_after_a_reload(
        agent_client, shop, agent):
    """Before 2026-12-07 the agent's own conversation past the 60 longest-waiting was in the list only while the push
    had just alerted it (`keep`): a reload, or the polling fallback (which asks for nothing it was not pushed), lost
    it — the agent's own customer, out of sight. Their own conversations are never cut off by the list's limit."""
    from shouhou.core.testing.factories import MembershipFactory, UserFactory
    from shouhou.inbox.services import ticket_assign

    colleague = MembershipFactory(shop=shop, role="agent", user=UserFactory(username="kefu2")).user
    # given 61 unassigned conversations waiting longer than the ones below
    _waiting(shop, 61)
    # and a colleague's conversation, waiting less long, transferred to the agent
    given = _waiting(shop, 1, start=T0 + dt.timedelta(hours=1), assignee=colleague)[0]
    given = ticket_assign(ticket=given, agent=agent, actor=colleague)
    # and one the agent holds already, waiting least long
    held = _waiting(shop, 1, start=T0 + dt.timedelta(hours=1, minutes=5), assignee=agent)[0]
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        page = agent_client.get("/desk/im/")  # a reload: nothing open, nothing just alerted
        polled = agent_client.get("/desk/im/list/").json()  # the polling fallback's read
        everyone = agent_client.get("/desk/im/list/?scope=all").json()
    rows = page.context["rows"]
    # then both are in the list, past the cut, in the list's order
    assert rows.total == 63 and rows.cut
    assert [(r.ticket.pk, r.beyond) for r in rows][-3:] == [(rows.rows[59].ticket.pk, False), (given.pk, True),
                                                            (held.pk, True)]
    for body in (polled, everyone):
        assert f'data-ticket="{given.pk}"' in body["html"] and f'data-ticket="{held.pk}"' in body["html"]
        assert body["html"].count('data-beyond="1"') == 2
    assert (polled["total"], polled["shown"]) == (63, 62)


def test_only_a_desk_that_can_take_a_conversation_is_marked_for_unassigned_alerts(client, shop, agent):
    """desk/im.js alerts an unassigned conversation only on a desk marked data-can-reply (who may take it): a read-only
    role's desk rang for every new chat before 2026-12-07."""
    from shouhou.core.testing.factories import MembershipFactory, UserFactory

    analyst = MembershipFactory(shop=shop, role="analyst", user=UserFactory(username="fenxi")).user
    client.force_login(agent)
    assert 'data-can-reply="1"' in client.get("/desk/im/").content.decode()
    client.force_login(analyst)
    page = client.get("/desk/im/")
    assert page.status_code == 200 and "data-can-reply" not in page.content.decode()


def test_the_panes_assignee_follows_the_timeline_read(agent_client, shop, agent):
    """Found walking the desk (2026-12-07): an agent's reply takes an unassigned conversation, but the pane's header
    kept saying 「未分配」 until the conversation was opened again — the timeline read that follows every change
    redrew the status, not who holds it. The read now names the holder, and the pane marks where it goes."""
    ticket = _says(shop, CustomerFactory(shop=shop), "在吗")
    pane = agent_client.get(f"/desk/im/t/{ticket.pk}/").content.decode()
    assert '<span data-testid="ticket-assignee">未分配</span>' in pane
    ticket_reply(ticket=ticket, author=agent, body="您好，在的")
    read = agent_client.get(f"/desk/t/{ticket.pk}/poll/").json()
    assert read["assignee_label"] == "agent"
