from django.contrib import admin

from shouhou.core.admin_audit import AuditedModelAdmin
from shouhou.reviews.models import (
    CommunityAlert,
    CommunityGroup,
    RecoveryEvent,
    RecoveryTask,
    ReferralReward,
    Review,
)


@admin.register(Review)
class ReviewAdmin(AuditedModelAdmin):
    list_display = ["pk", "kind", "rating", "sentiment", "complaint_type", "aspect", "posted_at", "shop"]
    list_filter = ["shop", "kind", "sentiment", "complaint_type"]
    search_fields = ["text", "external_id", "order_no"]
    raw_id_fields = ["order", "order_line", "customer", "live_session", "group"]


class RecoveryEventInline(admin.TabularInline):
    model = RecoveryEvent
    extra = 0
    readonly_fields = ["kind", "actor", "from_status", "to_status", "note", "at"]


@admin.register(RecoveryTask)
class RecoveryTaskAdmin(AuditedModelAdmin):
    list_display = ["number", "status", "due_at", "breached", "remedy", "outcome", "shop"]
    list_filter = ["shop", "status", "breached", "outcome"]
    raw_id_fields = ["review", "assignee"]
    inlines = [RecoveryEventInline]


@admin.register(CommunityGroup)
class CommunityGroupAdmin(AuditedModelAdmin):
    list_display = ["name", "external_id", "admin", "shop"]
    raw_id_fields = ["admin"]


@admin.register(CommunityAlert)
class CommunityAlertAdmin(AuditedModelAdmin):
    list_display = ["pk", "group", "complaint_type", "created_at", "acknowledged_at"]
    raw_id_fields = ["message", "group"]


@admin.register(ReferralReward)
class ReferralRewardAdmin(AuditedModelAdmin):
    list_display = ["pk", "referrer", "friend", "order", "kind", "points", "coupon_amount", "shop"]
    raw_id_fields = ["referrer", "friend", "order"]
