from django.contrib import admin

from shouhou.accounts.models import ApiToken, Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "shop", "role", "approval_limit"]
    list_filter = ["shop", "role"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "shop", "prefix", "role", "last_used_at", "revoked_at"]
    list_filter = ["shop"]
    readonly_fields = ["prefix", "key_hash", "last_used_at"]


@admin.action(description="吊销所选令牌")
def revoke_tokens(modeladmin, request, queryset):
    from shouhou.accounts.services import token_revoke

    for token in queryset.order_by("pk"):
        token_revoke(token=token, actor=request.user)


ApiTokenAdmin.actions = [revoke_tokens]
ApiTokenAdmin.exclude = ["key_hash"]
ApiTokenAdmin.readonly_fields = ["prefix", "last_used_at", "revoked_at"]
ApiTokenAdmin.has_add_permission = lambda self, request: False  # issue with `shouhou token create` or the API
