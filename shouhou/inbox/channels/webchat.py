"""Web chat on the consumer page. The customer is identified by order number + the phone's last 4 digits
(the portal's lookup, with its guessing limit) and then holds a signed chat token naming one conversation;
the page polls a small JSON endpoint (only while its push is not connected) with a commit-safe cursor
(webchat_read). Nothing is delivered: the page reads the conversation."""

from __future__ import annotations

from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from shouhou.core import links
from shouhou.inbox.channels.base import Inbound
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Conversation, Message, is_file_label
from shouhou.inbox.selectors import Cursor, commit_horizon

SALT = "shouhou.inbox.chat"
MAX_BODY = 1000
POLL_LIMIT = 200


class ChatError(ValueError):
    """Shown to the customer as is (Chinese, no internals)."""


def chat_token(conversation: Conversation) -> str:
    """The customer's chat link: signed, expiring (SHOUHOU_LINK_MAX_AGE_DAYS), revocable (core/links.py)."""
    return links.link_issue(payload={"c": conversation.pk, "s": conversation.shop_id}, salt=SALT)


def chat_link(token: str) -> tuple[Conversation | None, str]:
    """(conversation, LinkState): the conversation only while the link works."""
    read = links.link_read(token, salt=SALT)
    if read.state != links.LinkState.OK:
        return None, read.state
    try:
        pk, shop_id = int(read.payload["c"]), int(read.payload["s"])
    except (KeyError, TypeError, ValueError):
        return None, links.LinkState.INVALID
    conversation = Conversation.objects.filter(pk=pk, shop_id=shop_id, channel=Channel.WEB_CHAT) \
        .select_related("shop", "customer").first()
    if conversation is None:
        return None, links.LinkState.INVALID
    if links.link_revoked(kind=links.Kind.WEB_CHAT, object_id=conversation.pk, issued_at=read.issued_at):
        return None, links.LinkState.REVOKED
    return conversation, links.LinkState.OK


def conversation_from_token(token: str) -> Conversation | None:
    return chat_link(token)[0]


def webchat_start(*, order) -> Conversation:
    """The live web-chat conversation for this order's customer (or a new one), linked to the order."""
    from shouhou.inbox.channels.inbound import conversation_for_contact

    conversation = conversation_for_contact(shop=order.shop, channel=Channel.WEB_CHAT,
                                            contact_handle=f"order:{order.order_no}", customer=order.customer,
                                            subject=f"在线咨询：订单 {order.order_no}")
    conversation.orders.add(order)
    return conversation


def attachment_label(checked, original_name: str) -> str:
    """The message text of a file sent without words: 「[图片]」 or 「[文件] 发票.pdf」 (the sender's name with the
    extension of what the file is: core.uploads.file_label)."""
    from shouhou.core.uploads import file_label

    if checked.is_image:
        return "[图片]"
    return f"[文件] {file_label(original_name, checked.kind, max_length=60) or '文件.pdf'}"


def stored_attachment(upload) -> tuple[str, bytes, object]:
    """(stored name, bytes, check) for a chat upload, checked by content (core.uploads); ChatError if refused."""
    from shouhou.core.numbers import new_number
    from shouhou.core.uploads import UploadError, check_attachment

    try:
        checked = check_attachment(upload)
    except UploadError as exc:
        raise ChatError(str(exc)) from exc
    return f"chat-{new_number('F')}.{checked.extension}", upload.read(), checked


def webchat_post(*, conversation: Conversation, body: str, client_id: str = "", upload=None):
    """Store the customer's message (idempotent on the page's client id) and let the bot answer. A photo or
    PDF may come with it (or alone), checked by its bytes like every upload."""
    from shouhou.core.uploads import file_label
    from shouhou.inbox.channels.inbound import inbound_accept

    text = (body or "").strip()
    files, labels = [], []
    if upload is not None:
        name, data, checked = stored_attachment(upload)
        files.append((name, data))
        labels.append(file_label(getattr(upload, "name", ""), checked.kind))
        text = text or attachment_label(checked, getattr(upload, "name", ""))
    if not text:
        raise ChatError(_("请输入消息内容"))
    if len(text) > MAX_BODY:
        raise ChatError(_("消息太长了，请控制在 %(most)s 字以内") % {"most": MAX_BODY})
    client_id = "".join(ch for ch in (client_id or "") if ch.isalnum() or ch == "-")[:40]
    external_id = f"webchat:{conversation.pk}:{client_id}" if client_id else ""
    item = Inbound(external_id=external_id, contact_handle=conversation.contact_handle, body=text, attachments=files,
                   attachment_labels=labels)
    order = conversation.orders.order_by("-pk").first()
    return inbound_accept(shop=conversation.shop, channel=Channel.WEB_CHAT, item=item, conversation=conversation,
                          customer=conversation.customer, order=order)


def webchat_read(*, conversation: Conversation, after: Cursor | None = None) -> tuple[list[dict], Cursor]:
    """The chat's messages above the cursor's settled id and the cursor for the next read. A plain id cursor
    skipped a reply whose transaction committed after a newer one had been read (PostgreSQL takes ids at INSERT);
    this one settles only once every writer open at the read has ended (inbox.selectors.Cursor, docs/live.md).
    Some messages may already be on the page: it keeps one per id."""
    # the page's first read (no cursor) opens on the newest messages: it showed the oldest POLL_LIMIT of a long chat
    # and never the latest (「查看更早的消息」 reads back: webchat_earlier); later reads go forward from the cursor
    messages = (webchat_messages(conversation=conversation, after_id=after.settled) if after is not None
                else webchat_messages(conversation=conversation, newest=True))
    after = after or Cursor()
    horizon = commit_horizon()  # after the rows: every id they saw was taken before its clock
    return messages, after.advance(newest=max((m["id"] for m in messages), default=0), horizon=horizon)


def webchat_earlier(*, conversation: Conversation, before_id: int) -> tuple[list[dict], int | None]:
    """「查看更早的消息」: the POLL_LIMIT messages before `before_id` (oldest first) and the cursor of the page before
    them (None: the chat's beginning is shown)."""
    rows = webchat_messages(conversation=conversation, before_id=before_id, limit=POLL_LIMIT + 1)
    return rows[-POLL_LIMIT:], (rows[1]["id"] if len(rows) > POLL_LIMIT else None)


def webchat_messages(*, conversation: Conversation, after_id: int = 0, before_id: int | None = None,
                     newest: bool = False, limit: int = POLL_LIMIT) -> list[dict]:
    """What the customer may see: their messages and the replies (never internal notes), oldest first: the first
    `limit` after `after_id`, or (`newest`, or before `before_id`) the last `limit`."""
    visible = Message.objects.filter(conversation=conversation, direction__in=[Direction.INBOUND, Direction.OUTBOUND])
    fields = ("pk", "direction", "is_bot", "body", "created_at", "attachment", "attachment_name")
    if newest or before_id is not None:
        if before_id is not None:
            visible = visible.filter(pk__lt=before_id)
        rows = list(visible.order_by("-pk").values(*fields)[:limit])[::-1]
    else:
        rows = list(visible.filter(pk__gt=after_id).order_by("pk").values(*fields)[:limit])
    out = []
    for r in rows:
        who = "me" if r["direction"] == Direction.INBOUND else ("bot" if r["is_bot"] else "agent")
        body = "" if r["attachment"] and is_file_label(r["body"]) else r["body"]  # the picture or link says it
        out.append({"id": r["pk"], "who": who, "body": body, "at": f"{localtime(r['created_at']):%H:%M}",
                    "attachment": attachment_info(r["attachment"], r["attachment_name"])})
    return out


IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif", "webp", "heic"}


def attachment_info(stored_name: str, label: str = "") -> dict | None:
    """What a page needs to show a message's file: its name (the sender's, Message.attachment_name, else the
    stored one) and whether it is a picture (None: no file). The name is text: pages never insert it as HTML."""
    if not stored_name:
        return None
    name = stored_name.rsplit("/", 1)[-1]
    return {"name": label or name, "image": name.lower().rsplit(".", 1)[-1] in IMAGE_EXTENSIONS}


def webchat_attachment(*, conversation: Conversation, message_id: int) -> Message | None:
    """A file of this conversation the customer may open (theirs or a reply's; never a note's)."""
    return (Message.objects.filter(conversation=conversation, pk=message_id,
                                   direction__in=[Direction.INBOUND, Direction.OUTBOUND])
            .exclude(attachment="").first())
