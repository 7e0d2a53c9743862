from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shouhou.core.models import ShopScopedModel, TimeStampedModel
from shouhou.notifications.choices import MsgChannel, OptOutScope, SuppressedReason, Trigger


class OutboundMessage(ShopScopedModel):
    """Outbox row: written in the same transaction as the change that caused it, sent after commit."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("失败")
        SUPPRESSED = "suppressed", _("未发送（退订/频控/免打扰）")

    # Indexes: only those a query uses (Meta.indexes; a row is written for every order placed, 60,000 in one import
    # of a live session, and each index is written with it). The shop's, the customer's and created_at's own indexes
    # are the leading columns of outbox_shop_time / outbox_customer_time; status and send_after of outbox_due; no
    # LIKE (varchar_pattern_ops) twins. 15 indexes before 2026-12-07, 6 now.
    shop = models.ForeignKey("commerce.Shop", on_delete=models.CASCADE, verbose_name=_("店铺"), db_index=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    customer = models.ForeignKey("commerce.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="outbound_messages", verbose_name=_("顾客"), db_index=False)
    channel = models.CharField(_("渠道"), max_length=16, choices=MsgChannel.choices)
    trigger = models.CharField(_("触发事件"), max_length=40, choices=Trigger.choices)
    recipient = models.CharField(_("接收方"), max_length=200, blank=True)
    body = models.TextField(_("内容"))
    context = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200)  # unique: Meta.constraints
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    send_after = models.DateTimeField(_("最早发送时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    provider = models.CharField(_("服务商"), max_length=32, blank=True)
    provider_message_id = models.CharField(max_length=128, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    suppressed_reason = models.CharField(_("未发送原因"), max_length=100, blank=True, choices=SuppressedReason.choices)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("外发消息")
        verbose_name_plural = _("外发消息")
        indexes = [models.Index(fields=["status", "send_after"], name="outbox_due"),
                   models.Index(fields=["customer", "created_at"], name="outbox_customer_time"),
                   models.Index(fields=["shop", "created_at"], name="outbox_shop_time"),
                   models.Index(fields=["provider_message_id"], name="outbox_provider_message")]
        constraints = [models.UniqueConstraint(fields=["idempotency_key"], name="outbox_idempotency_key_unique")]

    def __str__(self) -> str:
        return f"{self.trigger} → {self.recipient}"


class MessageTemplate(ShopScopedModel):
    """A shop's own text per trigger and channel; without one the shipped default (templates.py) is used."""

    trigger = models.CharField(_("触发事件"), max_length=40, choices=Trigger.choices)
    channel = models.CharField(_("渠道"), max_length=16, choices=MsgChannel.choices)
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    body = models.TextField(_("内容"))
    provider_template_code = models.CharField(_("服务商模板编号"), max_length=64, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")
        constraints = [
            models.UniqueConstraint(fields=["shop", "trigger", "channel", "language"], name="uniq_msg_template"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger}/{self.channel}"


class DeliveryReceipt(TimeStampedModel):
    """A provider's delivery report for one message (several may arrive)."""

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="receipts")
    provider = models.CharField(max_length=32)
    status = models.CharField(max_length=32)
    detail = models.CharField(max_length=300, blank=True)
    receipt_key = models.CharField(max_length=200, unique=True)
    reported_at = models.DateTimeField(null=True, blank=True)


class OptOutRequest(ShopScopedModel):
    """A customer's request to receive no more care messages: who, when, where and in which words (个人信息保护法
    art. 15: withdrawing consent must be as easy as giving it, so a 「退订」 said in a chat counts as one sent by
    SMS). One row per inbound message (source_key); staff see them on the customer's timeline and the API."""

    class Outcome(models.TextChoices):
        OPTED_OUT = "opted_out", _("已退订")
        ALREADY = "already", _("此前已退订")
        NO_CUSTOMER = "no_customer", _("未找到顾客，待人工处理")
        QUESTION = "question", _("询问退订方式（未退订）")
        RESUBSCRIBED = "resubscribed", _("已恢复接收")
        NOT_OPTED_OUT = "not_opted_out", _("要求恢复，但此前未退订")

    customer = models.ForeignKey("commerce.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="opt_out_requests", verbose_name=_("顾客"))
    source = models.CharField(_("来源渠道"), max_length=24)
    contact_handle = models.CharField(_("联系方式"), max_length=200, blank=True)
    text = models.TextField(_("顾客原话"))
    outcome = models.CharField(_("处理结果"), max_length=16, choices=Outcome.choices)
    # what the request covers: care & marketing only (「退订」), every message (「全部退订」), SMS to this number (the
    # SMS provider's block list); "" for a question or a resubscription
    scope = models.CharField(_("退订范围"), max_length=8, blank=True, choices=OptOutScope.choices)
    source_key = models.CharField(max_length=200, unique=True)
    received_at = models.DateTimeField(_("收到时间"))

    class Meta:
        verbose_name = _("退订记录")
        verbose_name_plural = _("退订记录")
        indexes = [models.Index(fields=["shop", "received_at"], name="optout_shop_time")]

    def __str__(self) -> str:
        return f"{self.source}: {self.text[:30]}"


class ContactOptOut(ShopScopedModel):
    """What an opt-out in force covers, beside Customer.opted_out_at (docs/notifications.md, "Scope of an opt-out"):
    a customer row (channel "") says whether their opt-out stops care and marketing messages only (「退订」) or every
    message (「全部退订」; a customer opted out with no row here is treated as that, the safe reading); a phone row
    (channel "sms") is a number the SMS provider refuses (Tencent PhoneNumberInBlacklist: the person blocked or
    unsubscribed at the carrier or provider), so the shop stops sending SMS to it."""

    customer = models.ForeignKey("commerce.Customer", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="contact_opt_outs", verbose_name=_("顾客"))
    phone = models.CharField(_("手机号"), max_length=32, blank=True)
    channel = models.CharField(_("渠道"), max_length=16, blank=True)
    scope = models.CharField(_("退订范围"), max_length=8, choices=OptOutScope.choices)
    source = models.CharField(_("来源"), max_length=32)
    request = models.ForeignKey(OptOutRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("退订范围")
        verbose_name_plural = _("退订范围")
        constraints = [
            models.UniqueConstraint(fields=["customer"], condition=models.Q(channel=""), name="uniq_optout_customer"),
            models.UniqueConstraint(fields=["shop", "phone", "channel"], condition=~models.Q(phone=""),
                                    name="uniq_optout_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}/{self.channel or '*'}"
