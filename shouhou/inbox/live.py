"""What the inbox pushes live (shouhou.live): every stored message and ticket change, to the shop's desk
stream; what the customer may see (their messages, the replies, progress shown to them), to the chat
stream of the conversation. Connected as post_save receivers (InboxConfig.ready) so that no write path —
services, the bot, channel adapters, reviews, phone calls — can forget to announce a change."""

from __future__ import annotations

from django.utils.timezone import localtime

from shouhou.inbox.choices import Direction, TicketEventKind
from shouhou.inbox.models import Conversation, Message, Ticket, TicketEvent
from shouhou.inbox.selectors import CUSTOMER_PROGRESS_KINDS
from shouhou.live.services import chat_stream, desk_stream, live_event_amend, live_memo, live_publish

PREVIEW = 200


def _who(message: Message) -> str:
    if message.direction == Direction.INBOUND:
        return "me"
    if message.direction == Direction.NOTE:
        return "note"
    return "bot" if message.is_bot else "agent"


def _author(message: Message) -> dict:
    """Who wrote it, for the desk to draw the message from the event alone (docs/live.md): the kind follows the
    direction first — an inbound message is the customer's whatever user recorded it (a call logged by an
    agent), so a customer's words are never labelled as an agent's — then the bot flag; a person's id and name
    only for an agent's reply or note."""
    if message.direction == Direction.INBOUND:
        return {"kind": "customer", "id": None, "name": ""}
    if message.is_bot:
        return {"kind": "bot", "id": None, "name": ""}
    kind = "note" if message.direction == Direction.NOTE else "agent"
    if message.author_id is None:  # a system note, or a person outside shouhou (a 微信客服 servicer in WeCom)
        return {"kind": kind, "id": None, "name": ""}
    author = message.author  # the sender's user, already loaded by the services that set it
    return {"kind": kind, "id": message.author_id, "name": author.get_username() if author else ""}


def _attachment(message: Message) -> dict | None:
    from shouhou.inbox.channels.webchat import attachment_info

    return attachment_info(message.attachment.name if message.attachment else "", message.attachment_name)


def _bot_receives(message: Message) -> bool:
    """A customer's message the bot receives (its conversation not yet handed over): nothing for a person to answer,
    so the desk does not alert it (the hand-off's event does, docs/workbench.md). The conversation the services
    saved the message with is read when it is loaded (inbox.services._receive reads its bot_active afresh)."""
    if message.direction != Direction.INBOUND:
        return False
    if Message.conversation.is_cached(message):
        return bool(message.conversation.bot_active)
    return bool(Conversation.objects.filter(pk=message.conversation_id).values_list("bot_active", flat=True).first())


def message_published(message: Message) -> None:
    at = localtime(message.created_at)
    ticket_id, assignee_id = (Ticket.objects.filter(conversation_id=message.conversation_id).order_by("-pk")
                              .values_list("pk", "assignee_id").first() or (None, None))
    bot_receives = _bot_receives(message)
    event_id = live_publish(shop_id=message.shop_id, stream=desk_stream(message.shop_id), kind="message", data={
        "message_id": message.pk, "conversation_id": message.conversation_id, "ticket_id": ticket_id,
        "assignee_id": assignee_id, "bot_receives": bot_receives,
        "direction": message.direction, "who": _who(message), "author": _author(message),
        "preview": message.body[:PREVIEW], "complete": len(message.body) <= PREVIEW,
        "attachment": _attachment(message), "at": at.isoformat()})
    if message.direction == Direction.INBOUND and not bot_receives and ticket_id is None:
        # a new chat's first message is stored before its ticket, and the ticket before the routing gives it to an
        # agent, all in one transaction: the ticket's events later in it complete this one (_complete_new_chat)
        _note(("message", message.conversation_id), event_id)
    if message.direction in (Direction.INBOUND, Direction.OUTBOUND):
        live_publish(shop_id=message.shop_id, stream=chat_stream(message.conversation_id), kind="message", data={
            "id": message.pk, "who": _who(message), "body": message.body, "at": f"{at:%H:%M}",
            "attachment": _attachment(message)})


def _note(key: tuple, event_id: int) -> None:
    memo = live_memo()
    if memo is not None:
        memo.setdefault(("inbox",) + key, []).append(event_id)


def _complete_new_chat(*, conversation_id: int | None, ticket_id: int, data: dict) -> None:
    """The ticket's `created` or `assigned` event, in the transaction that stored the customer's message the ticket
    was opened for (or the bot's hand-off): that event is completed with the ticket, and with the agent the routing
    gave it and the `assigned` event's id. The desks then alert it once: only the assigned agent, as given to them
    (「系统把一个会话分配给你」, under the assignment's key), nobody for the message itself; a chat nobody was given
    alerts every agent who can take it. Before 2026-12-07 the message event said "unassigned" (its ticket did not
    exist yet): every agent's desk rang, and the routed agent's rang again for the assignment."""
    memo = live_memo()
    if not memo:
        return
    keys = [("inbox", "handoff", ticket_id)]
    if conversation_id is not None:
        keys.append(("inbox", "message", conversation_id))
    for key in keys:
        for event_id in memo.get(key, ()):
            live_event_amend(event_id, data)


def ticket_event_published(event: TicketEvent) -> None:
    data = {"ticket_id": event.ticket_id, "event_id": event.pk, "kind": event.kind}
    if event.kind == TicketEventKind.CREATED and live_memo():  # something of this transaction waits for its ticket
        conversation_id = (event.ticket.conversation_id if TicketEvent.ticket.is_cached(event) else
                           Ticket.objects.filter(pk=event.ticket_id).values_list("conversation_id", flat=True).first())
        _complete_new_chat(conversation_id=conversation_id, ticket_id=event.ticket_id,
                           data={"ticket_id": event.ticket_id})
    if event.kind == TicketEventKind.ASSIGNED:
        # a transfer names the new assignee (and who gave it): the receiving agent's desk alerts and lists it at
        # once; before 2026-12-07 the event said only that the ticket changed, and the receiver heard nothing
        assignee_id, conversation_id = (Ticket.objects.filter(pk=event.ticket_id)
                                        .values_list("assignee_id", "conversation_id").first() or (None, None))
        actor = event.actor if event.actor_id else None
        data |= {"assignee_id": assignee_id, "conversation_id": conversation_id, "actor_id": event.actor_id,
                 "actor_name": actor.get_username() if actor else ""}
        _complete_new_chat(conversation_id=conversation_id, ticket_id=event.ticket_id, data={
            "ticket_id": event.ticket_id, "assignee_id": assignee_id, "assigned_event_id": event.pk,
            "assigned_by": data["actor_name"]})
    elif event.kind == TicketEventKind.BOT_HANDOFF:
        # the bot hands the conversation to a person (转人工): the customer's last message now waits for one, and
        # the desks alert it under that message's key (its own event said the bot receives it: no alert then)
        assignee_id, conversation_id = (Ticket.objects.filter(pk=event.ticket_id)
                                        .values_list("assignee_id", "conversation_id").first() or (None, None))
        last = (Message.objects.filter(conversation_id=conversation_id, direction=Direction.INBOUND)
                .order_by("-created_at", "-pk").values_list("pk", "body").first() or (None, ""))
        data |= {"assignee_id": assignee_id, "conversation_id": conversation_id, "message_id": last[0],
                 "preview": last[1][:PREVIEW]}
    event_id = live_publish(shop_id=event.shop_id, stream=desk_stream(event.shop_id), kind="ticket", data=data)
    if event.kind == TicketEventKind.BOT_HANDOFF and data.get("assignee_id") is None:
        _note(("handoff", event.ticket_id), event_id)  # the routing that follows in the transaction completes it
    if event.visible_to_customer and event.kind in CUSTOMER_PROGRESS_KINDS and event.note:
        conversation_id = Ticket.objects.filter(pk=event.ticket_id).values_list("conversation_id", flat=True).first()
        if conversation_id:
            live_publish(shop_id=event.shop_id, stream=chat_stream(conversation_id), kind="progress",
                         data={"ticket_id": event.ticket_id})


def _on_message_saved(sender, instance: Message, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        message_published(instance)


def _on_ticket_event_saved(sender, instance: TicketEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        ticket_event_published(instance)


def connect() -> None:
    from django.db.models.signals import post_save

    post_save.connect(_on_message_saved, sender=Message, dispatch_uid="inbox.live.message")
    post_save.connect(_on_ticket_event_saved, sender=TicketEvent, dispatch_uid="inbox.live.ticket_event")
