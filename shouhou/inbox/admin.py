from django import forms
from django.contrib import admin

from shouhou.core.admin_audit import AuditedModelAdmin
from shouhou.inbox.channels.accounts import account_problems
from shouhou.inbox.models import ChannelAccount, Conversation, KfCursor, Message, Ticket


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


class ChannelAccountForm(forms.ModelForm):
    class Meta:
        model = ChannelAccount
        fields = ["shop", "channel", "name", "key", "app_id", "token", "aes_key", "secret", "is_active"]
        widgets = {"secret": forms.PasswordInput(render_value=True), "token": forms.PasswordInput(render_value=True)}

    def clean(self):
        data = super().clean()
        for field, problem in account_problems(channel=data.get("channel", ""), app_id=data.get("app_id", ""),
                                               token=data.get("token", ""), aes_key=data.get("aes_key", ""),
                                               secret=data.get("secret", "")).items():
            self.add_error(field, problem)
        return data


@admin.register(ChannelAccount)
class ChannelAccountAdmin(AuditedModelAdmin):
    """渠道账号: the webhook URL is /inbox/hooks/<channel>/<key>/ (docs/channels.md)."""

    form = ChannelAccountForm
    list_display = ["name", "channel", "key", "is_active", "shop"]
    list_filter = ["shop", "channel", "is_active"]
    secret_fields = ("token", "aes_key", "secret")


@admin.register(KfCursor)
class KfCursorAdmin(AuditedModelAdmin):
    """微信客服 read position and last error per customer-service account (read only)."""

    list_display = ["account", "open_kfid", "cursor", "fetched_at", "last_error"]
    list_filter = ["shop"]
    readonly_fields = ["shop", "account", "open_kfid", "cursor", "fetched_at", "last_error"]

    def has_add_permission(self, request):
        return False
