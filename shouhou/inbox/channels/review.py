"""Review replies in the inbox: a review (with its recovery task) gets a conversation on the "review"
channel, so agents see the review, the public reply and what follows in the same queue.

    review_conversation_open(review=...) -> Conversation     # idempotent
    review_reply_record(review=..., text=..., author=...) -> Message   # after the public reply is posted
    review_ticket_settle(review=..., resolved=..., actor=..., note=...)  # when the recovery task closes

The public reply itself is posted by shouhou.reviews (recovery_reply_public); nothing is delivered here.
"""

from __future__ import annotations

from django.db import transaction

from shouhou.inbox.channels.base import Inbound
from shouhou.inbox.choices import OPEN_TICKET_STATUSES, Channel, Direction
from shouhou.inbox.models import Conversation, Message


def _key(review) -> str:
    return f"review:{review.pk}"


@transaction.atomic
def review_conversation_open(*, review) -> Conversation:
    from shouhou.inbox.channels.inbound import inbound_accept

    existing = Conversation.objects.filter(shop_id=review.shop_id, channel=Channel.REVIEW,
                                           external_id=_key(review)).first()
    if existing is not None:
        return existing
    stars = f"{review.rating}星 " if review.rating else ""
    conversation = Conversation.objects.create(
        shop_id=review.shop_id, channel=Channel.REVIEW, external_id=_key(review), customer=review.customer,
        contact_handle=f"{review.platform or 'review'}:{review.author_name}"[:200],
        subject=f"评价：{(review.text or '')[:40]}"[:200], bot_active=False)
    if review.order_id:
        conversation.orders.add(review.order_id)
    item = Inbound(external_id=_key(review), contact_handle=conversation.contact_handle,
                   body=f"{stars}{review.text or '（无文字评价）'}"[:5000], at=review.posted_at,
                   display_name=review.author_name,
                   # the review's own type (the whole text, stars included) names the ticket's problem too
                   extra={"complaint_type": review.complaint_type or ""})
    inbound_accept(shop=review.shop, channel=Channel.REVIEW, item=item, conversation=conversation,
                   customer=review.customer, order=review.order)
    return conversation


@transaction.atomic
def review_reply_record(*, review, text: str, author) -> Message:
    """Put the posted public reply on the review's conversation (once); on an open ticket it is the reply
    that stops the response clocks."""
    from shouhou.accounts.actors import acting_user
    from shouhou.inbox import services

    conversation = review_conversation_open(review=review)
    key = f"review-reply:{review.pk}"
    done = Message.objects.filter(shop_id=review.shop_id, external_id=key).first()
    if done is not None:
        return done
    ticket = conversation.tickets.filter(status__in=OPEN_TICKET_STATUSES).order_by("-pk").first()
    if ticket is not None:
        message = services.ticket_reply(ticket=ticket, author=author, body=text)
        Message.objects.filter(pk=message.pk).update(external_id=key)
        message.external_id = key
        return message
    return Message.objects.create(shop_id=review.shop_id, conversation=conversation, direction=Direction.OUTBOUND,
                                  author=acting_user(author), body=text, external_id=key)


@transaction.atomic
def review_ticket_settle(*, review, resolved: bool, actor=None, note: str = "") -> int:
    """The recovery task closed: its inbox ticket follows — resolved when the customer was won back (which
    invites a survey), closed when there was no answer. Returns how many tickets moved (0 when the review
    never reached the inbox)."""
    from shouhou.inbox import services
    from shouhou.inbox.choices import TicketStatus
    from shouhou.inbox.models import Ticket

    moved = 0
    for ticket in Ticket.objects.filter(shop_id=review.shop_id, conversation__channel=Channel.REVIEW,
                                        conversation__external_id=_key(review),
                                        status__in=OPEN_TICKET_STATUSES).order_by("pk"):
        services.ticket_set_status(ticket=ticket, status=TicketStatus.RESOLVED if resolved else TicketStatus.CLOSED,
                                   actor=actor, note=note)
        moved += 1
    return moved
