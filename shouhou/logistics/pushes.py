"""Parse and authenticate tracking pushes. Pure apart from reading the shop's secret.

Kuaidi100 subscription push: form POST with fields `param` (JSON text) and `sign`
= upper(MD5(param + salt)); see docs/logistics.md for what is unverified.
Generic JSON: body {"carrier", "tracking_no", "events": [{"time", "status", "description", "location"}]},
headers X-Shouhou-Timestamp / X-Shouhou-Signature = HMAC-SHA256(secret, "ts." + body) (core.signatures).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils.crypto import salted_hmac

from shouhou.commerce.importers.parse import carrier_code
from shouhou.core.clock import local_tz
from shouhou.core.jsonbody import JsonBodyError, json_body
from shouhou.logistics.normalize import GENERIC, carrier_from_kuaidi100, normalize_kuaidi100
from shouhou.logistics.services import Event


class PushError(ValueError):
    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def shop_secret(shop, name: str) -> str:
    """Per-shop secret from Shop.settings, else settings.SHOUHOU_TRACKING_SECRETS[shop.code][name]."""
    value = (shop.settings or {}).get(name)
    if not value:
        value = getattr(settings, "SHOUHOU_TRACKING_SECRETS", {}).get(shop.code, {}).get(name, "")
    return value


def kuaidi100_sign(param: str, salt: str) -> str:
    return hashlib.md5((param + salt).encode(), usedforsecurity=False).hexdigest().upper()


def kuaidi100_salt(shop) -> str:
    """The salt the shop's Kuaidi100 subscriptions carry and its pushes are checked with: the configured
    `kuaidi100_salt`, else — once a `kuaidi100_key` is configured — one derived from the install's SECRET_KEY
    and the shop, so that every subscription shouhou makes is signed; "" when neither is configured."""
    salt = shop_secret(shop, "kuaidi100_salt")
    if salt or not shop_secret(shop, "kuaidi100_key"):
        return salt
    return salted_hmac("shouhou.logistics.kuaidi100_salt", shop.code, algorithm="sha256").hexdigest()[:32]


def kuaidi100_verify(param: str, sign: str, salt: str) -> None:
    """The push must carry sign = upper(MD5(param + salt)). Without a salt nothing can be checked, so nothing
    is accepted: anyone who knows the shop's code could otherwise mark parcels signed (which starts the
    return window) or lost (which texts the customer)."""
    if not salt:
        raise PushError("本店未配置快递100（kuaidi100_key / kuaidi100_salt），拒绝未签名的推送", status=403)
    if not salt.strip():  # configured but blank: a typo, never a secret; refuse rather than sign with spaces
        raise PushError("快递100 盐值只含空白，拒绝推送：请在店铺设置中重新配置", status=403)
    if not sign or not hmac.compare_digest(kuaidi100_sign(param, salt), sign.strip().upper()):
        raise PushError("快递100 推送签名不匹配", status=403)


def _parse_time(value: str) -> datetime:
    value = value.strip()
    parsed = None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            parsed = datetime.strptime(value, fmt).replace(tzinfo=local_tz())
            break
        except ValueError:
            continue
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise PushError(f"无法识别的时间：{value}") from exc
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=local_tz())
    if not 2000 <= parsed.year < 2100:
        raise PushError(f"时间超出范围（应在 2000–2099 年之间）：{value}")
    return parsed.astimezone(UTC)  # PostgreSQL refuses UTC offsets beyond ±15:59


def _clean(value) -> str:
    """Carrier text may carry NUL characters, which PostgreSQL cannot store."""
    return str(value or "").replace("\x00", "")


# Kuaidi100 numbers are at most 32 characters and its company codes short words; our columns hold 64 and 40. A
# longer one is no parcel of ours: refused as malformed (on PostgreSQL it failed the insert, a 500 Kuaidi100 retries).
MAX_NUMBER = 64
MAX_COM = 40


def _bounded(value: str, what: str, limit: int) -> str:
    if len(value) > limit:
        raise PushError(f"快递100 推送格式错误：{what} 超过 {limit} 个字符")
    return value


def _text(value, what: str) -> str:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return _clean(value)
    raise PushError(f"{what} 应为文本")


@dataclass(frozen=True)
class Kuaidi100Push:
    status: str  # polling | shutdown | abort | updateall
    message: str
    com: str  # Kuaidi100 company code as pushed
    carrier: str  # ours
    tracking_no: str
    events: list[Event]
    com_new: str = ""  # the corrected company code Kuaidi100 offers with `abort`


def parse_kuaidi100_push(param: str) -> Kuaidi100Push:
    carrier, nu, events = parse_kuaidi100(param)
    doc = json_body(param)
    status = str(doc.get("status") or "polling").strip().lower()
    if status not in {"polling", "shutdown", "abort", "updateall"}:
        raise PushError(f"快递100 推送的 status 无法识别：{status}")
    com = _text(doc["lastResult"]["com"], "lastResult.com")
    return Kuaidi100Push(status=status, message=_clean(doc.get("message"))[:300], com=com, carrier=carrier,
                         tracking_no=nu, events=events,
                         com_new=_bounded(_clean(doc.get("comNew")).strip().lower(), "comNew", MAX_COM))


def parse_kuaidi100(param: str) -> tuple[str, str, list[Event]]:
    try:
        doc = json_body(param)
    except JsonBodyError as exc:
        raise PushError(f"快递100 推送格式错误：{exc}") from exc
    try:
        if not isinstance(doc, dict):
            raise TypeError("param 应为 JSON 对象")
        last = doc["lastResult"]
        com, nu, state = last["com"], last["nu"], str(last.get("state", ""))
        data = last.get("data") or []
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PushError(f"快递100 推送格式错误：缺少字段 {exc}") from exc
    com, nu = _bounded(_text(com, "lastResult.com"), "lastResult.com", MAX_COM), _bounded(
        _text(nu, "lastResult.nu"), "lastResult.nu", MAX_NUMBER)
    if not isinstance(data, list):
        raise PushError("快递100 推送格式错误：lastResult.data 应为列表")
    events = []
    for i, row in enumerate(data):
        if not isinstance(row, dict):
            raise PushError(f"快递100 推送第{i + 1}条轨迹应为对象")
        try:
            text = _text(row["context"], f"第{i + 1}条轨迹的 context")
            when = _parse_time(_text(row.get("ftime") or row["time"], f"第{i + 1}条轨迹的 time"))
        except KeyError as exc:
            raise PushError(f"快递100 推送第{i + 1}条轨迹缺少字段 {exc}") from exc
        code = str(row.get("statusCode") or "")
        # `state` describes the newest event (data[0]); older rows rely on their own code or text.
        status = normalize_kuaidi100(state=state if i == 0 else None, status_code=code or None, text=text)
        events.append(Event(occurred_at=when, status=status, description=text,
                            location=_clean(row.get("areaName")), carrier_status=code or (state if i == 0 else "")))
    return carrier_from_kuaidi100(com), nu, events


def parse_generic(body: bytes) -> tuple[str, str, list[Event]]:
    try:
        doc = json_body(body)
    except JsonBodyError as exc:  # never the parser's own words (「Exceeds the limit (4300 digits)…」)
        raise PushError(f"推送格式错误：{exc}") from exc
    try:
        carrier, tracking_no = doc["carrier"], doc["tracking_no"]
        rows = doc["events"]
    except (ValueError, KeyError, TypeError) as exc:
        raise PushError(f"推送格式错误：缺少字段 {exc}") from exc
    carrier, tracking_no = _text(carrier, "carrier"), _text(tracking_no, "tracking_no")
    # "SF", "顺丰", "sf" or "shunfeng" name the same parcel: matched against the shipment's carrier code, which the
    # import wrote from the same table (it used to be a 404 unless the sender wrote our code exactly)
    carrier = carrier_code(carrier)
    if not isinstance(rows, list):
        raise PushError("推送格式错误：events 应为列表")
    events = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise PushError(f"第{i + 1}条轨迹应为对象")
        raw = str(row.get("status", ""))
        if raw not in GENERIC and raw.upper() not in GENERIC:
            raise PushError(f"第{i + 1}条轨迹的 status 无法识别：{raw}")
        if "time" not in row:
            raise PushError(f"第{i + 1}条轨迹缺少字段 'time'")
        if not isinstance(row["time"], str):
            raise PushError(f"第{i + 1}条轨迹的 time 应为 ISO 8601 文本，如 2026-11-20T11:00:00+08:00")
        events.append(Event(occurred_at=_parse_time(row["time"]), status=GENERIC.get(raw) or GENERIC[raw.upper()],
                            description=_clean(row.get("description")), location=_clean(row.get("location")),
                            carrier_status=raw))
    return carrier, tracking_no, events
