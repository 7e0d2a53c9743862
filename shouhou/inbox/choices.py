from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB_CHAT = "web_chat", _("网页在线")
    PHONE = "phone", _("电话")
    SOCIAL_COMMENT = "social_comment", _("社交评论")
    SOCIAL_DM = "social_dm", _("社交私信")
    WECHAT = "wechat", _("微信")
    WECOM = "wecom", _("企业微信")
    WECHAT_KF = "wechat_kf", _("微信客服")
    PRIVATE_GROUP = "private_group", _("私域社群")
    EMAIL = "email", _("邮件")
    REVIEW = "review", _("评价回复")
    SYSTEM = "system", _("系统")


# Channels whose customers expect the private-domain promise (15 minutes by default).
PRIVATE_DOMAIN_CHANNELS = frozenset({"wechat", "wecom", "wechat_kf", "private_group"})


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


class TicketEventKind(models.TextChoices):
    CREATED = "created", _("创建")
    MESSAGE_IN = "message_in", _("顾客来信")
    REPLIED = "replied", _("客服回复")
    NOTE = "note", _("内部备注")
    ASSIGNED = "assigned", _("分配")
    STATUS = "status", _("状态变更")
    PRIORITY = "priority", _("优先级变更")
    CATEGORY = "category", _("分类变更")
    SLA_WARNING = "sla_warning", _("SLA 即将超时")
    SLA_BREACH = "sla_breach", _("SLA 已超时")
    ESCALATED = "escalated", _("升级部门")
    ESCALATION_UPDATE = "escalation_update", _("部门处理进展")
    BOT_HANDOFF = "bot_handoff", _("机器人转人工")
    CASE_ACTION = "case_action", _("售后单操作")


class EscalationStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    IN_PROGRESS = "in_progress", _("处理中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class ScriptScenario(models.TextChoices):
    GREETING = "greeting", _("问候")
    SMALL_DEFECT = "small_defect", _("小瑕疵")
    QUALITY_PROBLEM = "quality_problem", _("质量问题")
    PRICE_DROP = "price_drop", _("买贵了/降价")
    LATE_SHIPMENT = "late_shipment", _("发货延迟")
    WRONG_ITEM = "wrong_item", _("发错货/漏发")
    NO_REASON_RETURN = "no_reason_return", _("坚持无理由退货")
    REPEATED_EXCHANGE = "repeated_exchange", _("反复挑剔换货")
    LOGISTICS_DAMAGE = "logistics_damage", _("物流破损")
    LOGISTICS_DELAY = "logistics_delay", _("物流慢/查件")
    SIZE_FIT = "size_fit", _("尺码不合适")
    USAGE = "usage", _("使用指导")
    MISUNDERSTANDING = "misunderstanding", _("误会解释")
    COUNTERFEIT = "counterfeit", _("假货疑虑")
    AFTER_SALES = "after_sales", _("售后被拒/拖延")
    PROMISE_NOT_KEPT = "promise_not_kept", _("承诺未兑现")
    SERVICE_ATTITUDE = "service_attitude", _("服务态度")
    CLOSING = "closing", _("结束语")
