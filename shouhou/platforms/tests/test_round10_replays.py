"""Round ten (2026-12-07): published shapes replayed where shouhou still read them differently.

- 抖店 order message 110 订单已支付待处理 (the Go SDK's message type: biz, order_status, order_type, p_id, s_ids, shop_id):
  an order paid into 待处理 (order_status 105) was acknowledged and ignored, so the order waited for the next sync
  (and an after-sale request on it waited with it). Likewise 快手's kwaishop_order_addressChange and 有赞's
  trade_TradePartlySellerShip (below).
- JSON nulls where the SDKs' types have a number or a string (a gateway writing an absent optional field as null):
  Python's str(None) became the text "None" — a request's type, status and sub-order read as "None" (shown as
  「未知状态 None」, a line looked up by the key "None"), and a null inside 抖店's sku_order_infos list failed the read.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shouhou.commerce.models import Order
from shouhou.platforms.adapters.doudian import DoudianAdapter, push_sign
from shouhou.platforms.adapters.kuaishou import KuaishouAdapter
from shouhou.platforms.adapters.wechat_shop import WechatShopAdapter
from shouhou.platforms.models import PlatformEvent, SyncedOrder
from shouhou.platforms.tests.test_youzan import yz, yz_connect  # noqa: F401 (fixtures)

URL = "/platforms/doudian/push/"
OID = "6930000000000110"
SKU = "6930000000000111"


def _push(client, box, messages: list[dict]):
    body = json.dumps(messages, ensure_ascii=False).encode()
    return client.post(URL, data=body, content_type="application/json",
                       headers={"app-id": box.app_key, "event-sign": push_sign(box.app_key, box.app_secret, body)})


@pytest.mark.django_db(transaction=True)
def test_doudian_110_paid_pending_order_message_reads_that_order(client, shop, sandbox, connect):
    conn = connect()
    sandbox.add_order(order_id=OID, status=105, push=False, lines=[
        {"sku_order_id": SKU, "product_name": "羊毛开衫", "item_num": 1, "pay_amount": 19900, "sku_id": 501,
         "code": "KS-1", "spec": [{"name": "颜色", "value": "米白"}]}])
    # the SDK's 订单已支付待处理 message: ids as JSON numbers inside the data string
    data = {"biz": 2, "order_status": 105, "order_type": 0, "p_id": int(OID), "s_ids": [int(SKU)],
            "shop_id": int(sandbox.shop_id)}
    message = {"tag": "110", "msg_id": "7100000000000000110", "data": json.dumps(data)}
    response = _push(client, sandbox, [message])
    assert response.status_code == 200 and response.json() == {"code": 0, "msg": "success"}
    event = PlatformEvent.objects.get(tag="110")
    assert (event.order_id, event.connection_id, event.status) == (OID, conn.pk, "applied")
    assert "order/orderDetail" in sandbox.calls
    order = Order.objects.get(shop=shop, order_no=OID)
    assert order.status == "paid" and order.lines.get().line_key == SKU
    assert SyncedOrder.objects.filter(connection=conn, platform_order_id=OID).exists()
    # the same message again (a redelivery): kept once, nothing read
    calls = len(sandbox.calls)
    assert _push(client, sandbox, [message]).status_code == 200
    assert PlatformEvent.objects.filter(tag="110").count() == 1 and len(sandbox.calls) == calls


def _bare(cls):
    return object.__new__(cls)


def test_doudian_list_row_with_nulls_reads_nothing_as_none():
    item = {"aftersale_info": {"aftersale_id": 7300000000000000001, "aftersale_type": None, "aftersale_status": None,
                               "refund_amount": None, "refund_post_amount": None, "status_deadline": None,
                               "update_time": None, "related_id": None},
            "order_info": {"shop_order_id": 6930000000000110, "related_order_info": None}, "text_part": None}
    got = DoudianAdapter._from_list(_bare(DoudianAdapter), item)
    assert (got.aftersale_id, got.order_id) == ("7300000000000000001", OID)
    assert (got.sub_order_id, got.platform_type, got.platform_status) == ("", "", "")
    assert "None" not in got.status_text and got.refund_amount == Decimal("0") and got.updated == 0


def test_doudian_detail_with_a_null_line_and_null_fields_is_read():
    adapter = _bare(DoudianAdapter)
    adapter.call = lambda *args, **kwargs: {"data": {
        "process_info": {"after_sale_info": {"after_sale_id": 7300000000000000002, "after_sale_type": None,
                                             "after_sale_status": 12, "reason": None, "refund_total_amount": "8900",
                                             "update_time": "1701000000", "status_deadline": None}},
        "order_info": {"shop_order_id": int(OID), "sku_order_infos": [None, {"sku_order_id": int(SKU)}]}}}
    got = adapter.fetch_aftersale("token", "7300000000000000002")
    assert (got.order_id, got.sub_order_id, got.platform_type, got.platform_status) == (OID, SKU, "", "12")
    assert got.case_status == "resolved" and got.refund_amount == Decimal("89.00") and got.reason_text == ""


def test_kuaishou_and_wechat_nulls_are_empty_not_none():
    ks = KuaishouAdapter._aftersale(_bare(KuaishouAdapter), {
        "refundId": 2100000000000001, "handlingWay": None, "status": None, "specialRefundType": None, "refundFee": None,
        "updateTime": None, "oid": None, "orderId": int(OID), "negotiateStatus": None, "refundReasonDesc": None})
    assert (ks.aftersale_id, ks.order_id, ks.platform_type, ks.platform_status) == ("2100000000000001", OID, "", "")
    assert "None" not in ks.status_text
    wx = WechatShopAdapter._aftersale(_bare(WechatShopAdapter), {
        "after_sale_order_id": "1234", "type": None, "status": None, "order_id": None, "details": None,
        "refund_info": None, "product_info": {"sku_id": None}, "deadline": None, "update_time": None})
    assert (wx.platform_type, wx.platform_status, wx.sub_order_id, wx.order_id) == ("", "", "", "")
    assert "None" not in wx.status_text


# --- 快手 kwaishop_order_addressChange ------------------------------------------------------------------------------
# The address-change message as the public Go SDK types it (message docs kwaishop_order_addressChange v1): oid,
# seller_id, openId, buyerOpenId, updateTime (ms). It was acknowledged and ignored: the changed receiver waited for the
# next order sync.

KS_OID = "2420000000000000420"


@pytest.fixture
def ks_conn(ks, shop):
    from shouhou.accounts.actors import SYSTEM
    from shouhou.platforms import services

    return services.connection_connect(
        shop=shop, actor=SYSTEM, platform="kuaishou", app_key=ks.app_key, app_secret=ks.app_secret,
        platform_shop_id=ks.seller_id, code="sandbox-code", api_base=ks.url, backfill=False,
        extra_secrets={"sign_secret": ks.sign_secret, "msg_secret": ks.msg_secret})


@pytest.mark.django_db(transaction=True)
def test_kuaishou_address_change_message_reads_that_order(client, shop, ks, ks_conn):
    order = ks.add_order(oid=KS_OID, title="羊毛开衫", total_fee=19900)
    info = {"oid": int(KS_OID), "seller_id": int(ks.seller_id), "openId": "f19sandbox", "buyerOpenId": "f19sandbox",
            "updateTime": order.update_time}
    envelope = {"eventId": "ev-420", "msgId": "msg-420", "bizId": int(KS_OID), "userId": int(ks.seller_id),
                "openId": "sandbox-open-id", "appKey": ks.app_key, "event": "kwaishop_order_addressChange",
                "info": json.dumps(info), "status": 1, "createTime": order.update_time, "test": False}
    body = ks.encrypted(envelope)
    response = client.post(f"/platforms/kuaishou/push/{ks.app_key}/", data=body, content_type="text/plain")
    assert response.json() == {"result": 1}
    event = PlatformEvent.objects.get()
    assert (event.tag, event.order_id, event.status) == ("kwaishop_order_addressChange", KS_OID, "applied")
    assert "open/order/detail" in ks.calls
    assert Order.objects.filter(shop=shop, order_no=KS_OID).exists()


# --- 有赞 trade_TradePartlySellerShip -------------------------------------------------------------------------------
# 卖家部分发货: 有赞 pushes it when some lines of an order ship (a split shipment); the full shipment pushes
# trade_TradeSellerShip. It was acknowledged and ignored: the first parcel waited for the next order sync.

YZ_TID = "E20261207100000000400001"


@pytest.mark.django_db(transaction=True)
def test_youzan_partly_shipped_message_reads_that_order_and_its_first_parcel(client, shop, yz, yz_connect):  # noqa: F811
    from shouhou.commerce.models import Shipment
    from shouhou.platforms.adapters.youzan import encode_msg

    lines = [{"oid": f"400001{n:03d}", "title": f"羊绒围巾 {n}", "num": 1, "payment": "30.00", "item_id": 700 + n,
              "outer_sku_id": f"YZ-SKU-{n}", "sku_properties_name": '[{"k":"颜色","v":"燕麦"}]'} for n in range(2)]
    yz.add_order(tid=YZ_TID, lines=lines)
    yz_connect(backfill=False)
    yz.ship_order(YZ_TID, express_no="SF1300000400", express_id=7, push=False, oids=[lines[0]["oid"]])
    trade = yz.trades[YZ_TID]
    message = yz.trade_message("trade_TradePartlySellerShip", trade)
    msg = encode_msg({"tid": YZ_TID, "oids": lines[0]["oid"], "express_id": 7})
    message.update(msg=msg, sign=yz_push_sign(yz, msg))
    raw, headers = yz.signed(message)
    response = client.post("/platforms/youzan/push/", data=raw, content_type="application/json", headers=headers)
    assert response.status_code == 200
    event = PlatformEvent.objects.get(tag="trade_TradePartlySellerShip")
    assert (event.order_id, event.status) == (YZ_TID, "applied")
    order = Order.objects.get(shop=shop, order_no=YZ_TID)
    assert Shipment.objects.filter(order=order, tracking_no="SF1300000400").exists()


def yz_push_sign(box, msg: str) -> str:
    from shouhou.platforms.adapters.youzan import push_sign as youzan_sign

    return youzan_sign(box.client_id, box.client_secret, msg.encode())
