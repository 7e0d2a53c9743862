from django.contrib import admin

from shouhou.core.admin_audit import AuditedModelAdmin
from shouhou.notifications.models import OptOutRequest, OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(AuditedModelAdmin):
    list_display = ["trigger", "channel", "status", "attempts", "created_at", "sent_at", "shop"]
    list_filter = ["shop", "status", "channel", "trigger"]
    raw_id_fields = ["customer"]


@admin.register(OptOutRequest)
class OptOutRequestAdmin(AuditedModelAdmin):
    list_display = ["received_at", "source", "outcome", "scope", "text", "shop"]
    list_filter = ["shop", "outcome", "scope", "source"]
    raw_id_fields = ["customer"]
