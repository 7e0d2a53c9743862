"""A new chat the routing gives to an agent in the transaction that stores its first message, on the desk stream: the
message's event (stored before its ticket existed) and the bot's hand-off are completed with the ticket, the agent and
the `assigned` event, so the desks alert it once — only the assigned agent, as given to them — instead of every desk
for the message and the routed agent's again for the assignment (docs/live.md). A chat nobody was given says so."""

from __future__ import annotations

import datetime as dt

import pytest

from shouhou.core.clock import now
from shouhou.core.testing.factories import CustomerFactory
from shouhou.desk.tests.factories import AgentProfileFactory, ShiftFactory
from shouhou.inbox.channels.inbound import conversation_for_contact
from shouhou.inbox.channels.webchat import webchat_post
from shouhou.inbox.choices import Channel, TicketEventKind
from shouhou.inbox.models import Message, TicketEvent
from shouhou.inbox.services import message_receive
from shouhou.live.models import LiveEvent
from shouhou.live.selectors import live_events_after
from shouhou.live.services import desk_stream

pytestmark = pytest.mark.django_db(transaction=True)  # events are numbered after their change commits


def _on_duty(shop, user):
    profile = AgentProfileFactory(shop=shop, user=user)
    ShiftFactory(agent=profile, starts_at=now() - dt.timedelta(hours=1), ends_at=now() + dt.timedelta(hours=8))


def _frames(shop, frame_kind, **match):
    return [f["data"] for f in live_events_after(desk_stream(shop.pk), 0)
            if f["kind"] == frame_kind and all(f["data"].get(k) == v for k, v in match.items())]


def test_a_new_chat_the_routing_gives_names_the_agent_and_the_assignment_in_its_message_event(shop, agent):
    # given the agent on duty (the routing gives new chats to them)
    _on_duty(shop, agent)

    # when a customer's first message opens a ticket
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="在吗，面霜漏了",
                             customer=CustomerFactory(shop=shop)).ticket

    # then the message's event names the ticket, the agent and the assignment that gave it (by the system)
    assigned = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.ASSIGNED)
    (message,) = _frames(shop, "message")
    assert {k: message.get(k) for k in ("ticket_id", "assignee_id", "assigned_event_id", "assigned_by")} == {
        "ticket_id": ticket.pk, "assignee_id": agent.pk, "assigned_event_id": assigned.pk, "assigned_by": ""}
    # and the assignment's own event follows it, the same one
    (given,) = _frames(shop, "ticket", kind="assigned")
    assert (given["event_id"], given["assignee_id"], given["actor_id"]) == (assigned.pk, agent.pk, None)
    assert not LiveEvent.objects.filter(seq__isnull=True).exists()


def test_a_new_chat_nobody_is_given_names_its_ticket_and_no_agent(shop, agent):
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="在吗",
                             customer=CustomerFactory(shop=shop)).ticket
    (message,) = _frames(shop, "message")
    assert (message["ticket_id"], message["assignee_id"], message.get("assigned_event_id")) == (ticket.pk, None, None)
    # and a later message of the same conversation is not completed by anything (its ticket exists)
    message_receive(shop=shop, channel=Channel.WEB_CHAT, body="还在吗", conversation=ticket.conversation)
    assert [m["ticket_id"] for m in _frames(shop, "message")] == [ticket.pk, ticket.pk]


def test_a_hand_off_the_routing_gives_names_the_agent_and_the_assignment(shop, agent):
    _on_duty(shop, agent)
    chat = conversation_for_contact(shop=shop, channel="web_chat", customer=CustomerFactory(shop=shop))
    webchat_post(conversation=chat, body="你好")
    webchat_post(conversation=chat, body="转人工")
    ticket = chat.tickets.get()
    assigned = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.ASSIGNED)
    (handoff,) = _frames(shop, "ticket", kind="bot_handoff")
    assert {k: handoff.get(k) for k in ("message_id", "assignee_id", "assigned_event_id")} == {
        "message_id": Message.objects.get(conversation=chat, body="转人工").pk, "assignee_id": agent.pk,
        "assigned_event_id": assigned.pk}
    # the customer's messages the bot received stay unalerted
    assert [m["bot_receives"] for m in _frames(shop, "message", who="me")] == [True, True]
