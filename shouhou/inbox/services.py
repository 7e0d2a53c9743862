"""Inbox writes. Contract used by other apps:

    ticket_open(shop=..., channel=Channel.SYSTEM, category=TicketCategory.LOGISTICS, subject=..., body=...,
                customer=None, order=None, case=None, team=Team.LOGISTICS) -> Ticket
"""

from __future__ import annotations

from django.db import transaction

from shouhou.core.clock import now
from shouhou.core.numbers import new_number
from shouhou.inbox.choices import Direction, Team
from shouhou.inbox.models import Conversation, Message, Ticket


@transaction.atomic
def ticket_open(
    *,
    shop,
    channel: str,
    category: str,
    subject: str,
    body: str,
    customer=None,
    order=None,
    case=None,
    team: str = Team.SERVICE,
) -> Ticket:
    conversation = Conversation.objects.create(
        shop=shop, customer=customer, channel=channel, subject=subject, last_message_at=now()
    )
    Message.objects.create(shop=shop, conversation=conversation, direction=Direction.INBOUND, body=body)
    return Ticket.objects.create(
        shop=shop,
        number=new_number("T"),
        conversation=conversation,
        customer=customer,
        order=order,
        case=case,
        channel=channel,
        category=category,
        subject=subject,
        team=team,
    )
