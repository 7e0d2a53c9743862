from django.db import models
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    ORDER_PLACED = "order_placed", _("下单关怀")
    ORDER_SHIPPED = "order_shipped", _("发货通知")
    DISPATCH_LATE = "dispatch_late", _("延迟发货致歉")
    LOGISTICS_EXCEPTION = "logistics_exception", _("物流异常提醒")
    CASE_CREATED = "case_created", _("售后单已受理")
    CASE_APPROVED = "case_approved", _("售后单已同意")
    CASE_RECEIVED = "case_received", _("退货已签收")
    CASE_INSPECTION_PROGRESS = "case_inspection_progress", _("质检进度")
    CASE_RESOLVED = "case_resolved", _("售后已完成")
    SURVEY_INVITATION = "survey_invitation", _("满意度邀请")
    CASE_REJECTED = "case_rejected", _("售后申请未通过")
    RECALL = "recall", _("召回通知")
    COMMUNITY_NEGATIVE = "community_negative", _("社群负面预警（发给群管理员）")


class MsgChannel(models.TextChoices):
    SMS = "sms", _("短信")
    WECHAT_TEMPLATE = "wechat_template", _("公众号模板消息")
    WECHAT_SUBSCRIBE = "wechat_subscribe", _("小程序订阅消息")
    WECOM = "wecom", _("企业微信")
    EMAIL = "email", _("邮件")
    IN_APP = "in_app", _("站内信")


class SuppressedReason(models.TextChoices):
    """Why a message was not sent (OutboundMessage.suppressed_reason)."""

    OPTED_OUT = "opted_out", _("顾客已退订")
    FREQUENCY_CAP = "frequency_cap", _("超过每日条数上限")
    COMPLIANCE = "compliance", _("合规拦截")
    SMS_BLOCKED = "sms_blocked", _("号码在短信服务商处已退订或被拦截")


class OptOutScope(models.TextChoices):
    """What an opt-out stops (docs/notifications.md, "Scope of an opt-out")."""

    CARE = "care", _("关怀和营销消息")
    ALL = "all", _("全部消息")
    SMS = "sms", _("该号码的短信（服务商拦截）")
