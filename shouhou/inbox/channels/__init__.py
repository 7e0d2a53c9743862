"""Channel adapters: inbound parsing per channel (wechat, wecom, social, email, phone, webchat, review)
and outbound delivery of agent and bot replies.

    deliver_outbound(message_id=...)        # send one outbound message through its conversation's channel
    deliver_outbound_later(message=..., channel=...)   # the same, as a task after commit (channels that send)
    delivery_retry_due()                    # periodic: try again the failed sends whose back-off has passed

WeChat: customer-service message API; WeCom: application message API (both through the notifications
provider layer's access-token handling); 微信客服: kf/send_msg with its own token per account
(channels/wechat_kf.py); email: Django's mail backend with threading headers. Web chat,
phone, review and social replies are not sent by shouhou (the page polls; the call or the platform's back
office carries them), so their delivery_status stays "".

A failed send that may succeed later (platform busy or rate-limited, network, mail server) is tried again
after 1, 5, 15 and 60 minutes (RETRY_MINUTES), five attempts in all; a refusal that will not change
(invalid account, 48-hour window closed, no recipient) is not retried. Each attempt is counted on the
message, and the workbench shows when the next one is due.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from shouhou.core.clock import now
from shouhou.inbox.choices import Channel, Direction

log = logging.getLogger(__name__)

SENT, FAILED = "sent", "failed"
DELIVERING_CHANNELS = frozenset({Channel.WECHAT, Channel.WECOM, Channel.WECHAT_KF, Channel.EMAIL})
API_BASES = {Channel.WECHAT: "https://api.weixin.qq.com", Channel.WECOM: "https://qyapi.weixin.qq.com",
             Channel.WECHAT_KF: "https://qyapi.weixin.qq.com"}


RETRY_MINUTES = (1, 5, 15, 60)  # back-off after the 1st, 2nd, 3rd and 4th failure; the 5th is final


class DeliveryError(Exception):
    def __init__(self, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.retryable = retryable


def api_base(channel: str) -> str:
    """settings.SHOUHOU_INBOX_API_BASES = {"wechat": "...", "wecom": "...", "wechat_kf": "..."} overrides the platforms' hosts
    (a local test server, or a proxy that keeps the access token)."""
    return (getattr(settings, "SHOUHOU_INBOX_API_BASES", None) or {}).get(channel) or API_BASES[channel]


def _wechat_provider(account):
    """The notifications layer's WeChat provider: same access-token cache per AppID, same error classes."""
    from shouhou.notifications.providers.wechat import WeChatTemplateProvider

    return WeChatTemplateProvider({"appid": account.app_id, "secret": account.secret,
                                   "base_url": api_base(Channel.WECHAT)})


def _wecom_provider(account, agent_id: str):
    from shouhou.notifications.providers.wechat import WeComProvider

    return WeComProvider({"corpid": account.app_id, "corpsecret": account.secret, "agent_id": agent_id,
                          "base_url": api_base(Channel.WECOM)})


def outbound_file_name(message, kind: str | None) -> str:
    """The name a reply's file goes out under: the name the agent's file had (Message.attachment_name, cleaned,
    发票.pdf), else the stored file's, with the extension of what its bytes are. The stored name is the storage's
    (random when two files share a name) and the customer sees it under a PDF in WeChat."""
    from shouhou.core.uploads import download_name

    return download_name(message.attachment_name or message.attachment.name, kind)


def _send_wechat(message, conversation) -> str:
    from shouhou.inbox.channels.wechat import custom_send_payload

    account = conversation.channel_account
    if account is None or not conversation.contact_handle:
        raise DeliveryError("会话没有关联公众号或顾客 openid，无法发送")
    text = message.body
    if message.attachment:
        from shouhou.core.uploads import content_type_for, sniff_attachment
        from shouhou.inbox.channels.wechat import image_send_payload, media_upload_image

        with message.attachment.open("rb") as handle:
            data = handle.read()
        kind = sniff_attachment(data[:32])
        if kind not in ("jpeg", "png", "gif"):
            raise DeliveryError("公众号客服消息只能发送 JPG、PNG 或 GIF 图片")
        media_id = media_upload_image(account, name=outbound_file_name(message, kind), data=data,
                                      content_type=content_type_for(kind))
        result = _wechat_provider(account)._post("/cgi-bin/message/custom/send",
                                                 image_send_payload(openid=conversation.contact_handle,
                                                                    media_id=media_id))
        if text.strip() in ("", "[图片]"):
            return result.provider_message_id
    result = _wechat_provider(account)._post("/cgi-bin/message/custom/send",
                                             custom_send_payload(openid=conversation.contact_handle, text=text))
    return result.provider_message_id


def _send_wecom(message, conversation) -> str:
    from shouhou.inbox.channels.wecom import text_payload

    account = conversation.channel_account
    agent_id = conversation.external_id.removeprefix("agent:")
    if account is None or not conversation.contact_handle or not agent_id:
        raise DeliveryError("会话没有关联企业微信应用（AgentID）或成员，无法发送")
    result = _wecom_provider(account, agent_id)._post("/cgi-bin/message/send",
                                            text_payload(user_id=conversation.contact_handle, agent_id=agent_id,
                                                         text=message.body))
    return result.provider_message_id


def _send_email(message, conversation) -> str:
    import smtplib

    from django.core.mail import EmailMessage, get_connection
    from django.core.mail.message import make_msgid

    from shouhou.inbox.channels.email import message_key
    from shouhou.inbox.models import Message

    if "@" not in conversation.contact_handle:
        raise DeliveryError("会话没有顾客邮箱，无法发送")
    account = conversation.channel_account
    sender = (account.app_id if account is not None and "@" in account.app_id else "") or settings.DEFAULT_FROM_EMAIL
    last_in = (Message.objects.filter(conversation=conversation, direction=Direction.INBOUND,
                                      external_id__startswith="email:").order_by("-pk").first())
    msgid = make_msgid(domain=sender.rpartition("@")[2] or None)
    headers: dict[str, Any] = {"Message-ID": msgid}
    if last_in is not None:
        parent = "<" + last_in.external_id.removeprefix("email:") + ">"
        headers["In-Reply-To"] = parent
        headers["References"] = parent
    subject = conversation.subject or f"{conversation.shop.name} 售后回复"
    mail = EmailMessage(subject=f"Re: {subject}", body=message.body, from_email=sender,
                        to=[conversation.contact_handle], headers=headers, connection=get_connection())
    try:
        mail.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"邮件发送失败：{exc}", retryable=True) from exc
    return message_key(msgid)


def _send_wechat_kf(message, conversation) -> str:
    from shouhou.inbox.channels.wechat_kf import kf_send

    return kf_send(message, conversation)


SENDERS = {Channel.WECHAT: _send_wechat, Channel.WECOM: _send_wecom, Channel.WECHAT_KF: _send_wechat_kf,
           Channel.EMAIL: _send_email}
# Channels whose sender returns the id the message is known by afterwards (threading, failure events).
KEEPS_EXTERNAL_ID = frozenset({Channel.EMAIL, Channel.WECHAT_KF})


def deliver_outbound(*, message_id: int) -> None:
    """Send an outbound message through its conversation's channel and record sent/failed. Safe to run
    twice: a message already sent is not sent again. Web chat needs nothing: the page polls."""
    from shouhou.inbox.models import Message
    from shouhou.notifications.providers.base import ProviderError

    message = Message.objects.select_related("conversation", "conversation__channel_account",
                                             "conversation__shop").filter(pk=message_id).first()
    if message is None or message.direction != Direction.OUTBOUND or message.delivery_status == SENT:
        return
    sender = SENDERS.get(message.conversation.channel)
    if sender is None:
        return
    attempts = message.delivery_attempts + 1
    try:
        external = sender(message, message.conversation)
    except (DeliveryError, ProviderError, KeyError) as exc:
        retry_at = None
        if getattr(exc, "retryable", False) and attempts <= len(RETRY_MINUTES):
            retry_at = now() + timedelta(minutes=RETRY_MINUTES[attempts - 1])
        log.warning("inbox delivery failed for message %s (attempt %s, retry at %s): %s", message_id, attempts,
                    retry_at, exc)
        Message.objects.filter(pk=message_id).update(delivery_status=FAILED, delivery_error=str(exc)[:300],
                                                     delivery_attempts=attempts, delivery_retry_at=retry_at)
        from shouhou.inbox.services import reply_delivery_failed

        reply_delivery_failed(message)
        return
    updates: dict[str, Any] = {"delivery_status": SENT, "delivery_error": "", "delivery_attempts": attempts,
                               "delivery_retry_at": None}
    if external and not message.external_id and message.conversation.channel in KEEPS_EXTERNAL_ID:
        updates["external_id"] = external[:128]
    Message.objects.filter(pk=message_id).update(**updates)
    if message.delivery_status == FAILED:  # an earlier try failed: the buyer is answered only now
        from shouhou.inbox.services import reply_delivered_late

        reply_delivered_late(message, at=now())


def delivery_retry_due(*, limit: int = 200) -> int:
    """Try again the failed sends whose back-off has passed (periodic, every minute). Each message is
    claimed by clearing its retry time first, so two sweeps never send it twice; returns how many were
    tried."""
    from shouhou.inbox.models import Message

    due = list(Message.objects.filter(delivery_status=FAILED, delivery_retry_at__lte=now())
               .order_by("delivery_retry_at").values_list("pk", "delivery_retry_at")[:limit])
    tried = 0
    for pk, retry_at in due:
        if Message.objects.filter(pk=pk, delivery_retry_at=retry_at).update(delivery_retry_at=None) == 1:
            deliver_outbound(message_id=pk)
            tried += 1
    return tried


def deliver_outbound_later(*, message, channel: str) -> None:
    """Queue delivery after the surrounding transaction commits (only for channels that send)."""
    if channel not in DELIVERING_CHANNELS:
        return
    from django_q.tasks import async_task

    message_id = message.pk
    sync = bool(settings.Q_CLUSTER.get("sync", False))
    transaction.on_commit(lambda: async_task("shouhou.inbox.tasks.message_deliver", message_id, sync=sync))
