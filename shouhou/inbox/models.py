from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shouhou.core.models import ShopScopedModel
from shouhou.inbox.choices import Channel, Direction, Priority, Team, TicketCategory, TicketStatus


class Conversation(ShopScopedModel):
    customer = models.ForeignKey("commerce.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="conversations", verbose_name=_("顾客"))
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("外部会话ID"), max_length=128, blank=True)
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    orders = models.ManyToManyField("commerce.Order", blank=True, verbose_name=_("关联订单"))
    cases = models.ManyToManyField("cases.Case", blank=True, verbose_name=_("关联售后单"))
    last_message_at = models.DateTimeField(_("最近消息"), null=True, blank=True, db_index=True)
    bot_active = models.BooleanField(_("机器人接待中"), default=False)
    bot_failures = models.PositiveSmallIntegerField(_("机器人未答"), default=0)

    class Meta:
        verbose_name = _("会话")
        verbose_name_plural = _("会话")

    def __str__(self) -> str:
        return self.subject or f"会话 #{self.pk}"


class Message(ShopScopedModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    is_bot = models.BooleanField(_("机器人"), default=False)
    body = models.TextField(_("内容"))
    external_id = models.CharField(_("外部消息ID"), max_length=128, blank=True)
    attachment = models.FileField(_("附件"), upload_to="inbox/", blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "external_id"], condition=~Q(external_id=""),
                                    name="uniq_message_external_id"),
        ]

    def __str__(self) -> str:
        return self.body[:30]


class Ticket(ShopScopedModel):
    """工单: a unit of work with an SLA. Time fields feed the insight metrics (docs/metrics.md)."""

    number = models.CharField(_("工单号"), max_length=32)
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="tickets")
    customer = models.ForeignKey("commerce.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="tickets", verbose_name=_("顾客"))
    order = models.ForeignKey("commerce.Order", null=True, blank=True, on_delete=models.SET_NULL,
                              verbose_name=_("订单"))
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
                             verbose_name=_("售后单"))
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    category = models.CharField(_("分类"), max_length=20, choices=TicketCategory.choices,
                                default=TicketCategory.OTHER)
    priority = models.PositiveSmallIntegerField(_("优先级"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("状态"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW,
                              db_index=True)
    team = models.CharField(_("团队"), max_length=16, choices=Team.choices, default=Team.SERVICE)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_tickets", verbose_name=_("处理人"))
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    first_response_due_at = models.DateTimeField(_("首响截止"), null=True, blank=True, db_index=True)
    next_response_due_at = models.DateTimeField(_("再响截止"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("解决截止"), null=True, blank=True, db_index=True)
    first_responded_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True, db_index=True)
    first_response_business_seconds = models.PositiveIntegerField(_("首响工作秒数"), null=True, blank=True)
    resolution_business_seconds = models.PositiveIntegerField(_("解决工作秒数"), null=True, blank=True)
    sla_breached = models.BooleanField(_("已超时"), default=False)
    paused_at = models.DateTimeField(_("暂停起点"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("暂停累计秒"), default=0)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        constraints = [models.UniqueConstraint(fields=["shop", "number"], name="uniq_ticket_shop_number")]
        indexes = [models.Index(fields=["shop", "status", "priority"], name="ticket_queue")]

    def __str__(self) -> str:
        return self.number
