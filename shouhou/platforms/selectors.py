"""Platform reads: a connection's health, its latest messages and actions, a case's platform link."""

from __future__ import annotations

from dataclasses import dataclass

from shouhou.core import clock
from shouhou.platforms.choices import ActionStatus, EventStatus
from shouhou.platforms.models import (
    OutboundAction,
    PlatformAftersale,
    PlatformConnection,
    PlatformEvent,
    SyncedOrder,
)


@dataclass
class Health:
    connection: PlatformConnection
    state: str  # ok | warning | reauth
    token_expired: bool
    waiting_events: int
    pending_actions: int
    failed_actions: int
    synced_orders: int = 0


def connection_health(conn: PlatformConnection) -> Health:
    waiting = PlatformEvent.objects.filter(connection=conn, status__in=[EventStatus.WAITING_ORDER,
                                                                         EventStatus.RETRY]).count()
    actions = OutboundAction.objects.filter(connection=conn)
    pending = actions.filter(status__in=[ActionStatus.PENDING, ActionStatus.SENDING]).count()
    failed = actions.filter(status__in=[ActionStatus.FAILED, ActionStatus.REFUSED]).count()
    expired = conn.token_expires_at is not None and conn.token_expires_at <= clock.now()
    state = "reauth" if conn.needs_reauth or expired else ("warning" if conn.last_error or failed else "ok")
    return Health(connection=conn, state=state, token_expired=expired, waiting_events=waiting,
                  pending_actions=pending, failed_actions=failed,
                  synced_orders=SyncedOrder.objects.filter(connection=conn).count())


def connection_push_path(conn: PlatformConnection) -> str:
    """The push URL's path for this connection's app, to save in the platform's console: only that app's
    connections are tried for a push on it (services.push_receive)."""
    from django.urls import reverse

    if not conn.app_key or "/" in conn.app_key:  # not a path segment: the platform's shared URL
        return reverse("platforms:wechat_shop_push") if conn.platform == "wechat_shop" else \
            reverse("platforms:push", args=[conn.platform])
    if conn.platform == "wechat_shop":
        return reverse("platforms:wechat_shop_push_app", args=[conn.app_key])
    return reverse("platforms:push_app", args=[conn.platform, conn.app_key])


def connection_health_list(*, shop) -> list[Health]:
    return [connection_health(c) for c in PlatformConnection.objects.filter(shop=shop).order_by("platform", "pk")]


def recent_events(conn: PlatformConnection, limit: int = 20):
    return list(PlatformEvent.objects.filter(connection=conn).order_by("-pk")[:limit])


def recent_actions(conn: PlatformConnection, limit: int = 20):
    return list(OutboundAction.objects.filter(connection=conn).select_related("aftersale", "aftersale__case")
                .order_by("-pk")[:limit])


def case_platform_link(case) -> PlatformAftersale | None:
    return PlatformAftersale.objects.select_related("connection").filter(case=case).first()
