"""Delivery reports and replies as the SMS gateways push them, read into shouhou's receipts and replies.

The gateways cannot sign a request the way shouhou's own webhooks want (X-Shouhou-Signature): they post their
own bodies to a URL configured in their console and expect their own answer, and retry (Aliyun after 1, 5 and
10 minutes) until they get it. So each gateway gets its own address, holding a secret path token
(`push_token`), and its bodies are read as published:

- Aliyun SMS, HTTP batch push (help.aliyun.com, "SmsReport", "SmsUp"): a JSON array.
  SmsReport rows: phone_number, send_time, report_time, success (bool), err_code, err_msg, sms_size, biz_id
  (the BizId SendSms answered), out_id. SmsUp rows: phone_number, content, send_time, dest_code, sequence_id.
  Answer {"code": 0, "msg": "接收成功"}.
- Tencent Cloud SMS callbacks (cloud.tencent.com/document/api/382/5807, /5809): the status report is an array of
  user_receive_time, nationcode, mobile, report_status ("SUCCESS" | "FAIL"), errmsg, description, sid (the
  SerialNo SendSms answered); the reply is one object: extend, mobile, nationcode, sign, text, time (Unix
  seconds). Answer {"result": 0, "errmsg": "OK"}.

Times without a zone are Beijing time. Pure functions; the view applies what they return."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from shouhou.core.clock import local_tz


class PushFormatError(ValueError):
    """A body that is not the gateway's published shape; the message names the row and the field."""


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str
    status: str  # delivered | failed
    detail: str
    reported_at: datetime | None


@dataclass(frozen=True)
class Reply:
    reply_id: str
    phone: str
    text: str


PROVIDERS = ("aliyun_sms", "tencent_sms")
KINDS = ("report", "reply")
ANSWERS = {"aliyun_sms": {"code": 0, "msg": "接收成功"}, "tencent_sms": {"result": 0, "errmsg": "OK"}}


def refusal(provider: str, reason: str) -> dict[str, Any]:
    """The gateway's own shape for "not taken" (it retries; a person reads the reason in its console)."""
    if provider == "tencent_sms":
        return {"result": 1, "errmsg": reason}
    return {"code": 1, "msg": reason}


def push_token(provider: str) -> str:
    """The secret path token of a gateway's push address: its `push_token` option, else one derived from
    SHOUHOU_NOTIFY_WEBHOOK_SECRET; "" (every push refused) when neither is set."""
    from shouhou.notifications.providers.base import provider_options

    own = str(provider_options(provider).get("push_token") or "")
    if own:
        return own
    secret = getattr(settings, "SHOUHOU_NOTIFY_WEBHOOK_SECRET", "")
    if not secret:
        return ""
    return hmac.new(secret.encode(), f"gateway-push:{provider}".encode(), hashlib.sha256).hexdigest()[:32]


def token_ok(provider: str, token: str) -> bool:
    expected = push_token(provider)
    return bool(expected) and hmac.compare_digest(expected.encode(), (token or "").encode())


def _rows(body: Any, *, one_object: bool = False) -> list[dict]:
    if one_object and isinstance(body, dict):
        return [body]
    if not isinstance(body, list):
        raise PushFormatError("应为 JSON 数组")
    for i, row in enumerate(body, start=1):
        if not isinstance(row, dict):
            raise PushFormatError(f"第 {i} 条: 应为 JSON 对象")
    return body


def _text(row: dict, key: str, i: int, *, required: bool = True) -> str:
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise PushFormatError(f"第 {i} 条: 缺少 {key}")
        return ""
    if isinstance(value, (dict, list)):
        raise PushFormatError(f"第 {i} 条 {key}: 应为文本")
    return str(value).strip()


def _beijing_time(raw: str, key: str, i: int) -> datetime | None:
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("/", "-"))
    except ValueError as exc:
        raise PushFormatError(f"第 {i} 条 {key}: 无法识别的时间 {raw!r}") from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=local_tz())


def _phone(row: dict, key: str, i: int, nation_key: str = "") -> str:
    phone = _text(row, key, i)
    nation = _text(row, nation_key, i, required=False) if nation_key else ""
    return f"+{nation}{phone}" if nation and nation != "86" and not phone.startswith("+") else phone


def aliyun_reports(body: Any) -> list[Receipt]:
    out = []
    for i, row in enumerate(_rows(body), start=1):
        success = row.get("success")
        if not isinstance(success, bool):
            if str(success).lower() not in ("true", "false"):
                raise PushFormatError(f"第 {i} 条 success: 应为 true 或 false")
            success = str(success).lower() == "true"
        code, words = _text(row, "err_code", i, required=False), _text(row, "err_msg", i, required=False)
        detail = "" if success else " ".join(part for part in (code, words) if part)
        out.append(Receipt(_text(row, "biz_id", i), "delivered" if success else "failed", detail,
                           _beijing_time(_text(row, "report_time", i, required=False), "report_time", i)))
    return out


def aliyun_replies(body: Any) -> list[Reply]:
    out = []
    for i, row in enumerate(_rows(body), start=1):
        phone, text = _phone(row, "phone_number", i), _text(row, "content", i, required=False)
        # sequence_id identifies the reply; without it, the number, the time and the words do
        reply_id = _text(row, "sequence_id", i, required=False) or _digest(phone, row.get("send_time"), text)
        out.append(Reply(f"aliyun:{reply_id}", phone, text))
    return out


def tencent_reports(body: Any) -> list[Receipt]:
    out = []
    for i, row in enumerate(_rows(body), start=1):
        status = _text(row, "report_status", i).upper()
        if status not in ("SUCCESS", "FAIL"):
            raise PushFormatError(f"第 {i} 条 report_status: 应为 SUCCESS 或 FAIL，实际为 {status!r}")
        detail = "" if status == "SUCCESS" else " ".join(
            part for part in (_text(row, "errmsg", i, required=False), _text(row, "description", i, required=False))
            if part)
        out.append(Receipt(_text(row, "sid", i), "delivered" if status == "SUCCESS" else "failed", detail,
                           _beijing_time(_text(row, "user_receive_time", i, required=False), "user_receive_time", i)))
    return out


def tencent_replies(body: Any) -> list[Reply]:
    out = []
    for i, row in enumerate(_rows(body, one_object=True), start=1):
        phone, text = _phone(row, "mobile", i, "nationcode"), _text(row, "text", i, required=False)
        sent = row.get("time")
        if sent is not None and not isinstance(sent, (int, float, str)):
            raise PushFormatError(f"第 {i} 条 time: 应为 Unix 时间（秒）")
        # a reply carries no id of its own: the number, the time and the words stand for it
        out.append(Reply(f"tencent:{_digest(phone, sent, text)}", phone, text))
    return out


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:32]


PARSERS = {("aliyun_sms", "report"): aliyun_reports, ("aliyun_sms", "reply"): aliyun_replies,
           ("tencent_sms", "report"): tencent_reports, ("tencent_sms", "reply"): tencent_replies}
