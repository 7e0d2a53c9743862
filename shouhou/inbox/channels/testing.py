"""Builders for channel pushes as the platforms send them (used by tests and for trying a local install)."""

from __future__ import annotations

from urllib.parse import urlencode

from shouhou.inbox.channels import crypto

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def wechat_text_xml(*, openid: str, content: str, msg_id: str, to: str = "gh_demo", create_time: int = 1764576000,
                    msg_type: str = "text", extra: str = "") -> str:
    body = f"<Content><![CDATA[{content}]]></Content>" if msg_type == "text" else ""
    return (f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{body}{extra}"
            + (f"<MsgId>{msg_id}</MsgId>" if msg_id else "") + "</xml>")


def wechat_query(*, token: str, timestamp: str = "1764576000", nonce: str = "n0nce", **more: str) -> str:
    params = {"signature": crypto.sha1_signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
              **more}
    return urlencode(params)


def wechat_safe_push(*, token: str, aes_key: str, app_id: str, inner_xml: str, timestamp: str = "1764576000",
                     nonce: str = "n0nce") -> tuple[str, bytes]:
    """(query string, body) of a safe-mode push."""
    encrypted = crypto.encrypt(aes_key, inner_xml, app_id)
    query = urlencode({"signature": crypto.sha1_signature(token, timestamp, nonce), "timestamp": timestamp,
                       "nonce": nonce, "encrypt_type": "aes",
                       "msg_signature": crypto.sha1_signature(token, timestamp, nonce, encrypted)})
    body = f"<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return query, body.encode()


def wecom_push(*, token: str, aes_key: str, corp_id: str, inner_xml: str, agent_id: str = "1000002",
               timestamp: str = "1764576000", nonce: str = "n0nce") -> tuple[str, bytes]:
    from shouhou.inbox.channels.wecom import encrypted_envelope

    body, signature = encrypted_envelope(token=token, aes_key=aes_key, corp_id=corp_id, inner_xml=inner_xml,
                                         timestamp=timestamp, nonce=nonce, agent_id=agent_id)
    return urlencode({"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}), body


def wecom_text_xml(*, user_id: str, content: str, msg_id: str, corp_id: str, agent_id: str = "1000002") -> str:
    return (f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[{user_id}]]></FromUserName>"
            f"<CreateTime>1764576000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{agent_id}</AgentID></xml>")
