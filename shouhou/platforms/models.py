"""Platform connections (one per shop and platform), the inbox of pushed messages, the outbox of actions
sent back, and the link between a case and the platform's after-sale request. Rules: services.py."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shouhou.core.models import ShopScopedModel, TimeStampedModel
from shouhou.platforms.choices import ActionKind, ActionStatus, ConnectedPlatform, EventStatus


class PlatformConnection(ShopScopedModel):
    """One shop on one platform: the app credentials and tokens (encrypted, crypto.py) and its health."""

    platform = models.CharField(_("平台"), max_length=20, choices=ConnectedPlatform.choices)
    platform_shop_id = models.CharField(_("平台店铺ID"), max_length=64)
    app_key = models.CharField(_("App Key"), max_length=128, db_index=True)
    secrets = models.TextField(_("加密凭据"), blank=True, help_text=_("app secret 与令牌，Fernet 加密"))
    api_base = models.URLField(_("接口地址"), max_length=300, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    push_auto_decisions = models.BooleanField(
        _("自动通过的决定回传平台"), default=False,
        help_text=_("开启后，政策自动通过的申请会直接在平台上同意（默认关闭）"))
    auto_refund_limit = models.DecimalField(_("自动回传金额上限（元）"), max_digits=12, decimal_places=2,
                                            default=0, help_text=_("0 表示不限；超过上限的自动决定留给客服"))
    settings = models.JSONField(_("平台设置"), default=dict, blank=True)
    token_expires_at = models.DateTimeField(_("令牌到期"), null=True, blank=True)
    needs_reauth = models.BooleanField(_("需重新授权"), default=False)
    last_push_at = models.DateTimeField(_("最近推送"), null=True, blank=True)
    last_sync_at = models.DateTimeField(_("最近同步"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(_("错误时间"), null=True, blank=True)
    sync_cursor = models.JSONField(_("同步游标"), default=dict, blank=True)
    order_cursor = models.JSONField(_("订单同步游标"), default=dict, blank=True)
    last_order_sync_at = models.DateTimeField(_("最近订单同步"), null=True, blank=True)

    class Meta:
        verbose_name = _("平台连接")
        verbose_name_plural = _("平台连接")
        constraints = [models.UniqueConstraint(fields=["platform", "platform_shop_id"],
                                               name="uniq_platform_connection_shop")]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.platform_shop_id}"


class PlatformEvent(TimeStampedModel):
    """A pushed (or pulled) message, kept once per (platform, message id): the inbox."""

    platform = models.CharField(_("平台"), max_length=20, choices=ConnectedPlatform.choices)
    message_id = models.CharField(_("消息ID"), max_length=128)
    connection = models.ForeignKey(PlatformConnection, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="events", verbose_name=_("平台连接"))
    tag = models.CharField(_("消息类型"), max_length=64)
    aftersale_id = models.CharField(_("平台售后单号"), max_length=64, blank=True, db_index=True)
    order_id = models.CharField(_("平台订单号"), max_length=64, blank=True)
    payload = models.JSONField(_("内容"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=EventStatus.choices, default=EventStatus.RECEIVED,
                              db_index=True)
    attempts = models.PositiveIntegerField(_("处理次数"), default=0)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    applied_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    # a message kept for retry is not taken again before this (services.events_retry: the back-off, in SQL);
    # empty for a message that is due as soon as it is read (received, waiting for its order)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)

    class Meta:
        verbose_name = _("平台消息")
        verbose_name_plural = _("平台消息")
        constraints = [models.UniqueConstraint(fields=["platform", "message_id"], name="uniq_platform_event_msg")]
        indexes = [models.Index(fields=["connection", "status"], name="platform_event_conn_status"),
                   models.Index(fields=["status", "next_attempt_at"], name="platform_event_status_next")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.message_id}"


class PlatformAftersale(ShopScopedModel):
    """The platform's after-sale request behind a case: its ids, type, status and deadline as the platform
    last said them."""

    connection = models.ForeignKey(PlatformConnection, on_delete=models.CASCADE, related_name="aftersales",
                                   verbose_name=_("平台连接"))
    case = models.OneToOneField("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="platform_link", verbose_name=_("售后单"))
    aftersale_id = models.CharField(_("平台售后单号"), max_length=64)
    order_id = models.CharField(_("平台订单号"), max_length=64, blank=True)
    sub_order_id = models.CharField(_("平台子订单号"), max_length=64, blank=True)
    aftersale_type = models.CharField(_("平台售后类型"), max_length=16, blank=True)
    status = models.CharField(_("平台售后状态"), max_length=40, blank=True)  # 微信小店: MERCHANT_REFUND_RETRY_FAIL
    status_text = models.CharField(_("平台状态说明"), max_length=100, blank=True)
    status_deadline = models.DateTimeField(_("平台处理时限"), null=True, blank=True)
    refund_amount = models.DecimalField(_("平台退款金额"), max_digits=12, decimal_places=2, default=0)
    platform_updated_at = models.BigIntegerField(_("平台更新时间戳"), default=0)
    last_answer = models.JSONField(_("平台最近答复"), default=dict, blank=True)
    synced_at = models.DateTimeField(_("同步时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("平台售后单")
        verbose_name_plural = _("平台售后单")
        constraints = [models.UniqueConstraint(fields=["connection", "aftersale_id"],
                                               name="uniq_platform_aftersale")]

    def __str__(self) -> str:
        return self.aftersale_id

    @property
    def manual_url(self) -> str:
        """The platform back-office page of this request: the manual path for what the API cannot do."""
        from shouhou.platforms.adapters import adapter_for

        return adapter_for(self.connection, secret="").manual_link(self.aftersale_id)

    @property
    def answer_text(self) -> str:
        answer = self.last_answer or {}
        return str(answer.get("sub_msg") or answer.get("msg") or answer.get("error") or "")


class OutboundAction(ShopScopedModel):
    """An action sent back to the platform (the outbox): once per idempotency key, retried with back-off."""

    connection = models.ForeignKey(PlatformConnection, on_delete=models.CASCADE, related_name="actions",
                                   verbose_name=_("平台连接"))
    aftersale = models.ForeignKey(PlatformAftersale, on_delete=models.CASCADE, related_name="actions",
                                  verbose_name=_("平台售后单"))
    kind = models.CharField(_("动作"), max_length=20, choices=ActionKind.choices)
    payload = models.JSONField(_("参数"), default=dict, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=200, unique=True)
    status = models.CharField(_("状态"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.PENDING,
                              db_index=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True, db_index=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    answer = models.JSONField(_("平台答复"), default=dict, blank=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("回传动作")
        verbose_name_plural = _("回传动作")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.aftersale}"


class SyncedOrder(ShopScopedModel):
    """An order read from the platform: its ids and version. The commerce Order (order_no = the platform's
    order id, lines keyed by its sub-order ids) holds the data; this row makes a re-sync of an unchanged
    order write nothing (platform_updated_at) and names the connection it came from."""

    connection = models.ForeignKey(PlatformConnection, on_delete=models.CASCADE, related_name="orders",
                                   verbose_name=_("平台连接"))
    platform_order_id = models.CharField(_("平台订单号"), max_length=64)
    order = models.ForeignKey("commerce.Order", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="platform_syncs", verbose_name=_("订单"))
    platform_status = models.CharField(_("平台订单状态"), max_length=16, blank=True)
    platform_updated_at = models.BigIntegerField(_("平台更新时间戳"), default=0)
    # a digest of the receiver (name, phone, address) as the platform last gave it: a later sync that reads a
    # different one applies the platform's change to the order (orders.py, "receiver changes")
    receiver_digest = models.CharField(_("收货信息摘要"), max_length=32, blank=True, default="")
    # what the platform last listed for the order: {"lines": [sub-order ids], "waybills": [[carrier, tracking no]]}.
    # A later read that no longer lists one voids its shipment / marks its line removed (orders.py, "removed on
    # the platform"); empty until the first read after migration 0008 (nothing is voided on that read).
    parts = models.JSONField(_("平台子订单与包裹"), default=dict, blank=True)

    class Meta:
        verbose_name = _("平台同步订单")
        verbose_name_plural = _("平台同步订单")
        constraints = [models.UniqueConstraint(fields=["connection", "platform_order_id"], name="uniq_synced_order")]

    def __str__(self) -> str:
        return self.platform_order_id
