from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shouhou.core.admin_audit import AuditedModelAdmin
from shouhou.notifications.models import OptOutRequest, OutboundMessage
from shouhou.notifications.selectors import opt_out_source_label


@admin.register(OutboundMessage)
class OutboundMessageAdmin(AuditedModelAdmin):
    list_display = ["trigger", "channel", "status", "attempts", "created_at", "sent_at", "shop"]
    list_filter = ["shop", "status", "channel", "trigger"]
    raw_id_fields = ["customer"]


@admin.register(OptOutRequest)
class OptOutRequestAdmin(AuditedModelAdmin):
    list_display = ["received_at", "source_shown", "outcome", "scope", "text", "shop"]
    list_filter = ["shop", "outcome", "scope", "source"]
    raw_id_fields = ["customer"]

    @admin.display(description=_("来源渠道"), ordering="source")
    def source_shown(self, obj: OptOutRequest) -> str:
        """The source named, not its stored code ("sms_reply", "wechat")."""
        return opt_out_source_label(obj.source)
