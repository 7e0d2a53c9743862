from django.contrib import admin

from shouhou.core.admin_audit import AuditedModelAdmin
from shouhou.notifications.models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(AuditedModelAdmin):
    list_display = ["trigger", "channel", "status", "attempts", "created_at", "sent_at", "shop"]
    list_filter = ["shop", "status", "channel", "trigger"]
    raw_id_fields = ["customer"]
