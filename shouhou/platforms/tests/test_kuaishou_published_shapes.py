"""快手小店 read in the shapes 快手 publishes, through real HTTP: the refund detail and list flat under `data`, orders as
orderBaseInfo / orderItemInfo / orderAddress / orderLogisticsInfo with the buyer's data masked in desensitise* (the
plain consignee / mobile / address null since 快手's buyer-data encryption) and the carrier as an expressCode only,
reads as GET and actions as a form POST, the token answer and the error envelopes, and the message push: the
envelope of 快手's 消息服务说明, its {"test": true} heartbeat, and the answer it waits for, exactly {"result": 1}.
open.order.decrypt.batch: the request and result items as published, the result list in each of the three places
the adapter reads it from (which one 快手 uses is not published), and the refusals.

The payloads are hand-written from the published field lists (docs/platforms.md, "Sources"); the values are made
up. Each found a difference the sandbox had shared with the adapter: the push answer carried an extra "msg", a
heartbeat without appKey was refused (快手 pauses a URL that fails it), the receiver and the carrier of a synced
order came back empty, reads were POSTed."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.platforms import services
from shouhou.platforms.adapters.base import Action, PlatformError
from shouhou.platforms.adapters.kuaishou import KuaishouAdapter
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.sandbox.kuaishou import KuaishouSandbox

# open.seller.order.refund.detail `data`: the fields a public SDK's response type lists (RefundDetail); ids int64,
# money in fen, times in ms
REFUND_DETAIL = {
    "refundId": 2100000000009901, "oid": 2300000000009901, "skuId": 51001, "refundFee": 12900, "status": 10,
    "refundReason": 3, "buyerId": 880011, "sellerId": 88000001, "refundType": 1, "handlingWay": 1,
    "refundDesc": "拉链坏了", "logisticsId": 0, "pictures": "https://ks.example/p1.jpg", "negotiateStatus": 1,
    "validNegotiateBuyerModifyTimeStamp": 0, "updateTime": 1762394460123, "relSkuId": 3300001, "relItemId": 0,
    "sellerDisagreeImages": "", "logisticsInfo": {"expressNo": "", "expressCode": 0}, "sellerDisagreeDesc": "",
    "sellerDisagreeReason": 0, "timeLimitNegotiateChange": 0, "negotiateReason": "", "createTime": 1762394400000,
    "negotiateUpdateTime": 1762394460123, "submitTime": 1762394400000, "expireTime": 1762653600000, "endTime": 0,
    "itemId": 2200001, "receiptStatus": 1, "productNum": 1, "refundReasonDesc": "质量问题",
    "buyerOpenId": "f19buyer", "address": "", "specialRefundType": 0, "logisticsRiskInfos": [],
    "buyerExchangeAddress": {"encryptedConsignee": "", "desensitiseConsignee": "", "encryptedMobile": "",
                             "desensitiseMobile": "", "province": "", "provinceCode": 0, "city": "", "cityCode": 0,
                             "district": "", "districtCode": 0, "encryptedAddress": "", "desensitiseAddress": ""},
    "exchangeInfo": {"skuId": 0, "skuDesc": "", "quantity": 0},
    "returnFreightInfo": {"returnFreightAmount": 0, "returnFreightStatus": 0, "returnFreightApplyDesc": "",
                          "returnFreightApplyImages": []},
}
# open.order.detail `data` (and one item of open.order.cursor.list's data.orderList): a public SDK's result types
ORDER = {
    "orderBaseInfo": {"oid": 2300000000009901, "status": 40, "createTime": 1762300000000, "payTime": 1762300060000,
                      "sendTime": 1762310000000, "recvTime": 0, "updateTime": 1762310000500, "totalFee": 25800,
                      "expressFee": 0, "discountFee": 0, "buyerOpenId": "f19buyer", "buyerNick": "买家",
                      "sellerOpenId": "f19seller", "sellerNick": "店", "payType": 1, "remark": "", "riskCode": 0,
                      "cpsType": 0, "preSale": 0, "coType": 0, "activityType": 0, "payChannel": "WECHAT",
                      "commentStatus": 0, "refundTime": 0, "validPromiseShipmentTimeStamp": 1762472800000},
    "orderItemInfo": {"itemId": 2200001, "relItemId": 0, "itemTitle": "加绒卫衣", "skuId": 51001, "relSkuId": 3300001,
                      "skuNick": "WY-BLK-L", "skuDesc": "颜色:黑;尺码:L", "num": 2, "price": 12900,
                      "originalPrice": 15900, "discountFee": 0, "orderItemId": 9900001, "itemType": 1,
                      "goodsCode": "", "warehouseCode": "", "itemPicUrl": "", "itemLinkUrl": "",
                      "itemExtra": {"categoryInfo": {"itemCid": 1, "categoryName": "卫衣"}}},
    "orderAddress": {"consignee": None, "mobile": None, "address": None, "province": "浙江省", "provinceCode": 330000,
                     "city": "杭州市", "cityCode": 330100, "district": "西湖区", "districtCode": 330106,
                     "desensitiseConsignee": "王*", "desensitiseMobile": "138****5678",
                     "desensitiseAddress": "文三路**号", "encryptedConsignee": "#enc1#",
                     "encryptedMobile": "$enc2$", "encryptedAddress": "~enc3~"},
    "orderLogisticsInfo": [{"logisticsId": 77001, "expressNo": "SF1400000009901", "expressCode": 4},
                           {"logisticsId": 77002, "expressNo": "JT0000000009902", "expressCode": 109}],
    "orderRefundList": [], "orderNote": {"sellerNote": []}, "orderCpsInfo": {"distributorName": "", "distributorId": 0},
}

# open.order.decrypt.batch: result items {encryptedData, decryptedData, errorCode (1 = decrypted), errorMsg} (the
# official Java SDK's DecryptResultMetaInfo, as public integrations read it); the clear values made up
DECRYPTED = {"#enc1#": "王小明", "$enc2$": "13800138000", "~enc3~": "文三路90号东部软件园1号楼"}


class PublishedShapeSandbox(KuaishouSandbox):
    """The sandbox answering the reads with the full published payloads above."""

    def handle(self, path: str, params: dict, http_method: str = "POST") -> tuple[int, dict]:
        if path in ("open/seller/order/refund/detail", "open/seller/order/refund/pcursor/list",
                    "open/order/detail", "open/order/cursor/list") and http_method == "GET":
            refused = self.fault(path) or self.gate(path, params)  # outage / fail_next, then sign, app and token
            if refused is not None:
                return refused
            param = json.loads(params["param"])
            if path == "open/seller/order/refund/detail":
                if param != {"refundId": 2100000000009901}:  # a refund the test added: the sandbox's own answer
                    return super().handle(path, params, http_method)
                return 200, {"result": 1, "data": REFUND_DETAIL}
            if path == "open/seller/order/refund/pcursor/list":
                rows = [REFUND_DETAIL] if not param.get("pcursor") else [{**REFUND_DETAIL, "refundId": 2100000000009902}]
                key = "refundOrderInfoList" if self.list_key == "refundOrderInfoList" else "dataList"
                return 200, {"result": 1, "data": {"currentPage": 1, "pageSize": 100, "totalPage": 1, "totalSize": 2,
                                                   "beginTime": param["beginTime"], "endTime": param["endTime"],
                                                   key: rows, "pcursor": "nomore" if param.get("pcursor") else "p2"}}
            if path == "open/order/detail":
                return 200, {"result": 1, "data": ORDER}
            return 200, {"result": 1, "data": {"cursor": "nomore", "pageSize": 50, "beginTime": param["beginTime"],
                                               "endTime": param["endTime"], "orderList": [ORDER]}}
        if path == "open/order/decrypt/batch" and http_method == "POST":
            refused = self.fault(path) or self.gate(path, params)
            if refused is not None:
                return refused
            if self.decrypt_error is not None:
                return 200, self.decrypt_error
            batch = json.loads(params["param"])["batchDecryptList"]
            self.decrypted.append(batch)
            items = [{"encryptedData": i["encryptedData"], "decryptedData": DECRYPTED.get(i["encryptedData"], ""),
                      "errorCode": 1 if i["encryptedData"] in DECRYPTED else 5, "errorMsg":
                      "" if i["encryptedData"] in DECRYPTED else "解密失败"} for i in batch]
            items = [i for i in items if i["encryptedData"] not in self.left_out]
            # where the result list sits is not published: each reading the adapter accepts
            return 200, {"data": {"result": 1, "data": {"batchDecryptResultList": items}},
                         "top": {"result": 1, "batchDecryptResultList": items},
                         "list": {"result": 1, "data": items},
                         "none": {"result": 1, "data": {"decryptList": items}}}[self.placement]
        return super().handle(path, params, http_method)

    list_key = "refundOrderInfoList"
    placement = "data"
    decrypt_error: dict | None = None
    left_out: tuple = ()


@pytest.fixture
def box():
    sandbox = PublishedShapeSandbox().start()
    yield sandbox
    sandbox.stop()


def _adapter(box) -> KuaishouAdapter:
    return KuaishouAdapter(app_key=box.app_key, app_secret=box.app_secret, sign_secret=box.sign_secret,
                           msg_secret=box.msg_secret, api_base=box.url)


def test_the_refund_detail_is_read_flat_under_data_with_a_get(box):
    got = _adapter(box).fetch_aftersale(box.access_token, "2100000000009901")
    assert (got.aftersale_id, got.order_id, got.platform_type, got.platform_status) == (
        "2100000000009901", "2300000000009901", "1", "10")
    assert (got.kind, got.case_status) == ("return_refund", "requested")
    assert got.refund_amount == Decimal("129.00") and got.reason_text == "质量问题"
    assert got.updated == 1762394460123  # ms: sent back as refundVersion
    assert got.deadline is None  # expireTime's meaning is not published: no platform deadline is taken from it
    assert box.methods[-1] == ("GET", "open/seller/order/refund/detail")


def test_the_refund_list_follows_pcursor_and_takes_either_list_name(box):
    adapter = _adapter(box)
    begin = int((dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).timestamp() * 1000)
    page = adapter.fetch_aftersales(box.access_token, {"begin": begin, "pcursor": ""})
    assert [a.aftersale_id for a in page.items] == ["2100000000009901"] and page.has_more
    assert page.cursor == {"begin": begin, "pcursor": "p2"}
    box.list_key = "dataList"  # the variant a Go SDK's type lists
    page = adapter.fetch_aftersales(box.access_token, page.cursor)
    assert [a.aftersale_id for a in page.items] == ["2100000000009902"]
    assert page.cursor["begin"] == begin + 86_400_000 + 1  # the next one-day window
    assert {m for m, p in box.methods if p == "open/seller/order/refund/pcursor/list"} == {"GET"}


def test_an_order_gives_its_masked_receiver_and_its_carriers_from_express_codes(box):
    adapter = _adapter(box)
    order = adapter.get_order(box.access_token, "2300000000009901")
    assert (order.order_id, order.status, order.platform_status) == ("2300000000009901", "shipped", "40")
    assert (order.receiver_name, order.receiver_phone, order.address) == ("王*", "138****5678", "浙江省杭州市西湖区文三路**号")
    assert [(w.carrier, w.tracking_no, w.carrier_name) for w in order.waybills] == [
        ("SF", "SF1400000009901", "顺丰速运"), ("JTSD", "JT0000000009902", "极兔速递")]
    (item,) = order.items
    assert (item.sub_order_id, item.sku_code, item.quantity, item.spec) == ("2300000000009901", "WY-BLK-L", 2, "颜色:黑;尺码:L")
    assert order.total == Decimal("258.00") and order.updated == 1762310000
    assert order.paid_at == dt.datetime.fromtimestamp(1762300060, dt.UTC)
    page = adapter.list_orders(box.access_token, 1762300000, {})
    assert [o.receiver_phone for o in page.items] == ["138****5678"]
    assert ("GET", "open/order/detail") in box.methods and ("GET", "open/order/cursor/list") in box.methods


def test_an_answer_from_before_the_encryption_still_gives_the_plain_masked_fields(box):
    old = {**ORDER, "orderAddress": {"consignee": "李**", "mobile": "159****0000", "address": "天河路***号",
                                     "province": "广东省", "city": "广州市", "district": "天河区"},
           "orderLogisticsInfo": [{"expressNo": "ZT1", "expressName": "中通快递"}]}
    got = KuaishouAdapter._order(old)
    assert (got.receiver_name, got.receiver_phone, got.address) == ("李**", "159****0000", "广东省广州市天河区天河路***号")
    assert got.waybills[0].carrier == "ZTO"


@pytest.mark.parametrize("placement", ["data", "top", "list"])
def test_a_reveal_reads_the_decrypt_results_wherever_the_list_sits(box, placement):
    adapter = _adapter(box)
    box.placement = placement  # data.batchDecryptResultList, a top-level batchDecryptResultList, or data a list
    oid = "2300000000009901"

    assert adapter.decrypt_receiver(box.access_token, oid, ["phone"]) == {"phone": "13800138000"}
    assert box.decrypted == [[{"bizId": oid, "encryptedData": "$enc2$"}]]  # orderAddress.encryptedMobile, bizId a string
    assert box.methods[-1] == ("POST", "open/order/decrypt/batch")
    # the address: the plain region (province, city, district) and the decrypted encryptedAddress
    assert adapter.decrypt_receiver(box.access_token, oid, ["address", "name"]) == {
        "address": "浙江省杭州市西湖区文三路90号东部软件园1号楼", "name": "王小明"}
    assert box.decrypted[-1] == [{"bizId": oid, "encryptedData": "~enc3~"}, {"bizId": oid, "encryptedData": "#enc1#"}]


def test_a_decrypt_refusal_in_each_published_or_assumed_shape(box):
    adapter = _adapter(box)
    oid = "2300000000009901"
    # an item with errorCode other than 1: that field's failure, with the platform's errorMsg
    DECRYPTED.pop("$enc2$")
    try:
        with pytest.raises(PlatformError) as item:
            adapter.decrypt_receiver(box.access_token, oid, ["name", "phone"])
    finally:
        DECRYPTED["$enc2$"] = "13800138000"
    assert item.value.kind == "refused" and item.value.message == f"快手：未能解密订单 {oid} 的手机号：解密失败（5）"
    assert item.value.answer == {}  # the answer held the name in clear: a refusal carries none of it
    box.left_out = ("~enc3~",)  # a ciphertext the answer leaves out
    with pytest.raises(PlatformError) as left_out:
        adapter.decrypt_receiver(box.access_token, oid, ["address"])
    assert left_out.value.kind == "refused" and left_out.value.message == f"快手：解密结果缺少订单 {oid} 的详细地址"
    box.left_out, box.placement = (), "none"  # a list under a key none of the readings knows
    with pytest.raises(PlatformError) as nowhere:
        adapter.decrypt_receiver(box.access_token, oid, ["phone"])
    assert nowhere.value.kind == "refused" and "没有结果列表" in nowhere.value.message
    box.placement = "data"
    # no permission: a message naming 权限, or a sub_code naming permission (the real answer is not published)
    for answer in ({"result": 0, "error_msg": "应用没有该API的访问权限"},
                   {"result": 0, "code": "1000", "error_msg": "调用失败", "sub_code": "isv.permission-denied"}):
        box.decrypt_error = answer
        with pytest.raises(PlatformError) as denied:
            adapter.decrypt_receiver(box.access_token, oid, ["phone"])
        assert denied.value.kind == "no_permission"
    assert "isv.permission-denied" in denied.value.message
    # K1008's words: rate limited, as any other 快手 call; a revoked authorisation stays the token's
    box.decrypt_error = {"result": 0, "error_msg": "exceed quota limit, KEY [apiId:open.order.decrypt.batch]"}
    with pytest.raises(PlatformError) as quota:
        adapter.decrypt_receiver(box.access_token, oid, ["phone"])
    assert quota.value.kind == "rate_limited"
    box.decrypt_error = {"result": 24, "error_msg": "AUTHORIZATION_REVOKED"}
    with pytest.raises(PlatformError) as revoked:
        adapter.decrypt_receiver(box.access_token, oid, ["phone"])
    assert revoked.value.kind == "token_expired"


def test_actions_are_posted_as_forms_with_the_documented_fields(box):
    adapter = _adapter(box)
    refund = box.add_refund(order_id="2300000000009901", handling_way=10, refund_fee=12900, push=False)
    adapter.act(box.access_token, Action(kind="approve", aftersale_id=refund.refund_id, platform_type="10",
                                         amount_fen=12900, platform_status="10"))
    assert box.params_log[-1] == ("open/seller/order/refund/approve", {
        "refundId": int(refund.refund_id), "refundAmount": 12900, "status": 10, "negotiateStatus": 1,
        "refundHandingWay": 10})
    assert box.methods[-1] == ("POST", "open/seller/order/refund/approve")
    resend = box.add_refund(order_id="2300000000009901", handling_way=4, refund_fee=0, push=False)
    with pytest.raises(PlatformError):  # refund.approve is for 仅退款 only (test_published_action_scope.py)
        adapter.act(box.access_token, Action(kind="approve", aftersale_id=resend.refund_id, platform_type="4",
                                             amount_fen=0, platform_status="10"))
    assert box.params_log[-1][0] == "open/seller/order/refund/approve" and box.params_log[-1][1]["refundId"] != int(
        resend.refund_id)
    ret = box.add_refund(order_id="2300000000009901", handling_way=1, refund_fee=12900, push=False)
    adapter.act(box.access_token, Action(kind="approve", aftersale_id=ret.refund_id, platform_type="1",
                                         amount_fen=12900, return_address_id="5500001"))
    assert box.params_log[-1] == ("open/seller/order/refund/returngoods/approve", {
        "refundId": int(ret.refund_id), "refundAmount": 12900, "addressId": 5500001})
    box.buyer_returns(ret.refund_id, push=False)
    adapter.act(box.access_token, Action(kind="confirm_receipt", aftersale_id=ret.refund_id, platform_type="1",
                                         platform_status="40"))
    assert box.params_log[-1] == ("open/seller/order/refund/confirm/receipt", {"refundId": int(ret.refund_id),
                                                                                "status": 40})
    no = box.add_refund(order_id="2300000000009901", handling_way=10, push=False)
    version = no.update_time  # updateTime in ms: refundVersion
    adapter.act(box.access_token, Action(kind="reject", aftersale_id=no.refund_id, platform_type="10",
                                         updated=version, reason="已超过售后期", reject_reason_code=12))
    assert box.params_log[-1] == ("open/refund/reject", {"refundId": int(no.refund_id), "rejectDesc": "已超过售后期",
                                                         "refundVersion": version, "reasonCode": 12})
    swap = box.add_refund(order_id="2300000000009901", handling_way=3, push=False)
    adapter.act(box.access_token, Action(kind="approve", aftersale_id=swap.refund_id, platform_type="3"))
    box.buyer_returns(swap.refund_id, push=False)
    adapter.act(box.access_token, Action(kind="exchange_ship", aftersale_id=swap.refund_id, platform_type="3",
                                         carrier="ZTO", tracking_no="ZT2200000001"))
    assert box.params_log[-1] == ("open/refund/confirm/and/send", {
        "refundId": int(swap.refund_id), "expressNo": "ZT2200000001", "expressCode": 9})  # 物流公司编号: 中通 9
    assert {m for m, p in box.methods if p.startswith("open/") and "refund/detail" not in p} == {"POST"}


def test_the_token_answer_and_the_error_envelopes_are_read_as_published(box):
    adapter = _adapter(box)
    tokens = adapter.create_token(code="sandbox-code")
    assert tokens.access_token == box.access_token and tokens.refresh_token == box.refresh_token
    assert dt.timedelta(hours=47) < tokens.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=48)
    assert ("GET", "oauth2/access_token") in box.methods
    renewed = adapter.refresh_token(box.refresh_token)
    assert renewed.refresh_token == box.refresh_token != tokens.refresh_token  # a new refresh token each time
    assert box.methods[-1] == ("POST", "oauth2/refresh_token")
    with pytest.raises(PlatformError) as used:  # APP授权说明: a refresh token used twice
        adapter.refresh_token(tokens.refresh_token)
    assert used.value.kind == "token_expired" and "refreshToken.discarded" in used.value.message
    cases = [({"result": 24, "error_msg": "AUTHORIZATION_REVOKED"}, "token_expired"),
             ({"result": 300014, "error_msg": "退款单状态已更新，请刷新重试"}, "already_handled"),
             ({"result": 0, "code": "300013", "error_msg": "买家取消退款"}, "already_handled"),
             ({"result": 0, "sub_code": "300010", "sub_msg": "退款单当前状态不能退款"}, "already_handled"),
             ({"result": 0, "error_msg": "Exceed qps limit, KEY [apiId:open.refund.reject;appkey:ks1], MAX_QPS [300.0]"},
              "rate_limited"),
             ({"result": 0, "error_msg": "鉴权失败"}, "token_expired"),
             ({"result": 0, "error_msg": "参数错误"}, "refused")]
    assert [KuaishouAdapter._error(answer).kind for answer, _ in cases] == [kind for _, kind in cases]
    box.fail_next("open/seller/order/refund/detail", "revoked")
    with pytest.raises(PlatformError) as revoked:
        adapter.fetch_aftersale(box.access_token, "2100000000009901")
    assert revoked.value.kind == "token_expired" and "AUTHORIZATION_REVOKED" in revoked.value.message


@pytest.mark.django_db(transaction=True)
def test_a_push_in_the_published_envelope_and_the_heartbeat_get_exactly_result_1(shop, box, live_server):
    services.connection_connect(
        shop=shop, actor=SYSTEM, platform="kuaishou", app_key=box.app_key, app_secret=box.app_secret,
        platform_shop_id=box.seller_id, code="sandbox-code", api_base=box.url, backfill=False,
        extra_secrets={"sign_secret": box.sign_secret, "msg_secret": box.msg_secret})
    url = f"{live_server.url}/platforms/kuaishou/push/"

    def post(body: bytes) -> httpx.Response:
        return httpx.post(url, content=body, headers={"Content-Type": "text/plain;charset=utf-8"}, timeout=30)

    # 消息服务说明 3.1: eventId, bizId, userId, openId, appKey, event, info (a JSON string), createTime, test
    info = {"orderId": 2300000000009901, "refundId": 2100000000009901, "handlingWay": 1, "specialRefundType": 0,
            "status": 10, "createTime": 1762394400000}
    envelope = {"eventId": "267_2345_147402", "bizId": 2100000000009901, "userId": int(box.seller_id),
                "openId": "f19seller", "appKey": box.app_key, "event": "kwaishop_aftersales_addRefund",
                "info": json.dumps(info), "createTime": 1762394400333, "test": False}
    for _ in range(2):  # delivered, then delivered again: kept once
        answer = post(box.encrypted(envelope))
        assert (answer.status_code, answer.json()) == (200, {"result": 1})
    event = PlatformEvent.objects.get()
    assert (event.message_id, event.tag, event.aftersale_id, event.order_id) == (
        "267_2345_147402", "kwaishop_aftersales_addRefund", "2100000000009901", "2300000000009901")
    # the heartbeat and the console's URL check: {"test": true} alone, no appKey
    for body in (box.heartbeat(), b'{"test":true}'):
        answer = post(body)
        assert (answer.status_code, answer.json()) == (200, {"result": 1})
    assert PlatformEvent.objects.count() == 1
    # another app's message, or a heartbeat that names another app, is still refused and not stored
    assert post(box.encrypted({**envelope, "eventId": "x", "appKey": "ks-other"})).status_code == 401
    assert post(box.encrypted({"test": True, "appKey": "ks-other"})).status_code == 401
    assert post(b'{"test":true,"event":"kwaishop_aftersales_addRefund"}').status_code == 401
    assert PlatformEvent.objects.count() == 1
