"""Shared base models and cross-cutting records (audit log, idempotency keys)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class ShopScopedModel(TimeStampedModel):
    """Everything a merchant owns carries its shop; every query filters on it."""

    shop = models.ForeignKey("commerce.Shop", on_delete=models.CASCADE, verbose_name=_("店铺"))

    class Meta:
        abstract = True


class MoneyField(models.DecimalField):
    """Yuan as Decimal, fen-exact."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


class AuditEvent(models.Model):
    """Who changed what, when, with the values before and after (cases, policies, money, permissions)."""

    shop = models.ForeignKey("commerce.Shop", null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("店铺"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("操作人")
    )
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象ID"), max_length=64, db_index=True)
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


class IdempotencyKey(models.Model):
    """A (scope, key) seen once; the stored result answers any repeat (webhooks, imports)."""

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    shop = models.ForeignKey("commerce.Shop", null=True, blank=True, on_delete=models.CASCADE)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="uniq_idempotency_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class LinkRevocation(models.Model):
    """Customer links (case follow, web chat) of one object issued up to `revoked_at` stop working
    (core/links.py). A link given out later works again."""

    class Kind(models.TextChoices):
        CASE_FOLLOW = "case_follow", _("售后进度链接")
        WEB_CHAT = "web_chat", _("在线咨询链接")

    shop = models.ForeignKey("commerce.Shop", on_delete=models.CASCADE, verbose_name=_("店铺"))
    kind = models.CharField(_("链接类型"), max_length=20, choices=Kind.choices)
    object_id = models.BigIntegerField(_("对象ID"))
    revoked_at = models.DateTimeField(_("撤销时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              verbose_name=_("操作人"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("撤销的顾客链接")
        verbose_name_plural = _("撤销的顾客链接")
        indexes = [models.Index(fields=["kind", "object_id", "revoked_at"], name="link_revocation_lookup")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.object_id}"


class SecurityCounter(models.Model):
    """A count every web process and machine shares, when there is no Redis (core/counters.py): rate-limit
    windows and the portal's guesses. One row per key; each hit is one atomic upsert. `expires_at` is in
    epoch seconds: a hit after it starts the count again, and the periodic purge deletes the row."""

    key = models.CharField(max_length=200, primary_key=True)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}={self.hits}"
