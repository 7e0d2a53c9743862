from django.db import models
from django.utils.translation import gettext_lazy as _

from shouhou.reviews.classifier.rules import Aspect  # noqa: F401  (re-exported)
from shouhou.reviews.classifier.taxonomy import ComplaintType  # noqa: F401  (re-exported)


class ReviewKind(models.TextChoices):
    REVIEW = "review", _("商品评价")
    COMMENT = "comment", _("评论区留言")
    GROUP_MESSAGE = "group_message", _("社群消息")


class ReviewSource(models.TextChoices):
    API = "api", _("接口")
    IMPORT = "import", _("导入")
    WEBHOOK = "webhook", _("平台推送")
    MANUAL = "manual", _("手工录入")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    IN_PROGRESS = "in_progress", _("处理中")
    CLOSED = "closed", _("已结束")


class Remedy(models.TextChoices):
    NONE = "", _("未定")
    EXPLANATION = "explanation", _("解释说明（误会）")
    REFUND = "refund", _("退款")
    RETURN_REFUND = "return_refund", _("退货退款")
    EXCHANGE = "exchange", _("换货")
    RESEND = "resend", _("补发")
    REPAIR = "repair", _("维修")
    PRICE_PROTECT = "price_protect", _("补差价")
    COUPON = "coupon", _("优惠券补偿")
    POINTS = "points", _("积分补偿")


class Outcome(models.TextChoices):
    NONE = "", _("未结束")
    RESOLVED = "resolved", _("已解决")
    RATING_UPDATED = "rating_updated", _("顾客已更新评价")
    NO_ANSWER = "no_answer", _("顾客未回复")


class TaskEventKind(models.TextChoices):
    OPENED = "opened", _("创建")
    PUBLIC_REPLY = "public_reply", _("公开回复")
    CONTACTED = "contacted", _("私下联系")
    REMEDY = "remedy", _("补救方案")
    CLOSED = "closed", _("结束")
    BREACHED = "breached", _("超时")
    ASSIGNED = "assigned", _("分配")


class RewardKind(models.TextChoices):
    POINTS = "points", _("积分")
    COUPON = "coupon", _("优惠券")
