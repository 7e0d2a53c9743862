"""WeCom (企业微信) application callback, always encrypted.

GET ?msg_signature&timestamp&nonce&echostr: verify sha1(sorted(token, timestamp, nonce, echostr)), decrypt
echostr with the EncodingAESKey (receiveid = CorpID) and answer the plaintext.
POST ?msg_signature&timestamp&nonce with <xml><ToUserName/><AgentID/><Encrypt/></xml>: verify over Encrypt,
decrypt, and read the inner XML (FromUserName = the member's UserID, MsgType, Content, MsgId, AgentID).
Outbound: POST /cgi-bin/message/send?access_token=… {touser, msgtype: text, agentid, text: {content}}.
"""

from __future__ import annotations

from shouhou.inbox.channels import crypto
from shouhou.inbox.channels.base import ChannelRejected, parse_xml


def _verified_plain(*, token: str, aes_key: str, corp_id: str, params, encrypted: str) -> str:
    if crypto.secret_missing(token):
        raise ChannelRejected("未配置令牌（Token），拒绝推送", status=403)
    if not crypto.fresh(params.get("timestamp", "")):
        raise ChannelRejected("时间戳超出允许范围（可能是重放）", status=403)
    if not encrypted:
        raise ChannelRejected("缺少加密内容")
    parts = (token, params.get("timestamp", ""), params.get("nonce", ""), encrypted)
    if not crypto.signature_ok(parts, params.get("msg_signature")):
        raise ChannelRejected("消息签名校验失败", status=403)
    try:
        return crypto.decrypt(aes_key, encrypted, corp_id or None)
    except crypto.CryptoError as exc:
        raise ChannelRejected(f"解密失败：{exc}", status=403) from exc


def check_url(*, token: str, aes_key: str, corp_id: str, params) -> str:
    return _verified_plain(token=token, aes_key=aes_key, corp_id=corp_id, params=params,
                           encrypted=params.get("echostr", ""))


def open_push(*, token: str, aes_key: str, corp_id: str, params, raw: bytes) -> dict[str, str]:
    outer = parse_xml(raw)
    inner = _verified_plain(token=token, aes_key=aes_key, corp_id=corp_id, params=params,
                            encrypted=outer.get("Encrypt", ""))
    fields = parse_xml(inner.encode())
    if not fields.get("AgentID") and outer.get("AgentID"):
        fields["AgentID"] = outer["AgentID"]
    return fields


def encrypted_envelope(*, token: str, aes_key: str, corp_id: str, inner_xml: str, timestamp: str, nonce: str,
                       agent_id: str = "") -> tuple[bytes, str]:
    """What WeCom sends (tests and local tools build pushes with it): the body and its msg_signature."""
    encrypted = crypto.encrypt(aes_key, inner_xml, corp_id)
    signature = crypto.sha1_signature(token, timestamp, nonce, encrypted)
    body = (f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><AgentID><![CDATA[{agent_id}]]></AgentID>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
    return body.encode(), signature


def text_payload(*, user_id: str, agent_id: str, text: str) -> dict:
    return {"touser": user_id, "msgtype": "text", "agentid": int(agent_id) if str(agent_id).isdigit() else agent_id,
            "text": {"content": text}}
