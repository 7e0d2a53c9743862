from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shouhou.cases.choices import (
    CaseChannel,
    CaseKind,
    CaseStatus,
    ClaimReason,
    CompensationKind,
    InspectionSite,
    Resolution,
    ReturnMethod,
    ShippingPayer,
)
from shouhou.core.models import MoneyField, ShopScopedModel


class Case(ShopScopedModel):
    """售后单: one after-sales request on one order line, carried through a state machine."""

    number = models.CharField(_("售后单号"), max_length=32)
    order = models.ForeignKey("commerce.Order", on_delete=models.PROTECT, related_name="cases", verbose_name=_("订单"))
    order_line = models.ForeignKey("commerce.OrderLine", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="cases", verbose_name=_("订单行"))
    customer = models.ForeignKey("commerce.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="cases", verbose_name=_("顾客"))
    live_session = models.ForeignKey("commerce.LiveSession", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="cases", verbose_name=_("来源场次"))
    kind = models.CharField(_("类型"), max_length=20, choices=CaseKind.choices)
    status = models.CharField(_("状态"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.REQUESTED,
                              db_index=True)
    reason = models.CharField(_("原因"), max_length=24, choices=ClaimReason.choices, default=ClaimReason.OTHER)
    description = models.TextField(_("问题描述"), blank=True)
    channel = models.CharField(_("来源渠道"), max_length=24, blank=True, choices=CaseChannel.choices)
    policy_version = models.ForeignKey("policies.PolicyVersion", null=True, blank=True, on_delete=models.PROTECT,
                                       verbose_name=_("依据政策版本"))
    decision = models.JSONField(_("政策决定"), default=dict, blank=True)
    auto_approved = models.BooleanField(_("自动通过"), default=False)
    shipping_payer = models.CharField(_("运费承担"), max_length=16, blank=True)
    refund_amount = MoneyField(_("退款金额"), default=0)
    compensation_amount = MoneyField(_("补偿金额"), default=0)
    resolution = models.CharField(_("处理结果"), max_length=16, choices=Resolution.choices, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_cases", verbose_name=_("处理人"))
    deadline_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("完结时间"), null=True, blank=True, db_index=True)
    recall = models.ForeignKey("cases.Recall", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="cases", verbose_name=_("召回"))
    claim = models.JSONField(_("申请事实"), default=dict, blank=True)
    return_method = models.CharField(_("退回方式"), max_length=16, choices=ReturnMethod.choices, blank=True)
    return_carrier = models.CharField(_("退回快递公司"), max_length=16, blank=True)
    return_tracking_no = models.CharField(_("退回运单号"), max_length=64, blank=True)
    return_shipped_at = models.DateTimeField(_("寄回时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("收货时间"), null=True, blank=True)
    inspection_site = models.CharField(_("检测地点"), max_length=16, choices=InspectionSite.choices, blank=True)
    inspection_result = models.CharField(_("检测结果"), max_length=16, choices=Resolution.choices, blank=True)
    compensation_kind = models.CharField(_("补偿方式"), max_length=16, choices=CompensationKind.choices, blank=True)
    pending_compensation = models.JSONField(_("待审批补偿"), default=dict, blank=True)

    class Meta:
        verbose_name = _("售后单")
        verbose_name_plural = _("售后单")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["shop", "number"], name="uniq_case_shop_number")]
        indexes = [models.Index(fields=["shop", "status"], name="case_shop_status"),
                   models.Index(fields=["shop", "created_at"], name="case_shop_created")]

    def __str__(self) -> str:
        return self.number

    @property
    def shipping_payer_label(self) -> str:
        """Who pays the return postage, in words (the field stores the policy's code)."""
        try:
            return str(ShippingPayer(self.shipping_payer).label)
        except ValueError:
            return self.shipping_payer


class CaseEvent(models.Model):
    """Every transition and note on a case: who, when, from, to, why."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    kind = models.CharField(max_length=32, default="transition")
    note = models.TextField(blank=True)
    visible_to_customer = models.BooleanField(default=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("售后单事件")
        verbose_name_plural = _("售后单事件")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.from_status}->{self.to_status}"

    @staticmethod
    def _status_label(code: str) -> str:
        try:
            return str(CaseStatus(code).label)
        except ValueError:
            return code

    @property
    def from_status_label(self) -> str:
        """The status before, as the people reading the history say it (not the stored code)."""
        return self._status_label(self.from_status)

    @property
    def to_status_label(self) -> str:
        return self._status_label(self.to_status)


class Recall(ShopScopedModel):
    """召回: a product/SKU/batch with a reason; every affected order gets a case and a message."""

    product = models.ForeignKey("commerce.Product", null=True, blank=True, on_delete=models.PROTECT)
    sku = models.ForeignKey("commerce.SKU", null=True, blank=True, on_delete=models.PROTECT)
    batch_no = models.CharField(_("批次号"), max_length=64, blank=True)
    reason = models.TextField(_("召回原因"))
    remedy = models.CharField(_("补救方式"), max_length=20, choices=CaseKind.choices, default=CaseKind.RETURN_REFUND)
    launched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("召回")
        verbose_name_plural = _("召回")

    def __str__(self) -> str:
        return f"召回 #{self.pk}"


class CaseEvidence(models.Model):
    """A photo (or other proof) attached to a case; it may arrive after the decision."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("文件"), upload_to="cases/evidence/%Y/%m/")
    kind = models.CharField(_("图片类型"), max_length=8)
    size = models.PositiveIntegerField(_("大小"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    from_customer = models.BooleanField(_("顾客上传"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("售后凭证")
        verbose_name_plural = _("售后凭证")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case} 凭证 #{self.pk}"
