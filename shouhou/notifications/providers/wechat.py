"""WeChat Official Account template message and mini-program subscribe message.

Both POST JSON to an endpoint with ?access_token=...; the answer is {"errcode": 0, "errmsg": "ok", "msgid": ...}.
errcode -1 (system busy) and 45009 (rate limit) are retryable; 43101 (user refused the subscription),
40003 (bad openid) and the rest are permanent. 40001/42001 (token invalid/expired) are retryable after
the token cache is dropped.
"""

from __future__ import annotations

import json
from typing import Any

from shouhou.notifications.providers.base import (
    PermanentError,
    Provider,
    RetryableError,
    SendResult,
    http_json,
)

RETRYABLE = {-1, 45009, 40001, 42001}


class _WeChatBase(Provider):
    path = ""

    def access_token(self) -> str:
        return self.options["access_token"]

    def payload(self, message) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, message) -> SendResult:
        base = self.options.get("base_url", "https://api.weixin.qq.com")
        url = f"{base}{self.path}?access_token={self.access_token()}"
        _, data = http_json("POST", url, body=json.dumps(self.payload(message), ensure_ascii=False).encode(),
                            headers={"Content-Type": "application/json"})
        code = int(data.get("errcode", 0))
        if code == 0:
            return SendResult(provider_message_id=str(data.get("msgid", "")))
        if code in RETRYABLE:
            raise RetryableError(f"微信 errcode {code}: {data.get('errmsg')}")
        raise PermanentError(f"微信 errcode {code}: {data.get('errmsg')}")

    def _data(self, message) -> dict[str, dict[str, str]]:
        fields = {k: str(v) for k, v in message.context.items() if not k.startswith("_")}
        fields.setdefault("body", message.body)
        return {k: {"value": v[:200]} for k, v in fields.items()}

    def _template_id(self, message) -> str:
        return message.context.get("_template_code") or self.options["template_ids"][message.trigger]


class WeChatTemplateProvider(_WeChatBase):
    name = "wechat_template"
    path = "/cgi-bin/message/template/send"

    def payload(self, message) -> dict[str, Any]:
        return {"touser": message.recipient, "template_id": self._template_id(message),
                "data": self._data(message)}


class WeChatSubscribeProvider(_WeChatBase):
    name = "wechat_subscribe"
    path = "/cgi-bin/message/subscribe/send"

    def payload(self, message) -> dict[str, Any]:
        return {"touser": message.recipient, "template_id": self._template_id(message),
                "page": self.options.get("page", "pages/index/index"), "data": self._data(message)}


class WeComProvider(Provider):
    """WeCom (企业微信) application text message: POST /cgi-bin/message/send?access_token=..."""

    name = "wecom"

    def send(self, message) -> SendResult:
        o = self.options
        url = f"{o.get('base_url', 'https://qyapi.weixin.qq.com')}/cgi-bin/message/send?access_token={o['access_token']}"
        body = {"touser": message.recipient, "msgtype": "text", "agentid": o["agent_id"],
                "text": {"content": message.body}}
        _, data = http_json("POST", url, body=json.dumps(body, ensure_ascii=False).encode(),
                            headers={"Content-Type": "application/json"})
        code = int(data.get("errcode", 0))
        if code == 0:
            return SendResult(provider_message_id=str(data.get("msgid", "")))
        if code in RETRYABLE:
            raise RetryableError(f"企业微信 errcode {code}")
        raise PermanentError(f"企业微信 errcode {code}: {data.get('errmsg')}")
