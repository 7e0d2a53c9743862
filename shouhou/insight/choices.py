from django.db import models
from django.utils.translation import gettext_lazy as _


class Dimension(models.TextChoices):
    """What an improvement action (or a breakdown) is about."""

    SKU = "sku", _("SKU")
    PRODUCT = "product", _("商品")
    BATCH = "batch", _("批次")
    CARRIER = "carrier", _("快递公司")
    LIVE_SESSION = "live_session", _("直播场次")
    HOST = "host", _("主播")
    REASON = "reason", _("售后原因")
    COMPLAINT_TYPE = "complaint_type", _("差评类型")
    CHANNEL = "channel", _("渠道")
    TEAM = "team", _("团队")
    AGENT = "agent", _("客服")
    OTHER = "other", _("其他")


class FixType(models.TextChoices):
    PACKAGING = "packaging", _("包装")
    DESCRIPTION = "description", _("商品描述")
    SUPPLIER = "supplier", _("供应商")
    STAFFING = "staffing", _("人手排班")
    POLICY = "policy", _("售后政策")
    OTHER = "other", _("其他")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    IN_PROGRESS = "in_progress", _("进行中")
    DONE = "done", _("已完成")
    VERIFIED = "verified", _("已验证")


OPEN_ACTION_STATUSES = frozenset({ActionStatus.OPEN, ActionStatus.IN_PROGRESS})


class MetricKey(models.TextChoices):
    """The metrics of docs/metrics.md (keys used in URLs, the API and improvement actions)."""

    FIRST_RESPONSE = "first_response", _("首次响应时长")
    RESOLUTION = "resolution", _("解决时长")
    SLA = "sla", _("SLA 达成率")
    CSAT = "csat", _("满意度 CSAT")
    POSITIVE_REVIEW = "positive_review", _("好评率")
    REFUND = "refund", _("仅退款率")
    RETURN = "return", _("退货率")
    REPEAT_CONTACT = "repeat_contact", _("重复咨询率")
    RECOVERY = "recovery", _("差评挽回成功率")
