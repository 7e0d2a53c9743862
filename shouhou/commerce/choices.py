from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    DOUYIN = "douyin", _("抖音")
    KUAISHOU = "kuaishou", _("快手")
    WECHAT_CHANNELS = "wechat_channels", _("视频号")
    YOUZAN = "youzan", _("有赞")
    TAOBAO = "taobao", _("淘宝")
    MANUAL = "manual", _("手工/私域")


class Category(models.TextChoices):
    """Product category: the key the policy engine uses to pick rules."""

    CLOTHING = "clothing", _("服装")
    UNDERWEAR = "underwear", _("内衣")
    SHOES_BAGS = "shoes_bags", _("鞋包")
    COSMETICS = "cosmetics", _("美妆护肤")
    ELECTRONICS = "electronics", _("数码家电")
    MOBILE_PHONE = "mobile_phone", _("手机")
    FOOD = "food", _("食品")
    FRESH = "fresh", _("生鲜")
    HOME = "home", _("家居日用")
    JEWELRY = "jewelry", _("珠宝饰品")
    TOYS = "toys", _("玩具")
    # books are returned like other goods; only delivered newspapers and periodicals are excluded (CRPL art. 25)
    BOOKS = "books", _("图书")
    BOOKS_PERIODICALS = "books_periodicals", _("报纸期刊")
    DIGITAL_GOODS = "digital_goods", _("数字商品")
    AUDIO_VIDEO_SOFTWARE = "audio_video_software", _("音像制品/软件")
    CUSTOM_MADE = "custom_made", _("定制商品")
    OTHER = "other", _("其他")


class MembershipTier(models.TextChoices):
    REGULAR = "regular", _("普通会员")
    SILVER = "silver", _("银卡")
    GOLD = "gold", _("金卡")
    VIP = "vip", _("VIP")


VIP_TIERS = {MembershipTier.GOLD, MembershipTier.VIP}


class OrderStatus(models.TextChoices):
    PAID = "paid", _("已付款")
    SHIPPED = "shipped", _("已发货")
    DELIVERED = "delivered", _("已签收")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class ShipmentStatus(models.TextChoices):
    """Normalised tracking status (one set for every carrier)."""

    PENDING = "pending", _("待发货")
    INFO_RECEIVED = "info_received", _("已揽件信息")
    PICKED_UP = "picked_up", _("已揽收")
    IN_TRANSIT = "in_transit", _("运输中")
    OUT_FOR_DELIVERY = "out_for_delivery", _("派送中")
    DELIVERY_FAILED = "delivery_failed", _("派送失败")
    SIGNED = "signed", _("已签收")
    RETURNED = "returned", _("已退回")
    EXCEPTION = "exception", _("异常")


class Carrier(models.TextChoices):
    SF = "SF", _("顺丰速运")
    ZTO = "ZTO", _("中通快递")
    YTO = "YTO", _("圆通速递")
    YUNDA = "YD", _("韵达快递")
    STO = "STO", _("申通快递")
    JD = "JD", _("京东物流")
    EMS = "EMS", _("EMS")
    JT = "JTSD", _("极兔速递")
    OTHER = "OTHER", _("其他")


def carrier_label(code_or_name: str) -> str:
    """A carrier sent as a code ("SF") by its name ("顺丰速运"); a name typed by a person is kept as typed."""
    return str(dict(Carrier.choices).get(code_or_name, code_or_name))


class ReturnAddressKind(models.TextChoices):
    SHOP = "shop", _("店铺售后")
    WAREHOUSE = "warehouse", _("仓库")
