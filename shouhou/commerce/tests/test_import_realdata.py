"""Real back-office downloads, as a merchant's operations staff gives them (2026-12-06, fifth round): 有赞's
「收货人/提货人」 headers, privacy numbers and encrypted fields, ids written as ="…", an order shipped in two
parcels, an after-sale export or a shipment sheet chosen instead of the order export. Headers as those back
offices name them; values invented."""

import csv
import datetime as dt
from decimal import Decimal

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.importers.parse import parse_row
from shouhou.commerce.models import Customer, Order, OrderLine, Shipment
from shouhou.commerce.services import orders_import

SH = dt.timezone(dt.timedelta(hours=8))


def write(path, headers, rows, encoding="utf-8-sig"):
    """As Excel on a Chinese Windows saves it: CRLF line ends."""
    with open(path, "w", encoding=encoding, newline="") as fh:
        out = csv.writer(fh, lineterminator="\r\n")
        out.writerow(headers)
        out.writerows(rows)
    return path


def run(shop, path, **kw):
    return orders_import(actor=SYSTEM, shop=shop, path=path, **kw)


YOUZAN = ["订单号", "商品订单号", "商品名称", "规格", "商品数量", "商品单价", "商品实际成交金额", "订单创建时间", "买家付款时间",
          "订单状态", "收货人/提货人", "收货人手机号/提货人手机号", "详细收货地址/提货地址", "物流公司", "快递单号"]


def test_youzan_receiver_columns_named_with_a_slash_are_read(shop, tmp_path):
    rows = [["E1", "E101", "羊毛大衣", "驼色 L", "1", "599.00", "539.10", "2026-11-01 10:00:00", "2026-11-01 10:01:00",
             "已发货", "赵六", "13600002222", "江苏省南京市鼓楼区中山路1号", "中通快递", "ZT1"]]
    job = run(shop, write(tmp_path / "有赞.csv", YOUZAN, rows, encoding="gbk"))
    assert job.status == "done", job.errors
    assert job.summary["ignored_columns"] == []
    order = Order.objects.get(order_no="E1")
    assert (order.receiver_name, order.receiver_phone) == ("赵六", "13600002222")
    assert order.address == "江苏省南京市鼓楼区中山路1号"
    assert order.paid_at == dt.datetime(2026, 11, 1, 10, 1, tzinfo=SH)
    assert order.total_paid == Decimal("539.10")  # 商品实际成交金额, not 商品单价
    assert order.customer.phone == "13600002222"


def test_a_header_with_its_unit_is_the_same_column(shop, tmp_path):
    job = run(shop, write(tmp_path / "units.csv", ["订单编号", "商品名称", "商品数量（件）", "实付款(元)"],
                          [["K1", "牛肉干", "2", "59.80"]]))
    assert job.status == "done", job.errors
    assert OrderLine.objects.get().quantity == 2 and Order.objects.get().total_paid == Decimal("59.80")
    # the same minimal columns again, an amount changed: on PostgreSQL the order upsert had nothing to SET (a syntax
    # error, 「意外错误」)
    job = run(shop, write(tmp_path / "units2.csv", ["订单编号", "商品名称", "商品数量（件）", "实付款(元)"],
                          [["K1", "牛肉干", "2", "49.80"]]))
    assert job.status == "done", job.errors
    assert Order.objects.get().total_paid == Decimal("49.80")


DOUDIAN = ["主订单编号", "子订单编号", "选购商品", "商品数量", "订单应付金额", "收件人", "收件人手机号"]


@pytest.mark.parametrize(("cell", "kept"), [
    ("17012345678-1234", "17012345678转1234"),
    ("17012345678转1234", "17012345678转1234"),
    ("17012345678_1234", "17012345678转1234"),
    ("#Zx8s3kPq0#bWFza2VkPT0=#1#", ""),  # 抖店's ciphertext: unreadable without the platform's decrypt API
    ("$eTS8t8hAECdXKgNtV6DIfw==$1$", ""),  # 有赞's
])
def test_privacy_numbers_and_encrypted_phones_are_kept_but_identify_nobody(shop, tmp_path, cell, kept):
    job = run(shop, write(tmp_path / "p.csv", DOUDIAN, [["6931000000000001", "6931000000000011", "卫衣", "1", "99",
                                                         "张*", cell]]))
    assert job.status == "done", job.errors
    order = Order.objects.get()
    assert order.receiver_phone == kept and order.customer is None
    assert Customer.objects.count() == 0


def test_a_privacy_number_does_not_unlink_a_known_buyer(shop, tmp_path):
    rows = [["6931000000000001", "6931000000000011", "卫衣", "1", "99", "张三", "13812345678"]]
    run(shop, write(tmp_path / "a.csv", DOUDIAN, rows))
    rows[0][-1] = "17012345678-1234"
    job = run(shop, write(tmp_path / "b.csv", DOUDIAN, rows))
    assert job.status == "done", job.errors
    order = Order.objects.get()
    assert order.receiver_phone == "13812345678" and order.customer.phone == "13812345678"


def test_a_phone_cell_too_long_for_the_order_is_a_located_row_error(shop, tmp_path):
    rows = [["6931000000000001", "6931000000000011", "卫衣", "1", "99", "张*", "138****1234（隐私保护，请勿外泄）"]]
    job = run(shop, write(tmp_path / "long.csv", DOUDIAN, rows))
    assert job.status == "failed" and Order.objects.count() == 0
    assert job.errors[0]["row"] == 2 and job.errors[0]["field"] == "收件人手机号"
    assert "超过 20 个字符" in job.errors[0]["message"]


def test_ids_written_as_text_formulas_or_with_an_apostrophe_are_the_ids(shop, tmp_path):
    rows = [['="6931000000000001"', '="6931000000000011"', "卫衣", "1", "99", "张*", "138****1234"],
            ["'6931000000000002", "\t6931000000000021", "卫衣", "1", "99", "李*", "139****1234"]]
    job = run(shop, write(tmp_path / "ids.csv", DOUDIAN, rows))
    assert job.status == "done", job.errors
    assert sorted(Order.objects.values_list("order_no", flat=True)) == ["6931000000000001", "6931000000000002"]
    assert sorted(OrderLine.objects.values_list("line_key", flat=True)) == ["6931000000000011", "6931000000000021"]


PARCELS = ["订单号", "子订单号", "商品名称", "数量", "实付金额", "物流公司", "运单号", "发货时间", "签收时间"]


def test_an_order_shipped_in_two_parcels_has_two_shipments(shop, tmp_path):
    rows = [["B1", "B1-1", "卫衣", "1", "99", "中通", "ZT100", "2026-11-02 10:00:00", "2026-11-04 09:00:00"],
            ["B1", "B1-2", "裤子", "1", "59", "圆通", "YT200", "2026-11-03 10:00:00", ""],
            ["B2", "B2-1", "袜子", "1", "0", "", "", "", ""]]  # a gift at 0 yuan, not shipped yet
    job = run(shop, write(tmp_path / "two.csv", PARCELS, rows))
    assert job.status == "done", job.errors
    ships = {s.tracking_no: s for s in Shipment.objects.filter(order__order_no="B1")}
    assert set(ships) == {"ZT100", "YT200"}
    assert (ships["ZT100"].carrier, ships["YT200"].carrier) == ("ZTO", "YTO")
    assert ships["ZT100"].shipped_at == dt.datetime(2026, 11, 2, 10, tzinfo=SH)
    assert ships["YT200"].shipped_at == dt.datetime(2026, 11, 3, 10, tzinfo=SH)
    assert ships["ZT100"].status == "signed"
    assert job.summary["shipments_created"] == 2
    again = run(shop, write(tmp_path / "two-again.csv", PARCELS, rows))
    assert again.status == "done" and Shipment.objects.count() == 2  # re-import: the same two parcels


def test_the_second_parcel_of_an_order_imported_before_is_added(shop, tmp_path):
    rows = [["B1", "B1-1", "卫衣", "1", "99", "", "", "", ""], ["B1", "B1-2", "裤子", "1", "59", "", "", "", ""]]
    run(shop, write(tmp_path / "paid.csv", PARCELS, rows))
    rows[0][5:8] = ["中通", "ZT100", "2026-11-02 10:00:00"]
    run(shop, write(tmp_path / "first.csv", PARCELS, rows))
    rows[1][5:8] = ["圆通", "YT200", "2026-11-03 10:00:00"]
    job = run(shop, write(tmp_path / "second.csv", PARCELS, rows))
    assert job.status == "done", job.errors
    assert sorted(Shipment.objects.values_list("carrier", "tracking_no")) == [("YTO", "YT200"), ("ZTO", "ZT100")]


def test_an_after_sale_export_is_refused_naming_its_columns(shop, tmp_path):
    headers = ["售后单号", "订单编号", "商品名称", "退款金额", "申请时间", "售后类型", "售后状态"]
    job = run(shop, write(tmp_path / "售后.csv", headers, [["AS1", "6931", "卫衣", "99", "2026-11-01", "仅退款", "退款成功"]]))
    assert job.status == "failed" and Order.objects.count() == 0
    text = job.errors[0]["text"]
    assert "售后单" in text and "「售后单号」" in text and "售后单号、订单编号、商品名称" in text


def test_a_shipment_sheet_chosen_by_mistake_names_its_columns(shop, tmp_path):
    job = run(shop, write(tmp_path / "发货单.csv", ["运单号", "快递公司", "收件人", "收件人电话", "寄件时间"],
                          [["ZT1", "中通", "张三", "13800001111", "2026-11-01"]]))
    assert job.status == "failed"
    assert job.errors[0]["text"].startswith("缺少必需的列「订单号」")
    assert "运单号、快递公司、收件人、收件人电话、寄件时间" in job.errors[0]["text"]


def test_unwrapped_text_parses_the_same_in_the_cached_columns():
    line, problems = parse_row(2, ['="E1"', "卫衣", '="13812345678"'], {"order_no": 0, "product_name": 1, "phone": 2})
    assert problems == [] and line.order_no == "E1" and line.values["phone"] == "13812345678"
