"""Orders with several parcels and receiver changes, through the sandboxes over real HTTP: every waybill of an
order becomes a shipment subscribed at Kuaidi100, once (抖店 logistics_info, 微信小店 delivery_product_info,
有赞 delivery_order); a receiver changed on the platform (抖店 tag 105, or seen by a later sync) is written
onto the order with an audit event, while a first read never overwrites an export's receiver."""

from __future__ import annotations

import time

import pytest

from shouhou.commerce.models import Order, Shipment
from shouhou.core.models import AuditEvent
from shouhou.logistics.models import TrackingSubscription
from shouhou.platforms import orders as order_sync
from shouhou.platforms.models import PlatformConnection, PlatformEvent, SyncedOrder
from shouhou.platforms.tests.test_order_sync import _lines
from shouhou.platforms.tests.test_wechat_shop import wx_connect  # noqa: F401 (fixture)
from shouhou.platforms.tests.test_youzan import yz, yz_connect  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

OID = "6930000000000300"
SKU_A, SKU_B = "6930000000000301", "6930000000000302"


def _kuaidi100(shop) -> None:
    shop.settings = {**(shop.settings or {}), "kuaidi100_key": "k100-key", "kuaidi100_salt": "k100-salt"}
    shop.save()


def _past(stamp: int) -> None:
    """The sandboxes stamp changes in whole seconds and a pass reads up to now: step past the last change."""
    while time.time() < stamp + 1:
        time.sleep(0.05)


def _shipments(order) -> list[tuple[str, str]]:
    return sorted(Shipment.objects.filter(order=order).values_list("carrier", "tracking_no"))


def test_doudian_every_parcel_becomes_a_shipment_once(shop, sandbox, connect, live_server):
    _kuaidi100(shop)
    sandbox.add_order(order_id=OID, lines=_lines((SKU_A, 19900), (SKU_B, 5900)))
    conn = connect(backfill=True)
    order = Order.objects.get(order_no=OID)
    # two parcels shipped in the back office (a split shipment), no push: the incremental sync reads both
    sandbox.ship_order(OID, tracking_no="ZT8800000001", push=False)
    sandbox.ship_order(OID, tracking_no="SF1400000002", company="shunfeng", company_name="顺丰速运", push=False)
    _past(sandbox.orders[OID].update_time)
    result = order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk))
    assert result.error == "" and result.written == 1
    assert _shipments(order) == [("SF", "SF1400000002"), ("ZTO", "ZT8800000001")]
    assert set(Shipment.objects.filter(order=order).values_list("status", flat=True)) == {"in_transit"}
    subs = sorted(TrackingSubscription.objects.values_list("tracking_no", "company"))
    assert subs == [("SF1400000002", "shunfeng"), ("ZT8800000001", "zhongtong")]
    # a reconciliation (re-reads the order from a fresh cursor) and a newer version of the order (tag 102 push
    # of a third parcel) create nothing twice
    assert order_sync.orders_reconcile(PlatformConnection.objects.get(pk=conn.pk)).written == 0
    sandbox.push_url = f"{live_server.url}/platforms/doudian/push/"
    sandbox.ship_order(OID, tracking_no="YT9900000003", company="yuantong", company_name="圆通速递")
    assert PlatformEvent.objects.get(tag="102").status == "applied"
    assert _shipments(order) == [("SF", "SF1400000002"), ("YTO", "YT9900000003"), ("ZTO", "ZT8800000001")]
    assert TrackingSubscription.objects.count() == 3
    order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk), backfill=True)
    assert Shipment.objects.filter(order=order).count() == 3 and TrackingSubscription.objects.count() == 3


def test_doudian_receiver_change_push_updates_the_order_with_an_audit_event(shop, sandbox, connect, live_server):
    sandbox.add_order(order_id=OID, lines=_lines((SKU_A, 19900)))
    connect(backfill=True)
    order = Order.objects.get(order_no=OID)
    assert (order.receiver_name, order.address) == ("张**", "浙江省杭州市西湖区文新街道文一西路***号")
    assert SyncedOrder.objects.get(platform_order_id=OID).receiver_digest != ""
    # the buyer changes the address; 抖店 pushes tag 105 (买家收货信息变更); shouhou reads the order again
    sandbox.push_url = f"{live_server.url}/platforms/doudian/push/"
    sandbox.change_receiver(OID, receiver="李**", tel="139****0001", district=("滨江区", "长河街道"),
                            detail="江南大道***号")
    event = PlatformEvent.objects.get(tag="105")
    assert event.status == "applied" and event.order_id == OID
    order.refresh_from_db()
    assert (order.receiver_name, order.receiver_phone, order.address) == (
        "李**", "139****0001", "浙江省杭州市滨江区长河街道江南大道***号")
    audit = AuditEvent.objects.get(action="platforms.order_receiver")
    assert audit.object_id == str(order.pk) and audit.actor is None
    assert audit.before["receiver_name"] == "张**" and audit.after["address"].endswith("江南大道***号")
    # the same order read again (reconciliation): nothing more
    order_sync.orders_reconcile(PlatformConnection.objects.get(pk=SyncedOrder.objects.get().connection_id))
    assert AuditEvent.objects.filter(action="platforms.order_receiver").count() == 1


def test_an_exported_receiver_is_kept_until_the_platform_changes_it(shop, sandbox, connect):
    from shouhou.core.testing.factories import OrderFactory

    exported = OrderFactory(shop=shop, order_no=OID, receiver_name="张三", receiver_phone="13812345678",
                            address="浙江省杭州市西湖区文一西路88号")
    sandbox.add_order(order_id=OID, lines=_lines((SKU_A, 19900)))
    conn = connect(backfill=True)
    exported.refresh_from_db()  # the first read only records what the platform says
    assert (exported.receiver_name, exported.receiver_phone) == ("张三", "13812345678")
    assert not AuditEvent.objects.filter(action="platforms.order_receiver").exists()
    # later the receiver changes on the platform, no push arrives: the next sync applies it
    sandbox.change_receiver(OID, receiver="王**", tel="137****2222", district=("西湖区", "文新街道"),
                            detail="古墩路***号", push=False)
    _past(sandbox.orders[OID].update_time)
    result = order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk))
    assert result.receivers_changed == 1
    exported.refresh_from_db()
    assert (exported.receiver_name, exported.receiver_phone) == ("王**", "137****2222")
    audit = AuditEvent.objects.get(action="platforms.order_receiver")
    assert audit.before["receiver_phone"] == "138****5678"  # the export's full number is not copied into the log


def test_wechat_shop_split_delivery_gives_two_shipments(wx, wx_connect):  # noqa: F811
    wx.add_order(order_id="3720000000000001",
                 products=[{"sku_id": "sku-1", "product_id": "p-1", "title": "真丝睡衣", "sku_cnt": 1, "sale_price": 29900},
                           {"sku_id": "sku-2", "product_id": "p-2", "title": "真丝眼罩", "sku_cnt": 1, "sale_price": 3900}])
    conn = wx_connect(backfill=True)
    order = Order.objects.get(order_no="3720000000000001")
    wx.ship_order("3720000000000001", waybill_id="ZT5000000001", push=False)
    wx.ship_order("3720000000000001", waybill_id="YD6000000002", delivery_id="YD", delivery_name="韵达快递", push=False)
    _past(wx.orders["3720000000000001"].update_time)
    order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk))
    assert _shipments(order) == [("YD", "YD6000000002"), ("ZTO", "ZT5000000001")]
    order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk), backfill=True)
    assert Shipment.objects.filter(order=order).count() == 2


def test_youzan_two_delivery_orders_give_two_shipments(yz, yz_connect):  # noqa: F811
    tid = "E20261201100000000300001"
    lines = [{"oid": f"{tid[-6:]}{n:03d}", "title": f"羊绒围巾 {n}", "num": 1, "payment": "99.00", "item_id": 700 + n,
              "outer_sku_id": f"YZ-SKU-{n}", "sku_properties_name": ""} for n in range(2)]
    yz.add_order(tid=tid, lines=lines)
    conn = yz_connect(backfill=True)
    order = Order.objects.get(order_no=tid)
    yz.ship_order(tid, express_no="ZT7000000001", express_id=3, oids=[lines[0]["oid"]], push=False)
    yz.ship_order(tid, express_no="SF7000000002", express_id=7, oids=[lines[1]["oid"]], push=False)
    _past(yz.trades[tid].updated)
    order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk))
    assert _shipments(order) == [("SF", "SF7000000002"), ("ZTO", "ZT7000000001")]
    order_sync.orders_reconcile(PlatformConnection.objects.get(pk=conn.pk))
    assert Shipment.objects.filter(order=order).count() == 2
