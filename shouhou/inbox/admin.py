from django.contrib import admin

from shouhou.core.admin_audit import AuditedModelAdmin
from shouhou.inbox.models import Conversation, Message, Ticket


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0


@admin.register(Conversation)
class ConversationAdmin(AuditedModelAdmin):
    list_display = ["pk", "channel", "customer", "subject", "last_message_at", "shop"]
    list_filter = ["shop", "channel"]
    raw_id_fields = ["customer"]
    inlines = [MessageInline]


@admin.register(Ticket)
class TicketAdmin(AuditedModelAdmin):
    list_display = ["number", "category", "priority", "status", "team", "assignee", "first_response_due_at", "shop"]
    list_filter = ["shop", "status", "category", "priority", "team"]
    raw_id_fields = ["conversation", "customer", "order", "case"]
