"""Platform connections over the API: each connection's health (what the connections page shows) and a sync on
demand. Credentials and tokens never leave the server; connecting a shop stays on the page (the platform's
authorisation redirect needs a browser)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from shouhou.api.errors import DomainError
from shouhou.platforms import selectors, services
from shouhou.platforms.decrypt import decrypt_enabled
from shouhou.platforms.models import PlatformConnection
from shouhou.platforms.selectors import Health

router = Router(tags=["平台连接"])


class ConnectionOut(Schema):
    id: int
    platform: str
    platform_label: str
    platform_shop_id: str
    enabled: bool
    state: str  # ok | warning | reauth (需重新授权)
    needs_reauth: bool
    token_expires_at: datetime | None
    token_expired: bool
    last_push_at: datetime | None
    last_sync_at: datetime | None
    last_order_sync_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    waiting_events: int
    pending_actions: int
    failed_actions: int
    synced_orders: int
    push_auto_decisions: bool
    auto_refund_limit: Decimal
    decrypt_buyer: bool = Field(description="查看完整收货信息时向平台解密（仅抖店、快手、有赞；默认关闭）")
    push_path: str = Field(description="本应用的推送地址路径（填入平台后台；只尝试本应用的连接）")


class SyncIn(Schema):
    what: Literal["aftersales", "orders"] = "aftersales"


class SyncOut(Schema):
    what: str
    read: int
    written: int
    error: str
    connection: ConnectionOut


def _out(health: Health) -> dict:
    conn = health.connection
    return {
        "id": conn.pk, "platform": conn.platform, "platform_label": str(conn.get_platform_display()),
        "platform_shop_id": conn.platform_shop_id, "enabled": conn.enabled, "state": health.state,
        "needs_reauth": conn.needs_reauth, "token_expires_at": conn.token_expires_at,
        "token_expired": health.token_expired, "last_push_at": conn.last_push_at, "last_sync_at": conn.last_sync_at,
        "last_order_sync_at": conn.last_order_sync_at, "last_error": conn.last_error,
        "last_error_at": conn.last_error_at, "waiting_events": health.waiting_events,
        "pending_actions": health.pending_actions, "failed_actions": health.failed_actions,
        "synced_orders": health.synced_orders, "push_auto_decisions": conn.push_auto_decisions,
        "auto_refund_limit": conn.auto_refund_limit, "decrypt_buyer": decrypt_enabled(conn),
        "push_path": selectors.connection_push_path(conn),
    }


@router.get("/connections", response=list[ConnectionOut], summary="平台连接及其健康状况")
def connection_list(request):
    return [_out(h) for h in selectors.connection_health_list(shop=request.auth.shop)]


@router.get("/connections/{connection_id}", response=ConnectionOut, summary="一个平台连接的健康状况")
def connection_get(request, connection_id: int):
    conn = get_object_or_404(PlatformConnection, shop=request.auth.shop, pk=connection_id)
    return _out(selectors.connection_health(conn))


@router.post("/connections/{connection_id}/sync", response=SyncOut, summary="立即同步售后申请或订单")
def connection_sync(request, connection_id: int, payload: SyncIn):
    conn = get_object_or_404(PlatformConnection, shop=request.auth.shop, pk=connection_id)
    try:
        done = services.connection_sync_now(conn=conn, actor=request.auth, what=payload.what)
    except services.ConnectionError_ as exc:
        raise DomainError(str(exc), field="what") from exc
    conn.refresh_from_db()
    return {"what": done.what, "read": done.read, "written": done.written, "error": done.error,
            "connection": _out(selectors.connection_health(conn))}
