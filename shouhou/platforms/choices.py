from django.db import models
from django.utils.translation import gettext_lazy as _


class ConnectedPlatform(models.TextChoices):
    """Platforms with an adapter (shouhou/platforms/adapters)."""

    DOUDIAN = "doudian", _("抖店")
    KUAISHOU = "kuaishou", _("快手小店")
    WECHAT_SHOP = "wechat_shop", _("微信小店")
    YOUZAN = "youzan", _("有赞")


class EventStatus(models.TextChoices):
    RECEIVED = "received", _("已接收")
    APPLYING = "applying", _("处理中")  # claimed by one worker (services.event_apply); a stale claim is taken again
    APPLIED = "applied", _("已处理")
    WAITING_ORDER = "waiting_order", _("待订单")  # the order is not in shouhou yet: applied when it arrives
    RETRY = "retry", _("待重试")  # the platform could not be read (outage): tried again later
    IGNORED = "ignored", _("已忽略")  # a message type we do not handle: acknowledged and logged
    FAILED = "failed", _("处理失败")  # gave up after MAX_EVENT_ATTEMPTS; the error says why


class ActionKind(models.TextChoices):
    APPROVE = "approve", _("同意申请")
    REJECT = "reject", _("拒绝申请")
    CONFIRM_RECEIPT = "confirm_receipt", _("确认收货并退款")
    EXCHANGE_SHIP = "exchange_ship", _("换货寄出新商品")
    RESEND_SHIP = "resend_ship", _("补寄发货")
    SUBMIT_EVIDENCE = "submit_evidence", _("提交仲裁凭证")
    TIME_EXTEND = "time_extend", _("延长收货时限")
    REFUND_INSTEAD = "refund_instead", _("转为退款")


class ActionStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    DONE = "done", _("平台已受理")
    REFUSED = "refused", _("平台拒绝")
    FAILED = "failed", _("多次失败")
    HELD = "held", _("待检测结论")  # 确认收货 held until the inspection decides (services.held_confirms_settle)
    CANCELLED = "cancelled", _("无需发送")  # a held action the merchant's decision or the platform made needless
