from django.contrib import admin

from shouhou.core.admin_audit import AuditedModelAdmin

from .models import ImprovementAction, OrderLineDaily, RollupDay, SurveyInvitation, SurveyResponse


@admin.register(ImprovementAction)
class ImprovementActionAdmin(AuditedModelAdmin):
    list_display = ("finding", "shop", "dimension", "owner", "due_date", "fix_type", "status", "metric",
                    "baseline_value", "after_value", "announced_at")
    list_filter = ("status", "fix_type", "dimension", "metric", "shop")
    search_fields = ("finding", "fix_description", "dimension_key")
    raw_id_fields = ("product", "sku", "live_session", "host", "owner", "created_by")
    readonly_fields = ("baseline_value", "baseline_count", "done_on", "after_start", "after_end", "after_value",
                       "after_count", "after_measured_at", "verified_at", "announced_at")


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(AuditedModelAdmin):
    list_display = ("token", "shop", "customer", "case", "ticket", "sent_at")
    raw_id_fields = ("customer", "case", "ticket")
    list_filter = ("shop",)


@admin.register(SurveyResponse)
class SurveyResponseAdmin(AuditedModelAdmin):
    list_display = ("invitation", "attitude", "speed", "outcome", "created_at")
    raw_id_fields = ("invitation",)


@admin.register(OrderLineDaily)
class OrderLineDailyAdmin(AuditedModelAdmin):
    list_display = ("shop", "day", "live_session_id", "sku_id", "batch_no", "carrier", "lines")
    list_filter = ("shop",)


@admin.register(RollupDay)
class RollupDayAdmin(AuditedModelAdmin):
    list_display = ("shop", "day", "computed_at")
    list_filter = ("shop",)
