"""抖店 answers and pushes in the shapes the platform publishes, fed through the real HTTP path (a sandbox subclass
on a local port answering a hand-written payload; pushes posted to this test's running shouhou) and read by the
adapter. Field names, nesting and types come from the public SDKs (zsmhub/doudian-sdk api/<method>/response and
message/, the generated official Java SDK's message params, a PHP SDK's table of the common error codes; see
docs/platforms.md "Sources"); the values are made up. The afterSale/Detail shape has its own file
(test_doudian_detail_shape.py)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shouhou.cases.models import Case
from shouhou.core.testing.waiting import wait_until as _wait
from shouhou.platforms.adapters.base import Action, PlatformError
from shouhou.platforms.adapters.doudian import DoudianAdapter
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.sandbox.doudian import DoudianSandbox, message_time
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _adapter(box: DoudianSandbox) -> DoudianAdapter:
    return DoudianAdapter(app_key=box.app_key, app_secret=box.app_secret, api_base=box.url)


def _serve(box_class, fn):
    box = box_class().start()
    try:
        return fn(box, _adapter(box))
    finally:
        box.stop()


# --- afterSale/List --------------------------------------------------------------------------------------------
# afterSale/List's ids are strings (aftersale_id, related_id, shop_order_id, sku_order_id), money in fen, times in
# Unix seconds; the request under items[].aftersale_info, the order under items[].order_info, the words under
# items[].text_part
LIST_ITEM = {
    "aftersale_info": {
        "aftersale_id": "7300000000000888", "aftersale_order_type": 1, "aftersale_type": 0, "aftersale_status": 11,
        "related_id": "6920000000000002", "apply_time": 1762394400, "update_time": 1762480800,
        "status_deadline": 1762653600, "refund_amount": 12900, "refund_post_amount": 0, "aftersale_num": 1,
        "part_type": 0, "aftersale_refund_type": 0, "refund_type": 0, "arbitrate_status": 0,
        "create_time": 1762394400, "refund_tax_amount": 0, "left_urge_sms_count": 3,
        "return_logistics_code": "SF1234567890", "return_logistics_company_name": "顺丰速运", "refund_status": 1,
        "got_pkg": 1, "order_logistics": [{"tracking_no": "YT1234567890", "company_name": "圆通快递",
                                           "company_code": "yuantong", "logistics_time": 1762300000,
                                           "logistics_state": 2}],
        "reason_second_labels": [{"code": 1201, "name": "偏小"}], "aftersale_tags": [], "store_id": 0,
        "store_name": "", "aftersale_sub_type": 0,
    },
    "order_info": {
        "shop_order_id": "6920000000000001", "order_flag": 0,
        "related_order_info": [{"sku_order_id": "6920000000000003", "order_status": 5, "pay_amount": 12900,
                                "post_amount": 0, "item_num": 1, "create_time": 1762200000, "product_name": "羊毛开衫",
                                "product_id": 3500001, "shop_sku_code": "SKU-1", "aftersale_pay_amount": 12900,
                                "aftersale_item_num": 1, "sku_spec": [{"name": "颜色", "value": "米白"}]}],
    },
    "text_part": {"aftersale_status_text": "待商家收货", "aftersale_type_text": "退货退款", "reason_text": "尺码不合适",
                  "logistics_text": "已签收", "return_logistics_text": "已发货", "arbitrate_status_text": ""},
    "seller_logs": [],
}


class ListSandbox(DoudianSandbox):
    def _list(self, params: dict) -> tuple[int, dict]:
        return self._ok({"items": [LIST_ITEM], "has_more": False, "total": 1, "page": 0, "size": 1})


def test_a_list_answer_in_the_platforms_shape_gives_each_request_its_line_money_and_clock():
    page = _serve(ListSandbox, lambda box, a: a.fetch_aftersales(box.access_token, {"update_start_time": 1762000000}))
    (got,) = page.items
    # the line is the related sku order (related_order_info), as afterSale/Detail's sku_order_infos gives it
    assert (got.aftersale_id, got.order_id, got.sub_order_id) == ("7300000000000888", "6920000000000001",
                                                                 "6920000000000003")
    assert (got.platform_type, got.platform_status, got.kind, got.case_status) == ("0", "11", "return_refund",
                                                                                  "in_transit_back")
    assert got.refund_amount == Decimal("129.00") and got.reason_text == "尺码不合适" and got.reason == "size_fit"
    assert got.deadline == dt.datetime.fromtimestamp(1762653600, dt.UTC) and got.updated == 1762480800
    assert page.has_more is False and page.cursor == {"update_start_time": 1762480800, "page": 0}


def test_the_list_and_the_detail_give_the_same_refund_postage_included():
    # afterSale/List: refund_amount (goods) + refund_post_amount; afterSale/Detail: refund_total_amount (含运费)
    item = json.loads(json.dumps(LIST_ITEM))
    item["aftersale_info"].update(refund_amount=1990, refund_post_amount=800)

    class Listed(DoudianSandbox):
        def _list(self, params):
            return self._ok({"items": [item], "has_more": False, "total": 1, "page": 0, "size": 1})

    (got,) = _serve(Listed, lambda box, a: a.fetch_aftersales(box.access_token, {})).items
    assert got.refund_amount == Decimal("27.90")


@pytest.mark.parametrize(("status", "case_status", "resolution"), [
    ("51", "resolved", "refund"),  # 订单取消成功: the unshipped order cancelled, the money back
    ("53", "resolved", ""),  # 逆向交易已完成
])
def test_the_detail_enum_s_last_two_ends_close_the_case(status, case_status, resolution):
    item = json.loads(json.dumps(LIST_ITEM))
    item["aftersale_info"].update(aftersale_status=int(status))

    class Ended(DoudianSandbox):
        def _list(self, params):
            return self._ok({"items": [item], "has_more": False, "total": 1, "page": 0, "size": 1})

    (got,) = _serve(Ended, lambda box, a: a.fetch_aftersales(box.access_token, {})).items
    assert (got.case_status, got.resolution) == (case_status, resolution) and "未知状态" not in got.status_text


def test_a_list_item_without_its_order_lines_falls_back_to_related_id_and_status_3_is_awaiting_the_buyer():
    item = json.loads(json.dumps(LIST_ITEM))
    item["order_info"].pop("related_order_info")
    item["aftersale_info"].update(aftersale_type=3, aftersale_status=3)  # the response comment's "3-换货待买家收货"

    class Bare(DoudianSandbox):
        def _list(self, params):
            return self._ok({"items": [item], "has_more": False, "total": 1, "page": 0, "size": 1})

    (got,) = _serve(Bare, lambda box, a: a.fetch_aftersales(box.access_token, {})).items
    assert got.sub_order_id == "6920000000000002" and got.kind == "exchange" and got.case_status == "fulfilling"


def test_the_sandbox_lists_in_the_platforms_shape():
    def run(box, adapter):
        record = box.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False, refund_amount=500)
        return record, adapter.fetch_aftersales(box.access_token, {})

    record, page = _serve(DoudianSandbox, run)
    (got,) = page.items
    assert got.raw["aftersale_info"]["aftersale_id"] == record.aftersale_id  # a string in the list
    assert got.raw["order_info"]["related_order_info"][0]["sku_order_id"] == SKU_ORDER_ID
    assert (got.order_id, got.sub_order_id, got.refund_amount) == (ORDER_ID, SKU_ORDER_ID, Decimal("5.00"))


# --- pushes ----------------------------------------------------------------------------------------------------
def _published_refund_created(aftersale_id: str) -> dict:
    """Tag 200 买家发起售后申请 as the message params list it (message-docs/31/115): ids int64, amounts in fen,
    apply_time Unix seconds, update_time an RFC 3339 string; data is a JSON string inside the envelope."""
    data = {"aftersale_id": int(aftersale_id), "aftersale_status": 6, "aftersale_type": 0,
            "apply_time": 1762394400, "p_id": int(ORDER_ID), "s_id": int(SKU_ORDER_ID), "shop_id": 7000001,
            "store_id": 0, "reason_code": 1, "refund_amount": 19900, "refund_post_amount": 0,
            "refund_voucher_num": 0, "update_time": "2026-11-06T10:00:00+08:00", "return_book_info": {}}
    return {"tag": "200", "msg_id": "7438000000000000001", "data": json.dumps(data)}


@pytest.mark.django_db(transaction=True)
def test_a_push_in_the_platforms_shape_is_acknowledged_and_opens_the_case(pushing, connect, order_line, claim_clock):
    connect()
    record = pushing.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=0,
                                   refund_amount=19900, push=False)
    response = pushing.push([_published_refund_created(record.aftersale_id)])
    assert response.status_code == 200 and response.json() == {"code": 0, "msg": "success"}
    event = PlatformEvent.objects.get(message_id="7438000000000000001")
    assert (event.tag, event.aftersale_id, event.order_id) == ("200", record.aftersale_id, ORDER_ID)
    assert event.payload["update_time"] == "2026-11-06T10:00:00+08:00"  # kept as sent; the version is the detail's
    assert _wait(lambda: Case.objects.filter(platform_link__aftersale_id=record.aftersale_id).exists())
    case = Case.objects.get(platform_link__aftersale_id=record.aftersale_id)
    assert case.kind == "return_refund" and case.platform_link.platform_updated_at == record.update_time


def test_the_sandbox_pushes_after_sale_messages_in_the_platforms_shape():
    box = DoudianSandbox()
    try:
        record = box.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)
        created, agreed_resend = (json.loads(box.message(tag, record)["data"]) for tag in ("200", "227"))
    finally:
        box.server.server_close()
    assert created["update_time"] == message_time(record.update_time)
    assert dt.datetime.fromisoformat(created["update_time"]).timestamp() == record.update_time
    assert created["update_time"].endswith("+08:00") and isinstance(created["aftersale_id"], int)
    assert "after_sale_status" in agreed_resend and "aftersale_status" not in agreed_resend  # tag 227's own name


def test_order_messages_in_the_platforms_shape_name_their_order():
    adapter = DoudianAdapter(app_key="k", app_secret="s")
    addr = json.dumps({"province": {"name": "浙江省", "id": "33"}, "city": {"name": "杭州市", "id": "3301"},
                       "town": {"name": "西湖区", "id": "330106"}, "street": {"name": "文新街道", "id": "330106001"},
                       "detail": "文一西路***号", "encrypt_detail": "#abc#"}, ensure_ascii=False)
    body = json.dumps([
        {"tag": "105", "msg_id": "1", "data": json.dumps({
            "order_status": 2, "order_type": 0, "p_id": 6920000000000001, "s_ids": [6920000000000002],
            "shop_id": 7000001, "update_time": 1762394400,
            "receiver_msg": {"addr": addr, "name": "张**", "encrypt_name": "#n#", "tel": "138****5678",
                             "encrypt_tel": "$t$"}}, ensure_ascii=False)},
        {"tag": "102", "msg_id": "2", "data": json.dumps({
            "biz": 2, "logistics_msg": {"express_company_id": "7", "logistics_code": "ZT1"}, "order_status": 3,
            "order_type": 0, "p_id": 6920000000000005, "s_ids": [6920000000000006], "shop_id": 7000001,
            "update_time": 1762394500})},
        {"tag": "126", "msg_id": "3", "data": json.dumps({  # 订单发货时效变更: p_id is a string in this one
            "exp_delivery_time": 1762500000, "order_type": 0, "p_id": "6920000000000007", "s_ids": [1],
            "shop_id": 7000001})},
    ], ensure_ascii=False).encode()
    changed, shipped, appointment = adapter.parse_push(body)
    assert (changed.tag, changed.order_id, changed.platform_shop_id, changed.known) == ("105", "6920000000000001",
                                                                                       "7000001", True)
    assert (shipped.order_id, shipped.aftersale_id, shipped.known) == ("6920000000000005", "", True)
    assert (appointment.order_id, appointment.known) == ("6920000000000007", False)  # acknowledged, not applied


# --- token/create, token/refresh ----------------------------------------------------------------------------
def test_token_answers_read_expires_in_as_seconds_or_as_the_instant_and_shop_id_as_int64():
    expiry = int(time.time()) + 6 * 86400

    class TimestampTokens(DoudianSandbox):
        def _token_data(self):
            return {**super()._token_data(), "expires_in": expiry, "shop_id": 7000001}

    got = _serve(TimestampTokens, lambda box, a: a.create_token(shop_id=box.shop_id))
    assert got.expires_at == dt.datetime.fromtimestamp(expiry, dt.UTC) and got.platform_shop_id == "7000001"
    before = dt.datetime.now(dt.UTC)
    got = _serve(DoudianSandbox, lambda box, a: a.refresh_token(box.refresh_token))  # expires_in 604800 (7 days)
    assert before + dt.timedelta(days=7) - dt.timedelta(seconds=5) <= got.expires_at \
        <= dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
    assert got.platform_shop_id == "7000001"


# --- the error envelope ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fault", "kind"), [("rate_limit", "rate_limited"), ("token_expired", "token_expired"),
                                             ("authorization_gone", "token_expired"), ("outage", "outage"),
                                             ("status_error", "already_handled")])
def test_the_platforms_error_codes_are_told_apart(fault, kind):
    def run(box, adapter):
        box.fail_next("afterSale/List", fault)
        with pytest.raises(PlatformError) as caught:
            adapter.fetch_aftersales(box.access_token, {})
        return caught.value

    error = _serve(DoudianSandbox, run)
    assert error.kind == kind
    if fault == "rate_limit":  # {code 60000, sub_code isv.traffic-limited}, answered HTTP 200
        assert error.answer["sub_code"] == "isv.traffic-limited" and "限流" in error.message


def test_a_refused_refresh_in_the_platforms_shape_is_not_retried():
    def run(box, adapter):
        with pytest.raises(PlatformError) as caught:
            adapter.refresh_token("not-the-refresh-token")
        return caught.value

    error = _serve(DoudianSandbox, run)
    assert error.answer["sub_code"] == "dop.token-generate-failed:token-expired" and not error.retryable


def test_an_operate_answer_with_a_failed_item_is_a_refusal():
    class FailedItem(DoudianSandbox):
        def _operate(self, params):
            return self._ok({"items": [{"aftersale_id": 7300000000000777, "status_code": 20309541,
                                        "status_msg": "售后状态错误"}]})

    def run(box, adapter):
        with pytest.raises(PlatformError) as caught:
            adapter.act(box.access_token, Action(kind="approve", aftersale_id="7300000000000777", platform_type="1",
                                                 updated=1762394460))
        return caught.value

    error = _serve(FailedItem, run)
    assert error.kind == "already_handled" and "售后状态错误" in error.message


# --- material/uploadImageSync, material/queryMaterialDetail -------------------------------------------------------
class _Image:
    """A public image for the platform to fetch (the sandbox fetches the URL like the platform)."""

    def __enter__(self):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.end_headers()
                self.wfile.write(b"\xff\xd8\xff\xe0jpeg")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/p.jpg"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_an_upload_answer_without_byte_url_reads_the_url_from_the_material_detail():
    with _Image() as url:
        got = _serve(DoudianSandbox, lambda box, a: (a.upload_evidence(box.access_token, public_url=url, name="p.jpg"),
                                                     list(box.calls)))
    byte_url, calls = got
    assert byte_url == "https://p3-sandbox.example/m000001.jpg"
    assert calls == ["material/uploadImageSync", "material/queryMaterialDetail"]


def test_an_image_rejected_by_review_is_refused_with_the_platforms_reason():
    class Rejected(DoudianSandbox):
        def _upload_image(self, params):
            return self._ok({"material_id": "70001", "folder_id": "0", "is_new": True, "audit_status": 2,
                             "byte_url": ""})

        def _material_detail(self, params):
            return self._ok({"material_info": {"material_id": params["material_id"], "audit_status": 4,
                                               "byte_url": "", "audit_reject_desc": "图片含二维码"}})

    def run(box, adapter):
        with pytest.raises(PlatformError) as caught:
            adapter.upload_evidence(box.access_token, public_url="https://example.invalid/p.jpg", name="p.jpg")
        return caught.value

    error = _serve(Rejected, run)
    assert error.kind == "refused" and "图片含二维码" in error.message


# --- order/searchList, order/orderDetail ----------------------------------------------------------------------
SHOP_ORDER = {
    "shop_id": 7000001, "order_id": "6920000000000001", "order_status": 101, "order_status_desc": "部分发货",
    "create_time": 1762200000, "pay_time": 1762200060, "update_time": 1762300000, "ship_time": 1762290000,
    "finish_time": 0, "pay_amount": 25800, "post_amount": 0,
    "mask_post_receiver": "张**", "mask_post_tel": "138****5678",
    "mask_post_addr": {"province": {"name": "浙江省", "id": "33"}, "city": {"name": "杭州市", "id": "3301"},
                       "town": {"name": "西湖区", "id": "330106"}, "street": {"name": "文新街道", "id": "330106001"},
                       "detail": "文一西路***号"},
    "post_receiver": "#Zm9v#", "encrypt_post_receiver": "#Zm9v#", "post_tel": "$YmFy$", "encrypt_post_tel": "$YmFy$",
    "post_addr": {"province": {"name": "浙江省", "id": "33"}, "city": {"name": "杭州市", "id": "3301"},
                  "town": {"name": "西湖区", "id": "330106"}, "street": {"name": "文新街道", "id": "330106001"},
                  "detail": "#YmF6#", "encrypt_detail": "#YmF6#"},
    "logistics_info": [{"tracking_no": "YT1234567890", "company": "yuantong", "ship_time": 1762290000,
                        "delivery_id": "pack-1", "company_name": "圆通快递",
                        "product_info": [{"product_name": "羊毛开衫", "sku_id": 1700001, "product_id": 3500001,
                                          "sku_order_id": "6920000000000002", "product_id_str": "3500001"}]}],
    "sku_order_list": [
        {"order_id": "6920000000000002", "parent_order_id": "6920000000000001", "order_status": 3,
         "product_name": "羊毛开衫", "product_id": 3500001, "product_id_str": "3500001", "sku_id": 1700001,
         "code": "SKU-1", "out_sku_id": "", "spec": [{"name": "颜色", "value": "米白"}], "item_num": 1,
         "pay_amount": 19900, "update_time": 1762300000},
        {"order_id": "6920000000000003", "parent_order_id": "6920000000000001", "order_status": 2,
         "product_name": "围巾", "product_id": 3500002, "product_id_str": "3500002", "sku_id": 1700002,
         "code": "SKU-2", "out_sku_id": "", "spec": [], "item_num": 2, "pay_amount": 5900,
         "update_time": 1762300000},
    ],
}


class OrderSandbox(DoudianSandbox):
    def _order_list(self, params):
        return self._ok({"shop_order_list": [SHOP_ORDER], "page": 0, "size": 100, "total": 1})

    def _order_detail(self, params):
        return self._ok({"shop_order_detail": SHOP_ORDER})


def test_orders_in_the_platforms_shape_give_lines_money_parcels_and_masked_receiver():
    def run(box, adapter):
        return adapter.list_orders(box.access_token, 1762000000, {}), adapter.get_order(box.access_token,
                                                                                        "6920000000000001")

    page, detail = _serve(OrderSandbox, run)
    (listed,) = page.items
    for got in (listed, detail):
        assert (got.order_id, got.status, got.platform_status, got.updated) == ("6920000000000001", "shipped", "101",
                                                                                1762300000)
        assert got.total == Decimal("258.00")
        assert [(i.sub_order_id, i.quantity, i.paid, i.sku_code, i.spec) for i in got.items] == [
            ("6920000000000002", 1, Decimal("199.00"), "SKU-1", "颜色:米白"),
            ("6920000000000003", 2, Decimal("59.00"), "SKU-2", "")]
        assert [(w.tracking_no, w.carrier, w.sub_order_ids) for w in got.waybills] == [
            ("YT1234567890", "YTO", ["6920000000000002"])]
        assert (got.receiver_name, got.receiver_phone) == ("张**", "138****5678")
        assert got.address == "浙江省杭州市西湖区文新街道文一西路***号"
        assert got.raw["cipher"] == {"name": "#Zm9v#", "phone": "$YmFy$", "address": "#YmF6#"}
        assert got.placed_at == dt.datetime.fromtimestamp(1762200000, dt.UTC)


def test_a_decrypt_answer_in_the_platforms_shape_gives_the_virtual_number():
    class Decrypting(OrderSandbox):
        def _batch_decrypt(self, params):
            infos = [{"auth_id": i["auth_id"], "cipher_text": i["cipher_text"],
                      "decrypt_text": "18400913965-7576" if i["cipher_text"].startswith("$") else "张小花",
                      "err_no": 0, "err_msg": "", "data_type": 3 if i["cipher_text"].startswith("$") else 2,
                      "is_virtual_tel": i["cipher_text"].startswith("$"), "expire_time": 1762400000,
                      "phone_no_a": "18400913965" if i["cipher_text"].startswith("$") else "",
                      "phone_no_b": "7576" if i["cipher_text"].startswith("$") else ""}
                     for i in params["cipher_infos"]]
            return self._ok({"decrypt_infos": infos, "custom_err": {"err_code": 0, "err_msg": ""}})

    got = _serve(Decrypting, lambda box, a: a.decrypt_receiver(box.access_token, "6920000000000001", ["name", "phone"]))
    assert got == {"name": "张小花", "phone": "18400913965-7576"}


# --- address/list, afterSale/rejectReasonCodeList ------------------------------------------------------------
def test_the_address_book_and_the_reject_reasons_in_the_platforms_shape():
    class Book(DoudianSandbox):
        def _addresses(self, params):
            return self._ok({"total": 1, "page_size": 50, "page_no": 1, "address_list": [{
                "address_id": 7100000000000001, "reciever_name": "售后组", "is_default": 1, "is_send_default": 0,
                "create_time": "1762200000", "update_time": "1762200000", "receiver_provinc": "浙江省",
                "receiver_city": "杭州市", "receiver_district": "余杭区", "receiver_detail": "文一西路1号",
                "receiver_street": "仓前街道", "remark": ""}]})

        def _reject_reasons(self, params):
            assert params == {"aftersale_id": 7300000000000777}  # int64 in the request
            return self._ok({"items": [{"reject_reason_code": 12, "reason": "商品已影响二次销售",
                                        "evidence_description": "请上传商品照片", "evidence_need": "Y",
                                        "image": "https://example.invalid/sample.jpg", "order_type": -1, "pkg": 1}]})

    addresses, reasons = _serve(Book, lambda box, a: (a.addresses(box.access_token),
                                                      a.reject_reasons(box.access_token, "7300000000000777")))
    assert [(x.address_id, x.text, x.is_default) for x in addresses] == [
        ("7100000000000001", "售后组 浙江省杭州市余杭区仓前街道文一西路1号", True)]
    assert [(r.code, r.text, r.evidence_need, r.hint) for r in reasons] == [
        (12, "商品已影响二次销售", True, "请上传商品照片")]
