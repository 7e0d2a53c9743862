"""Shop data: shops, catalogue, customers, orders, shipments, live sessions. Thin on purpose."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shouhou.commerce.choices import (
    Carrier,
    Category,
    MembershipTier,
    OrderStatus,
    Platform,
    ReturnAddressKind,
    ShipmentStatus,
)
from shouhou.core.models import MoneyField, ShopScopedModel, TimeStampedModel


class Shop(TimeStampedModel):
    name = models.CharField(_("店铺名称"), max_length=100)
    code = models.SlugField(_("店铺代码"), max_length=50, unique=True)
    platform = models.CharField(_("平台"), max_length=20, choices=Platform.choices, default=Platform.MANUAL)
    service_phone = models.CharField(_("客服电话"), max_length=30, blank=True)
    settings = models.JSONField(_("店铺设置"), default=dict, blank=True)
    # A free-shipping offer (满 X 元包邮): a no-reason return that takes the order below the threshold may have the
    # fee the offer spared deducted from its refund (cases.services.free_shipping_lost). Blank: no such offer.
    free_shipping_threshold = MoneyField(_("包邮门槛（元）"), null=True, blank=True,
                                         help_text=_("订单商品实付满这个金额包邮；留空表示没有包邮门槛"))
    shipping_fee = MoneyField(_("不包邮时的运费（元）"), null=True, blank=True,
                              help_text=_("不满包邮门槛时每单收取的运费；七日无理由退货后订单不再满门槛时从退款中扣除"))

    class Meta:
        verbose_name = _("店铺")
        verbose_name_plural = _("店铺")
        constraints = [
            models.CheckConstraint(condition=Q(free_shipping_threshold__isnull=True) | Q(free_shipping_threshold__gt=0),
                                   name="shop_free_shipping_threshold_positive"),
            models.CheckConstraint(condition=Q(shipping_fee__isnull=True) | Q(shipping_fee__gte=0),
                                   name="shop_shipping_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Host(ShopScopedModel):
    """A live-stream host (主播)."""

    name = models.CharField(_("主播"), max_length=50)

    class Meta:
        verbose_name = _("主播")
        verbose_name_plural = _("主播")
        constraints = [models.UniqueConstraint(fields=["shop", "name"], name="uniq_host_shop_name")]

    def __str__(self) -> str:
        return self.name


class Product(ShopScopedModel):
    external_id = models.CharField(_("商品编号"), max_length=64, blank=True)
    name = models.CharField(_("商品名称"), max_length=200)
    category = models.CharField(_("类目"), max_length=32, choices=Category.choices, default=Category.OTHER)
    warranty_days = models.PositiveIntegerField(_("保修天数"), default=0)

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        constraints = [models.UniqueConstraint(fields=["shop", "name"], name="uniq_product_shop_name")]

    def __str__(self) -> str:
        return self.name


class SKU(ShopScopedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus", verbose_name=_("商品"))
    code = models.CharField(_("SKU编码"), max_length=64)
    spec = models.CharField(_("规格"), max_length=200, blank=True)
    price = MoneyField(_("标价"), default=0)

    class Meta:
        verbose_name = _("SKU")
        verbose_name_plural = _("SKU")
        constraints = [models.UniqueConstraint(fields=["shop", "code"], name="uniq_sku_shop_code")]

    def __str__(self) -> str:
        return f"{self.product.name} {self.spec}".strip()


class Customer(ShopScopedModel):
    name = models.CharField(_("姓名"), max_length=100, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    phone_last4 = models.CharField(_("手机尾号"), max_length=4, blank=True)  # indexed in Meta: equality only
    wechat_id = models.CharField(_("微信号"), max_length=64, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    tier = models.CharField(_("会员等级"), max_length=16, choices=MembershipTier.choices, default=MembershipTier.REGULAR)
    contact_consent = models.BooleanField(_("同意接收消息"), default=True)
    opted_out_at = models.DateTimeField(_("退订时间"), null=True, blank=True)
    dedicated_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("专属客服")
    )
    points = models.IntegerField(_("积分"), default=0)

    class Meta:
        verbose_name = _("顾客")
        verbose_name_plural = _("顾客")
        constraints = [
            models.UniqueConstraint(fields=["shop", "phone"], condition=~Q(phone=""), name="uniq_customer_shop_phone"),
        ]
        # one index (db_index added a LIKE twin on PostgreSQL that no query uses: every import writes both)
        indexes = [models.Index(fields=["phone_last4"], name="customer_phone_last4")]

    def __str__(self) -> str:
        return self.name or self.phone_last4


class LiveSession(ShopScopedModel):
    """A live-stream session (直播场次) and the products pitched in it."""

    title = models.CharField(_("场次标题"), max_length=200)
    host = models.ForeignKey(Host, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("主播"))
    started_at = models.DateTimeField(_("开播时间"))
    ended_at = models.DateTimeField(_("下播时间"), null=True, blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="live_sessions", verbose_name=_("讲解商品"))

    class Meta:
        verbose_name = _("直播场次")
        verbose_name_plural = _("直播场次")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.title


class Order(ShopScopedModel):
    # No index of its own on shop_id: uniq_order_shop_no and order_shop_placed start with it (an import of a live
    # session writes 60,000 orders; each index is written with every one)
    shop = models.ForeignKey("commerce.Shop", on_delete=models.CASCADE, verbose_name=_("店铺"), db_index=False)
    order_no = models.CharField(_("订单号"), max_length=64)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders",
                                 verbose_name=_("顾客"))
    live_session = models.ForeignKey(LiveSession, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="orders", verbose_name=_("来源场次"))
    status = models.CharField(_("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.PAID)
    placed_at = models.DateTimeField(_("下单时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("付款时间"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    total_paid = MoneyField(_("实付金额"), default=0)
    receiver_name = models.CharField(_("收货人"), max_length=100, blank=True)
    receiver_phone = models.CharField(_("收货手机"), max_length=20, blank=True)
    address = models.CharField(_("收货地址"), max_length=300, blank=True)
    return_insurance = models.BooleanField(_("运费险"), default=False)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        constraints = [models.UniqueConstraint(fields=["shop", "order_no"], name="uniq_order_shop_no")]
        indexes = [models.Index(fields=["shop", "placed_at"], name="order_shop_placed")]

    def __str__(self) -> str:
        return self.order_no


class OrderLine(ShopScopedModel):
    # No index of its own on order_id: the unique (order, line_key) index starts with it and serves every lookup
    # by order; a second index only cost the bulk import its upkeep on every inserted line.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("订单"),
                              db_index=False)
    line_key = models.CharField(_("行键"), max_length=128, help_text=_("子订单号，或商品+规格"))
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("商品"))
    sku = models.ForeignKey(SKU, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("SKU"))
    product_name = models.CharField(_("商品名称"), max_length=200)
    spec = models.CharField(_("规格"), max_length=200, blank=True)
    category = models.CharField(_("类目"), max_length=32, choices=Category.choices, default=Category.OTHER)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    price_paid = MoneyField(_("实付金额"), default=0)
    batch_no = models.CharField(_("批次号"), max_length=64, blank=True)  # indexed below (equality only)
    # The platform's own after-sale state for this line as exported (售后状态), kept verbatim.
    platform_after_sale_status = models.CharField(_("平台售后状态"), max_length=40, blank=True, db_default="")
    # The shop platform took this line off the order (a later sync no longer lists it): kept for its cases and
    # history, no longer offered for a new claim (platforms/orders.py, "removed on the platform").
    removed_at = models.DateTimeField(_("平台已移除"), null=True, blank=True)

    class Meta:
        verbose_name = _("订单行")
        verbose_name_plural = _("订单行")
        constraints = [models.UniqueConstraint(fields=["order", "line_key"], name="uniq_orderline_order_key")]
        # A recall finds lines by batch number, by equality: one index, not db_index's two on PostgreSQL (the
        # second, varchar_pattern_ops for LIKE, served no query and was kept up on every imported line).
        indexes = [models.Index(fields=["batch_no"], name="orderline_batch_no")]

    def __str__(self) -> str:
        return f"{self.product_name} {self.spec}".strip()


class Shipment(ShopScopedModel):
    shop = models.ForeignKey("commerce.Shop", on_delete=models.CASCADE, verbose_name=_("店铺"), db_index=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments", verbose_name=_("订单"))
    carrier = models.CharField(_("物流公司"), max_length=16, choices=Carrier.choices, blank=True)
    tracking_no = models.CharField(_("运单号"), max_length=64, blank=True)
    status = models.CharField(_("物流状态"), max_length=20, choices=ShipmentStatus.choices,
                              default=ShipmentStatus.PENDING)  # indexed in Meta (no LIKE twin)
    promised_ship_by = models.DateTimeField(_("承诺发货时间"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("发货时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("最近轨迹时间"), null=True, blank=True)
    is_return = models.BooleanField(_("退货物流"), default=False)
    # Void: the waybill no longer belongs to the order (the shop platform corrected it). Kept with its tracking
    # history, no longer tracked, checked for exceptions or counted as the order's parcel.
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    void_reason = models.CharField(_("作废原因"), max_length=200, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("物流单")
        verbose_name_plural = _("物流单")
        constraints = [
            models.UniqueConstraint(fields=["shop", "carrier", "tracking_no"], condition=~Q(tracking_no=""),
                                    name="uniq_shipment_tracking"),
        ]
        # shop_id has no index of its own: shipment_shop_tracking starts with it
        indexes = [models.Index(fields=["shop", "tracking_no"], name="shipment_shop_tracking"),
                   models.Index(fields=["status"], name="shipment_status")]

    def __str__(self) -> str:
        return f"{self.get_carrier_display()} {self.tracking_no}"


class ImportJob(ShopScopedModel):
    """One upload of an order export; the file digest makes re-imports recognisable."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        RUNNING = "running", _("处理中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    filename = models.CharField(_("文件名"), max_length=255)
    file = models.FileField(_("文件"), upload_to="imports/", blank=True)
    digest = models.CharField(_("文件摘要"), max_length=64, db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    mapping = models.JSONField(_("列映射"), default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    errors = models.JSONField(_("错误报告"), default=list, blank=True)
    allow_partial = models.BooleanField(_("允许部分导入"), default=False)
    ok_rows = models.PositiveIntegerField(_("有效行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    summary = models.JSONField(_("导入结果"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")

    def __str__(self) -> str:
        return self.filename


class ReturnAddress(ShopScopedModel):
    """Where customers send goods back: the shop's after-sales desk or a warehouse. The shop's default is
    used unless an address takes one category only (e.g. electronics to the repair warehouse).
    Read through commerce.selectors.return_address_for_case; written by commerce.services."""

    kind = models.CharField(_("类型"), max_length=16, choices=ReturnAddressKind.choices,
                            default=ReturnAddressKind.SHOP)
    name = models.CharField(_("名称"), max_length=50, help_text=_("例如：杭州退货仓"))
    contact_name = models.CharField(_("收件人"), max_length=30)
    phone = models.CharField(_("收件电话"), max_length=30)
    province = models.CharField(_("省"), max_length=30)
    city = models.CharField(_("市"), max_length=30)
    district = models.CharField(_("区/县"), max_length=30, blank=True)
    street = models.CharField(_("详细地址"), max_length=200)
    postal_code = models.CharField(_("邮编"), max_length=10, blank=True)
    category = models.CharField(_("只收此类商品"), max_length=24, choices=Category.choices, blank=True,
                                help_text=_("留空表示所有商品"))
    note = models.CharField(_("寄回须知"), max_length=200, blank=True,
                            help_text=_("例如：请勿到付，包裹内请附售后单号"))
    is_default = models.BooleanField(_("默认地址"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("退货地址")
        verbose_name_plural = _("退货地址")
        constraints = [models.UniqueConstraint(fields=["shop"], condition=Q(is_default=True, is_active=True),
                                               name="uniq_return_address_default")]

    def __str__(self) -> str:
        return f"{self.name}：{self.full_address}"

    @property
    def full_address(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.street}"
