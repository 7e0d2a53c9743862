"""The desk list names the transfer that gave a conversation to the reader (data-transfer: the `assigned` event's id,
the key the push alerts it under), so a desk on the polling fallback alerts it once (desk/im.js). Only a conversation
given by someone else (an agent, the routing) is named: not one the reader took themselves, nor another agent's."""

from __future__ import annotations

import re

import pytest

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, UserFactory
from shouhou.inbox.choices import Channel, TicketEventKind
from shouhou.inbox.models import Ticket, TicketEvent
from shouhou.inbox.selectors import desk_conversations
from shouhou.inbox.services import message_receive, ticket_assign, ticket_reply

pytestmark = pytest.mark.django_db


def _says(shop, text):
    return message_receive(shop=shop, channel=Channel.WEB_CHAT, body=text, customer=CustomerFactory(shop=shop)).ticket


def _row_attrs(html: str, ticket_id: int) -> str:
    found = re.search(rf'<li class="im-row[^>]*data-ticket="{ticket_id}"[^>]*>', html)
    assert found, html
    return found.group(0)


def test_a_conversation_given_by_another_agent_names_its_transfer_event_in_the_list(agent_client, shop, agent):
    # given a colleague who transfers one conversation to the agent and keeps another
    colleague = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="kefu2")).user
    given = _says(shop, "尺码偏小，能换大一号吗？")
    ticket_assign(ticket=given, agent=colleague, actor=colleague)
    given = ticket_assign(ticket=given, agent=agent, actor=colleague)
    kept = ticket_assign(ticket=_says(shop, "发票怎么开"), agent=colleague, actor=colleague)
    # and a conversation the agent took by answering it, and one still unassigned
    taken = _says(shop, "什么时候发货")
    ticket_reply(ticket=taken, author=agent, body="您好，今天发出")
    unassigned = _says(shop, "在吗")
    transfer = TicketEvent.objects.filter(ticket=given, kind=TicketEventKind.ASSIGNED).latest("pk")

    # when the agent's desk reads its list (all open conversations)
    rows = {r.ticket.pk: r for r in desk_conversations(shop=shop, user=agent, scope="all")}
    html = agent_client.get("/desk/im/list/?scope=all", HTTP_ACCEPT="application/json").json()["html"]

    # then only the conversation given to the agent by someone else names the transfer, with the giver
    assert (rows[given.pk].transfer_event_id, rows[given.pk].transfer_by) == (transfer.pk, "kefu2")
    assert f'data-transfer="{transfer.pk}" data-transfer-by="kefu2"' in _row_attrs(html, given.pk)
    for other in (kept, taken, unassigned):
        assert (rows[other.pk].transfer_event_id, rows[other.pk].transfer_by) == (None, "")
        assert "data-transfer" not in _row_attrs(html, other.pk)
    # and the colleague's own list names no transfer to them (they took theirs themselves)
    assert [r.transfer_event_id for r in desk_conversations(shop=shop, user=colleague, scope="all")] == [None] * 4


def test_a_conversation_the_routing_gives_names_its_assignment_and_a_later_transfer_replaces_it(shop, agent):
    # given a conversation the routing gave the agent (an `assigned` event with no actor)
    ticket = _says(shop, "快递三天没动了")
    TicketEvent.objects.create(shop=shop, ticket=ticket, kind=TicketEventKind.ASSIGNED, to_value="agent",
                               note="上班后自动分配")
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)  # as inbox.routing does
    routed = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ASSIGNED).latest("pk")
    row = desk_conversations(shop=shop, user=agent).rows[0]
    assert (row.transfer_event_id, row.transfer_by) == (routed.pk, "")

    # when a colleague takes it and gives it back
    colleague = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="kefu2")).user
    ticket.refresh_from_db()
    ticket_assign(ticket=ticket, agent=colleague, actor=colleague)
    assert desk_conversations(shop=shop, user=agent).rows == []  # another agent's: not in 我的
    ticket_assign(ticket=ticket, agent=agent, actor=colleague)

    # then the row names the newer transfer
    back = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ASSIGNED).latest("pk")
    row = desk_conversations(shop=shop, user=agent).rows[0]
    assert back.pk > routed.pk
    assert (row.transfer_event_id, row.transfer_by) == (back.pk, "kefu2")
