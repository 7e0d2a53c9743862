"""The one inbound path every channel takes: find (or start) the conversation, store the message through
services.message_receive, and let the bot answer while it receives the conversation."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q

from shouhou.core.clock import now
from shouhou.inbox.channels.base import Inbound
from shouhou.inbox.choices import OPEN_TICKET_STATUSES, Channel, Direction
from shouhou.inbox.models import Conversation, Message

log = logging.getLogger(__name__)

# A conversation with no open ticket and no bot is continued when the customer writes again within this
# window (WeChat's customer-service window is 48 hours); later messages start a new conversation.
CONTINUE_WINDOW = dt.timedelta(hours=48)


def customer_for_contact(*, shop, channel: str, contact_handle: str):
    """The shop's customer behind a channel handle, when the shop knows it (WeChat id, email, phone)."""
    from shouhou.commerce.models import Customer

    handle = (contact_handle or "").strip()
    if not handle:
        return None
    customers = Customer.objects.filter(shop=shop)
    if channel in (Channel.WECHAT, Channel.WECOM, Channel.PRIVATE_GROUP):
        return customers.filter(wechat_id=handle).order_by("pk").first()
    if channel == Channel.EMAIL:
        return customers.filter(email__iexact=handle).order_by("pk").first()
    if channel == Channel.PHONE:
        return customers.filter(phone=handle).order_by("pk").first()
    return None


def conversation_for_contact(*, shop, channel: str, contact_handle: str = "", customer=None, account=None,
                             subject: str = "", external_id: str = "", continue_live: bool = True,
                             same_external_id: bool = False) -> Conversation:
    """The live conversation of this contact on this channel, or a new one (bot on when the shop wants it).
    continue_live=False always starts a new one (email: a new subject without thread headers is a new case);
    same_external_id=True continues only a conversation with this external_id (微信客服: the open_kfid)."""
    from shouhou.inbox.bot import bot_enabled

    found = None
    if continue_live and (contact_handle or customer is not None):
        who = Q(contact_handle=contact_handle) if contact_handle else Q(customer=customer)
        candidates = Conversation.objects.filter(who, shop=shop, channel=channel)
        if account is not None:
            candidates = candidates.filter(channel_account=account)
        if same_external_id:
            candidates = candidates.filter(external_id=external_id[:128])
        found = (candidates.filter(Q(bot_active=True) | Q(tickets__status__in=OPEN_TICKET_STATUSES)
                                   | Q(last_message_at__gte=now() - CONTINUE_WINDOW))
                 .order_by("-last_message_at", "-pk").first())
    if found is not None:
        return found
    return Conversation.objects.create(
        shop=shop, channel=channel, contact_handle=contact_handle[:200], customer=customer,
        channel_account=account, subject=subject[:200], external_id=external_id[:128],
        bot_active=bot_enabled(shop=shop, channel=channel), last_message_at=now())


def inbound_accept(*, shop, channel: str, item: Inbound, account=None, conversation=None, order=None,
                   customer=None, continue_live: bool = True):
    """Store one inbound message (idempotent on item.external_id) and run the bot. Returns services.Received.
    Without `conversation`, the contact's live conversation continues (continue_live=False: a new one)."""
    from shouhou.inbox import services

    with transaction.atomic():
        earlier = None
        if item.external_id:
            earlier = Message.objects.filter(shop=shop, external_id=item.external_id) \
                .select_related("conversation").first()
            if earlier is not None:
                conversation = earlier.conversation
        if customer is None:
            customer = customer_for_contact(shop=shop, channel=channel, contact_handle=item.contact_handle)
        picked = None
        if conversation is None:
            conversation = picked = conversation_for_contact(
                shop=shop, channel=channel, contact_handle=item.contact_handle, customer=customer, account=account,
                subject=item.subject or item.body[:60], external_id=str(item.extra.get("conversation_id", "")),
                continue_live=continue_live)
        files = [ContentFile(data, name=name) for name, data in item.attachments]
        labels = item.attachment_labels
        received = services.message_receive(
            shop=shop, channel=channel, body=item.body, customer=customer or conversation.customer,
            contact_handle=item.contact_handle, external_id=item.external_id, order=order, channel_account=account,
            subject=item.subject, conversation=conversation, at=item.at, attachment=files[0] if files else None,
            attachment_name=labels[0] if files and labels else "", looked_up=bool(item.external_id) and earlier is None,
            known_type=str(item.extra.get("complaint_type", "")))
        if not received.duplicate:
            _more_attachments(received, item=item, files=files[1:])
        elif picked is not None and picked.pk != received.conversation.pk \
                and not Message.objects.filter(conversation=picked).exists():
            # The same push arrived twice at once: both missed the stored message and started a
            # conversation; the other request stored the message, so this one is left empty.
            picked.delete()
    if not received.duplicate and received.conversation.bot_active:
        bot_after_receive(received)
    return received


def _more_attachments(received, *, item: Inbound, files: list[ContentFile]) -> None:
    """A message holds one file: the others follow as inbound messages of their own ("[附件] name": the name the
    sender gave it, else the stored one), keyed on the message's id so a replay adds nothing. They do not touch
    the ticket's clocks."""
    labels = item.attachment_labels
    for n, file in enumerate(files, start=2):
        key = f"{item.external_id}#{n}"[:128] if item.external_id else ""
        label = labels[n - 1] if len(labels) >= n and labels[n - 1] else ""
        Message.objects.create(shop_id=received.message.shop_id, conversation=received.conversation,
                               direction=Direction.INBOUND, body=f"[附件] {label or file.name}", external_id=key,
                               attachment=file, attachment_name=label[:200])


def bot_after_receive(received) -> None:
    """Run the bot; a bot failure must never lose the message or answer the platform with an error:
    the conversation goes to a person instead."""
    from shouhou.inbox.bot import bot_handle, bot_handoff, reply_language

    language = reply_language(received.conversation.channel)
    try:
        bot_handle(conversation=received.conversation, message=received.message, language=language)
    except Exception:
        log.exception("bot failed on message %s; handing over", received.message.pk)
        try:
            bot_handoff(conversation=received.conversation, reason="bot_error", language=language)
        except Exception:
            log.exception("bot hand-off failed on conversation %s", received.conversation.pk)
