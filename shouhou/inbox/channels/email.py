"""Email into the inbox: an inbound JSON webhook (from a mail relay such as Postfix + a small forwarder,
Mailgun/SendGrid inbound parse …), signed with shouhou.core.webhooks, threaded by In-Reply-To /
References and then by subject; replies go out through Django's mail backend with threading headers.

    {"from": "张三 <zhang@example.com>", "to": "kefu@shop.example", "subject": "订单问题",
     "text": "…", "message_id": "<abc@mail.example>", "in_reply_to": "<…>", "references": "<…> <…>",
     "attachments": [{"filename": "破洞.jpg", "content_type": "image/jpeg", "content": "<base64>"}]}

Attachments: at most MAX_ATTACHMENTS, each at most MAX_ATTACHMENT_BYTES once decoded, kept only when their
content is an image (JPG/PNG/WebP/GIF; a HEIC is refused, core/uploads.py) or a PDF; any other file is left out and the message says so
(refusing the whole mail would lose the customer's words, and the relay would retry it for ever). A kept file is
stored under a generated name with the extension of what its bytes are (`mail-F….pdf`, as web chat's `chat-F…`):
the sender's file name («../发票.html» holding a PDF) is only a label (Message.attachment_name, 发票.pdf: cleaned,
with the extension of what the bytes are), shown as the file's link and used as its download name.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
from email.utils import getaddresses, parseaddr

from shouhou.core.clock import now
from shouhou.core.numbers import new_number
from shouhou.core.uploads import download_name, file_label, sniff_attachment, sniff_image
from shouhou.inbox.channels.base import ChannelRejected, Inbound

SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|回复|答复|转发)\s*[:：]\s*)+", re.IGNORECASE)
MAX_TEXT = 20000
# Same sender + same subject (without Re:/回复:) continues a conversation this recent.
SUBJECT_WINDOW = dt.timedelta(days=30)
MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024


def normalize_subject(subject: str) -> str:
    return SUBJECT_PREFIX.sub("", subject or "").strip()[:200]


def message_key(message_id: str) -> str:
    """The Message.external_id for an email Message-ID (hashed when too long for the column)."""
    mid = (message_id or "").strip().strip("<>").strip()
    if not mid:
        return ""
    if len(mid) > 120:
        mid = hashlib.sha256(mid.encode()).hexdigest()
    return f"email:{mid}"


def thread_keys(in_reply_to: str, references: str) -> list[str]:
    ids = [in_reply_to or ""] + re.findall(r"<[^<>\s]+>", references or "")
    keys = [message_key(i) for i in ids]
    return list(dict.fromkeys(k for k in keys if k))


def parse_push(payload) -> Inbound:
    if not isinstance(payload, dict):
        raise ChannelRejected("请求体应为 JSON 对象")
    name, address = parseaddr(str(payload.get("from") or ""))
    if "@" not in address:
        raise ChannelRejected("from 不是有效的邮箱地址")
    message_id = str(payload.get("message_id") or "").strip()
    if not message_id:
        raise ChannelRejected("缺少 message_id（邮件的 Message-ID）")
    text = str(payload.get("text") or "").strip()
    subject = str(payload.get("subject") or "").strip()
    if not text and not subject:
        raise ChannelRejected("邮件没有正文（text）")
    to = [a for _n, a in getaddresses([str(payload.get("to") or "")]) if a]
    files, left_out, labels = parse_attachments(payload.get("attachments"))
    body = (text or subject)[:MAX_TEXT]
    if left_out:
        body = f"{body}\n（未保存的附件：{'；'.join(left_out)}）"
    return Inbound(external_id=message_key(message_id), contact_handle=address.lower()[:200],
                   body=body, subject=normalize_subject(subject), display_name=name[:100],
                   in_reply_to=str(payload.get("in_reply_to") or ""),
                   extra={"references": str(payload.get("references") or ""), "to": to}, attachments=files,
                   attachment_labels=labels)


def _file_name(raw, index: int) -> str:
    """The sender's name for the file, as a label only (never a stored name): no folders, no NUL, 100 chars."""
    name = os.path.basename(str(raw or "").replace("\\", "/")).strip().replace("\x00", "")
    return name[-100:] or f"附件{index}"


def _stored_name(data: bytes) -> str:
    """A generated name with the extension of what the bytes are (a photo's kind, or pdf)."""
    return download_name(f"mail-{new_number('F')}", sniff_image(data[:32]) or "pdf")


def parse_attachments(rows) -> tuple[list[tuple[str, bytes]], list[str], list[str]]:
    """(kept files as (generated stored name, bytes), reasons for the files left out, the kept files' labels:
    the names the sender gave them, cleaned with the extension of their bytes, "" when unnamed). Refuses (400) only a malformed list or bad base64."""
    if rows in (None, ""):
        return [], [], []
    if not isinstance(rows, list):
        raise ChannelRejected("attachments 应为数组")
    kept: list[tuple[str, bytes]] = []
    left_out: list[str] = []
    labels: list[str] = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ChannelRejected(f"第 {i} 个附件应为 JSON 对象")
        name = _file_name(row.get("filename"), i)
        try:
            data = base64.b64decode(str(row.get("content") or ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ChannelRejected(f"第 {i} 个附件（{name}）的 content 不是有效的 Base64") from exc
        if len(kept) >= MAX_ATTACHMENTS:
            left_out.append(f"{name} 超过 {MAX_ATTACHMENTS} 个附件")
        elif not data:
            left_out.append(f"{name} 是空文件")
        elif len(data) > MAX_ATTACHMENT_BYTES:
            left_out.append(f"{name} 超过 {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB")
        elif sniff_image(data[:32]) is None and not data.startswith(b"%PDF-"):
            left_out.append(f"{name} 不是图片或 PDF")
        else:
            kept.append((_stored_name(data), data))
            labels.append(file_label(row.get("filename"), sniff_attachment(data[:32])))
    return kept, left_out, labels


def email_thread(*, shop, item: Inbound, account=None):
    """The conversation this email continues: by In-Reply-To/References (a message we stored or sent),
    then by the same sender and subject within SUBJECT_WINDOW. None starts a new conversation."""
    from shouhou.inbox.choices import Channel
    from shouhou.inbox.models import Conversation, Message

    keys = thread_keys(item.in_reply_to, item.extra.get("references", ""))
    if keys:
        hit = Message.objects.filter(shop=shop, external_id__in=keys).select_related("conversation") \
            .order_by("-pk").first()
        if hit is not None and hit.conversation.channel == Channel.EMAIL:
            return hit.conversation
    if item.subject:
        return (Conversation.objects.filter(shop=shop, channel=Channel.EMAIL, contact_handle=item.contact_handle,
                                            subject=item.subject, last_message_at__gte=now() - SUBJECT_WINDOW)
                .order_by("-last_message_at", "-pk").first())
    return None
