"""SLA configuration: business-hours calendars and the targets that apply to a ticket."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shouhou.commerce.choices import MembershipTier
from shouhou.core.models import ShopScopedModel
from shouhou.inbox.choices import Channel, Priority, TicketCategory


class BusinessCalendar(ShopScopedModel):
    """Opening hours, holidays and make-up workdays; the spec is read by sla.calendar.calendar_from_spec."""

    name = models.CharField(_("名称"), max_length=100)
    spec = models.JSONField(_("营业时间"), default=dict,
                            help_text=_('{"weekly": {"mon": ["09:00-18:00"]}, "holidays": [], "makeup_workdays": []}'))
    is_default = models.BooleanField(_("店铺默认"), default=False)

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")

    def __str__(self) -> str:
        return self.name


class SlaPolicy(ShopScopedModel):
    """Targets for tickets that match channel / category / priority / tier (blank = any).
    The most specific active policy wins; `position` breaks ties."""

    name = models.CharField(_("名称"), max_length=100)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices, blank=True)
    category = models.CharField(_("工单分类"), max_length=20, choices=TicketCategory.choices, blank=True)
    priority = models.PositiveSmallIntegerField(_("优先级"), choices=Priority.choices, null=True, blank=True)
    tier = models.CharField(_("会员等级"), max_length=16, choices=MembershipTier.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("首次响应（分钟）"), null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(_("再次响应（分钟）"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("解决时限（分钟）"), null=True, blank=True)
    warn_before_minutes = models.PositiveIntegerField(_("提前预警（分钟）"), default=2)
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL,
                                 verbose_name=_("工作日历"), help_text=_("留空表示 7×24 小时"))
    is_active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("SLA 策略")
        verbose_name_plural = _("SLA 策略")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name
