"""One interface for every outgoing channel.

A provider's `send(message)` returns a SendResult or raises RetryableError (try again later:
timeouts, 5xx, throttling) or PermanentError (never retry: bad number, user refused, bad template).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings


class ProviderError(Exception):
    retryable = False
    code = ""  # the gateway's error code, when it gave one
    recipient_blocked = False  # the gateway refuses this recipient as blocked/unsubscribed (stop trying)


class RetryableError(ProviderError):
    retryable = True


class PermanentError(ProviderError):
    retryable = False


class DailyQuotaError(RetryableError):
    """The gateway's daily call quota is used up (微信 errcode 45009). It is reset at midnight Beijing time, so a
    retry before then only fails again: the outbox retries after the next midnight (Asia/Shanghai)."""

    next_day = True


class UnknownOutcomeError(RetryableError):
    """The gateway took the whole request and then did not answer (timed out, dropped the connection): it may
    have sent the message. Safe to retry only where the gateway drops a repeat (WeChat's client_msg_id); an SMS
    gateway has no such key, so the SMS adapters turn this into a PermanentError (no second SMS)."""


def sms_recipient_check(recipient: str) -> str:
    """One phone number (digits, an optional leading +), or PermanentError. Aliyun's SendSms takes
    `PhoneNumbers` as a comma-separated list: a customer phone such as "13800000000,13900000000" (imports,
    platform data) sent one customer's message — name, order, links — to a second number as well."""
    text = recipient or ""
    digits = text[1:] if text.startswith("+") else text
    if not (digits.isascii() and digits.isdigit() and 5 <= len(digits) <= 15):
        raise PermanentError("收件手机号无效（应为一个手机号，只含数字，可带 +国家码）")
    return text


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str = ""


class Provider:
    name = "base"
    rate_per_second: float = 0  # 0 = no limit

    def __init__(self, options: dict[str, Any] | None = None):
        self.options = options or {}
        self.rate_per_second = float(self.options.get("rate_per_second", self.rate_per_second))

    def send(self, message) -> SendResult:  # pragma: no cover - interface
        raise NotImplementedError


def template_values(message, options: dict[str, Any]) -> dict[str, str]:
    """The values a provider's approved template takes, in its order.

    SMS and WeChat templates are approved by the gateway with a fixed list of variables, so the whole
    render context (shop name, service contact, ...) must not be sent. The list per trigger comes from
    `options["template_params"][trigger]` (e.g. ["order_no", "tracking_no"]); without it, the trigger's
    own variables (templates_text.VARIABLES minus the common ones) that the message carries.
    """
    from shouhou.notifications.templates_text import COMMON, VARIABLES

    context = {k: v for k, v in (message.context or {}).items() if not str(k).startswith("_")}
    names = (options.get("template_params") or {}).get(message.trigger)
    if names is None:
        known = VARIABLES.get(message.trigger)
        names = [n for n in known if n not in COMMON] if known else list(context)
        names = [n for n in names if n in context]
    return {n: str(context.get(n, "")) for n in names}


def provider_options(name: str) -> dict[str, Any]:
    """Options from settings.SHOUHOU_NOTIFY_PROVIDERS[name] (tests override it)."""
    return dict(getattr(settings, "SHOUHOU_NOTIFY_PROVIDERS", {}).get(name, {}))


def http_json(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
              timeout: float = 10) -> tuple[int, dict[str, Any]]:
    """Small HTTP helper: network errors and 5xx are retryable, the JSON body is returned otherwise."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - URL from settings
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except urllib.error.URLError as exc:  # urllib wraps what fails before the request is sent: nothing went out
        raise RetryableError(f"网络错误：{exc}") from exc
    except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:  # after it was sent
        raise UnknownOutcomeError(f"网关收到请求后未应答（{exc.__class__.__name__}）") from exc
    if status >= 500 or status == 429:
        raise RetryableError(f"HTTP {status}")
    try:
        data = json.loads(raw.decode() or "{}")
    except ValueError as exc:
        raise RetryableError(f"无法解析的响应（HTTP {status}）") from exc
    return status, data


UNKNOWN_OUTCOME_SMS = ("发送结果未知：短信网关收到请求后未应答，可能已经发出；短信没有防重发编号，为免顾客收到两条，"
                       "不再自动重试（可在服务商控制台按本消息编号查询是否送达）")
