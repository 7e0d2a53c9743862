"""Outbound actions and the remaining push shapes held against what the platforms publish (docs/platforms.md,
"Outbound actions and pushes checked against the published shapes (2026-12-06)"). Every call goes over real HTTP:
a sandbox on a local port for the APIs, shouhou's push URL for the pushes.

- 抖店 afterSale/operate: a refusal once the buyer's goods are back (status 11, 待商家二次同意) is the second review's
  type (112 退货, 312 换货, 612 维修); shouhou sent the first review's 102/302/603, which the platform takes at 6 only.
- 微信小店 acceptapply: `accept_type` (1 同意退货, 2 同意退款) now names the step of a return, so a repeated approval
  that arrives after the buyer shipped is refused instead of releasing the refund; agreeing to a return carries an
  `address_id` (the shop's default receiving address when the connection maps none), as the page asks (10021060).
- 微信小店 push: a real after-sale push as posted on 微信开放社区 (self-built app: the documented object; ISV: the
  element's flattened text) goes through the push URL sealed in safe mode.
- 有赞 push: Event-Sign = md5(client_id + raw body + client_secret), as 有赞云's push demo computes it, over the
  bytes as sent."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

import httpx
import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.platforms import services
from shouhou.platforms.adapters.base import Action, PlatformError
from shouhou.platforms.adapters.doudian import DoudianAdapter
from shouhou.platforms.adapters.wechat_shop import WechatShopAdapter, seal_push
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.sandbox.doudian import DoudianSandbox
from shouhou.platforms.sandbox.wechat_shop import WechatShopSandbox
from shouhou.platforms.sandbox.youzan import YouzanSandbox
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID

# --- 抖店 afterSale/operate ----------------------------------------------------------------------------------


@pytest.fixture
def doudian():
    box = DoudianSandbox().start()
    yield box, DoudianAdapter(app_key=box.app_key, app_secret=box.app_secret, api_base=box.url)
    box.stop()


def _reject(adapter, box, record, status: str) -> dict:
    return adapter.act(box.access_token, Action(kind="reject", aftersale_id=record.aftersale_id,
                                                platform_type=str(record.aftersale_type), updated=record.update_time,
                                                reason="退回商品已使用", platform_status=status))


@pytest.mark.parametrize(("aftersale_type", "first", "second"), [(0, 102, 112), (3, 302, 312), (8, 603, 612)])
def test_a_refusal_after_the_goods_came_back_is_the_second_reviews_type(doudian, aftersale_type, first, second):
    box, adapter = doudian
    early = box.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=aftersale_type, push=False)
    late = box.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=aftersale_type, push=False)
    late.status = 11  # the buyer's parcel is back with the merchant: 待商家二次同意
    _reject(adapter, box, early, "6")
    _reject(adapter, box, late, "11")
    assert [item["type"] for item in box.operate_items] == [first, second]
    assert (early.status, late.status) == (27, 29)  # 商家一次拒绝, 商家二次拒绝
    # the first review's type at 11 is what shouhou sent before: the platform refuses it
    stale = box.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=aftersale_type, push=False)
    stale.status = 11
    with pytest.raises(PlatformError):
        adapter.act(box.access_token, Action(kind="reject", aftersale_id=stale.aftersale_id,
                                             platform_type=str(aftersale_type), reason="x", platform_status="6"))


# --- 微信小店 acceptapply --------------------------------------------------------------------------------------


class NoAddressBook(WechatShopSandbox):
    def handle(self, path, query, body):
        if path == "channels/ec/merchant/address/list":
            return 200, {"errcode": 0, "errmsg": "ok", "address_id_list": []}
        return super().handle(path, query, body)


class Answering(WechatShopSandbox):
    """Answers acceptapply with a chosen published error code."""

    answer: tuple[int, dict] | None = None

    def handle(self, path, query, body):
        if path == "channels/ec/aftersale/acceptapply" and self.answer:
            return self.answer
        return super().handle(path, query, body)


def _wx(box) -> tuple[WechatShopAdapter, str]:
    adapter = WechatShopAdapter(app_key=box.app_id, app_secret=box.app_secret, api_base=box.url)
    return adapter, adapter.create_token().access_token


def _accepts(box) -> list[dict]:
    return [body for name, _, body in box.operations if name == "acceptapply"]


def test_a_return_is_agreed_with_accept_type_and_the_default_address_and_a_late_repeat_refunds_nothing():
    box = WechatShopSandbox().start()
    try:
        adapter, token = _wx(box)
        record = box.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="RETURN", amount=19900, push=False)
        approve = Action(kind="approve", aftersale_id=record.aftersale_id, platform_type="RETURN")
        adapter.act(token, approve)  # no address mapped on the connection: the shop's default receiving address
        assert _accepts(box) == [{"after_sale_order_id": record.aftersale_id, "address_id": "addr-hz-01",
                                  "accept_type": 1}]
        box.buyer_returns(record.aftersale_id, push=False)  # 待商家收货
        # the same approval again (a retry after a lost answer): refused, the refund is not released unseen
        with pytest.raises(PlatformError) as caught:
            adapter.act(token, approve)
        assert caught.value.kind == "already_handled" and record.status == "MERCHANT_WAIT_RECEIPT"
        adapter.act(token, Action(kind="confirm_receipt", aftersale_id=record.aftersale_id, platform_type="RETURN"))
        assert _accepts(box)[-1] == {"after_sale_order_id": record.aftersale_id, "accept_type": 2}
        assert record.status == "MERCHANT_RETURN_SUCCESS"
        # a refund-only request: neither an address nor an accept_type (the platform refunds at once)
        refund = box.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, push=False)
        adapter.act(token, Action(kind="approve", aftersale_id=refund.aftersale_id, platform_type="REFUND"))
        assert _accepts(box)[-1] == {"after_sale_order_id": refund.aftersale_id}
    finally:
        box.stop()


def test_a_return_without_any_address_is_refused_locally():
    box = NoAddressBook().start()
    try:
        adapter, token = _wx(box)
        record = box.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="RETURN", push=False)
        with pytest.raises(PlatformError) as caught:
            adapter.act(token, Action(kind="approve", aftersale_id=record.aftersale_id, platform_type="RETURN"))
        assert caught.value.kind == "refused" and "address_id" in caught.value.message
        assert _accepts(box) == [] and record.status == "MERCHANT_PROCESSING"
    finally:
        box.stop()


@pytest.mark.parametrize(("answer", "kind"), [
    # acceptapply's published error codes (developers.weixin.qq.com/doc/channels/API/aftersale/acceptapply.html)
    ({"errcode": 10021059, "errmsg": "当前平台退款请求太频繁,请稍后重试"}, "rate_limited"),
    ({"errcode": 10021041, "errmsg": "当前售后单不支持此操作,请检查售后单状态"}, "already_handled"),
    ({"errcode": 10021060, "errmsg": "缺少退货地址address_id参数"}, "refused"),
    ({"errcode": 10021062, "errmsg": "退货地址address_id错误"}, "refused"),
])
def test_acceptapplys_published_errors_are_told_apart(answer, kind):
    box = Answering().start()
    try:
        adapter, token = _wx(box)
        box.answer = (200, answer)
        with pytest.raises(PlatformError) as caught:
            adapter.act(token, Action(kind="approve", aftersale_id="1768034782998651", platform_type="RETURN",
                                      return_address_id="123"))
        assert caught.value.kind == kind and str(answer["errcode"]) in caught.value.message
    finally:
        box.stop()


# --- 微信小店 push: real examples ---------------------------------------------------------------------------
# Posted on 微信开放社区 ("微信小店ISV,推送消息格式不符合文档", developers.weixin.qq.com/community/develop/doc/
# 00084619b18418d63525c2bc86bc00) as decrypted: a self-built app's push (the documented shape) and an ISV's, where
# finder_shop_aftersale_status_update arrived as the XML element's flattened text and CreateTime as a string.
SELF_BUILT = {"ToUserName": "gh_09a08d72d1a6", "FromUserName": "oHkRE2TYh-9oy6azW7zk4AUMlPzg", "CreateTime": 1778835204,
              "MsgType": "event", "Event": "channels_ec_aftersale_update",
              "finder_shop_aftersale_status_update": {"after_sale_order_id": "2000003413203552",
                                                      "status": "MERCHANT_PROCESSING",
                                                      "order_id": "3736171021465426432"}}
ISV = {"finder_shop_aftersale_status_update": "\n2000003430069354\nMERCHANT_PROCESSING\n3736396724586553600\n",
       "CreateTime": "1778834628", "Event": "channels_ec_aftersale_update", "ToUserName": "gh_1f7515a225b1",
       "FromUserName": "o3I9D2dame5vGcbjoNsF6LvKWMnw", "MsgType": "event"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("message", "aftersale_id", "order_id"), [
    (SELF_BUILT, "2000003413203552", "3736171021465426432"),
    (ISV, "2000003430069354", "3736396724586553600"),
])
def test_real_aftersale_pushes_are_stored_under_their_request(client, shop, message, aftersale_id, order_id):
    box = WechatShopSandbox(username=message["ToUserName"]).start()
    try:
        services.connection_connect(shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=box.app_id,
                                    app_secret=box.app_secret, platform_shop_id=box.username, api_base=box.url,
                                    backfill=False,
                                    extra_secrets={"sign_secret": box.push_token, "msg_secret": box.aes_key})
        params, body = seal_push(message, token=box.push_token, aes_key=box.aes_key, app_id=box.app_id)
        answer = client.post(f"/platforms/wechat_shop/push/?{urlencode(params)}", data=body,
                             content_type="application/json")
        again = client.post(f"/platforms/wechat_shop/push/?{urlencode(params)}", data=body,
                            content_type="application/json")  # WeChat's retry: the same fields
    finally:
        box.stop()
    assert answer.status_code == 200 and answer.content == b"success" and again.content == b"success"
    event = PlatformEvent.objects.get()
    assert (event.tag, event.aftersale_id, event.order_id) == ("channels_ec_aftersale_update", aftersale_id, order_id)
    assert event.message_id.endswith(f":{aftersale_id}:MERCHANT_PROCESSING") and event.status != "ignored"


# --- 有赞 Event-Sign ------------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_youzan_event_sign_is_md5_of_client_id_raw_body_and_secret_as_the_push_demo_computes_it(live_server, shop):
    """cuncle/youzanyun-push-demo pushdemo.go ("Event-Sign：防伪签名：MD5(client_id+entity+client_secret)", entity = the
    request body as read, citing doc.youzanyun.com/resource/develop-guide/41355/41536): the header signs the bytes
    as sent, whatever their layout, and nothing else."""
    box = YouzanSandbox().start()
    try:
        services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=box.client_id,
                                    app_secret=box.client_secret, platform_shop_id=box.kdt_id, api_base=box.url,
                                    backfill=False)
        body = {"client_id": box.client_id, "kdt_id": int(box.kdt_id), "type": "trade_TradeBuyerPay",
                "id": "E20261106101500000000001", "status": "WAIT_SELLER_SEND_GOODS", "msg": "%7B%7D",
                "msg_id": "0c5a7d64-2f1e-4a5e-9d0e-6c1a2b3c4d5e", "version": 1762395300, "sendCount": 1,
                "test": False, "mode": 1, "sign": "not-checked-when-the-header-is-there"}
        raw = json.dumps(body, indent=2, sort_keys=True).encode()  # not the layout shouhou would write
        url = f"{live_server.url}/platforms/youzan/push/"

        def post(content: bytes, sign: str):
            return httpx.post(url, content=content, headers={"Content-Type": "application/json",
                                                             "Event-Sign": sign}, timeout=30)

        demo_sign = hashlib.md5((box.client_id + raw.decode() + box.client_secret).encode()).hexdigest()  # noqa: S324
        compact = json.dumps(body).encode()  # the same message re-serialised: its sign does not cover these bytes
        refused = post(raw, hashlib.md5(box.client_id.encode() + compact + box.client_secret.encode()).hexdigest())  # noqa: S324
        assert refused.status_code == 401 and "success" not in refused.text
        accepted = post(raw, demo_sign)
        assert accepted.status_code == 200 and accepted.json() == {"code": 0, "msg": "success"}
        assert PlatformEvent.objects.filter(message_id=body["msg_id"]).count() == 1
    finally:
        box.stop()
