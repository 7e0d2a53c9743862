"""微信小店 order lines of one SKU stay apart. order/get lists each line's `sku_id`, and one order may hold two lines of
the same SKU (a gift beside the paid line, the same SKU bought in two promotions); keyed by sku_id alone they merged
into one line (the last one's price and quantity). order/get's product_infos[].product_unique_id ("商品常量编号，订单内
商品唯一标识，下单后不会发生变化", WxJava OrderProductInfo) keeps them two, stable across re-syncs; an after-sale,
which names only the SKU, goes to a line the buyer paid for, and a second one on that SKU to the other line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shouhou.commerce.models import Order
from shouhou.platforms import orders as order_sync
from shouhou.platforms import services
from shouhou.platforms.adapters.wechat_shop import line_keys
from shouhou.platforms.models import PlatformAftersale, PlatformConnection, PlatformEvent
from shouhou.platforms.tests.test_wechat_shop import wx_connect  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

ORDER = "3706000000000001"
# published field names (order/get product_infos), values made up: the gift line listed first
PRODUCTS = [
    {"sku_id": "30001", "product_id": "10001", "title": "真丝衬衫", "sku_cnt": 1, "real_price": 0, "sale_price": 29900,
     "sku_code": "WX-SHIRT", "is_free_gift": True, "product_unique_id": "9001"},
    {"sku_id": "30001", "product_id": "10001", "title": "真丝衬衫", "sku_cnt": 2, "real_price": 59800,
     "sale_price": 29900, "sku_code": "WX-SHIRT", "product_unique_id": "9002"},
    {"sku_id": "30002", "product_id": "10002", "title": "丝巾", "sku_cnt": 1, "real_price": 5000, "sku_code": "WX-SCARF",
     "product_unique_id": "9003"},
]


def _lines():
    return sorted(Order.objects.get(order_no=ORDER).lines.values_list("line_key", "quantity", "price_paid"))


def test_two_lines_of_one_sku_stay_two_and_a_resync_keeps_them(wx, wx_connect):  # noqa: F811
    wx.add_order(order_id=ORDER, products=PRODUCTS)
    conn = wx_connect(backfill=True)
    assert _lines() == [("30001", 1, Decimal("0.00")), ("30001-9002", 2, Decimal("598.00")),
                        ("30002", 1, Decimal("50.00"))]
    keys = dict(Order.objects.get(order_no=ORDER).lines.values_list("line_key", "pk"))
    # the platform changes the order (shipped): read again, the same lines, none removed or added
    wx.ship_order(ORDER, waybill_id="ZTO777000222", push=False)
    assert order_sync.orders_reconcile(PlatformConnection.objects.get(pk=conn.pk)).written == 1
    order = Order.objects.get(order_no=ORDER)
    assert order.status == "shipped"
    assert dict(order.lines.values_list("line_key", "pk")) == keys
    assert not order.lines.filter(removed_at__isnull=False).exists()


def test_an_after_sale_on_the_sku_finds_the_paid_line_then_the_other(wx, wx_connect):  # noqa: F811
    wx.add_order(order_id=ORDER, products=PRODUCTS)
    conn = wx_connect(backfill=True)

    def apply(amount: int) -> PlatformAftersale:
        record = wx.add_aftersale(order_id=ORDER, sku_id="30001", amount=amount, push=False)
        event = PlatformEvent.objects.create(platform="wechat_shop", message_id=f"m-{record.aftersale_id}",
                                             connection=conn, tag="channels_ec_aftersale_update",
                                             aftersale_id=record.aftersale_id, payload={})
        assert services.event_apply(event.pk) == "applied"
        return PlatformAftersale.objects.get(aftersale_id=record.aftersale_id)

    first = apply(29900)
    assert first.case.order_line.line_key == "30001-9002"  # the paid line, not the gift listed first
    second = apply(0)
    assert second.case.order_line.line_key == "30001"  # the SKU's other line, not a second case on the first


def test_line_keys_without_product_unique_id_fall_back_to_the_place_among_the_skus_lines():
    infos = [{"sku_id": "1"}, {"sku_id": "2"}, {"sku_id": "1"}, {"sku_id": "1", "product_unique_id": "77"}]
    assert line_keys(infos) == ["1", "2", "1-#2", "1-77"]
    assert line_keys([{"sku_id": "1"}, {"sku_id": "2"}]) == ["1", "2"]  # one line per SKU: as before
