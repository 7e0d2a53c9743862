"""Buyer data decrypted on reveal, where the platform allows it.

Orders synced from a platform keep the receiver masked, as the platform gives it (orders.py). When the shop's
connection has the decrypt switch on (`settings["decrypt_buyer"]`, off by default; turned on by an admin only
when the shop's app holds the platform's decrypt permission) and the platform publishes a decrypt API (the
adapter has `decrypt_receiver`: 抖店 order/batchDecrypt, 快手 open.order.decrypt.batch, 有赞 youzan.cloud.secret.decrypt.batch), a staff member's PII reveal of that order's
receiver phone, name or address (accounts.services.pii_reveal, role with pii.reveal, audited) asks the
platform for the clear value at that moment. The value is returned to the caller and nowhere kept: not on
the order, not in the audit event, not in a log (抖店's 数据安全 rules: decrypt for the business need, do not
store the clear text). With the switch off nothing is called and the reveal shows what is stored (masked).

Each person's platform decrypts are limited per connection (DECRYPT_RATE, counted in the cache like the
other rate limits): the platforms count decrypts against a per-shop quota, and a runaway script or a
borrowed session must not spend it. A platform refusal comes back as a clear message; "no permission" also turns the switch off (audited
`platforms.decrypt_off`), so the next reveals call nothing until an admin turns it on again."""

from __future__ import annotations

import logging

from shouhou.core.audit import audit_record
from shouhou.platforms.adapters import adapter_class
from shouhou.platforms.adapters.base import PlatformError, supports_decrypt
from shouhou.platforms.models import PlatformConnection, SyncedOrder

log = logging.getLogger("shouhou.platforms")

SETTING = "decrypt_buyer"
# the reveal's order columns → the adapter's receiver fields
FIELDS = {"receiver_phone": "phone", "receiver_name": "name", "address": "address"}
NO_PERMISSION = "此应用没有解密权限"
DECRYPT_RATE = "60/h"  # platform decrypts per person and connection


class DecryptRefused(Exception):
    """The platform did not decrypt; `message` is for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def platform_decrypts(platform: str) -> bool:
    """The platform publishes a decrypt API that shouhou implements."""
    try:
        return supports_decrypt(adapter_class(platform))
    except ValueError:
        return False


def decrypt_enabled(conn: PlatformConnection) -> bool:
    return bool((conn.settings or {}).get(SETTING)) and platform_decrypts(conn.platform)


def _connection_for(order) -> tuple[PlatformConnection, str] | None:
    """The connection the order was synced from, if it decrypts, and the platform's order id."""
    row = (SyncedOrder.objects.filter(order_id=order.pk, shop_id=order.shop_id, connection__enabled=True)
           .select_related("connection").order_by("-updated_at").first())
    if row is None or not decrypt_enabled(row.connection):
        return None
    return row.connection, row.platform_order_id


def receiver_reveal(order, column: str, *, who: str = "") -> str | None:
    """The clear value of the order's receiver `column` from the platform, or None when no platform call
    applies (not a synced order, switch off, platform without a decrypt API, not a receiver column): the
    caller then shows what is stored. Raises DecryptRefused with a clear message. Never stores the value.
    `who` keys the per-person limit (the user id, or the API token)."""
    from shouhou.core.ratelimit import rate_check
    from shouhou.platforms.services import _call, _error

    field = FIELDS.get(column)
    found = _connection_for(order) if field else None
    if found is None:
        return None
    conn, platform_order_id = found
    limit = rate_check(scope="platform-decrypt", key=f"{conn.pk}:{who}", rate=DECRYPT_RATE)
    if not limit.allowed:
        raise DecryptRefused(f"向平台解密过于频繁（每人每小时最多 {limit.limit} 次，保护店铺的解密额度），"
                             f"请 {limit.retry_after} 秒后再试")
    try:
        values = _call(conn, lambda adapter, token: adapter.decrypt_receiver(token, platform_order_id, [field]))
    except PlatformError as exc:
        if exc.kind == "no_permission":
            decrypt_switch_off(conn, reason=exc.message)
            raise DecryptRefused(f"{NO_PERMISSION}：已关闭该店铺的解密开关，请在平台申请解密权限后再开启"
                                 f"（{exc.message}）") from exc
        if exc.kind == "rate_limited":
            raise DecryptRefused(f"平台解密被限流，请稍后再试（{exc.message}）") from exc
        _error(conn, f"解密失败：{exc.message}")
        raise DecryptRefused(f"平台解密失败：{exc.message}") from exc
    log.info("platform decrypt for order %s (%s) on connection %s", order.pk, column, conn.pk)  # never the value
    return values.get(field, "")


def decrypt_switch_off(conn: PlatformConnection, *, reason: str) -> None:
    """The platform said the app may not decrypt: the switch goes off (audited) and the health shows why."""
    from shouhou.platforms.services import _error

    if not (conn.settings or {}).get(SETTING):
        return
    conn.settings = {**(conn.settings or {}), SETTING: False}
    PlatformConnection.objects.filter(pk=conn.pk).update(settings=conn.settings)
    _error(conn, f"{NO_PERMISSION}，已关闭解密开关：{reason}")
    audit_record(action="platforms.decrypt_off", obj=conn, shop=conn.shop, before={SETTING: True},
                 after={SETTING: False}, note=f"{NO_PERMISSION}（{reason}）"[:200])
