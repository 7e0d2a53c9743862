"""afterSale/Detail is read in the shape 抖店 answers it: the request under data.process_info.after_sale_info,
beside its arbitration and logistics, the order under data.order_info (field names and nesting from the public
SDKs' response types, docs/platforms.md "Sources"). The adapter once read data.after_sale_info, which a real
answer never has: every detail read came back empty while the sandbox, built the same wrong way, agreed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from shouhou.platforms.adapters.doudian import DoudianAdapter
from shouhou.platforms.sandbox.doudian import DoudianSandbox

# An answer with the fields the SDKs list, values made up: ids as int64, money in fen, times as Unix seconds.
FULL_DETAIL = {
    "process_info": {
        "after_sale_info": {
            "after_sale_id": 7300000000000777, "after_sale_status": 6, "after_sale_status_desc": "售后申请",
            "after_sale_type": 0, "after_sale_type_text": "退货退款", "refund_type": 1, "refund_status": 1,
            "refund_total_amount": 19900, "refund_post_amount": 0, "apply_time": 1762394400,
            "update_time": 1762394460, "reason": "尺码不合适", "reason_code": 12, "reason_remark": "偏小一码",
            "evidence": ["https://p3-aftersale.example/evidence1.jpg"], "after_sale_apply_count": 1,
            "need_return_count": 1, "got_pkg": 1, "status_deadline": 1762567200, "return_address_id": 0,
            "part_type": 0, "reason_second_labels": [{"code": 1201, "name": "偏小"}], "aftersale_tags": [],
            "store_id": "", "after_sale_order_type": 1, "after_sale_sub_type": 0,
        },
        "arbitrate_info": {"arbitrate_id": "", "arbitrate_status": 0, "is_required_evidence": False},
        "after_sale_service_tag": {"after_sale_service_tag": []},
        "logistics_info": {"return": {"tracking_no": "", "company_name": "", "company_code": "", "logistics_time": 0},
                           "order": [{"tracking_no": "YT1234567890", "company_name": "圆通快递",
                                      "company_code": "yuantong", "logistics_time": 1762300000,
                                      "logistics_state": 3, "value_added_services": []}]},
        "after_sale_shop_remarks": [],
        "record_logs_list": [],
    },
    "order_info": {
        "shop_order_id": 6920000000000001,
        "sku_order_infos": [{"sku_order_id": 6920000000000002, "order_status": 5, "pay_amount": 19900,
                             "item_quantity": 1, "product_name": "羊毛开衫", "product_id": 3500001,
                             "sku_id": 1700001, "shop_sku_code": "SKU-1", "given_sku_details": []}],
    },
}


class FullShapeSandbox(DoudianSandbox):
    def _detail(self, params: dict) -> tuple[int, dict]:
        return self._ok(FULL_DETAIL)


def test_a_detail_answer_in_the_platforms_shape_gives_the_request_its_order_and_its_clock():
    box = FullShapeSandbox().start()
    try:
        adapter = DoudianAdapter(app_key=box.app_key, app_secret=box.app_secret, api_base=box.url)
        got = adapter.fetch_aftersale(box.access_token, "7300000000000777")
    finally:
        box.stop()
    assert (got.aftersale_id, got.order_id, got.sub_order_id) == ("7300000000000777", "6920000000000001",
                                                                 "6920000000000002")
    assert (got.platform_type, got.platform_status) == ("0", "6")
    assert got.refund_amount == Decimal("199.00") and got.reason_text == "尺码不合适"
    assert got.deadline == dt.datetime.fromtimestamp(1762567200, dt.UTC)
    assert got.updated == 1762394460


def test_the_sandbox_answers_detail_in_the_platforms_shape():
    box = DoudianSandbox().start()
    try:
        record = box.add_aftersale(order_id="6920000000000001", sku_order_id="6920000000000002", push=False)
        adapter = DoudianAdapter(app_key=box.app_key, app_secret=box.app_secret, api_base=box.url)
        got = adapter.fetch_aftersale(box.access_token, record.aftersale_id)
        raw = got.raw
    finally:
        box.stop()
    assert "after_sale_info" not in raw and raw["process_info"]["after_sale_info"]["after_sale_id"] == int(
        record.aftersale_id)
    assert got.order_id == "6920000000000001" and got.platform_status == str(record.status)
