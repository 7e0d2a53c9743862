"""A chat the bot receives, then hands over to a person (转人工), on the desk stream: the customer's messages the bot
answers say so (`bot_receives`: the desk does not alert them, there is nothing for a person and no list row), and
the hand-off's ticket event names the customer's last message, its conversation and the assignee, so the desk alerts
that message once, under the key the polling fallback uses too (docs/live.md, docs/workbench.md)."""

from __future__ import annotations

import pytest

from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.channels.inbound import conversation_for_contact
from shouhou.inbox.channels.webchat import webchat_post
from shouhou.inbox.models import Message
from shouhou.inbox.services import message_receive
from shouhou.live.selectors import live_events_after
from shouhou.live.services import desk_stream


@pytest.mark.django_db(transaction=True)  # events are numbered after their change commits
def test_the_bots_messages_say_so_and_the_hand_off_names_the_message_that_waits_for_a_person(shop):
    # given a web chat the bot receives (the shop's default)
    chat = conversation_for_contact(shop=shop, channel="web_chat", customer=CustomerFactory(shop=shop))
    assert chat.bot_active

    # when the customer greets the bot, then asks for a person
    webchat_post(conversation=chat, body="你好")
    webchat_post(conversation=chat, body="转人工")
    # and writes again once handed over
    webchat_post(conversation=chat, body="我的面霜漏了")

    frames = live_events_after(desk_stream(shop.pk), 0)
    inbound = [f["data"] for f in frames if f["kind"] == "message" and f["data"]["who"] == "me"]
    # then the messages the bot received say so; the one after the hand-off does not
    assert [(d["preview"], d["bot_receives"]) for d in inbound] == [
        ("你好", True), ("转人工", True), ("我的面霜漏了", False)]
    # and the hand-off names the message that now waits for a person, its conversation and ticket, nobody assigned
    handoffs = [f["data"] for f in frames if f["kind"] == "ticket" and f["data"]["kind"] == "bot_handoff"]
    asked = Message.objects.get(conversation=chat, body="转人工")
    assert len(handoffs) == 1
    assert {k: handoffs[0][k] for k in ("message_id", "conversation_id", "assignee_id", "preview")} == {
        "message_id": asked.pk, "conversation_id": chat.pk, "assignee_id": None, "preview": "转人工"}
    assert handoffs[0]["ticket_id"] == chat.tickets.get().pk


@pytest.mark.django_db(transaction=True)
def test_a_message_without_the_bot_is_not_marked_as_the_bots(shop):
    message_receive(shop=shop, channel="web_chat", body="在吗", customer=CustomerFactory(shop=shop))
    (data,) = [f["data"] for f in live_events_after(desk_stream(shop.pk), 0) if f["kind"] == "message"]
    assert data["bot_receives"] is False
