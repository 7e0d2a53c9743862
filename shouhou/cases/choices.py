from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    REFUND_ONLY = "refund_only", _("仅退款")
    RETURN_REFUND = "return_refund", _("退货退款")
    EXCHANGE = "exchange", _("换货")
    RESEND = "resend", _("补寄")
    REPAIR = "repair", _("维修")
    PRICE_PROTECT = "price_protect", _("价保退差")
    COMPENSATION = "compensation", _("补偿")


# The item's state as the customer states it for a no-reason return (the engine's intact test reads it); the
# portal offers these, the case page shows the one stated.
ITEM_CONDITIONS = [("unopened", _("未拆封")), ("opened_unused", _("已拆封未使用")), ("used", _("已使用")),
                   ("tags_removed", _("吊牌已剪")), ("missing_accessories", _("配件不全")), ("damaged", _("已损坏")),
                   ("packaging_discarded", _("外包装已丢弃"))]


class CaseStatus(models.TextChoices):
    REQUESTED = "requested", _("待审核")
    APPROVED = "approved", _("已同意")
    AWAITING_RETURN = "awaiting_return", _("待买家寄回")
    IN_TRANSIT_BACK = "in_transit_back", _("退货运输中")
    RECEIVED = "received", _("已收货")
    INSPECTING = "inspecting", _("检测中")
    AWAITING_SUPERVISOR = "awaiting_supervisor", _("待主管审批")
    FULFILLING = "fulfilling", _("处理中（补发/维修/退款）")
    RESOLVED = "resolved", _("已完结")
    REJECTED = "rejected", _("已拒绝")
    CANCELLED = "cancelled", _("已撤销")


OPEN_STATUSES = frozenset(
    {CaseStatus.REQUESTED, CaseStatus.APPROVED, CaseStatus.AWAITING_RETURN, CaseStatus.IN_TRANSIT_BACK,
     CaseStatus.RECEIVED, CaseStatus.INSPECTING, CaseStatus.AWAITING_SUPERVISOR, CaseStatus.FULFILLING}
)


class ClaimReason(models.TextChoices):
    NO_REASON = "no_reason", _("七天无理由")
    QUALITY = "quality", _("质量问题")
    NOT_AS_DESCRIBED = "not_as_described", _("与描述不符")
    WRONG_ITEM = "wrong_item", _("发错货")
    MISSING_PARTS = "missing_parts", _("少件/漏发")
    DAMAGED_IN_TRANSIT = "damaged_in_transit", _("运输破损")
    SIZE_FIT = "size_fit", _("尺码不合适")
    PERFORMANCE_FAULT = "performance_fault", _("性能故障")
    PRICE_DROP = "price_drop", _("降价（价保）")
    LATE_SHIPMENT = "late_shipment", _("发货延迟")
    LOST_PARCEL = "lost_parcel", _("包裹丢失")
    RECALL = "recall", _("召回")
    OTHER = "other", _("其他")


class Resolution(models.TextChoices):
    REFUND = "refund", _("退款")
    REPLACEMENT = "replacement", _("换新/补发")
    REPAIR = "repair", _("维修")
    COMPENSATION = "compensation", _("补偿")
    NONE = "none", _("无")


class ReturnMethod(models.TextChoices):
    PICKUP = "pickup", _("上门取件")
    SELF_SHIP = "self_ship", _("自行寄回")


class InspectionSite(models.TextChoices):
    WAREHOUSE = "warehouse", _("仓库质检")
    LAB = "lab", _("检测机构")


class CompensationKind(models.TextChoices):
    COUPON = "coupon", _("优惠券")
    RED_PACKET = "red_packet", _("红包")
    POINTS = "points", _("积分")
    GIFT = "gift", _("赠品")


class ShippingPayer(models.TextChoices):
    """Who pays the return postage (Case.shipping_payer, from the policy decision)."""

    MERCHANT = "merchant", _("商家承担")
    BUYER = "buyer", _("买家承担")
    INSURANCE = "insurance", _("运费险承担")
    NONE = "none", _("无需寄回")


class CaseChannel(models.TextChoices):
    """Where a case was opened (Case.channel)."""

    PORTAL = "portal", _("自助售后页")
    CHAT = "chat", _("在线会话")
    INBOX = "inbox", _("客服工作台")
    API = "api", _("系统接口")
    RECALL = "recall", _("召回")
