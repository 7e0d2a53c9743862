"""The desk walked as its users walk it, with the test client: a read-only role (analyst) of the shop is refused
every desk and inbox write with the product's 403 and changes nothing; an agent of a second shop reaches none of
the first shop's conversations, files, cases or scripts, by id, by header or by `?shop=`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.files.base import ContentFile

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.cases import services as case_svc
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, OrderLineFactory, UserFactory
from shouhou.desk.tests.factories import EscalationFactory, ScriptFactory
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Message, Ticket, TicketEvent
from shouhou.inbox.services import message_receive

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
FETCH = {"HTTP_X_DESK_FETCH": "1"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(shop):
    """A conversation about an order with an open case, a photo from the customer, an escalation and a script."""
    customer = CustomerFactory(shop=shop, name="李女士", phone="13812345678")
    line = OrderLineFactory(order__shop=shop, order__customer=customer, product_name="保湿面霜")
    case = case_svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", auto_approve=False,
                                description="瓶口漏液", kind="refund_only")
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="面霜漏了，能退款吗", customer=customer,
                             order=line.order).ticket
    photo = Message(shop=shop, conversation=ticket.conversation, direction=Direction.INBOUND, body="[图片]")
    photo.attachment.save("leak.png", ContentFile(b"\x89PNG\r\n\x1a\n" + b"0" * 64), save=True)
    escalation = EscalationFactory(shop=shop, ticket=ticket, due_at=NOW + dt.timedelta(days=1))
    script = ScriptFactory(shop=shop, title="致歉", body="亲，非常抱歉")
    return {"ticket": ticket, "case": case, "photo": photo, "escalation": escalation, "script": script,
            "line": line}


def _writes(w) -> list[tuple[str, dict]]:
    t = w["ticket"].pk
    act = f"/desk/t/{t}/act"
    return [
        (f"{act}/reply/", {"body": "您好"}), (f"{act}/note/", {"body": "备注"}),
        (f"{act}/status/", {"status": "resolved"}), (f"{act}/assign/", {"agent": "1"}),
        (f"{act}/priority/", {"priority": "1"}),
        (f"{act}/escalate/", {"department": "warehouse", "request": "查库存", "due_at": "2026-11-07T10:00"}),
        (f"{act}/escalation_update/", {"escalation": w["escalation"].pk, "note": "进展"}),
        (f"{act}/escalation_close/", {"escalation": w["escalation"].pk, "note": "完成"}),
        (f"{act}/call/", {"summary": "来电", "phone": "13812345678"}),
        (f"/desk/t/{t}/case/create/", {"line": w["line"].pk, "reason": "quality"}),
        (f"/desk/t/{t}/case/approve/", {}), (f"/desk/t/{t}/case/reject/", {"reason": "不符合"}),
        (f"/desk/im/t/{t}/cases/{w['case'].pk}/approve/", {}),
        (f"/desk/im/t/{t}/cases/{w['case'].pk}/reject/", {"reason": "不符合"}),
        ("/desk/call/", {"summary": "来电", "phone": "13812345678"}),
    ]


def _state(shop):
    return (Message.objects.filter(shop=shop).count(), TicketEvent.objects.filter(shop=shop).count(),
            list(Ticket.objects.filter(shop=shop).values_list("status", "priority", "assignee_id")))


def test_a_read_only_role_is_refused_every_desk_and_inbox_write(client, shop, world):
    analyst = MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="analyst")).user
    client.force_login(analyst)
    t = world["ticket"].pk
    # it reads the pages (read-only) ...
    for page in ("/desk/im/", f"/desk/im/?t={t}", "/desk/queue/", f"/desk/t/{t}/", f"/desk/im/t/{t}/", "/desk/team/"):
        assert client.get(page).status_code == 200, page
    before = _state(shop)
    case_status = world["case"].status
    # ... and every write is refused with the product's page, or its JSON for fetch()
    for url, data in _writes(world):
        for headers in ({}, FETCH):
            r = client.post(url, data, **headers)
            assert r.status_code == 403, (url, headers, r.status_code)
            body = r.content.decode()
            assert 'data-testid="error-403"' in body or json.loads(body)["ok"] is False, url
    assert client.get(f"/desk/t/{t}/scripts/{world['script'].pk}/").status_code == 403
    for url, data in [("/api/inbox/messages", {"channel": "web_chat", "body": "x", "contact_handle": "13800000000"}),
                      (f"/api/inbox/tickets/{t}/reply", {"body": "您好"}), (f"/api/inbox/tickets/{t}/notes", {"body": "x"}),
                      (f"/api/inbox/tickets/{t}/assign", {"username": None}),
                      (f"/api/inbox/tickets/{t}/status", {"status": "resolved"}),
                      (f"/api/inbox/tickets/{t}/priority", {"priority": 1}),
                      (f"/api/inbox/tickets/{t}/escalations", {"department": "warehouse", "request": "查"}),
                      (f"/api/inbox/escalations/{world['escalation'].pk}/updates", {"note": "x"}),
                      (f"/api/inbox/escalations/{world['escalation'].pk}/close", {"status": "done"}),
                      ("/api/inbox/calls", {"summary": "来电", "phone": "13812345678"}),
                      ("/api/inbox/agents", {"username": "analyst"})]:
        r = client.post(url, json.dumps(data), content_type="application/json")
        assert r.status_code == 403 and r.json()["detail"], (url, r.status_code, r.content[:200])
    assert _state(shop) == before
    world["case"].refresh_from_db()
    assert world["case"].status == case_status


def test_a_second_shops_agent_reaches_nothing_of_the_first_shop(client, shop, other_shop, world):
    stranger = MembershipFactory(shop=other_shop, role=Role.AGENT, user=UserFactory(username="gebi")).user
    client.force_login(stranger)
    w, t = world, world["ticket"].pk
    for url in (f"/desk/im/?t={t}", f"/desk/t/{t}/", f"/desk/im/t/{t}/", f"/desk/t/{t}/poll/?m=0&e=0",
                f"/desk/t/{t}/earlier/?before={w['photo'].pk}", f"/desk/im/t/{t}/cases/",
                f"/desk/t/{t}/scripts/{w['script'].pk}/", f"/desk/m/{w['photo'].pk}/file/",
                f"/api/inbox/tickets/{t}", f"/api/inbox/conversations/{w['ticket'].conversation_id}"):
        assert client.get(url).status_code == 404, url
    before = _state(shop)
    for url, data in _writes(w)[:-1]:  # the last is the queue's call form: it logs in the agent's own shop
        assert client.post(url, data, **FETCH).status_code == 404, url
    assert _state(shop) == before
    # naming the first shop (a tab's header, a link's ?shop=) is refused, not obeyed
    assert client.get(f"/desk/t/{t}/", HTTP_X_DESK_SHOP=str(shop.pk)).status_code == 403
    assert client.get("/desk/queue/", {"shop": shop.pk}).status_code == 403
    assert client.get("/desk/im/list/", {"shop": shop.pk}).status_code == 403
    # the lists, the queue and the board show nothing of it
    for url in ("/desk/queue/", "/desk/queue/rows/", "/desk/im/list/?scope=all", "/api/inbox/tickets"):
        assert w["ticket"].number not in client.get(url).content.decode(), url
