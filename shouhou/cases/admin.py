from django.contrib import admin

from shouhou.cases.models import Case, CaseEvent, Recall


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    readonly_fields = ["at", "actor", "from_status", "to_status", "kind", "note", "visible_to_customer"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "status", "reason", "refund_amount", "created_at", "shop"]
    list_filter = ["shop", "kind", "status", "reason"]
    search_fields = ["number", "order__order_no"]
    raw_id_fields = ["order", "order_line", "customer", "live_session", "policy_version", "recall"]
    inlines = [CaseEventInline]


@admin.register(Recall)
class RecallAdmin(admin.ModelAdmin):
    list_display = ["pk", "product", "sku", "batch_no", "remedy", "created_at", "shop"]
