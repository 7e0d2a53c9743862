"""Long conversations in the inbox API: `GET /api/inbox/tickets/{id}` and `GET /api/inbox/conversations/{id}` answer
the newest 200 messages and a cursor (`?before=<message id>`) to read the earlier ones, as the desk does
(docs/workbench.md, "The inbox API"). Before 2026-12-07 both answered every message of the conversation at once.

Given a web-chat conversation of 230 customer messages a minute apart (第1条 at 10:01 … 第230条 at 13:50, Beijing
time) and a ticket event written at 10:00:30, before the 31st message (the oldest of the newest page).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox import selectors as sel
from shouhou.inbox.choices import Channel, Direction, TicketEventKind
from shouhou.inbox.models import Message, TicketEvent
from shouhou.inbox.services import message_receive

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _long_conversation(shop, n=230):
    with time_machine.travel(T0, tick=False):
        ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="第0条",
                                 customer=CustomerFactory(shop=shop)).ticket
    Message.objects.filter(conversation_id=ticket.conversation_id).update(body="第1条",
                                                                           created_at=T0 + dt.timedelta(minutes=1))
    _messages(shop, ticket.conversation_id, {f"第{i}条": i for i in range(2, n + 1)})
    TicketEvent.objects.filter(ticket=ticket).update(created_at=T0)  # what opening the ticket wrote: 10:00
    early = _event(shop, ticket, T0 + dt.timedelta(minutes=30, seconds=30))  # after 第30条
    late = _event(shop, ticket, T0 + dt.timedelta(minutes=31, seconds=30))  # after 第31条
    return ticket, early, late


def _messages(shop, conversation_id, minutes: dict[str, int]) -> None:
    """Buyer messages in this id order, each sent `minutes[body]` minutes after T0 (created_at is stamped on save)."""
    rows = Message.objects.bulk_create([Message(shop=shop, conversation_id=conversation_id,
                                                direction=Direction.INBOUND, body=body) for body in minutes])
    for m in rows:
        Message.objects.filter(pk=m.pk).update(created_at=T0 + dt.timedelta(minutes=minutes[m.body]))


def _event(shop, ticket, at):
    event = TicketEvent.objects.create(shop=shop, ticket=ticket, kind=TicketEventKind.NOTE, note="质检提示")
    TicketEvent.objects.filter(pk=event.pk).update(created_at=at)  # created_at is stamped on save
    return event


@pytest.fixture
def api(client, shop):
    token = token_issue(actor=SYSTEM, shop=shop, name="pages", scopes=["inbox"], role=Role.AGENT)
    return lambda path, **params: client.get("/api/inbox" + path, params, headers={"Authorization": token.header})


def _bodies(answer) -> list[str]:
    return [m["body"] for m in answer["messages"]]


@pytest.mark.parametrize("path", ["/tickets/{ticket}", "/conversations/{conversation}"])
def test_a_long_conversation_answers_its_newest_page_and_reads_back_with_before(api, shop, path):
    ticket, early, late = _long_conversation(shop)
    url = path.format(ticket=ticket.pk, conversation=ticket.conversation_id)
    ids = list(Message.objects.filter(conversation=ticket.conversation).order_by("pk").values_list("pk", flat=True))

    newest = api(url)

    assert newest.status_code == 200, newest.content
    got = newest.json()
    assert _bodies(got) == [f"第{i}条" for i in range(31, 231)]  # the newest 200, oldest first
    assert (got["has_earlier"], got["earlier"]) == (True, ids[30])  # the cursor: 第31条, the oldest shown

    back = api(url, before=got["earlier"]).json()

    assert _bodies(back) == [f"第{i}条" for i in range(1, 31)]
    assert (back["has_earlier"], back["earlier"]) == (False, None)  # the beginning
    if path.startswith("/tickets"):
        # each event is on the page whose span holds it, exactly once
        assert late.pk in [e["id"] for e in got["events"]] and early.pk not in [e["id"] for e in got["events"]]
        assert early.pk in [e["id"] for e in back["events"]] and late.pk not in [e["id"] for e in back["events"]]
        opened = {e["id"] for e in back["events"]} - {early.pk}
        assert opened and not opened & {e["id"] for e in got["events"]}  # the ticket's opening, on the first page
        assert back["number"] == ticket.number and back["customer_progress"] == got["customer_progress"]


@pytest.mark.parametrize("path", ["/tickets/{ticket}", "/conversations/{conversation}"])
def test_a_short_conversation_is_whole_on_one_page(api, shop, path):
    ticket, *_ = _long_conversation(shop, n=200)
    got = api(path.format(ticket=ticket.pk, conversation=ticket.conversation_id)).json()
    assert len(got["messages"]) == 200 and (got["has_earlier"], got["earlier"]) == (False, None)
    assert len(got.get("events", [])) == (TicketEvent.objects.filter(ticket=ticket).count()
                                          if path.startswith("/tickets") else 0)


@pytest.mark.parametrize("path", ["/tickets/{ticket}", "/conversations/{conversation}"])
def test_a_before_that_is_not_this_conversations_message_answers_400(api, shop, other_shop, path):
    ticket, *_ = _long_conversation(shop, n=3)
    theirs, *_ = _long_conversation(other_shop, n=3)
    url = path.format(ticket=ticket.pk, conversation=ticket.conversation_id)
    for before in (Message.objects.filter(conversation=theirs.conversation).first().pk, 10**9):
        r = api(url, before=before)
        assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["before"], r.content
    for bad in ("x", 0, 2**63):
        assert api(url, before=bad).status_code == 422


def test_the_cursor_is_in_the_openapi_description(client):
    schema = json.loads(client.get("/api/openapi.json").content)
    for path, out in [("/api/inbox/tickets/{ticket_id}", "InboxTicketDetailOut"),
                      ("/api/inbox/conversations/{conversation_id}", "InboxConversationDetailOut")]:
        params = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        assert params["before"]["in"] == "query" and not params["before"].get("required")
        props = schema["components"]["schemas"][out]["properties"]
        assert {"has_earlier", "earlier", "messages"} <= set(props)


def test_a_page_spans_time_so_an_event_is_on_one_page_even_when_ids_and_times_disagree(shop):
    """Pages go by message id, spans by time. A message fetched late keeps the buyer's send time: its id is newer
    than messages sent after it. Before, the older page's span ended at its cursor message's time while the newer
    page's began at its earliest message: an event between them was on both pages."""
    with time_machine.travel(T0, tick=False):
        ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="m1",
                                 customer=CustomerFactory(shop=shop)).ticket
    conv = ticket.conversation_id
    TicketEvent.objects.filter(ticket=ticket).update(created_at=T0)
    Message.objects.filter(conversation_id=conv).update(created_at=T0 + dt.timedelta(minutes=1))
    at = {2: 2, 3: 3, 4: 4, 5: 11, 6: 5}  # m6 (the newest id) was sent at 10:05, before m5 (10:11)
    _messages(shop, conv, {f"m{i}": m for i, m in at.items()})
    between = _event(shop, ticket, T0 + dt.timedelta(minutes=7))
    pages, before = [], None
    while True:
        page = sel.ticket_timeline_page(ticket=ticket, before_message_id=before, limit=2)
        pages.append([i.key for i in page.items])
        if page.earlier is None:
            break
        before = page.earlier
    keys = [k for p in pages for k in p]
    assert keys.count(f"e{between.pk}") == 1, pages
    assert len(keys) == len(set(keys))
    assert sorted(k for k in keys if k[0] == "m") == sorted(
        f"m{pk}" for pk in Message.objects.filter(conversation_id=conv).values_list("pk", flat=True))
