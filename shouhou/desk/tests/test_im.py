"""The one-screen desk over real HTTP: the list shows the customer's last message (not the bot's), waiting
conversations first; the pane and the side panel (tracking events); actions answer JSON for fetch()."""

from __future__ import annotations

import datetime as dt

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
