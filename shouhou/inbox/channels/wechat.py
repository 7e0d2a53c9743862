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
