from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

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


SECRET_FIELDS = ("token", "aes_key", "secret")


class ChannelAccountForm(forms.ModelForm):
    """The secrets are never sent back to the browser (encrypted at rest, write-only here): on an existing
    account a secret left blank keeps the stored one; typing a new one replaces it."""

    class Meta:
        model = ChannelAccount
        fields = ["shop", "channel", "name", "key", "app_id", "token", "aes_key", "secret", "is_active"]
        widgets = {name: forms.PasswordInput(render_value=False) for name in SECRET_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in SECRET_FIELDS:
                field = self.fields[name]
                stored = bool(getattr(self.instance, name))
                self.initial[name] = ""  # never rendered; and left blank it is not a change (nor audited as one)
                field.help_text = _("已保存（不显示）；留空则保持不变，填写则替换") if stored else _("未填写")

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            for name in SECRET_FIELDS:
                if not (data.get(name) or "").strip():
                    data[name] = getattr(self.instance, name)  # blank: keep what is stored
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
    secret_fields = SECRET_FIELDS


@admin.register(KfCursor)
class KfCursorAdmin(AuditedModelAdmin):
    """微信客服 read position and last error per customer-service account (read only)."""

    list_display = ["account", "open_kfid", "cursor", "fetched_at", "last_error"]
    list_filter = ["shop"]
    readonly_fields = ["shop", "account", "open_kfid", "cursor", "fetched_at", "last_error"]

    def has_add_permission(self, request):
        return False
