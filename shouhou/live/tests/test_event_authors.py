"""The desk's "message" event says who wrote it (docs/live.md, Frames): the author's kind, and for a person of
the shop their id and name, so the desk draws the message without reading the ticket again. The kind follows
the direction first: a customer's message is the customer's even when a user of the shop recorded it."""

from __future__ import annotations

import pytest

from shouhou.inbox.choices import Direction
from shouhou.inbox.models import Message
from shouhou.inbox.services import ticket_note, ticket_reply
from shouhou.live.selectors import live_events_after
from shouhou.live.services import chat_stream, desk_stream
from shouhou.live.tests.test_push import _customer_says


@pytest.mark.django_db(transaction=True)  # events are numbered after their change commits
def test_each_message_event_names_its_author(chat, agent):
    ticket = _customer_says(chat, "面霜漏了怎么办").ticket
    ticket_reply(ticket=ticket, author=agent, body="非常抱歉，马上为您处理")
    ticket_note(ticket=ticket, author=agent, body="内部：仓库核实批次")
    Message.objects.create(shop=chat.shop, conversation=chat, direction=Direction.OUTBOUND, is_bot=True,
                           body="机器人：已为您转人工")
    # a customer's message recorded by a user of the shop (a call taken down by the agent) stays the customer's
    Message.objects.create(shop=chat.shop, conversation=chat, direction=Direction.INBOUND, author=agent,
                           body="电话里顾客说：盒子也破了")
    # a reply by a person outside shouhou (a 微信客服 servicer answering in WeCom): a person, no id
    Message.objects.create(shop=chat.shop, conversation=chat, direction=Direction.OUTBOUND, body="稍等")
    long_text = "很" * 300
    ticket_reply(ticket=ticket, author=agent, body=long_text)

    desk = [f["data"] for f in live_events_after(desk_stream(chat.shop_id), 0) if f["kind"] == "message"]
    name = agent.get_username()
    assert [(d["author"]["kind"], d["author"]["id"], d["author"]["name"], d["complete"]) for d in desk] == [
        ("customer", None, "", True), ("agent", agent.pk, name, True), ("note", agent.pk, name, True),
        ("bot", None, "", True), ("customer", None, "", True), ("agent", None, "", True), ("agent", agent.pk, name, False)]
    assert [d["who"] for d in desk] == ["me", "agent", "note", "bot", "me", "agent", "agent"]
    assert desk[-1]["preview"] == long_text[:200]
    # the numbers and the chat stream are as before: no hole, and the customer sees no note and no user's id
    seqs = [f["seq"] for f in live_events_after(desk_stream(chat.shop_id), 0)]
    assert seqs == list(range(1, len(seqs) + 1))
    chat_frames = live_events_after(chat_stream(chat.pk), 0)
    assert "author" not in str(chat_frames) and "内部" not in str(chat_frames)


@pytest.mark.django_db(transaction=True)
def test_a_transfer_event_names_the_new_assignee_and_who_gave_it(chat, agent, supervisor):
    from shouhou.inbox.services import ticket_assign

    ticket = _customer_says(chat, "尺码偏小能换吗").ticket
    ticket = ticket_assign(ticket=ticket, agent=agent, actor=supervisor)
    ticket_assign(ticket=ticket, agent=None, actor=agent)  # back to the queue: nobody to alert
    assigned = [f["data"] for f in live_events_after(desk_stream(chat.shop_id), 0)
                if f["kind"] == "ticket" and f["data"]["kind"] == "assigned"]
    assert [(d["assignee_id"], d["conversation_id"], d["actor_id"], d["actor_name"]) for d in assigned] == [
        (agent.pk, chat.pk, supervisor.pk, supervisor.get_username()), (None, chat.pk, agent.pk, agent.get_username())]
    assert all(d["ticket_id"] == ticket.pk for d in assigned)
