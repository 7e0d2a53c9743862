from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from shouhou.accounts.models import ApiToken, Membership
from shouhou.accounts.services import membership_remove, membership_set
from shouhou.core.admin_audit import AuditedAdminMixin
from shouhou.core.money import to_yuan

# Staff flags, superuser and permissions are permissions too: their changes are audited like roles.
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserAdmin(AuditedAdminMixin, auth_admin.UserAdmin):
    pass


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Role and approval limit are permissions: every add/change/delete goes through the accounts services,
    which audit it, exactly as the API does."""

    list_display = ["user", "shop", "role", "approval_limit"]
    list_filter = ["shop", "role"]

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        # Moving a membership to another user or shop would be a remove plus an add; do that explicitly.
        return ["user", "shop"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Membership, form: ModelForm, change: bool) -> None:
        row = membership_set(user=obj.user, shop=obj.shop, role=obj.role, actor=request.user,
                             approval_limit=to_yuan(obj.approval_limit))  # "80" and "80.00" are one value
        obj.pk = row.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        membership_remove(membership=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("user", "shop").order_by("pk"):
            membership_remove(membership=membership, actor=request.user)


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
# A token's role and scopes are permissions: change them by issuing a new token and revoking the old one
# (both audited), never by editing or deleting the row here.
ApiTokenAdmin.readonly_fields = ["name", "shop", "scopes", "role", "prefix", "created_by", "last_used_at",
                                 "revoked_at", "expires_at"]
ApiTokenAdmin.has_add_permission = lambda self, request: False  # issue with `shouhou token create` or the API
ApiTokenAdmin.has_delete_permission = lambda self, request, obj=None: False  # revoke instead
