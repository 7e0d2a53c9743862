"""微信小店 read and answered in the shapes the platform publishes (docs/platforms.md, section 微信小店 and "Sources"):
each answer or push below is hand-written from the documented field list or SDK sample (values made up) and goes
through the real HTTP path — a sandbox subclass on a local port for the APIs, shouhou's push URL for the pushes.

What they hold: getaftersaleorder's `reason` is a code with no literal meaning and `reason_text` its words (the
adapter once classified on the buyer's free text first, and the sandbox put the reason's words in details.desc);
order events carry `order_info.order_id` (a JSON number in the published samples) under a fixed FromUserName, so
two orders' events of the same second are two messages (they were one: the second was dropped as a duplicate);
the message signature and AES of WeChat's published test vectors are accepted as WeChat sends them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.cases.choices import CaseKind
from shouhou.commerce.choices import OrderStatus
from shouhou.inbox.channels import crypto as wx_crypto
from shouhou.platforms import services
from shouhou.platforms.adapters.base import Action
from shouhou.platforms.adapters.wechat_shop import WechatShopAdapter, seal_push
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.sandbox.wechat_shop import WechatShopSandbox

URL = "/platforms/wechat_shop/push/"

# getaftersaleorder → after_sale_order, every documented field; ids as strings (the docs), times in seconds,
# money in fen, deadline = seconds left to act
PUBLISHED_AFTERSALE = {
    "after_sale_order_id": "1934164653012121", "status": "MERCHANT_PROCESSING", "openid": "oBuyer0000openid",
    "unionid": "", "product_info": {"product_id": "10000107", "sku_id": "2300000001", "count": 1,
                                    "fast_refund": False, "gift_product_list": []},
    "details": {"desc": "颜色和图片有差别，质量一般", "receive_product": True, "cancel_time": 0,
                "media_id_list": ["MEDIA_ID_1"], "tel_number": ""},
    "refund_info": {"amount": 8990, "refund_reason": 1},
    "return_info": {"waybill_id": "", "delivery_id": "", "delivery_name": ""},
    "merchant_upload_info": {"reject_reason": "", "refund_certificates": []},
    "create_time": 1762394400, "update_time": 1762394460, "reason": "10000019", "reason_text": "7天无理由",
    "type": "RETURN", "order_id": "3705115058471208928", "refund_resp": {"code": "", "ret": 0, "message": ""},
    "complaint_id": "", "deadline": 172800, "gen_scene": 0,
}


class PublishedSandbox(WechatShopSandbox):
    """Answers getaftersalelist / getaftersaleorder / order APIs with hand-written published-shape bodies and
    keeps what was asked."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bodies: list[tuple[str, dict]] = []
        self.aftersale_answer: dict = PUBLISHED_AFTERSALE
        self.list_pages: list[dict] = []
        self.order_answer: dict = {}

    def handle(self, path: str, query: dict, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.bodies.append((path, body))
            authorised = query.get("access_token") == self.access_token
        if authorised and path == "channels/ec/aftersale/getaftersaleorder":
            return 200, {"errcode": 0, "errmsg": "ok",
                         "after_sale_order": {**self.aftersale_answer,
                                              "after_sale_order_id": body.get("after_sale_order_id")}}
        if authorised and path == "channels/ec/aftersale/getaftersalelist" and self.list_pages:
            return 200, {"errcode": 0, "errmsg": "ok", **self.list_pages.pop(0)}
        if authorised and path == "channels/ec/order/get" and self.order_answer:
            return 200, {"errcode": 0, "errmsg": "ok", "order": self.order_answer}
        if authorised and path == "channels/ec/order/list/get" and self.order_answer:
            return 200, {"errcode": 0, "errmsg": "ok", "order_id_list": [self.order_answer["order_id"]],
                         "next_key": "THE_NEXT_KEY_NEW", "has_more": False}
        return super().handle(path, query, body)


@pytest.fixture
def box():
    sandbox = PublishedSandbox().start()
    yield sandbox
    sandbox.stop()


def _adapter(box) -> WechatShopAdapter:
    return WechatShopAdapter(app_key=box.app_id, app_secret=box.app_secret, api_base=box.url)


def _token(box) -> str:
    return _adapter(box).create_token().access_token


# --- the APIs ------------------------------------------------------------------------------------------------

def test_stable_token_is_asked_in_the_published_shape(box):
    tokens = _adapter(box).create_token()
    path, body = box.bodies[0]
    assert path == "cgi-bin/stable_token"
    assert body == {"grant_type": "client_credential", "appid": box.app_id, "secret": box.app_secret,
                    "force_refresh": False}
    assert tokens.access_token == box.access_token and tokens.refresh_token == ""
    assert dt.timedelta(minutes=110) < tokens.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=2)


def test_a_published_aftersale_answer_gives_the_request_its_reason_money_and_clock(box):
    got = _adapter(box).fetch_aftersale(_token(box), "1934164653012121")
    assert (got.aftersale_id, got.order_id, got.sub_order_id) == ("1934164653012121", "3705115058471208928",
                                                                 "2300000001")
    assert (got.platform_type, got.platform_status, got.kind) == ("RETURN", "MERCHANT_PROCESSING",
                                                                  CaseKind.RETURN_REFUND)
    # the reason is the platform's words (7天无理由), not the buyer's text, which mentions 质量
    assert got.reason == "no_reason" and got.reason_text == "7天无理由：颜色和图片有差别，质量一般"
    assert got.refund_amount == Decimal("89.90") and got.updated == 1762394460
    assert got.applied_at == dt.datetime.fromtimestamp(1762394400, dt.UTC)
    left = got.deadline - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=47, minutes=59) < left <= dt.timedelta(hours=48)
    assert box.bodies[-1] == ("channels/ec/aftersale/getaftersaleorder", {"after_sale_order_id": "1934164653012121"})


def test_numbers_where_the_docs_say_strings_and_an_answer_without_reason_text_are_read(box):
    """Some SDK samples carry the ids as JSON numbers; an older answer has only the reason code and the buyer's
    words."""
    box.aftersale_answer = {**PUBLISHED_AFTERSALE, "order_id": 3705115058471208928,
                            "product_info": {"product_id": 10000107, "sku_id": 2300000001, "count": 1},
                            "reason_text": "", "details": {"desc": "", "receive_product": False}, "deadline": 0,
                            "type": "REFUND", "status": "MERCHANT_REFUND_SUCCESS", "complaint_id": "777000111"}
    got = _adapter(box).fetch_aftersale(_token(box), "1934164653012121")
    assert (got.order_id, got.sub_order_id) == ("3705115058471208928", "2300000001")
    assert got.reason_text == "10000019" and got.deadline is None
    assert (got.kind, got.case_status) == (CaseKind.REFUND_ONLY, "resolved")
    assert got.raw["complaint_id"] == "777000111"


def test_the_list_is_asked_by_update_time_within_24_hours_and_paged_by_next_key(box):
    ids = ["1934164653012121", "1934161104780121", "1934886755899121"]
    box.list_pages = [{"after_sale_order_id_list": ids[:2], "has_more": True, "next_key": "THE_NEXT_KEY_NEW"},
                      {"after_sale_order_id_list": ids[2:], "has_more": False, "next_key": ""}]
    adapter, token = _adapter(box), _token(box)
    begin = int(dt.datetime.now(dt.UTC).timestamp()) - 3 * 86400
    first = adapter.fetch_aftersales(token, adapter.initial_cursor(dt.datetime.fromtimestamp(begin, dt.UTC)))
    second = adapter.fetch_aftersales(token, first.cursor)
    asked = [body for path, body in box.bodies if path == "channels/ec/aftersale/getaftersalelist"]
    assert asked[0] == {"begin_update_time": begin, "end_update_time": begin + 86400}
    assert asked[1] == {**asked[0], "next_key": "THE_NEXT_KEY_NEW"}
    assert [a.aftersale_id for a in first.items + second.items] == ids and first.has_more
    assert second.cursor == {"begin": begin + 86401, "next_key": ""}


def test_accept_and_reject_send_the_published_fields(box):
    adapter, token = _adapter(box), _token(box)
    ret = box.add_aftersale(order_id="3705115058471208928", sku_id="2300000001", kind="RETURN", push=False)
    refund = box.add_aftersale(order_id="3705115058471208928", sku_id="2300000001", push=False)
    adapter.act(token, Action(kind="approve", aftersale_id=ret.aftersale_id, platform_type="RETURN",
                              return_address_id="123"))
    adapter.act(token, Action(kind="reject", aftersale_id=refund.aftersale_id, platform_type="REFUND",
                              reason="商品完好", reject_reason_code=16))
    sent = {path.rsplit("/", 1)[-1]: body for path, body in box.bodies if path.startswith("channels/ec/aftersale/")
            and not path.endswith("getaftersaleorder")}
    # after_sale_order_id and address_id are strings, accept_type (1 同意退货) and reject_reason_type numbers
    assert sent["acceptapply"] == {"after_sale_order_id": ret.aftersale_id, "address_id": "123", "accept_type": 1}
    assert sent["rejectapply"] == {"after_sale_order_id": refund.aftersale_id, "reject_reason": "商品完好",
                                   "reject_reason_type": 16}


def test_the_sandbox_answers_in_the_published_shape():
    box = WechatShopSandbox().start()
    try:
        adapter = _adapter(box)
        token = adapter.create_token().access_token
        record = box.add_aftersale(order_id="3705115058471208928", sku_id="2300000001", reason="七天无理由",
                                   desc="不喜欢", push=False)
        got = adapter.fetch_aftersale(token, record.aftersale_id)
        reasons = adapter.call("rejectreason/get", {}, access_token=token)["reason_list"]
    finally:
        box.stop()
    raw = got.raw
    assert (raw["reason"], raw["reason_text"], raw["details"]["desc"]) == ("10000019", "七天无理由", "不喜欢")
    assert {"return_info", "merchant_upload_info", "refund_resp", "refund_info", "product_info"} <= set(raw)
    assert got.reason == "no_reason" and got.reason_text == "七天无理由：不喜欢"
    assert {r["reject_scene"] for r in reasons} <= {1, 4, 5, 6}  # the published scenes


# order/get as in the public SDK sample: status a number, money in fen, times in seconds, address masked
PUBLISHED_ORDER = {
    "order_id": "3705115058471208928", "status": 30, "create_time": 1762300000, "update_time": 1762394000,
    "openid": "oBuyer0000openid",
    "order_detail": {
        "product_infos": [{"product_id": "10000107", "sku_id": "2300000001", "sku_cnt": 2, "title": "羊毛开衫",
                           "sale_price": 9900, "market_price": 12900, "real_price": 17980, "sku_code": "CARDI-M",
                           "on_aftersale_sku_cnt": 0, "finish_aftersale_sku_cnt": 0,
                           "sku_attrs": [{"attr_key": "尺码", "attr_value": "M"}]}],
        "pay_info": {"prepay_id": "wx0000", "transaction_id": "4200000000", "prepay_time": 1762300010,
                     "pay_time": 1762300020, "payment_method": 1},
        "price_info": {"product_price": 19800, "order_price": 17980, "freight": 0, "discounted_price": 1820,
                       "is_discounted": True},
        "delivery_info": {
            "address_info": {"user_name": "陈**", "postal_code": "510000", "province_name": "广东省",
                             "city_name": "广州市", "county_name": "海珠区", "detail_info": "大塘***",
                             "tel_number": "138****5678"},
            "delivery_product_info": [{"waybill_id": "773000000001", "delivery_id": "STO", "delivery_time": 1762390000,
                                       "deliver_type": 1, "delivery_name": "申通快递",
                                       "product_infos": [{"product_id": "10000107", "sku_id": "2300000001",
                                                          "product_cnt": 2}]}],
            "ship_done_time": 1762390000, "deliver_method": 0},
        "ext_info": {"customer_notes": "", "merchant_notes": "", "confirm_receipt_time": 0}},
    "aftersale_detail": {"aftersale_order_list": [], "on_aftersale_order_cnt": 0},
}


def test_a_published_order_answer_gives_lines_money_parcels_and_the_receiver_as_masked(box):
    box.order_answer = PUBLISHED_ORDER
    adapter, token = _adapter(box), _token(box)
    since = int(dt.datetime.now(dt.UTC).timestamp()) - 86400
    page = adapter.list_orders(token, since, {})
    asked = [body for path, body in box.bodies if path == "channels/ec/order/list/get"][0]
    assert asked == {"update_time_range": {"start_time": since, "end_time": asked["update_time_range"]["end_time"]},
                     "page_size": 100}
    assert asked["update_time_range"]["end_time"] - since <= 7 * 86400
    (order,) = page.items
    assert (order.order_id, order.status, order.platform_status, order.updated) == (
        "3705115058471208928", OrderStatus.SHIPPED, "30", 1762394000)
    (line,) = order.items
    assert (line.sub_order_id, line.product_name, line.quantity, line.paid, line.sku_code, line.spec) == (
        "2300000001", "羊毛开衫", 2, Decimal("179.80"), "CARDI-M", "尺码:M")
    assert order.total == Decimal("179.80") and order.paid_at == dt.datetime.fromtimestamp(1762300020, dt.UTC)
    (parcel,) = order.waybills
    assert (parcel.tracking_no, parcel.carrier, parcel.sub_order_ids) == ("773000000001", "STO", ["2300000001"])
    assert (order.receiver_name, order.receiver_phone, order.address) == ("陈**", "138****5678",
                                                                         "广东省广州市海珠区大塘***")


# --- the pushes ----------------------------------------------------------------------------------------------

@pytest.fixture
def connected(shop, box):
    return services.connection_connect(
        shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=box.app_id, app_secret=box.app_secret,
        platform_shop_id=box.username, api_base=box.url, backfill=False,
        extra_secrets={"sign_secret": box.push_token, "msg_secret": box.aes_key})


def _post(client, params: dict, body: bytes, fmt: str):
    return client.post(f"{URL}?{urlencode(params)}", data=body,
                       content_type="application/json" if fmt == "json" else "text/xml")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_published_aftersale_event_is_stored_under_its_request(client, box, connected, fmt):
    message = {"ToUserName": box.username, "FromUserName": "OpenID", "CreateTime": 1662480000, "MsgType": "event",
               "Event": "channels_ec_aftersale_update",
               "finder_shop_aftersale_status_update": {"status": "USER_WAIT_RETURN", "after_sale_order_id": "1234567",
                                                       "order_id": "12345", "wxa_vip_discounted_price": 100}}
    params, body = seal_push(message, token=box.push_token, aes_key=box.aes_key, app_id=box.app_id, fmt=fmt)
    answer = _post(client, params, body, fmt)
    assert answer.status_code == 200 and answer.content == b"success"
    event = PlatformEvent.objects.get()
    assert (event.tag, event.aftersale_id, event.order_id) == ("channels_ec_aftersale_update", "1234567", "12345")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_order_events_of_two_orders_in_the_same_second_are_two_messages(client, box, connected, fmt):
    for order_id in ("3705115058471208928", "3705115058471208929"):
        box.add_order(order_id=order_id, products=[{"sku_id": "2300000001", "product_id": "10000107",
                                                    "title": "羊毛开衫", "sku_cnt": 1, "real_price": 9900}])
    now = str(int(dt.datetime.now(dt.UTC).timestamp()))
    for order_id in (3705115058471208928, 3705115058471208929, 3705115058471208928):  # the last: a retry
        message = {"ToUserName": box.username, "FromUserName": "OPENID", "CreateTime": int(now), "MsgType": "event",
                   "Event": "channels_ec_order_pay", "order_info": {"order_id": order_id}}
        params, body = seal_push(message, token=box.push_token, aes_key=box.aes_key, app_id=box.app_id, fmt=fmt,
                                 timestamp=now)
        answer = _post(client, params, body, fmt)
        assert answer.status_code == 200 and answer.content == b"success"
    assert sorted(PlatformEvent.objects.values_list("order_id", flat=True)) == ["3705115058471208928",
                                                                                "3705115058471208929"]


# WeChat's own published test vectors (docs/platforms.md Sources): the console's URL check, and a safe-mode
# message (XML) sealed with Token QDG6eK, EncodingAESKey jWmYm…B2C and AppID wx5823bf96d3bd56c7
VECTOR_APPID, VECTOR_TOKEN = "wx5823bf96d3bd56c7", "QDG6eK"
VECTOR_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
VECTOR_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3"
    "TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gs"
    "ijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUa"
    "x5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIG"
    "HBZZIs2pDBS8R07+qN+E7Q==")


@pytest.mark.django_db(transaction=True)
def test_wechats_published_url_check_vector_is_answered_with_echostr(client, shop):
    box = WechatShopSandbox(push_token="AAAAA").start()  # noqa: S106 - the documented example Token
    try:
        services.connection_connect(shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=box.app_id,
                                    app_secret=box.app_secret, platform_shop_id=box.username, api_base=box.url,
                                    backfill=False, extra_secrets={"sign_secret": "AAAAA", "msg_secret": box.aes_key})
        with time_machine.travel(dt.datetime.fromtimestamp(1714036504, dt.UTC), tick=False):
            answer = client.get(URL, {"signature": "f464b24fc39322e44b38aa78f5edd27bd1441696",
                                      "echostr": "4375120948345356249", "timestamp": "1714036504",
                                      "nonce": "1514711492"})
    finally:
        box.stop()
    assert answer.status_code == 200 and answer.content == b"4375120948345356249"


@pytest.mark.django_db(transaction=True)
def test_wechats_published_safe_mode_vector_is_verified_decrypted_and_acknowledged(client, shop):
    box = WechatShopSandbox(app_id=VECTOR_APPID, push_token=VECTOR_TOKEN, username=VECTOR_APPID).start()
    try:
        services.connection_connect(shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=VECTOR_APPID,
                                    app_secret=box.app_secret, platform_shop_id=VECTOR_APPID, api_base=box.url,
                                    backfill=False,
                                    extra_secrets={"sign_secret": VECTOR_TOKEN, "msg_secret": VECTOR_AES_KEY})
        body = (f"<xml><ToUserName><![CDATA[{VECTOR_APPID}]]></ToUserName>"
                f"<Encrypt><![CDATA[{VECTOR_ENCRYPT}]]></Encrypt></xml>").encode()
        params = {"signature": wx_crypto.sha1_signature(VECTOR_TOKEN, "1409659813", "1372623149"),
                  "timestamp": "1409659813", "nonce": "1372623149", "encrypt_type": "aes",
                  "msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6"}
        with time_machine.travel(dt.datetime.fromtimestamp(1409659813, dt.UTC), tick=False):
            answer = _post(client, params, body, "xml")
            forged = _post(client, {**params, "msg_signature": "0" * 40}, body, "xml")
    finally:
        box.stop()
    assert answer.status_code == 200 and answer.content == b"success"
    assert forged.status_code == 403
    event = PlatformEvent.objects.get()  # a text message, not a shop event: kept and acknowledged, not applied
    assert (event.tag, event.status, event.payload["Content"], event.payload["FromUserName"]) == (
        "text", "ignored", "hello", "mycreate")
    assert event.payload["MsgId"] == "4561255354251345929"
