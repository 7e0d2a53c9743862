from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouhou.core.models import ShopScopedModel


class PolicyVersion(ShopScopedModel):
    """One immutable version of a shop's after-sales policy document (TOML)."""

    version = models.PositiveIntegerField(_("版本号"))
    source = models.TextField(_("政策文档"))
    is_active = models.BooleanField(_("生效中"), default=False)
    note = models.CharField(_("变更说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("售后政策版本")
        verbose_name_plural = _("售后政策版本")
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["shop", "version"], name="uniq_policy_shop_version")]

    def __str__(self) -> str:
        return f"{self.shop} v{self.version}"
