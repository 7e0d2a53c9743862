from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB_CHAT = "web_chat", _("网页在线")
    PHONE = "phone", _("电话")
    SOCIAL_COMMENT = "social_comment", _("社交评论")
    SOCIAL_DM = "social_dm", _("社交私信")
    WECHAT = "wechat", _("微信")
    WECOM = "wecom", _("企业微信")
    PRIVATE_GROUP = "private_group", _("私域社群")
    EMAIL = "email", _("邮件")
    REVIEW = "review", _("评价回复")
    SYSTEM = "system", _("系统")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("顾客消息")
    OUTBOUND = "outbound", _("回复")
    NOTE = "note", _("内部备注")


class TicketCategory(models.TextChoices):
    QUALITY = "quality", _("质量问题")
    LOGISTICS = "logistics", _("物流问题")
    USAGE = "usage", _("使用咨询")
    WRONG_MISSING = "wrong_missing", _("错发漏发")
    SIZE_FIT = "size_fit", _("尺码不合适")
    PRICE_CHANGE = "price_change", _("价格变动")
    RETURN_REQUEST = "return_request", _("退换货申请")
    SERVICE_COMPLAINT = "service_complaint", _("服务投诉")
    SAFETY = "safety", _("安全问题")
    OTHER = "other", _("其他")


class Priority(models.IntegerChoices):
    URGENT = 1, _("紧急")
    HIGH = 2, _("高")
    NORMAL = 3, _("普通")
    LOW = 4, _("低")


class TicketStatus(models.TextChoices):
    NEW = "new", _("新建")
    OPEN = "open", _("处理中")
    PENDING_CUSTOMER = "pending_customer", _("等待顾客")
    ESCALATED = "escalated", _("已升级")
    RESOLVED = "resolved", _("已解决")
    CLOSED = "closed", _("已关闭")


OPEN_TICKET_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER,
                                  TicketStatus.ESCALATED})


class Team(models.TextChoices):
    SERVICE = "service", _("客服")
    WAREHOUSE = "warehouse", _("仓库")
    QUALITY = "quality", _("质检")
    LOGISTICS = "logistics", _("物流")
    PRODUCTION = "production", _("生产")
    RND = "rnd", _("研发")
