from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shouhou.core.models import ShopScopedModel


class ExceptionKind(models.TextChoices):
    NO_MOVEMENT = "no_movement", _("长时间无轨迹")
    DELIVERY_FAILED = "delivery_failed", _("派送失败")
    RETURNED = "returned", _("退回寄件人")
    OUT_FOR_DELIVERY_TOO_LONG = "out_for_delivery_too_long", _("派送超时")
    DISPATCH_LATE = "dispatch_late", _("超时未发货")
    CARRIER_EXCEPTION = "carrier_exception", _("快递异常件")
    TRACKING_STOPPED = "tracking_stopped", _("快递100停止跟踪")


class TrackingEvent(ShopScopedModel):
    shipment = models.ForeignKey("commerce.Shipment", on_delete=models.CASCADE, related_name="tracking_events",
                                 verbose_name=_("物流单"))
    occurred_at = models.DateTimeField(_("发生时间"), db_index=True)
    status = models.CharField(_("标准状态"), max_length=20)
    carrier_status = models.CharField(_("快递原始状态"), max_length=40, blank=True)
    description = models.CharField(_("轨迹描述"), max_length=500)
    location = models.CharField(_("地点"), max_length=100, blank=True)
    source = models.CharField(_("来源"), max_length=20, default="kuaidi100")
    event_key = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("物流轨迹")
        verbose_name_plural = _("物流轨迹")
        indexes = [models.Index(fields=["shipment", "occurred_at"], name="tracking_shipment_time")]
        ordering = ["-occurred_at"]


class ExceptionRuleSet(ShopScopedModel):
    """One per shop; missing rows mean the defaults below."""

    no_movement_hours = models.PositiveIntegerField(_("无轨迹小时数"), default=48)
    out_for_delivery_hours = models.PositiveIntegerField(_("派送中最长小时数"), default=24)
    delivery_failed = models.BooleanField(_("派送失败即告警"), default=True)
    returned = models.BooleanField(_("退回即告警"), default=True)
    dispatch_late = models.BooleanField(_("超承诺发货时间告警"), default=True)
    notify_customer = models.BooleanField(_("主动告知顾客"), default=True)
    dispatch_late_reason = models.CharField(_("延迟发货原因（告知顾客）"), max_length=200,
                                            default="仓库发货量激增，正在加紧打包")
    dispatch_late_remedy = models.CharField(_("延迟发货补偿"), max_length=200, default="5元无门槛优惠券")

    class Meta:
        verbose_name = _("物流异常规则")
        verbose_name_plural = _("物流异常规则")
        constraints = [models.UniqueConstraint(fields=["shop"], name="uniq_exception_rules_shop")]


class LogisticsException(ShopScopedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("处理中")
        RESOLVED = "resolved", _("已恢复")

    shipment = models.ForeignKey("commerce.Shipment", on_delete=models.CASCADE, related_name="exceptions",
                                 verbose_name=_("物流单"))
    kind = models.CharField(_("异常类型"), max_length=32, choices=ExceptionKind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    ticket = models.ForeignKey("inbox.Ticket", null=True, blank=True, on_delete=models.SET_NULL,
                               verbose_name=_("工单"))
    opened_at = models.DateTimeField(_("发现时间"))
    resolved_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("物流异常")
        verbose_name_plural = _("物流异常")
        constraints = [models.UniqueConstraint(fields=["shipment"], condition=Q(status="open"),
                                               name="uniq_open_exception_per_shipment")]


class TrackingSubscription(ShopScopedModel):
    """One Kuaidi100 subscription (poll API) = one outbox row: sent by the dispatcher with retries and
    back-off, never twice (idempotency_key is unique; a resubscription after `abort` is a new generation)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待订阅")
        SUBSCRIBED = "subscribed", _("跟踪中")
        FAILED = "failed", _("订阅失败")
        ABORTED = "aborted", _("已中止")
        SHUTDOWN = "shutdown", _("已结束")

    shipment = models.ForeignKey("commerce.Shipment", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="subscriptions", verbose_name=_("物流单"))
    company = models.CharField(_("快递公司编码"), max_length=40, blank=True)
    tracking_no = models.CharField(_("运单号"), max_length=64)
    generation = models.PositiveSmallIntegerField(default=1)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    return_code = models.CharField(_("返回码"), max_length=10, blank=True)
    last_message = models.CharField(_("最近消息"), max_length=300, blank=True)
    subscribed_at = models.DateTimeField(_("订阅成功时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("快递100订阅")
        verbose_name_plural = _("快递100订阅")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="tracking_sub_due"),
                   models.Index(fields=["shop", "tracking_no"], name="tracking_sub_number")]


class KeptTrackingPush(ShopScopedModel):
    """A Kuaidi100 push for a tracking number the shop does not know yet (the order export or platform
    sync has not arrived): kept, answered 成功, and applied when the shipment arrives."""

    company = models.CharField(max_length=40, blank=True)
    tracking_no = models.CharField(max_length=64)
    param = models.TextField()
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("待匹配的物流推送")
        verbose_name_plural = _("待匹配的物流推送")
        indexes = [models.Index(fields=["shop", "tracking_no"], name="kept_push_number")]
