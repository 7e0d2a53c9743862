from django.contrib import admin

from shouhou.platforms.models import (
    OutboundAction,
    PlatformAftersale,
    PlatformConnection,
    PlatformEvent,
    SyncedOrder,
)


@admin.register(PlatformConnection)
class PlatformConnectionAdmin(admin.ModelAdmin):
    list_display = ("shop", "platform", "platform_shop_id", "enabled", "needs_reauth", "last_push_at", "last_sync_at",
                    "last_order_sync_at")
    exclude = ("secrets",)  # encrypted credentials are never shown


@admin.register(PlatformEvent)
class PlatformEventAdmin(admin.ModelAdmin):
    list_display = ("platform", "message_id", "tag", "aftersale_id", "status", "attempts", "next_attempt_at", "created_at")
    list_filter = ("platform", "status")


@admin.register(PlatformAftersale)
class PlatformAftersaleAdmin(admin.ModelAdmin):
    list_display = ("aftersale_id", "connection", "case", "status", "status_deadline")


@admin.register(OutboundAction)
class OutboundActionAdmin(admin.ModelAdmin):
    list_display = ("kind", "aftersale", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "kind")


@admin.register(SyncedOrder)
class SyncedOrderAdmin(admin.ModelAdmin):
    list_display = ("platform_order_id", "connection", "order", "platform_status", "platform_updated_at")
    raw_id_fields = ("order",)
