"""WeChat official account (公众号) message push, and replies through the customer-service message API.

Inbound (docs/channels.md): the platform calls our URL with ?signature&timestamp&nonce.
- GET also carries echostr: we echo it when signature = sha1(sorted(token, timestamp, nonce)).
- POST carries XML (ToUserName, FromUserName = the customer's openid, CreateTime, MsgType, Content, MsgId).
  Safe mode adds ?encrypt_type=aes&msg_signature=… and the body holds <Encrypt>: msg_signature is
  sha1(sorted(token, timestamp, nonce, Encrypt)) and the XML inside is decrypted with the EncodingAESKey
  (receiveid = the AppID). We answer "success" (no passive reply; the bot answers via the API).
Outbound: POST /cgi-bin/message/custom/send?access_token=… {touser, msgtype: "text", text: {content}}.
"""

from __future__ import annotations

from shouhou.inbox.channels import crypto
from shouhou.inbox.channels.base import ChannelRejected, Inbound, from_unix, parse_xml

MEDIA_LABELS = {"image": "[图片]", "voice": "[语音]", "video": "[视频]", "shortvideo": "[小视频]",
                "location": "[位置]", "link": "[链接]", "file": "[文件]"}


def _refuse_unsigned(token: str, timestamp: str) -> None:
    """No token configured: refuse everything. A timestamp outside the window: a replay."""
    if crypto.secret_missing(token):
        raise ChannelRejected("未配置令牌（Token），拒绝推送", status=403)
    if not crypto.fresh(timestamp):
        raise ChannelRejected("时间戳超出允许范围（可能是重放）", status=403)


def check_url(*, token: str, params) -> str:
    """The echostr to answer a GET URL check; ChannelRejected(403) when the signature is wrong."""
    _refuse_unsigned(token, params.get("timestamp", ""))
    if not crypto.signature_ok((token, params.get("timestamp", ""), params.get("nonce", "")), params.get("signature")):
        raise ChannelRejected("签名校验失败", status=403)
    return params.get("echostr", "")


def open_push(*, token: str, aes_key: str, app_id: str, params, raw: bytes) -> dict[str, str]:
    """Verify and (in safe mode) decrypt one POST; the message fields as a dict."""
    timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
    _refuse_unsigned(token, timestamp)
    if params.get("encrypt_type", "raw") == "aes":
        outer = parse_xml(raw)
        encrypted = outer.get("Encrypt", "")
        if not encrypted:
            raise ChannelRejected("安全模式缺少 Encrypt")
        if not crypto.signature_ok((token, timestamp, nonce, encrypted), params.get("msg_signature")):
            raise ChannelRejected("消息签名校验失败", status=403)
        try:
            inner = crypto.decrypt(aes_key, encrypted, app_id or None)
        except crypto.CryptoError as exc:
            raise ChannelRejected(f"解密失败：{exc}", status=403) from exc
        return parse_xml(inner.encode())
    if not crypto.signature_ok((token, timestamp, nonce), params.get("signature")):
        raise ChannelRejected("签名校验失败", status=403)
    return parse_xml(raw)


def message_body(fields: dict[str, str]) -> str:
    kind = fields.get("MsgType", "")
    if kind == "text":
        return fields.get("Content", "")
    label = MEDIA_LABELS.get(kind, f"[{kind}]")
    if kind == "image":
        return f"{label} {fields.get('PicUrl', '')}".strip()
    if kind == "voice":
        return f"{label} {fields.get('Recognition', '')}".strip()
    if kind == "location":
        return f"{label} {fields.get('Label', '')} ({fields.get('Location_X', '')},{fields.get('Location_Y', '')})"
    if kind == "link":
        return f"{label} {fields.get('Title', '')} {fields.get('Url', '')}".strip()
    return label


def to_inbound(fields: dict[str, str], *, key: str, prefix: str = "wechat") -> Inbound | None:
    """One customer message, or None for events (subscribe, menu clicks…), which we acknowledge only."""
    kind = fields.get("MsgType", "")
    if not kind:
        raise ChannelRejected("缺少 MsgType")
    if kind == "event":
        return None
    sender = fields.get("FromUserName", "")
    if not sender:
        raise ChannelRejected("缺少 FromUserName")
    msg_id = fields.get("MsgId", "")
    # Without MsgId (rare) the sender + CreateTime identify the push, which is what WeChat itself suggests.
    ident = msg_id or f"{sender}:{fields.get('CreateTime', '')}"
    body = message_body(fields).strip() or MEDIA_LABELS.get(kind, "[消息]")
    extra = {k: fields[k] for k in ("MediaId", "PicUrl", "AgentID") if fields.get(k)}
    return Inbound(external_id=f"{prefix}:{key}:{ident}"[:128], contact_handle=sender, body=body[:5000],
                   at=from_unix(fields.get("CreateTime")), msg_type=kind, extra=extra)


def custom_send_payload(*, openid: str, text: str) -> dict:
    return {"touser": openid, "msgtype": "text", "text": {"content": text}}


# --- photos both ways (temporary media) ------------------------------------------------------------------
# A customer's picture arrives as MediaId (+ PicUrl, which expires): we fetch it with
# GET /cgi-bin/media/get?access_token&media_id (valid 3 days) in a task after the push is answered, check it
# like a web-chat upload and keep it on the message. An agent's photo goes up with
# POST /cgi-bin/media/upload?access_token&type=image (multipart field "media"; JPG/PNG/GIF up to 2 MB) and out
# as a customer-service image message {"touser", "msgtype": "image", "image": {"media_id"}}. The customer-
# service API has no file message: PDFs cannot be sent to an official account's follower.

IMAGE_KINDS = frozenset({"jpeg", "png", "gif"})
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


def image_refusal(checked) -> str:
    """Why a checked reply attachment cannot go out as an official-account image ("" when it can)."""
    if checked.kind not in IMAGE_KINDS:
        return "公众号客服消息只能发送 JPG、PNG 或 GIF 图片，不能发送文件或其他格式"
    if checked.size > MAX_UPLOAD_BYTES:
        return "公众号客服消息的图片不能超过 2 MB"
    return ""


def _media_call(account, method: str, path: str, *, binary: bool = False, **kwargs):
    """One call with the account's access token (the notifications provider's cache); an expired or invalid
    token is dropped and the call made once more. Raises DeliveryError (retryable when it may pass)."""
    import httpx
    from django.core.cache import cache

    from shouhou.inbox.channels import DeliveryError, _wechat_provider, api_base
    from shouhou.inbox.choices import Channel
    from shouhou.notifications.providers.base import ProviderError
    from shouhou.notifications.providers.wechat import RETRYABLE, TOKEN_ERRORS

    provider = _wechat_provider(account)
    for attempt in (1, 2):
        try:
            token = provider.access_token()
        except ProviderError as exc:
            raise DeliveryError(str(exc), retryable=exc.retryable) from exc
        params = {**kwargs.get("params", {}), "access_token": token}
        try:
            response = httpx.request(method, f"{api_base(Channel.WECHAT).rstrip('/')}{path}", timeout=15,
                                     **{**kwargs, "params": params})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"微信接口无法连接：{exc.__class__.__name__}", retryable=True) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise DeliveryError(f"微信接口暂不可用（HTTP {response.status_code}）", retryable=True)
        kind = response.headers.get("content-type", "")
        if binary and "json" not in kind and "text/plain" not in kind:
            return response
        try:
            data = response.json()
        except ValueError as exc:
            raise DeliveryError(f"微信接口返回的不是 JSON（HTTP {response.status_code}）", retryable=True) from exc
        code = int(data.get("errcode", 0) or 0)
        if code == 0:
            return response if binary else data
        if code in TOKEN_ERRORS:
            cache.delete(provider._cache_key())  # noqa: SLF001 - the provider's own token cache
            if attempt == 1:
                continue
        raise DeliveryError(f"微信 errcode {code}: {str(data.get('errmsg', ''))[:200]}", retryable=code in RETRYABLE)
    raise AssertionError("unreachable")  # pragma: no cover


def media_upload_image(account, *, name: str, data: bytes, content_type: str) -> str:
    from shouhou.inbox.channels import DeliveryError

    result = _media_call(account, "POST", "/cgi-bin/media/upload", params={"type": "image"},
                         files={"media": (name, data, content_type)})
    media_id = str(result.get("media_id") or "")
    if not media_id:
        raise DeliveryError("微信上传图片没有返回 media_id", retryable=True)
    return media_id


def image_send_payload(*, openid: str, media_id: str) -> dict:
    return {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}}


def media_fetch(*, message_id: int, media_id: str) -> bool:
    """Download a customer's picture (or file) into its message, checked like a web-chat upload. Returns
    whether a file was kept; a refusal is written into the message's text, a failure only logged (the
    PicUrl stays)."""
    import logging

    from django.core.files.base import ContentFile

    from shouhou.core.numbers import new_number
    from shouhou.core.uploads import UploadError, check_attachment
    from shouhou.inbox.channels import DeliveryError
    from shouhou.inbox.models import Message

    message = Message.objects.select_related("conversation__channel_account").filter(pk=message_id).first()
    if message is None or message.attachment or message.conversation.channel_account is None:
        return False
    account = message.conversation.channel_account
    if not (account.secret or "").strip():
        return False
    try:
        response = _media_call(account, "GET", "/cgi-bin/media/get", binary=True, params={"media_id": media_id})
    except DeliveryError as exc:
        logging.getLogger(__name__).warning("wechat media %s of message %s not fetched: %s", media_id, message_id,
                                            exc)
        return False
    data = response.content
    label = "[图片]" if message.body.startswith("[图片]") else "[文件]"
    try:
        checked = check_attachment(ContentFile(data, name="media"))
    except UploadError as exc:
        Message.objects.filter(pk=message_id).update(body=f"{label}（未保存：{exc}）")
        return False
    message.attachment.save(f"wx-{new_number('F')}.{checked.extension}", ContentFile(data), save=False)
    Message.objects.filter(pk=message_id).update(attachment=message.attachment.name, body=label)
    return True


def media_fetch_later(*, message_id: int, media_id: str) -> None:
    """Fetch the picture after the push is answered (WeChat waits 5 seconds for "success")."""
    from django.conf import settings
    from django.db import transaction
    from django_q.tasks import async_task

    sync = bool(settings.Q_CLUSTER.get("sync", False))
    transaction.on_commit(lambda: async_task("shouhou.inbox.tasks.wechat_media_fetch_task", message_id, media_id,
                                             sync=sync))
