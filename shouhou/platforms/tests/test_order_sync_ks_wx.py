"""Order sync for 快手小店 and 微信小店 through their sandboxes (real HTTP both ways): back-fill on connect
(cursor pages / next_key pages), the platform's order push fetches the shipped order and its waybill
becomes a shipment, an after-sale push then finds the synced line, and a re-sync writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shouhou.commerce.models import Order, Shipment
from shouhou.platforms import orders as order_sync
from shouhou.platforms.models import PlatformAftersale, PlatformConnection, PlatformEvent, SyncedOrder
from shouhou.platforms.tests.test_kuaishou import ks_connect  # noqa: F401 (fixture)
from shouhou.platforms.tests.test_wechat_shop import wx_connect  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def _state():
    return (sorted(Order.objects.values_list("order_no", "status", "updated_at")),
            sorted(Shipment.objects.values_list("tracking_no", "updated_at")),
            sorted(SyncedOrder.objects.values_list("platform_order_id", "platform_updated_at", "updated_at")))


def test_kuaishou_backfill_push_shipment_aftersale(ks, ks_connect, live_server):  # noqa: F811
    ks.page_size_cap = 1  # one order a page: the platform's cursor is followed
    for n in range(3):
        ks.add_order(oid=f"230000000000000{n}", title=f"加绒卫衣{n}", total_fee=12900 + n)
    conn = ks_connect(backfill=True)
    assert Order.objects.count() == 3
    order = Order.objects.get(order_no="2300000000000001")
    line = order.lines.get()
    assert line.line_key == "2300000000000001" and line.price_paid == Decimal("129.01") and line.sku.code == "KS-SKU-1"
    assert (order.receiver_name, order.receiver_phone, order.address) == ("李**", "159****0000", "广东省广州市天河区天河路***号")
    assert order.status == "paid"
    # the merchant ships; the platform pushes kwaishop_order_delivering; shouhou reads open.order.detail
    ks.push_url = f"{live_server.url}/platforms/kuaishou/push/"
    ks.ship_order("2300000000000001", express_no="YT5550001")
    assert PlatformEvent.objects.get(tag="kwaishop_order_delivering").status == "applied"
    order.refresh_from_db()
    assert order.status == "shipped"
    ship = Shipment.objects.get(order=order)
    assert (ship.carrier, ship.tracking_no) == ("ZTO", "YT5550001")
    # an after-sale request on it finds the order's one line
    refund = ks.add_refund(order_id="2300000000000001", refund_fee=12901)
    link = PlatformAftersale.objects.get(aftersale_id=refund.refund_id)
    assert link.case is not None and link.case.order_line_id == line.pk
    before = _state()
    assert order_sync.orders_reconcile(PlatformConnection.objects.get(pk=conn.pk)).written == 0
    assert _state() == before


def test_wechat_backfill_push_shipment_aftersale(wx, wx_connect, live_server):  # noqa: F811
    products = [{"sku_id": "30001", "product_id": "10001", "title": "真丝衬衫", "sku_cnt": 1, "real_price": 29900,
                 "sku_code": "WX-SHIRT"},
                {"sku_id": "30002", "product_id": "10002", "title": "丝巾", "sku_cnt": 2, "real_price": 5000,
                 "sku_code": "WX-SCARF"}]
    wx.add_order(order_id="3705000000000001", products=products)
    wx.add_order(order_id="3705000000000002", products=products[:1])
    wx.add_order(order_id="3705000000000003", products=products[1:])
    wx.add_order(order_id="3705000000000004", products=products[1:], status=10)  # unpaid: not an order yet
    conn = wx_connect(backfill=True)
    assert sorted(Order.objects.values_list("order_no", flat=True)) == [f"370500000000000{n}" for n in (1, 2, 3)]
    order = Order.objects.get(order_no="3705000000000001")
    assert sorted(order.lines.values_list("line_key", "quantity", "price_paid")) == [("30001", 1, 299), ("30002", 2, 50)]
    assert order.total_paid == 349 and order.receiver_phone == "186****1234"
    wx.push_url = f"{live_server.url}/platforms/wechat_shop/push/"
    wx.ship_order("3705000000000001", waybill_id="ZTO777000111")
    assert PlatformEvent.objects.get(tag="channels_ec_order_deliver").status == "applied"
    order.refresh_from_db()
    assert order.status == "shipped"
    assert Shipment.objects.filter(order=order, carrier="ZTO", tracking_no="ZTO777000111").exists()
    record = wx.add_aftersale(order_id="3705000000000001", sku_id="30002", amount=5000)
    link = PlatformAftersale.objects.get(aftersale_id=record.aftersale_id)
    assert link.case is not None and link.case.order_line.line_key == "30002"
    before = _state()
    assert order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk)).written == 0
    assert order_sync.orders_reconcile(PlatformConnection.objects.get(pk=conn.pk)).written == 0
    assert _state() == before
