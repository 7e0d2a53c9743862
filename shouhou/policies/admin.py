from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shouhou.policies.document import PolicyError
from shouhou.policies.models import PolicyVersion
from shouhou.policies.services import policy_publish


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Versions are immutable and cases point at them: the admin only shows them. New versions (and going
    back to an old text) go through policies.services.policy_publish, which validates and audits."""

    list_display = ["shop", "version", "is_active", "note", "created_at"]
    list_filter = ["shop", "is_active"]
    actions = ["republish"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # publish at /api/policies/versions or with this list's action

    def has_change_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return False

    def has_publish_permission(self, request: HttpRequest) -> bool:
        # Publishing is adding a version: staff need the model's add permission (superusers have it).
        return request.user.has_perm("policies.add_policyversion")

    @admin.action(description=_("以所选版本的内容发布为新版本（校验并记录审计）"), permissions=["publish"])
    def republish(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]) -> None:
        versions = list(queryset.select_related("shop")[:2])
        if len(versions) != 1:
            self.message_user(request, _("请只选择一个版本"), messages.ERROR)
            return
        old = versions[0]
        try:
            new = policy_publish(shop=old.shop, source=old.source, actor=request.user,
                                 note=f"由 v{old.version} 重新发布")
        except PolicyError as exc:
            self.message_user(request, f"v{old.version} 未通过校验：{'；'.join(exc.errors)}", messages.ERROR)
            return
        except PermissionDenied as exc:  # staff of the admin site who are not this shop's admin
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"已发布 v{new.version}（内容同 v{old.version}），现为生效版本")
