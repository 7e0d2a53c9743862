"""WeChat Official Account template message, mini-program subscribe message and WeCom app message.

All three POST JSON to an endpoint with ?access_token=...; the answer is {"errcode": 0, "errmsg": "ok", "msgid": ...}.

Access token: either `options["access_token"]` (a token kept fresh by a central token service, which
WeChat recommends when several processes share one app) or `appid` + `secret` (WeCom: `corpid` +
`corpsecret`): the adapter then asks GET /cgi-bin/token (WeCom: /cgi-bin/gettoken) and keeps the token in
Django's cache until 5 minutes before `expires_in`. errcode 40001/42001/40014 (token invalid/expired)
drops the cached token and is retryable; -1 (system busy) is retried on the short back-off; 45009 (the daily API
quota is used up; it is reset at midnight Beijing time) is retried after the next midnight (DailyQuotaError); 43101
(user refused the subscription), 40003 (bad openid) and the rest are permanent.

Template fields: the approved template names its own keys (`thing1`, `character_string2` … for subscribe
messages, `keyword1` … for old template messages). `options["fields"][trigger]` maps them to our
variables, e.g. {"character_string1": "order_no", "thing2": "carrier"}; without it the variables keep
their own names (templates_text.VARIABLES minus the common ones).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache

from shouhou.notifications.providers.base import (
    DailyQuotaError,
    PermanentError,
    Provider,
    RetryableError,
    SendResult,
    http_json,
    template_values,
)

TOKEN_ERRORS = {40001, 42001, 40014}
QUOTA_ERROR = 45009  # 接口调用超过限额: the day's quota is used up until midnight (Beijing time)
RETRYABLE = {-1, QUOTA_ERROR} | TOKEN_ERRORS
TOKEN_MARGIN_SECONDS = 300


def _error_for(code: int) -> type[RetryableError]:
    """45009: the daily quota, retried after midnight; the other retryable codes on the short back-off."""
    return DailyQuotaError if code == QUOTA_ERROR else RetryableError


class _TokenMixin(Provider):
    base_default = "https://api.weixin.qq.com"
    token_path = "/cgi-bin/token"  # noqa: S105 - a URL path
    label = "微信"

    def _base(self) -> str:
        return self.options.get("base_url", self.base_default)

    def _token_query(self) -> dict[str, str]:
        o = self.options
        return {"grant_type": "client_credential", "appid": o["appid"], "secret": o["secret"]}

    def _cache_key(self) -> str:
        q = self._token_query()
        return f"notify:{self.name}:token:{q.get('appid') or q.get('corpid')}"

    def access_token(self) -> str:
        if self.options.get("access_token"):
            return self.options["access_token"]
        key = self._cache_key()
        token = cache.get(key)
        if token:
            return token
        _, data = http_json("GET", f"{self._base()}{self.token_path}?{urlencode(self._token_query())}")
        token = data.get("access_token")
        if not token:
            code = int(data.get("errcode", 0) or 0)
            error = _error_for(code) if code in {-1, QUOTA_ERROR} else PermanentError
            raise error(f"{self.label}获取 access_token 失败 errcode {code}: {data.get('errmsg')}")
        ttl = max(int(data.get("expires_in", 7200)) - TOKEN_MARGIN_SECONDS, 60)
        cache.set(key, token, ttl)
        return token

    def _post(self, path: str, body: dict[str, Any]) -> SendResult:
        url = f"{self._base()}{path}?access_token={self.access_token()}"
        _, data = http_json("POST", url, body=json.dumps(body, ensure_ascii=False).encode(),
                            headers={"Content-Type": "application/json"})
        code = int(data.get("errcode", 0) or 0)
        if code == 0:
            return SendResult(provider_message_id=str(data.get("msgid", "")))
        if code in TOKEN_ERRORS and not self.options.get("access_token"):
            cache.delete(self._cache_key())
        if code in RETRYABLE:
            raise _error_for(code)(f"{self.label} errcode {code}: {data.get('errmsg')}")
        raise PermanentError(f"{self.label} errcode {code}: {data.get('errmsg')}")


class _WeChatBase(_TokenMixin):
    path = ""
    value_limit = 200

    def payload(self, message) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, message) -> SendResult:
        return self._post(self.path, self.payload(message))

    def _data(self, message) -> dict[str, dict[str, str]]:
        values = template_values(message, self.options)
        mapping = (self.options.get("fields") or {}).get(message.trigger)
        if mapping:
            context = {k: str(v) for k, v in message.context.items() if not str(k).startswith("_")}
            fields = {key: context.get(var, "") for key, var in mapping.items()}
        else:
            fields = dict(values)
        return {k: {"value": v[: self.limit_for(k, v)]} for k, v in fields.items()}

    def limit_for(self, key: str, value: str) -> int:
        return self.value_limit

    def _template_id(self, message) -> str:
        return message.context.get("_template_code") or self.options["template_ids"][message.trigger]


class WeChatTemplateProvider(_WeChatBase):
    name = "wechat_template"
    path = "/cgi-bin/message/template/send"

    def payload(self, message) -> dict[str, Any]:
        body = {"touser": message.recipient, "template_id": self._template_id(message),
                # WeChat drops a second request with the same client_msg_id: a retry never sends twice.
                "client_msg_id": message.idempotency_key[:64], "data": self._data(message)}
        if self.options.get("url"):
            body["url"] = self.options["url"]
        return body


class WeChatSubscribeProvider(_WeChatBase):
    name = "wechat_subscribe"
    path = "/cgi-bin/message/subscribe/send"
    value_limit = 20  # a key of no known type: as a `thing`
    # The published limit of each keyword type (subscribeMessage.send, 参数值内容限制); the type is the key's name
    # without its number (thing1, character_string2 …). A value past its limit is refused (errcode 47003), so
    # it is cut to fit; time, date and amount keep their own formats and are not cut.
    TYPE_LIMITS = {"thing": 20, "character_string": 32, "number": 32, "letter": 32, "symbol": 5, "phrase": 5,
                   "phone_number": 17, "car_number": 8}

    def limit_for(self, key: str, value: str) -> int:
        kind = key.rstrip("0123456789")
        if kind == "name":  # 10 Chinese characters, or 20 letters and signs
            return 10 if any("\u4e00" <= ch <= "\u9fff" for ch in value) else 20
        if kind in ("time", "date", "amount"):
            return len(value)
        return self.TYPE_LIMITS.get(kind, self.value_limit)

    def payload(self, message) -> dict[str, Any]:
        return {"touser": message.recipient, "template_id": self._template_id(message),
                "page": self.options.get("page", "pages/index/index"), "data": self._data(message)}


class WeComProvider(_TokenMixin):
    """WeCom (企业微信) application text message: POST /cgi-bin/message/send?access_token=..."""

    name = "wecom"
    base_default = "https://qyapi.weixin.qq.com"
    token_path = "/cgi-bin/gettoken"  # noqa: S105 - a URL path
    label = "企业微信"

    def _token_query(self) -> dict[str, str]:
        return {"corpid": self.options["corpid"], "corpsecret": self.options["corpsecret"]}

    def send(self, message) -> SendResult:
        body = {"touser": message.recipient, "msgtype": "text", "agentid": self.options["agent_id"],
                "text": {"content": message.body}}
        return self._post("/cgi-bin/message/send", body)
