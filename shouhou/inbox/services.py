"""Inbox writes: messages in, tickets, replies, assignment, status, escalations to departments.

Every function is keyword-only, runs in one transaction, writes a TicketEvent for each change (who,
when, from, to, why) and schedules side effects (outbound delivery) after commit. SLA clock math lives
in shouhou.sla.clocks; triage in shouhou.inbox.triage; routing in shouhou.inbox.routing.

Contract used by other apps (kept): ticket_open(shop=..., channel=Channel.SYSTEM,
category=TicketCategory.LOGISTICS, subject=..., body=..., customer=None, order=None, case=None,
team=Team.LOGISTICS) -> Ticket
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import translation

from shouhou.accounts.actors import SYSTEM, require_role
from shouhou.accounts.permissions import REPLY
from shouhou.core.clock import local_tz, now
from shouhou.core.numbers import new_number
from shouhou.inbox.choices import (
    OPEN_TICKET_STATUSES,
    Channel,
    Direction,
    EscalationStatus,
    Priority,
    Team,
    TicketCategory,
    TicketEventKind,
    TicketStatus,
)
from shouhou.inbox.models import (
    Conversation,
    Escalation,
    EscalationUpdate,
    Message,
    Script,
    Ticket,
    TicketEvent,
)
from shouhou.sla import clocks
from shouhou.sla.policies import Targets, targets_for

S = TicketStatus
K = TicketEventKind

# The ticket state machine, in one place. A customer message moves pending_customer / resolved back to
# open by itself (message_receive); closed is final (a new message opens a new ticket).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING_CUSTOMER, S.ESCALATED, S.RESOLVED, S.CLOSED}),
    S.OPEN: frozenset({S.PENDING_CUSTOMER, S.ESCALATED, S.RESOLVED, S.CLOSED}),
    S.PENDING_CUSTOMER: frozenset({S.OPEN, S.ESCALATED, S.RESOLVED, S.CLOSED}),
    S.ESCALATED: frozenset({S.OPEN, S.PENDING_CUSTOMER, S.RESOLVED, S.CLOSED}),
    S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset(),
}
ACTIVE_ESCALATION = (EscalationStatus.OPEN, EscalationStatus.IN_PROGRESS)


class TicketError(ValueError):
    """A refused ticket change; the message is Chinese and says what is wrong."""


class ReplyBlocked(TicketError):
    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__("回复未发送：" + "；".join(self.reasons))


@dataclass
class Received:
    message: Message
    conversation: Conversation
    ticket: Ticket | None
    duplicate: bool


def _label(status: str) -> str:
    try:
        return str(S(status).label)
    except ValueError:
        return status


def _user(actor):
    """The acting user, or None for the system / API tokens without a user."""
    if actor is None:
        return None
    user = actor if isinstance(actor, get_user_model()) else getattr(actor, "user", None)
    return user if user is not None and getattr(user, "pk", None) else None


def _name(user) -> str:
    return "" if user is None else user.get_username()


def _event(ticket: Ticket, kind: str, *, actor=None, from_value="", to_value="", note: str = "",
           visible: bool = False, data: dict | None = None) -> TicketEvent:
    return TicketEvent.objects.create(shop_id=ticket.shop_id, ticket=ticket, kind=kind, actor=_user(actor),
                                      from_value=str(from_value)[:100], to_value=str(to_value)[:100],
                                      note=(note or "")[:500], visible_to_customer=visible, data=data or {})


def _locked(ticket: Ticket) -> Ticket:
    """A fresh, row-locked copy (PostgreSQL; SQLite serialises writers anyway)."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("customer", "shop").get(pk=ticket.pk)


def _sync(src: Ticket, dst: Ticket) -> Ticket:
    if src is not dst:
        for f in Ticket._meta.concrete_fields:
            setattr(dst, f.attname, getattr(src, f.attname))
    return dst


def _save(ticket: Ticket, fields) -> None:
    names = sorted(set(fields) | {"updated_at"})
    ticket.save(update_fields=names)


# --- per-message reply clocks (docs/metrics.md, 回复率) ---------------------------------------------------

def _awaiting_human(conversation_id: int | None):
    return Message.objects.filter(conversation_id=conversation_id, direction=Direction.INBOUND, awaits_human=True,
                                  human_reply_at__isnull=True)


# Chat channels: the reply rates count buyer chat messages (飞鸽, 快手 and 视频号 rate their IM; the private-domain
# promise is a chat promise). An e-mail, a review, a public comment or a call log is answered on its own clock
# (the ticket's SLA), not in the chat-reply rate.
CHAT_CHANNELS = frozenset({Channel.WEB_CHAT, Channel.SOCIAL_DM, Channel.WECHAT, Channel.WECOM, Channel.WECHAT_KF,
                           Channel.PRIVATE_GROUP})


def _buyer_message_to_desk(msg: Message, ticket: Ticket) -> None:
    """A buyer chat message reached the human desk: a person must answer it; it counts for the ticket's agent."""
    channel = msg.conversation.channel if msg.conversation_id else ticket.channel
    if channel not in CHAT_CHANNELS:
        return
    Message.objects.filter(pk=msg.pk).update(awaits_human=True, agent_id=ticket.assignee_id)
    msg.awaits_human, msg.agent_id = True, ticket.assignee_id


def _buyer_messages_answered(conversation_id: int | None, *, user, at: datetime, person: bool = False) -> int:
    """A person's reply answers every buyer message still waiting in the conversation (each keeps its own
    clock: consecutive messages before a reply are answered by the same reply). Bot replies never get here.
    `person`: written by a person outside shouhou (a servicer in the WeCom client), with no shouhou user."""
    if conversation_id is None or (user is None and not person):
        return 0
    answered = _awaiting_human(conversation_id).filter(created_at__lte=at).update(
        human_reply_at=at, **({"agent_id": user.pk} if user is not None else {}))
    left = _left_waiting_before(conversation_id)
    if left is not None:
        answered += left.filter(created_at__lte=at).update(
            human_reply_at=at, **({"agent_id": user.pk} if user is not None else {}))
    return answered


def _left_waiting_before(conversation_id: int):
    """Buyer messages the same buyer left waiting on the same channel in conversations closed since (every ticket
    closed, nobody answered): on the platform it is one chat with one buyer, so the next person's reply answers them
    too (a buyer who writes 16:00, is closed on at 16:00:30 and writes again at 16:01 is answered at 16:02 for both;
    the 16:00 message waited for ever). None when the conversation names no buyer. A buyer's other conversation that
    still has an open ticket is someone's to answer, and is left alone."""
    from django.db.models import Exists, OuterRef

    buyer = _same_buyer_elsewhere(conversation_id)
    if buyer is None:
        return None
    still_open = Ticket.objects.filter(conversation_id=OuterRef("conversation_id"), status__in=OPEN_TICKET_STATUSES)
    return buyer.filter(awaits_human=True, human_reply_at__isnull=True).filter(~Exists(still_open))


def _same_buyer_elsewhere(conversation_id: int):
    """The buyer messages of this conversation's buyer (customer, else contact handle on the same account) on the
    same channel in the shop's other conversations; None when the conversation names no buyer."""
    conv = Conversation.objects.filter(pk=conversation_id).values(
        "shop_id", "channel", "customer_id", "contact_handle", "channel_account_id").first()
    if conv is None:
        return None
    if conv["customer_id"] is not None:
        same_buyer = {"conversation__customer_id": conv["customer_id"]}
    elif conv["contact_handle"]:
        same_buyer = {"conversation__contact_handle": conv["contact_handle"],
                      "conversation__channel_account_id": conv["channel_account_id"]}
    else:
        return None
    return (Message.objects.filter(shop_id=conv["shop_id"], direction=Direction.INBOUND,
                                   conversation__channel=conv["channel"], **same_buyer)
            .exclude(conversation_id=conversation_id))


def reply_delivery_failed(message: Message) -> int:
    """A person's reply that did not reach the buyer answered nothing: the buyer messages it answered wait
    again (they count as missed once past their target, as the platform sees no reply)."""
    if message.direction != Direction.OUTBOUND or message.is_bot:
        return 0
    undone = Message.objects.filter(conversation_id=message.conversation_id, direction=Direction.INBOUND,
                                    awaits_human=True, human_reply_at=message.created_at).update(human_reply_at=None)
    elsewhere = _same_buyer_elsewhere(message.conversation_id)
    if elsewhere is not None:  # what it answered in the buyer's closed conversations
        undone += elsewhere.filter(awaits_human=True, human_reply_at=message.created_at,
                                   agent_id=message.author_id).update(human_reply_at=None)
    return undone


def reply_delivered_late(message: Message, *, at: datetime) -> int:
    """A reply that failed first and reached the buyer on a later try answers, at that moment, the buyer
    messages sent before it that are still waiting."""
    if message.direction != Direction.OUTBOUND or message.is_bot:
        return 0
    qs = _awaiting_human(message.conversation_id).filter(created_at__lte=message.created_at)
    return qs.update(human_reply_at=at, **({"agent_id": message.author_id} if message.author_id else {}))


# --- opening tickets --------------------------------------------------------------------------------

def _ticket_create(*, shop, conversation: Conversation | None, channel: str, subject: str, text: str,
                   customer=None, order=None, case=None, team: str = Team.SERVICE, category: str | None = None,
                   priority: int | None = None, at: datetime, actor=None, note: str = "",
                   route: bool = True, known_type: str = "", handoff: dict | None = None) -> Ticket:
    from shouhou.inbox.triage import describe, priority_reason, triage

    records: list[dict] = []
    complaint_type = None  # not read: a category given by the system
    if category is None:
        tri = triage(text=text, customer=customer, channel=channel, known_type=known_type)
        category, records, complaint_type = tri.category, tri.records, tri.complaint_type
        # a given priority is a floor (bot hand-off: anger, VIP → high); triage may still make it urgent (safety)
        priority = min(int(priority), int(tri.priority)) if priority is not None else tri.priority
    elif priority is None:
        priority, why = priority_reason(category=category, tier=getattr(customer, "tier", "") or "",
                                        channel=channel, text=text)
        records = [why]
    with translation.override("zh-hans"):  # the stored note is Chinese; `data` says it in any reader's language
        reasons = describe(records)
    ticket = Ticket(shop=shop, number=new_number("T"), conversation=conversation, customer=customer, order=order,
                    case=case, channel=channel, category=category, priority=int(priority), team=team,
                    subject=(subject or text or "")[:200], status=S.NEW, complaint_type=complaint_type)
    ticket.created_at = at
    targets = targets_for(ticket)
    clocks.clocks_start(ticket, at=at, targets=targets)
    ticket.save()
    if ticket.created_at != at:  # auto_now_add used the wall clock; the ticket starts when the message came
        Ticket.objects.filter(pk=ticket.pk).update(created_at=at)
        ticket.created_at = at
    _event(ticket, K.CREATED, actor=actor, to_value=category,
           note="；".join(x for x in [note, *reasons] if x),
           data={"lead": note, "reasons": records, **({"handoff": handoff} if handoff else {})})
    if route and team == Team.SERVICE:
        from shouhou.inbox.routing import ticket_route

        ticket_route(ticket=ticket, at=at)
    return ticket


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
    """A ticket opened by the system or another app (e.g. a logistics exception): its own conversation,
    the body as its first message, the given category; priority, SLA and routing as for any ticket."""
    if category not in TicketCategory.values:
        raise TicketError(f"未知的工单分类：{category}")
    at = now()
    conversation = Conversation.objects.create(shop=shop, customer=customer, channel=channel, subject=subject[:200],
                                               last_message_at=at)
    if order is not None:
        conversation.orders.add(order)
    if case is not None:
        conversation.cases.add(case)
    Message.objects.create(shop=shop, conversation=conversation, direction=Direction.INBOUND, body=body)
    return _ticket_create(shop=shop, conversation=conversation, channel=channel, subject=subject, text=body,
                          customer=customer, order=order, case=case, team=team, category=category, at=at)


def _current_ticket(conversation: Conversation, *, lock: bool = False) -> Ticket | None:
    """The conversation's ticket that a new message belongs to: the latest one not closed."""
    qs = Ticket.objects.filter(conversation=conversation).exclude(status=S.CLOSED).order_by("-created_at", "-pk")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.select_related("customer", "shop").first()  # the shop: its SLA policies for the clocks


@transaction.atomic
def ticket_open_for_conversation(*, conversation: Conversation, reason: str = "", reason_code: str = "",
                                 reason_note: str = "", priority: int | None = None, actor=None) -> Ticket:
    """Bot hand-off: the conversation's open ticket, or a new one triaged on its customer messages.
    The bot stops (bot_active False, handed_over_at set) so the next messages go to the ticket.
    reason_code: inbox.bot.HANDOFF_LABELS' key (the reason is stored as codes and said in each reader's language);
    reason_note: what the customer said, or the tier; reason: a person's own words instead (kept as written)."""
    from shouhou.inbox.bot import handoff_text

    at = now()
    handoff = {"h": reason_code, "n": reason_note[:400]} if reason_code else ({"t": reason[:480]} if reason else None)
    if handoff:
        with translation.override("zh-hans"):
            reason = handoff_text(handoff)[:480]
    if conversation.bot_active or conversation.handed_over_at is None:
        Conversation.objects.filter(pk=conversation.pk).update(bot_active=False,
                                                               handed_over_at=conversation.handed_over_at or at)
        conversation.bot_active = False
        conversation.handed_over_at = conversation.handed_over_at or at
    ticket = _current_ticket(conversation, lock=True)
    if ticket is not None and ticket.status in OPEN_TICKET_STATUSES:
        if priority is not None and priority < ticket.priority:
            ticket = ticket_set_priority(ticket=ticket, priority=priority, actor=actor or SYSTEM)  # the bot's hand-off
        if reason:
            _event(ticket, K.BOT_HANDOFF, actor=actor, note=reason, data={"handoff": handoff})
        _handoff_message_to_desk(conversation, ticket)
        return ticket
    texts = list(Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
                 .order_by("created_at", "pk").values_list("body", flat=True)[:20])
    first = texts[0] if texts else ""
    ticket = _ticket_create(shop=conversation.shop, conversation=conversation, channel=conversation.channel,
                            subject=conversation.subject or first[:60], text="\n".join(texts),
                            customer=conversation.customer, order=conversation.orders.order_by("pk").first(),
                            priority=priority, at=at, actor=actor, note=f"机器人转人工：{reason}" if reason else "",
                            route=False, handoff=handoff)
    _event(ticket, K.BOT_HANDOFF, actor=actor, note=reason or "转人工", data={"handoff": handoff or {}})
    from shouhou.inbox.routing import ticket_route

    ticket_route(ticket=ticket, at=at)
    ticket.refresh_from_db()
    _handoff_message_to_desk(conversation, ticket)
    return ticket


def _handoff_message_to_desk(conversation: Conversation, ticket: Ticket) -> None:
    """At a hand-off the buyer's latest message (the one the bot could not answer, or "转人工") waits for a
    person from when it was sent; what the bot answered before is not counted (docs/metrics.md)."""
    last = (Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
            .order_by("-created_at", "-pk").first())
    if last is not None and not last.awaits_human and last.human_reply_at is None:
        _buyer_message_to_desk(last, ticket)


# --- messages in ----------------------------------------------------------------------------------------

def _find_conversation(*, shop, channel: str, customer, contact_handle: str) -> Conversation | None:
    if customer is None and not contact_handle:
        return None
    qs = Conversation.objects.filter(shop=shop, channel=channel)
    qs = qs.filter(customer=customer) if customer is not None else qs.filter(contact_handle=contact_handle)
    conv = qs.order_by("-last_message_at", "-pk").first()
    if conv is None:
        return None
    tickets = list(Ticket.objects.filter(conversation=conv).values_list("status", flat=True))
    if conv.bot_active or not tickets or any(s != S.CLOSED for s in tickets):
        return conv
    return None  # everything in it is closed: a new message starts a new conversation


def _duplicate(shop, external_id: str) -> Received | None:
    msg = (Message.objects.filter(shop=shop, external_id=external_id).select_related("conversation").first()
           if external_id else None)
    if msg is None:
        return None
    return Received(message=msg, conversation=msg.conversation, ticket=_current_ticket(msg.conversation),
                    duplicate=True)


def message_receive(*, shop, channel: str, body: str, customer=None, contact_handle: str = "",
                    external_id: str = "", order=None, attachment=None, attachment_name: str = "",
                    channel_account=None, subject: str = "", conversation: Conversation | None = None,
                    at: datetime | None = None, looked_up: bool = False, known_type: str = "") -> Received:
    """A customer message from any channel. Idempotent on (shop, external_id) when external_id is given.
    known_type: the complaint type the text was already classified as (a review's), for triage.
    looked_up: the caller has just looked for that id in this transaction and found nothing (one query less
    per message; two requests with the same id at once still end in one message, through the unique index)."""
    found = None if looked_up else _duplicate(shop, external_id)
    if found is not None:
        return found
    at = at or now()
    try:
        with transaction.atomic():
            received = _receive(shop=shop, channel=channel, body=body, customer=customer,
                                contact_handle=contact_handle, external_id=external_id, order=order,
                                attachment=attachment, attachment_name=attachment_name,
                                channel_account=channel_account, subject=subject, conversation=conversation, at=at,
                                known_type=known_type)
        # 「退订」 said in a chat opts the customer out of care messages, after commit (docs/notifications.md)
        from shouhou.notifications.services import chat_opt_out_after_commit

        chat_opt_out_after_commit(received.message)
        return received
    except IntegrityError:
        found = _duplicate(shop, external_id)  # the same push arrived twice at once: the other one stored it
        if found is None:
            raise
        return found


def _receive(*, shop, channel, body, customer, contact_handle, external_id, order, attachment, channel_account,
             subject, conversation, at, attachment_name: str = "", known_type: str = "") -> Received:
    if conversation is None:
        conversation = _find_conversation(shop=shop, channel=channel, customer=customer,
                                          contact_handle=contact_handle)
    if conversation is None:
        conversation = Conversation.objects.create(
            shop=shop, customer=customer, channel=channel, subject=(subject or body or "")[:200],
            contact_handle=contact_handle, channel_account=channel_account, last_message_at=at)
    elif conversation.shop_id != shop.pk:
        raise TicketError("会话不属于本店铺。")
    else:
        updates = {"last_message_at": at}
        if customer is not None and conversation.customer_id is None:
            updates["customer"] = customer
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
        for k, v in updates.items():
            setattr(conversation, k, v)
        # The caller's copy may predate a hand-off (an agent took over meanwhile): the bot must stay quiet.
        conversation.bot_active = Conversation.objects.values_list("bot_active", flat=True).get(pk=conversation.pk)
    customer = customer or conversation.customer
    if order is not None:
        conversation.orders.add(order)
    msg = Message(shop=shop, conversation=conversation, direction=Direction.INBOUND, body=body,
                  external_id=external_id or "")
    if attachment:
        msg.attachment = attachment
        msg.attachment_name = (attachment_name or "")[:200]
    msg.save()
    # the channel's send time (a late fetch, a platform's CreateTime), never later than the row; the row's own
    # time when they are within a second (a message received now keeps its place among its neighbours)
    sent = min(at, msg.created_at)
    if msg.created_at - sent > timedelta(seconds=1):
        # reply clocks run from when the buyer sent it (docs/metrics.md): created_at is the row's time otherwise
        Message.objects.filter(pk=msg.pk).update(created_at=sent)
        msg.created_at = sent
    if conversation.bot_active:
        return Received(message=msg, conversation=conversation, ticket=None, duplicate=False)
    ticket = _current_ticket(conversation, lock=True)
    if ticket is None:
        if order is None:
            order = conversation.orders.order_by("pk").first()
        ticket = _ticket_create(shop=shop, conversation=conversation, channel=channel, subject=subject, text=body,
                                customer=customer, order=order, at=at, known_type=known_type)
    else:
        _customer_message(ticket, at=at, body=body, order=order)
    _buyer_message_to_desk(msg, ticket)
    return Received(message=msg, conversation=conversation, ticket=ticket, duplicate=False)


def _customer_message(ticket: Ticket, *, at: datetime, body: str, order=None) -> None:
    targets = targets_for(ticket)
    fields: list[str] = []
    if ticket.status in (S.PENDING_CUSTOMER, S.RESOLVED):
        before = ticket.status
        fields += (clocks.clocks_reopen(ticket, at=at, targets=targets) if before == S.RESOLVED
                   else clocks.clocks_resume(ticket, at=at, targets=targets))
        ticket.status = S.OPEN
        fields.append("status")
        _event(ticket, K.STATUS, from_value=before, to_value=S.OPEN, note="顾客来信，重新打开",
               data={"said": "customer_wrote"})
    fields += clocks.clocks_customer_message(ticket, at=at, targets=targets)
    if order is not None and ticket.order_id is None:
        ticket.order = order
        fields.append("order")
    _save(ticket, fields)
    _event(ticket, K.MESSAGE_IN, note=body[:120])


# --- agent actions ------------------------------------------------------------------------------------

def _deliver_after_commit(message_id: int) -> None:
    from django.conf import settings
    from django_q.tasks import async_task

    sync = bool(settings.Q_CLUSTER.get("sync", False))
    transaction.on_commit(lambda: async_task("shouhou.inbox.tasks.message_deliver", message_id, sync=sync))


def bot_message_send(*, conversation: Conversation, text: str) -> Message:
    """A message from the shop's automatic assistant to the customer of `conversation` (the bot's answers, the
    opt-out confirmation of shouhou.notifications): stored as an outbound bot message, pushed live to the desk and
    the customer's chat as it is saved (inbox/live.py), and sent through the conversation's channel after commit.
    No clock stops and no ticket changes: a bot is not a person's reply. For other apps, which must not write
    inbox models themselves."""
    from shouhou.inbox.channels import deliver_outbound_later

    with transaction.atomic():
        message = Message.objects.create(shop_id=conversation.shop_id, conversation=conversation,
                                         direction=Direction.OUTBOUND, is_bot=True, body=text)
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at)
        deliver_outbound_later(message=message, channel=conversation.channel)
    return message


def _approval_limit(ticket: Ticket, user):
    """What the replying person may promise alone: the one rule cases, remedies and rewards use (the agent's own
    limit capped by the policy's; none for a supervisor); a reply without a person is not checked."""
    from shouhou.policies.selectors import approval_limit

    if user is None:
        return None
    return approval_limit(actor=user, shop=ticket.shop)


# Channels whose replies may carry a photo or PDF (the adapter sends it: web chat shows it, 微信客服 uploads it;
# the official account takes photos only, see channels/wechat.py).
FILE_CHANNELS = frozenset({"web_chat", "wechat_kf", "wechat"})


def _reply_file(ticket: Ticket, upload, body: str):
    """(ContentFile, body, the sender's file name cleaned: core.uploads.file_label) for a photo or PDF sent with a reply: web chat, 微信客服 and the official account
    (photos only; the other channels' adapters send text), checked by its bytes like every upload."""
    from django.core.files.base import ContentFile

    from shouhou.inbox.channels.webchat import ChatError, attachment_label, stored_attachment

    if ticket.channel not in FILE_CHANNELS:
        raise TicketError("图片和文件目前只能在网页在线客服、微信客服和公众号会话中发送。")
    try:
        name, data, checked = stored_attachment(upload)
    except ChatError as exc:
        raise TicketError(str(exc)) from exc
    if ticket.channel == "wechat":
        from shouhou.inbox.channels.wechat import image_refusal

        refusal = image_refusal(checked)
        if refusal:
            raise TicketError(refusal)
    from shouhou.core.uploads import file_label

    original = getattr(upload, "name", "")
    return ContentFile(data, name=name), body or attachment_label(checked, original), file_label(original, checked.kind)


def ticket_reply(*, ticket: Ticket, author, body: str, script: Script | None = None, attachment=None,
                 by_person: bool = False, sent_at: datetime | None = None) -> Message:
    """An agent's reply to the customer. Refused (ReplyBlocked) when the compliance guard finds a
    forbidden review offer. Meets the first response, stops the next-response clock, moves the ticket
    to open, and sends the message through its channel after commit. A photo or PDF may go with it
    (web chat)."""
    from shouhou.reviews.guards import guard_outgoing, inspect_reply

    require_role(author, ticket.shop, REPLY)
    body = (body or "").strip()
    file, file_name = None, ""
    if attachment is not None:
        file, body, file_name = _reply_file(ticket, attachment, body)
    if not body:
        raise TicketError("回复内容不能为空。")
    verdict = guard_outgoing(body)
    if not verdict.allowed:
        raise ReplyBlocked(verdict.reasons)
    user = _user(author)
    with transaction.atomic():
        t = _locked(ticket)
        if t.status == S.CLOSED:
            raise TicketError(f"工单 {t.number} 已关闭，不能再回复；请让顾客发起新的咨询。")
        if script is not None and script.shop_id != t.shop_id:
            raise TicketError("话术不属于本店铺。")
        at = now()
        if t.conversation_id is None:
            t.conversation = Conversation.objects.create(shop_id=t.shop_id, customer=t.customer, channel=t.channel,
                                                         subject=t.subject, last_message_at=at)
            _save(t, ["conversation"])
        msg = Message(shop_id=t.shop_id, conversation_id=t.conversation_id, direction=Direction.OUTBOUND,
                      author=user, body=body, script=script)
        if file is not None:
            msg.attachment = file
            msg.attachment_name = file_name
        msg.save()
        if sent_at is not None and sent_at < msg.created_at:
            # a reply written elsewhere and read late (a servicer in the WeCom client, pulled after an outage) is
            # dated when it was sent: read at 10:06, a 10:01 answer to a 10:00 question took 60 s, not 360
            Message.objects.filter(pk=msg.pk).update(created_at=sent_at)
            msg.created_at = sent_at
        at = msg.created_at  # the reply's own time: a failed delivery finds the messages it answered by it
        Conversation.objects.filter(pk=t.conversation_id).update(last_message_at=at)
        _buyer_messages_answered(t.conversation_id, user=user, at=at, person=by_person)
        targets = targets_for(t)
        fields = clocks.clocks_agent_reply(t, at=at, targets=targets)
        if t.status in (S.NEW, S.PENDING_CUSTOMER):
            before = t.status
            if before == S.PENDING_CUSTOMER:
                fields += clocks.clocks_resume(t, at=at, targets=targets)
            t.status = S.OPEN
            fields.append("status")
            _event(t, K.STATUS, actor=user, from_value=before, to_value=S.OPEN, note="客服回复",
                   data={"said": "agent_replied"})
        if t.assignee_id is None and user is not None:
            t.assignee = user
            fields.append("assignee")
            _event(t, K.ASSIGNED, actor=user, to_value=_name(user), note="回复时接手", data={"said": "taken_on_reply"})
        _save(t, fields)
        _event(t, K.REPLIED, actor=user, note=body[:120], visible=True)
        limit = _approval_limit(t, user)
        with translation.override("zh-hans"):  # the reasons are stored in the note: Chinese whoever's request ran this
            flags = inspect_reply(body, limit=limit)
        if flags:
            # the note in Chinese for the record; the reply and the limit it was checked against, so each reader
            # reads the hints in their own language (TicketEvent.note_label inspects the reply again)
            _event(t, K.NOTE, actor=None, note="质检提示：" + "；".join(f"{f.reason}（{f.match}）" for f in flags),
                   data={"qc": {"message": msg.pk, "limit": None if limit is None else str(limit)}})
        if script is not None:
            Script.objects.filter(pk=script.pk).update(usage_count=F("usage_count") + 1)
        _deliver_after_commit(msg.pk)
    _sync(t, ticket)
    return msg


@transaction.atomic
def ticket_note(*, ticket: Ticket, author, body: str) -> Message:
    """An internal note: visible to agents only, no effect on the clocks."""
    require_role(author, ticket.shop, REPLY)
    body = (body or "").strip()
    if not body:
        raise TicketError("备注内容不能为空。")
    user = _user(author)
    conversation_id = ticket.conversation_id
    if conversation_id is None:
        conv = Conversation.objects.create(shop_id=ticket.shop_id, customer_id=ticket.customer_id,
                                           channel=ticket.channel, subject=ticket.subject)
        Ticket.objects.filter(pk=ticket.pk).update(conversation=conv)
        ticket.conversation = conv
        conversation_id = conv.pk
    msg = Message.objects.create(shop_id=ticket.shop_id, conversation_id=conversation_id, direction=Direction.NOTE,
                                 author=user, body=body)
    _event(ticket, K.NOTE, actor=user, note=body[:500])
    return msg


def _is_shop_member(ticket: Ticket, user) -> bool:
    from shouhou.accounts.models import Membership

    return Membership.objects.filter(shop_id=ticket.shop_id, user=user).exists()


@transaction.atomic
def ticket_assign(*, ticket: Ticket, agent, actor, note: str = "") -> Ticket:
    """Give the ticket to `agent` (a user of this shop), or take it back to the queue with agent=None."""
    require_role(actor, ticket.shop, REPLY)
    t = _locked(ticket)
    if t.status == S.CLOSED:
        raise TicketError(f"工单 {t.number} 已关闭，不能再分配。")
    if agent is not None and not _is_shop_member(t, agent):
        raise TicketError(f"「{_name(agent)}」不是本店铺的成员，不能分配。")
    if (agent.pk if agent else None) == t.assignee_id:
        return _sync(t, ticket)
    before = _name(t.assignee) if t.assignee_id else ""
    t.assignee = agent
    _save(t, ["assignee"])
    if t.conversation_id is not None:  # the waiting buyer messages now count for the new agent
        _awaiting_human(t.conversation_id).update(agent=agent)
    _event(t, K.ASSIGNED, actor=actor, from_value=before, to_value=_name(agent),
           note=note or ("退回队列" if agent is None else ""))
    return _sync(t, ticket)


@transaction.atomic
def ticket_set_status(*, ticket: Ticket, status: str, actor, note: str = "") -> Ticket:
    """Move the ticket along TRANSITIONS. pending_customer pauses the clocks, open resumes them,
    resolved stops the resolution clock (resolved_at, resolution_business_seconds), resolved → open
    reopens. Setting the current status again changes nothing."""
    require_role(actor, ticket.shop, REPLY)
    if status not in S.values:
        raise TicketError(f"未知的工单状态：{status}")
    t = _locked(ticket)
    before = t.status
    if status == before:
        return _sync(t, ticket)
    if status not in TRANSITIONS[before]:
        raise TicketError(f"工单 {t.number} 当前状态为「{_label(before)}」，不能变更为「{_label(status)}」。")
    if status == S.ESCALATED and not t.escalations.filter(status__in=ACTIVE_ESCALATION).exists():
        raise TicketError("请通过「升级部门」填写部门和需求，工单会自动变为「已升级」。")
    at = now()
    targets = targets_for(t)
    fields = ["status"]
    fields += _clock_change(t, before=before, to=status, at=at, targets=targets)
    t.status = status
    _save(t, fields)
    _event(t, K.STATUS, actor=actor, from_value=before, to_value=status, note=note,
           visible=status in (S.RESOLVED, S.CLOSED))
    if status == S.RESOLVED and t.customer_id and not t.case_id:
        # A ticket with a case is surveyed when the case resolves; the others here (once per ticket).
        from shouhou.insight.services import survey_invite

        shop, customer, resolved = t.shop, t.customer, t
        transaction.on_commit(lambda: survey_invite(shop=shop, customer=customer, ticket=resolved))
    return _sync(t, ticket)


def _clock_change(t: Ticket, *, before: str, to: str, at: datetime, targets: Targets) -> list[str]:
    if to == S.PENDING_CUSTOMER:
        return clocks.clocks_pause(t, at=at)
    if to in (S.RESOLVED, S.CLOSED):
        return [] if t.resolved_at is not None else clocks.clocks_resolve(t, at=at, targets=targets)
    if before == S.RESOLVED:
        return clocks.clocks_reopen(t, at=at, targets=targets)
    if before == S.PENDING_CUSTOMER:
        return clocks.clocks_resume(t, at=at, targets=targets)
    return []


@transaction.atomic
def ticket_set_priority(*, ticket: Ticket, priority: int, actor) -> Ticket:
    require_role(actor, ticket.shop, REPLY)
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        priority = 0
    if priority not in Priority.values:
        raise TicketError("优先级应为 1（紧急）到 4（低）。")
    t = _locked(ticket)
    if t.priority == priority:
        return _sync(t, ticket)
    before = t.priority
    t.priority = priority
    _save(t, ["priority"])
    _event(t, K.PRIORITY, actor=actor, from_value=Priority(before).label, to_value=Priority(priority).label)
    return _sync(t, ticket)


# --- escalations to departments --------------------------------------------------------------------

def escalation_default_due(*, shop, department: str, at: datetime) -> datetime:
    """Now + the department's target in business minutes on the shop's office calendar."""
    from shouhou.sla.services import department_due_at

    return department_due_at(shop=shop, department=department, at=at)


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, department: str, request: str, actor, owner=None,
                    due_at: datetime | None = None) -> Escalation:
    """Hand the ticket to a department (warehouse, quality, logistics, production, R&D) with its own
    clock. The ticket becomes escalated (its resolution clock keeps running); the customer sees that it
    was handed over and the promised time."""
    require_role(actor, ticket.shop, REPLY)
    if department not in Team.values or department == Team.SERVICE:
        raise TicketError(f"未知的部门：{department}（可选：仓库、质检、物流、生产、研发）")
    request = (request or "").strip()
    if not request:
        raise TicketError("请填写需要部门处理的内容（request）。")
    t = _locked(ticket)
    if t.status in (S.RESOLVED, S.CLOSED):
        raise TicketError(f"工单 {t.number} 当前状态为「{_label(t.status)}」，不能升级部门；请先重新打开。")
    if owner is not None and not _is_shop_member(t, owner):
        raise TicketError(f"「{_name(owner)}」不是本店铺的成员，不能作为负责人。")
    at = now()
    due = due_at or escalation_default_due(shop=t.shop, department=department, at=at)
    if due <= at:
        raise TicketError("截止时间必须晚于现在。")
    esc = Escalation.objects.create(shop_id=t.shop_id, ticket=t, department=department, owner=owner,
                                    requested_by=_user(actor), request=request, due_at=due)
    label = Team(department).label
    if t.status != S.ESCALATED:
        before = t.status
        fields = ["status"] + _clock_change(t, before=before, to=S.ESCALATED, at=at, targets=targets_for(t))
        t.status = S.ESCALATED
        _save(t, fields)
        _event(t, K.STATUS, actor=actor, from_value=before, to_value=S.ESCALATED, note=f"升级至{label}")
    local = due.astimezone(local_tz())
    _event(t, K.ESCALATED, actor=actor, to_value=department,
           note=f"已转交{label}处理，预计 {local:%m月%d日 %H:%M} 前给出结果", visible=True)
    return esc


def _guard_visible(text: str, *, field: str) -> None:
    """Department notes the customer sees on the chat page pass the compliance guard like replies."""
    from shouhou.reviews.guards import guard_refusal

    refusal = guard_refusal(text, field=field)
    if refusal:
        raise TicketError(refusal)


def _escalation_ticket(escalation: Escalation) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=escalation.ticket_id)


@transaction.atomic
def escalation_update_add(*, escalation: Escalation, author, note: str,
                          visible_to_customer: bool = True) -> EscalationUpdate:
    """Progress from the department; shown to the customer unless visible_to_customer is False."""
    require_role(author, escalation.shop, REPLY)
    note = (note or "").strip()
    if not note:
        raise TicketError("请填写处理进展。")
    if visible_to_customer:
        _guard_visible(note, field="处理进展")
    esc = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if esc.status not in ACTIVE_ESCALATION:
        raise TicketError(f"该升级{EscalationStatus(esc.status).label}，不能再添加进展。")
    update = EscalationUpdate.objects.create(shop_id=esc.shop_id, escalation=esc, author=_user(author), note=note,
                                             visible_to_customer=visible_to_customer)
    if esc.status == EscalationStatus.OPEN:
        esc.status = EscalationStatus.IN_PROGRESS
        esc.save(update_fields=["status", "updated_at"])
        escalation.status = esc.status
    t = _escalation_ticket(esc)
    _event(t, K.ESCALATION_UPDATE, actor=author, to_value=esc.department,
           note=f"{Team(esc.department).label}：{note}", visible=visible_to_customer)
    return update


@transaction.atomic
def escalation_close(*, escalation: Escalation, actor, note: str = "",
                     status: str = EscalationStatus.DONE) -> Escalation:
    """The department is done (or the request is cancelled). When no other escalation is open the
    ticket returns to open and the next-response clock starts: the agent tells the customer."""
    require_role(actor, escalation.shop, REPLY)
    if status not in (EscalationStatus.DONE, EscalationStatus.CANCELLED):
        raise TicketError("关闭升级时状态只能是「已完成」或「已取消」。")
    _guard_visible(note, field="处理结果说明")
    esc = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if esc.status not in ACTIVE_ESCALATION:
        raise TicketError(f"该升级{EscalationStatus(esc.status).label}。")
    at = now()
    esc.status = status
    esc.resolved_at = at
    esc.save(update_fields=["status", "resolved_at", "updated_at"])
    _sync_escalation(esc, escalation)
    label = Team(esc.department).label
    if note.strip():
        EscalationUpdate.objects.create(shop_id=esc.shop_id, escalation=esc, author=_user(actor), note=note.strip())
    t = _escalation_ticket(esc)
    _event(t, K.ESCALATION_UPDATE, actor=actor, from_value=esc.department, to_value=status,
           note=f"{label}{EscalationStatus(status).label}" + (f"：{note.strip()}" if note.strip() else ""),
           visible=True)
    if t.status == S.ESCALATED and not t.escalations.filter(status__in=ACTIVE_ESCALATION).exists():
        targets = targets_for(t)
        t.status = S.OPEN
        fields = ["status"] + clocks.clocks_await_agent(t, at=at, targets=targets)
        _save(t, fields)
        _event(t, K.STATUS, actor=actor, from_value=S.ESCALATED, to_value=S.OPEN,
               note=f"{label}处理完毕，请告知顾客结果")
    return esc


def _sync_escalation(src: Escalation, dst: Escalation) -> None:
    if src is not dst:
        for f in Escalation._meta.concrete_fields:
            setattr(dst, f.attname, getattr(src, f.attname))


# --- self-service cases that need a person ------------------------------------------------------------

@transaction.atomic
def ticket_open_for_case(*, case, request: str = "", key: str = "needs-person") -> Ticket:
    """A case the customer filed on the self-service page that the policy could not approve by itself:
    it must reach a person. The request goes into the customer's web chat for that order (the bot steps
    aside), as a ticket linked to the case with its SLA clocks running and routed like any other, so the
    agent's replies reach the customer's chat. Idempotent per case; a ticket already open on that chat
    takes the case instead of a second one."""
    from shouhou.inbox.channels.webchat import webchat_start

    at = now()
    conversation = webchat_start(order=case.order)
    conversation.cases.add(case)
    Conversation.objects.filter(pk=conversation.pk).update(
        bot_active=False, handed_over_at=conversation.handed_over_at or at)
    conversation.bot_active = False
    line = case.order_line
    what = f"{line.product_name}（{case.get_reason_display()}）" if line is not None else case.get_reason_display()
    # where the customer asked: the self-service page, or their shop platform (a connector's request)
    from shouhou.platforms.choices import ConnectedPlatform

    with translation.override("zh-hans"):  # stored as the customer's words: Chinese whoever's request ran this
        where = f"在{ConnectedPlatform(case.channel).label}" if case.channel in ConnectedPlatform.values else "在自助售后页"
    body = request or (f"我{where}提交了售后申请 {case.number}：{what}。"
                       + (f"问题描述：{case.description}" if case.description else ""))
    received = message_receive(shop=case.shop, channel=conversation.channel, body=body, customer=case.customer,
                               contact_handle=conversation.contact_handle, order=case.order,
                               conversation=conversation, external_id=f"case:{case.pk}:{key}", at=at)
    ticket = received.ticket or Ticket.objects.filter(case=case).order_by("-pk").first()
    if ticket is None:  # cannot happen with the bot stopped; say so rather than lose the request
        raise TicketError(f"售后单 {case.number} 未能进入客服队列。")
    ticket = _locked(ticket)
    if ticket.case_id is None:
        ticket.case = case
        _save(ticket, ["case"])
        _event(ticket, K.NOTE, note=f"自助售后单 {case.number} 需人工审核")
    return ticket
