"""有赞 answers and pushes in the shapes 有赞 publishes, fed through the real HTTP path (a sandbox subclass on a
local port answering them, shouhou's push endpoint on the live server) — field names, nesting and types from
the API pages and the generated SDKs' models listed in docs/platforms.md ("Sources", 有赞); the values are made
up. What shouhou reads from each is asserted, so a sandbox that drifts from the platform cannot hide it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import httpx
import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.platforms import services
from shouhou.platforms.adapters.base import PlatformError
from shouhou.platforms.adapters.youzan import YouzanAdapter, encode_msg, push_sign
from shouhou.platforms.crypto import unseal
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.sandbox.youzan import YouzanSandbox

SHANGHAI = dt.timezone(dt.timedelta(hours=8))

# youzan.trade.refund.get: the fields of the API page / YouzanTradeRefundGetResult — no `demand` (in no published
# list), `item_id` deprecated beside `oid`, `refund_fee` a yuan string, `version` ms, times "yyyy-MM-dd HH:mm:ss"
REFUND = {
    "tid": "E20261106101500012300001", "item_id": 18080319, "oid": "1457682800074819540",
    "refund_id": "202611061015000000020693", "status": "WAIT_SELLER_AGREE", "cs_status": 2, "return_goods": True,
    "desc": "洗了一次就起球", "created": "2026-11-06 10:15:00", "modified": "2026-11-06 10:16:30",
    "version": 1762395390123, "reason": 108, "refund_fee": "129.90", "refund_type": "BUYER_APPLY_REFUND",
    "item_num": 1, "kdt_id": 41042176,
    "logistics": {"logistics_no": "", "company_code": "", "receiver": "", "mobile": "", "telephone": "",
                  "address": ""},
}
# youzan.trade.refund.search: {total, refunds[OpenSafeEsDTO]} (no version, no oid: each row is read again)
SEARCH = {"total": 2, "refunds": [
    {"refund_id": REFUND["refund_id"], "status": "WAIT_SELLER_AGREE", "tid": REFUND["tid"], "return_goods": True,
     "reason": 108, "refund_fee": "129.90", "created": "2026-11-06 10:15:00", "modified": "2026-11-06 10:16:30",
     "cs_status": 2, "refund_type": "BUYER_APPLY_REFUND", "kdt_id": 41042176},
    {"refund_id": "202611061020000000020694", "status": "SUCCESS", "tid": "E20261106101500012300002",
     "return_goods": False, "reason": 0, "refund_fee": "5.00", "created": "2026-11-06 10:20:00",
     "modified": "2026-11-06 10:20:00", "cs_status": 1, "refund_type": "SELLER_REFUND", "kdt_id": 41042176},
]}
# youzan.trade.get 4.0.x: data.full_order_info {order_info, address_info, pay_info, orders[]} beside
# delivery_order[] {pk_id, express_state, express_type (发货方式), oids[{oid}], dists[{dist_id, express_info
# {express_id (int), express_no}}]} and refund_order[] (integer states, another scale than refund.get's)
TRADE = {
    "full_order_info": {
        "order_info": {"tid": "E20261101090000012300003", "status": "WAIT_BUYER_CONFIRM_GOODS", "status_str": "已发货",
                       "type": 0, "express_type": 0, "pay_type": 1, "close_type": 0, "refund_state": 1,
                       "created": "2026-11-01 09:00:00", "pay_time": "2026-11-01 09:00:12",
                       "consign_time": "2026-11-02 16:30:00", "update_time": "2026-11-06 10:15:01",
                       "success_time": "", "expired_time": "2026-11-01 10:00:00",
                       "order_tags": {"is_payed": True, "is_refund": True}, "order_extra": {"is_from_cart": "false"}},
        "buyer_info": {"buyer_id": 9001, "buyer_phone": "$bXlwaG9uZQ==$1$", "fans_type": 1, "fans_id": 0},
        "pay_info": {"total_fee": "259.80", "post_fee": "0.00", "payment": "249.80", "transaction": ["T1"],
                     "outer_transactions": ["4200001"]},
        "remark_info": {"buyer_message": "", "star": 0, "trade_memo": ""},
        "address_info": {"receiver_name": "$bmFtZQ==$1$", "receiver_tel": "$dGVs$1$", "delivery_province": "浙江省",
                         "delivery_city": "杭州市", "delivery_district": "西湖区", "delivery_address": "$YWRkcg==$1$",
                         "delivery_postal_code": "", "address_extra": "{}"},
        "orders": [
            {"oid": "1457682800074819540", "item_type": 0, "title": "羊毛开衫", "num": 1, "outer_sku_id": "CARD-M",
             "price": "129.90", "total_fee": "129.90", "payment": "124.90", "item_id": 18080319, "sku_id": 3601,
             "sku_properties_name": '[{"k":"尺码","k_id":1,"v":"M","v_id":2}]', "outer_item_id": "CARD",
             "is_present": False, "discount_price": "124.90"},
            {"oid": "1457682800074819541", "item_type": 0, "title": "围巾", "num": 1, "outer_sku_id": "",
             "price": "129.90", "total_fee": "129.90", "payment": "124.90", "item_id": 18080320, "sku_id": 0,
             "sku_properties_name": "", "outer_item_id": "SCARF", "is_present": False, "discount_price": "124.90"},
        ],
    },
    "delivery_order": [
        {"pk_id": 2621633, "express_state": 1, "express_type": 0, "oids": [{"oid": "1457682800074819540"}],
         "dists": [{"dist_id": "D2621633", "express_info": {"express_id": 3, "express_no": "ZT7500000000001"}}]},
        {"pk_id": 2621634, "express_state": 1, "express_type": 1, "oids": [{"oid": "1457682800074819541"}],
         "dists": [{"dist_id": "D2621634", "express_info": {"express_id": 2, "express_no": "YT9800000000002"}}]},
    ],
    "refund_order": [{"refund_type": 1, "refund_fee": "129.90", "refund_id": REFUND["refund_id"], "refund_state": 1,
                      "oids": [{"oid": "1457682800074819540"}]}],
    "order_promotion": {"item": [], "order": [], "item_discount_fee": "10.00", "order_discount_fee": "0.00",
                        "adjust_fee": "0.00"},
}
# youzan.cloud.secret.decrypt.batch 1.0.0: {sources: [ciphertext]} → data, an object keyed by ciphertext (as public
# integrations index it: inNovationGG/petnote_admin_server crontab/youzan/order.js); the clear values made up
DECRYPTED = {"$dGVs$1$": "13800138000", "$bmFtZQ==$1$": "钱多多", "$YWRkcg==$1$": "文三路90号东部软件园1号楼"}
# youzan.logistics.express.get 3.0.0 in the older envelope, as its API page shows it
EXPRESS = {"allExpress": [{"display": 1, "name": "申通快递", "id": 1}, {"display": 1, "name": "圆通速递", "id": 2},
                          {"display": 1, "name": "中通快递", "id": 3}]}


class PublishedSandbox(YouzanSandbox):
    """Answers each read with the published payload above; `legacy` answers in the older {"response": …}
    envelope (the API pages' demos) instead of {success, code, message, data}."""

    legacy = False
    errors: dict[str, dict] = {}

    def _ok(self, name, data):
        if self.legacy or name == "youzan.logistics.express.get":
            return 200, {"response": data}
        return 200, {"success": True, "code": 200, "data": data, "message": "successful", "trace_id": "yz7-0a1b"}

    def _api(self, name, params):
        if name in self.errors:
            return 200, self.errors[name]
        payload = {"youzan.trade.refund.get": REFUND, "youzan.trade.refund.search": SEARCH,
                   "youzan.trade.get": TRADE, "youzan.logistics.express.get": EXPRESS}.get(name)
        if name == "youzan.cloud.secret.decrypt.batch":
            self.decrypted.append(params.get("sources"))
            payload = {c: DECRYPTED[c] for c in params.get("sources") or [] if c in DECRYPTED}
        if name == "youzan.trades.sold.get":
            payload = {"total_results": 1, "full_order_info_list": [{"full_order_info": TRADE["full_order_info"]}]}
        return self._ok(name, payload) if payload is not None else super()._api(name, params)


@pytest.fixture
def box():
    sandbox = PublishedSandbox().start()
    yield sandbox
    sandbox.stop()


def _adapter(box):
    return YouzanAdapter(app_key=box.client_id, app_secret=box.client_secret, api_base=box.url)


@pytest.mark.parametrize("legacy", [False, True], ids=["data-envelope", "response-envelope"])
def test_a_refund_in_the_published_shape_is_read_in_full(box, legacy):
    box.legacy = legacy
    got = _adapter(box).fetch_aftersale(box.access_token, REFUND["refund_id"])
    assert (got.aftersale_id, got.order_id, got.sub_order_id) == (REFUND["refund_id"], REFUND["tid"],
                                                                 "1457682800074819540")
    # no `demand`: return_goods true is a return; reason 108 (做工粗糙/有瑕疵) from the API page's longer list
    assert (got.platform_type, got.kind, got.platform_status, got.case_status) == ("2", "return_refund",
                                                                                  "WAIT_SELLER_AGREE", "requested")
    assert got.reason == "quality" and got.reason_text == "做工粗糙/有瑕疵：洗了一次就起球"
    assert got.refund_amount == Decimal("129.90") and got.updated == 1762395390123
    assert got.applied_at == dt.datetime(2026, 11, 6, 10, 15, tzinfo=SHANGHAI) and got.deadline is None
    assert "有赞客服介入中" in got.status_text  # cs_status 2


def test_a_search_page_in_the_published_shape_reads_each_refund_and_leaves_out_the_sellers_own(box):
    start = int(dt.datetime(2026, 11, 6, tzinfo=SHANGHAI).timestamp())
    page = _adapter(box).fetch_aftersales(box.access_token, {"begin": start, "page": 1})
    # the buyer's row is read again (refund.get); the second is the shop's own refund (SELLER_REFUND): no request
    assert box.calls.count("youzan.trade.refund.get") == 1
    assert [a.aftersale_id for a in page.items] == [REFUND["refund_id"]]
    assert page.cursor["page"] == 1 and page.cursor["begin"] > start  # one page: the next window


def test_refusals_in_the_older_error_envelope_are_told_apart(box):
    adapter = _adapter(box)
    box.errors = {"youzan.trade.refund.get": {"error_response": {"code": 103011024, "message": "退款记录不存在"}},
                  "youzan.trades.sold.get": {"error_response": {"msg": "参数 token 无效", "code": 40010,
                                                                "sub_msg": "token无效，该token不存在或已过期",
                                                                "sub_code": 10000, "sub_data": ""}}}
    with pytest.raises(PlatformError) as missing:
        adapter.fetch_aftersale(box.access_token, "1")
    assert missing.value.kind == "refused" and missing.value.message == "有赞：退款记录不存在（103011024）"
    with pytest.raises(PlatformError) as old_token:
        adapter.list_orders(box.access_token, 0, {"begin": 0, "page": 1})
    assert "token无效，该token不存在或已过期" in old_token.value.message and "40010" in old_token.value.message
    box.errors = {"youzan.trade.refund.get": {"error_response": {"code": 103010039, "message": "退款版本号错误！"}}}
    with pytest.raises(PlatformError) as stale:
        adapter.fetch_aftersale(box.access_token, "1")
    assert stale.value.kind == "already_handled"


def test_an_order_in_the_published_shape_gives_its_lines_and_every_parcel(box):
    order = _adapter(box).get_order(box.access_token, "E20261101090000012300003")
    assert (order.order_id, order.status, order.platform_status) == ("E20261101090000012300003", "shipped",
                                                                    "WAIT_BUYER_CONFIRM_GOODS")
    assert order.updated == int(dt.datetime(2026, 11, 6, 10, 15, 1, tzinfo=SHANGHAI).timestamp())
    assert order.total == Decimal("249.80") and order.paid_at == dt.datetime(2026, 11, 1, 9, 0, 12, tzinfo=SHANGHAI)
    assert [(i.sub_order_id, i.paid, i.sku_code, i.product_id, i.spec) for i in order.items] == [
        ("1457682800074819540", Decimal("124.90"), "CARD-M", "CARD", "尺码:M"),
        ("1457682800074819541", Decimal("124.90"), "", "SCARF", "")]  # sku_id 0: no spec, no code
    # one delivery_order per parcel, its number under dists[].express_info, the company from express.get
    assert [(w.tracking_no, w.carrier_name, w.sub_order_ids) for w in order.waybills] == [
        ("ZT7500000000001", "中通快递", ["1457682800074819540"]), ("YT9800000000002", "圆通速递", ["1457682800074819541"])]
    assert all(w.shipped_at == dt.datetime(2026, 11, 2, 16, 30, tzinfo=SHANGHAI) for w in order.waybills)
    # encrypted buyer fields ($…$1$) are never kept; the street address keeps only what is in the clear
    assert (order.receiver_name, order.receiver_phone, order.address) == ("", "", "浙江省杭州市西湖区")


def test_a_list_page_in_the_published_shape_reads_the_parcels_of_a_shipped_order(box):
    start = int(dt.datetime(2026, 11, 6, tzinfo=SHANGHAI).timestamp())
    page = _adapter(box).list_orders(box.access_token, 0, {"begin": start, "page": 1})
    assert [o.order_id for o in page.items] == ["E20261101090000012300003"]
    assert [w.tracking_no for w in page.items[0].waybills] == ["ZT7500000000001", "YT9800000000002"]
    assert box.calls.count("youzan.trade.get") == 1  # the list has no delivery_order


def test_a_reveal_reads_the_published_trade_and_decrypt_answers(box):
    adapter = _adapter(box)
    tid = "E20261101090000012300003"

    got = adapter.decrypt_receiver(box.access_token, tid, ["phone"])

    assert got == {"phone": "13800138000"}
    assert box.decrypted == [["$dGVs$1$"]]  # receiver_tel's ciphertext from address_info, sent as `sources`
    # the address: the plain region (province, city, district) and the decrypted delivery_address
    assert adapter.decrypt_receiver(box.access_token, tid, ["address", "name"]) == {
        "address": "浙江省杭州市西湖区文三路90号东部软件园1号楼", "name": "钱多多"}
    assert box.decrypted[-1] == ["$YWRkcg==$1$", "$bmFtZQ==$1$"]
    # a ciphertext the answer leaves out, or gives back unchanged, is that field's failure
    DECRYPTED["$dGVs$1$"] = "$dGVs$1$"
    try:
        with pytest.raises(PlatformError) as unchanged:
            adapter.decrypt_receiver(box.access_token, tid, ["name", "phone"])
    finally:
        DECRYPTED["$dGVs$1$"] = "13800138000"
    assert unchanged.value.kind == "refused" and unchanged.value.message == f"有赞：未能解密订单 {tid} 的手机号"
    assert unchanged.value.answer == {}  # the answer held the name in clear: a refusal carries none of it
    # the gateway's 4204 (no permission for the API) and a service answer naming the permission
    box.errors = {"youzan.cloud.secret.decrypt.batch": {"gw_err_resp": {"err_code": 4204, "err_msg": "无权限调用该API",
                                                                         "trace_id": "yz7-0a1c"}}}
    with pytest.raises(PlatformError) as gateway:
        adapter.decrypt_receiver(box.access_token, tid, ["phone"])
    assert gateway.value.kind == "no_permission" and gateway.value.message == "有赞：无权限调用该API（4204）"
    box.errors = {"youzan.cloud.secret.decrypt.batch": {"success": False, "code": 50000, "data": None,
                                                         "message": "应用无解密权限"}}
    with pytest.raises(PlatformError) as service:
        adapter.decrypt_receiver(box.access_token, tid, ["phone"])
    assert service.value.kind == "no_permission" and "应用无解密权限" in service.value.message
    box.errors = {"youzan.cloud.secret.decrypt.batch": {"gw_err_resp": {"err_code": 4101, "err_msg": "请求太频繁"}}}
    with pytest.raises(PlatformError) as limited:
        adapter.decrypt_receiver(box.access_token, tid, ["phone"])
    assert limited.value.kind == "rate_limited"


class TokenSandbox(YouzanSandbox):
    """/auth/token as the SDKs show it: {success, code 200, message, data {access_token, expires (ms),
    scope, authority_id (a string), refresh_token}}; the requests are kept."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.token_requests: list[dict] = []

    def _token(self, raw, content_type):
        self.token_requests.append(json.loads(raw))
        return super()._token(raw, content_type)

    def _tokens(self, *, with_refresh):
        status, answer = super()._tokens(with_refresh=with_refresh)
        answer["data"]["authority_id"] = str(answer["data"]["authority_id"])
        answer["data"]["expires"] = int(dt.datetime(2026, 11, 13, 2, 0, tzinfo=dt.UTC).timestamp() * 1000)
        return status, answer


def test_a_self_use_app_asks_for_a_refresh_token_renews_with_it_and_falls_back_to_silent():
    box = TokenSandbox().start()
    try:
        adapter = _adapter(box)
        tokens = adapter.create_token(shop_id=box.kdt_id)
        assert box.token_requests[-1] == {"client_id": box.client_id, "client_secret": box.client_secret,
                                          "authorize_type": "silent", "grant_id": box.kdt_id, "refresh": True}
        assert tokens.refresh_token == f"silent:{box.kdt_id}:{box.refresh_token}"
        assert tokens.expires_at == dt.datetime(2026, 11, 13, 2, 0, tzinfo=dt.UTC)  # milliseconds
        assert tokens.platform_shop_id == box.kdt_id
        renewed = adapter.refresh_token(tokens.refresh_token)  # "工具型应用及自用型应用 刷新access_token"
        assert box.token_requests[-1]["authorize_type"] == "refresh_token"
        assert renewed.access_token == box.access_token != tokens.access_token
        assert renewed.refresh_token == f"silent:{box.kdt_id}:{box.refresh_token}"  # the rotated one kept
        # the refresh token is no longer accepted: silent, which a 自用型 app may always ask, gives a new pair
        again = adapter.refresh_token(f"silent:{box.kdt_id}:expired-refresh-token")
        assert [r["authorize_type"] for r in box.token_requests[-2:]] == ["refresh_token", "silent"]
        assert again.refresh_token == f"silent:{box.kdt_id}:{box.refresh_token}"
        # a connection made before, stored without a refresh token, renews with silent
        adapter.refresh_token(f"silent:{box.kdt_id}")
        assert box.token_requests[-1]["authorize_type"] == "silent"
    finally:
        box.stop()


@pytest.mark.django_db(transaction=True)
def test_a_push_in_the_published_shape_is_verified_stored_and_answered(live_server, shop):
    box = YouzanSandbox().start()
    try:
        conn = services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=box.client_id,
                                           app_secret=box.client_secret, platform_shop_id=box.kdt_id,
                                           api_base=box.url, backfill=False)
        assert unseal(conn.secrets)["refresh_token"].startswith(f"silent:{box.kdt_id}:")
        # trade_refund_BuyerCreated as 有赞 sends it: msg URL-encoded ("+" for a space), kdt_id a number, the
        # envelope's version in seconds, msg's version in ms, body sign = md5(client_id + msg + client_secret)
        msg = encode_msg({"update_time": "2026-11-06 10:15:00", "refund_type": "REFUND_AND_RETURN",
                          "refund_reason_desc": "做工粗糙 有瑕疵", "refunded_fee": "129.90",
                          "refund_reason": "RETURNS_OTHER", "refund_id": REFUND["refund_id"],
                          "version": 1762395390123, "oids": "1457682800074819540", "tid": REFUND["tid"]})
        body = {"msg": msg, "kdt_name": "云测试店铺", "test": False,
                "sign": push_sign(box.client_id, box.client_secret, msg.encode()), "type": "trade_refund_BuyerCreated",
                "sendCount": 1, "version": 1762395390, "client_id": box.client_id, "mode": 1,
                "kdt_id": int(box.kdt_id), "id": REFUND["tid"], "msg_id": "59db1a32-7bfb-4a6c-a34f-76edc894faab",
                "root_kdt_id": int(box.kdt_id)}
        raw = json.dumps(body, ensure_ascii=False).encode()  # as sent: the header signs these exact bytes
        url = f"{live_server.url}/platforms/youzan/push/"
        headers = {"Content-Type": "application/json", "Event-Type": "trade_refund_BuyerCreated",
                   "Client-Id": box.client_id, "Event-Sign": push_sign(box.client_id, box.client_secret, raw)}
        answer = httpx.post(url, content=raw, headers=headers, timeout=30)
        assert answer.status_code == 200 and answer.json() == {"code": 0, "msg": "success"}
        event = PlatformEvent.objects.get(message_id=body["msg_id"])
        assert (event.tag, event.aftersale_id, event.order_id) == ("trade_refund_BuyerCreated", REFUND["refund_id"],
                                                                   REFUND["tid"])
        assert event.payload["msg"]["refund_reason_desc"] == "做工粗糙 有瑕疵" and event.payload["kdt_id"] == box.kdt_id
        # the same message redelivered (sendCount 2), this time signed in the body only: kept once, answered
        body["sendCount"] = 2
        again = httpx.post(url, content=json.dumps(body, ensure_ascii=False).encode(),
                           headers={"Content-Type": "application/json"}, timeout=30)
        assert again.json() == {"code": 0, "msg": "success"}
        assert PlatformEvent.objects.filter(message_id=body["msg_id"]).count() == 1
        # the newer youzan_trade_RefundCreated: msg an object, checked by Event-Sign
        newer = {**body, "type": "youzan_trade_RefundCreated", "msg_id": "6e1c0c6e-1b7d-4c55-9b7e-2f0d5d0a0b01",
                 "msg": {"refund_id": "202611061030000000020695", "tid": REFUND["tid"], "version": 1762396200456,
                         "refunded_fee": "59.00", "refund_type": "REFUND_ONLY"}}
        raw = json.dumps(newer, ensure_ascii=False).encode()
        headers["Event-Sign"] = push_sign(box.client_id, box.client_secret, raw)
        assert httpx.post(url, content=raw, headers=headers, timeout=30).json() == {"code": 0, "msg": "success"}
        assert PlatformEvent.objects.get(message_id=newer["msg_id"]).aftersale_id == "202611061030000000020695"
    finally:
        box.stop()
