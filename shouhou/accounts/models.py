from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouhou.accounts.choices import Role
from shouhou.core.models import MoneyField, TimeStampedModel


class Membership(TimeStampedModel):
    """A user works in a shop with one role. A user may belong to several shops."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
                             verbose_name=_("用户"))
    shop = models.ForeignKey("commerce.Shop", on_delete=models.CASCADE, related_name="memberships",
                             verbose_name=_("店铺"))
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.AGENT)
    approval_limit = MoneyField(_("补偿审批额度"), default=50)

    class Meta:
        verbose_name = _("店铺成员")
        verbose_name_plural = _("店铺成员")
        constraints = [models.UniqueConstraint(fields=["user", "shop"], name="uniq_membership_user_shop")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop} ({self.get_role_display()})"


class ApiToken(TimeStampedModel):
    """A per-shop API token. Only a hash of the secret is stored."""

    shop = models.ForeignKey("commerce.Shop", on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("店铺"))
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("权限范围"), default=list, blank=True)
    role = models.CharField(_("等同角色"), max_length=16, choices=Role.choices, default=Role.AGENT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    # Optional end of life: a token handed to an integrator for a campaign need not live for ever.
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
