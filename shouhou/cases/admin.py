from django.contrib import admin

from shouhou.cases.models import Case, CaseEvent, Recall
from shouhou.core.admin_audit import AuditedModelAdmin


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    readonly_fields = ["at", "actor", "from_status", "to_status", "kind", "note", "visible_to_customer"]


@admin.register(Case)
class CaseAdmin(AuditedModelAdmin):
    list_display = ["number", "kind", "status", "reason", "refund_amount", "created_at", "shop"]
    list_filter = ["shop", "kind", "status", "reason"]
    search_fields = ["number", "order__order_no"]
    raw_id_fields = ["order", "order_line", "customer", "live_session", "policy_version", "recall"]
    inlines = [CaseEventInline]
    # The state machine, the decision and the money move only through cases.services (the 售后单 pages
    # and the API), which record who/when/why: the admin shows them but cannot change them.
    readonly_fields = ["number", "status", "kind", "reason", "policy_version", "decision", "auto_approved",
                       "shipping_payer", "refund_amount", "compensation_amount", "compensation_kind",
                       "pending_compensation", "resolution", "resolved_at", "recall", "claim"]

    def has_add_permission(self, request):
        return False  # cases are opened by cases.services.case_create (policy decision, events)


@admin.register(Recall)
class RecallAdmin(AuditedModelAdmin):
    list_display = ["pk", "product", "sku", "batch_no", "remedy", "created_at", "shop"]

    def has_add_permission(self, request):
        return False  # launched at /cases/recalls/ or POST /api/cases/recalls, which open the cases

    def has_change_permission(self, request, obj=None):
        return False
