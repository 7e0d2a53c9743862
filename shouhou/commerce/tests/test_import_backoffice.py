"""Real back-office export layouts: 抖店 (主订单编号/子订单编号, 订单应付金额 on every row of the order,
省/市/区/街道, 订单完成时间, 售后状态), 快手小店 (one address column, 实付款 per line) and 有赞 (收货人省份…,
订单实付金额 per sub-order). Column names as in those exports; values invented."""

import csv
import datetime as dt
from decimal import Decimal

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.importers.amounts import settle_amounts
from shouhou.commerce.importers.parse import ParsedLine, joined_address
from shouhou.commerce.models import Order, OrderLine, Shipment
from shouhou.commerce.services import orders_import

SH = dt.timezone(dt.timedelta(hours=8))
DOUDIAN = ["主订单编号", "子订单编号", "选购商品", "商品规格", "商品数量", "商品ID", "商家编码", "商品金额", "订单应付金额",
           "运费", "订单提交时间", "支付完成时间", "订单完成时间", "订单状态", "售后状态", "收件人", "收件人手机号",
           "省", "市", "区", "街道", "详细地址", "快递公司", "快递单号", "达人昵称"]
DOUDIAN_ROWS = [
    # a two-line order: 订单应付金额 is the order's (69.90 + 2 × 45.00 − 10 discount = 149.90), on both rows
    ["6931000000000001", "6931000000000011", "加绒卫衣", "M 白色", "1", "3501", "WY-M", "69.90", "149.90", "0.00",
     "2026-11-01 20:30:00", "2026-11-01 20:30:30", "2026-11-06 09:00:00", "已完成", "售后完成", "张三", "138****5678",
     "浙江省", "杭州市", "西湖区", "文新街道", "文三路100号3单元", "中通快递", "ZT7000000001", "小鹿"],
    ["6931000000000001", "6931000000000012", "保湿面霜", "50ml", "2", "3502", "MS-50", "45.00", "149.90", "0.00",
     "2026-11-01 20:30:00", "2026-11-01 20:30:30", "2026-11-06 09:00:00", "已完成", "", "张三", "138****5678",
     "浙江省", "杭州市", "西湖区", "文新街道", "文三路100号3单元", "中通快递", "ZT7000000001", "小鹿"],
    ["6931000000000002", "6931000000000021", "蓝牙耳机", "黑色", "1", "3503", "EJ-B", "199.00", "199.00", "0.00",
     "2026-11-01 21:00:00", "2026-11-01 21:00:20", "", "已发货", "退款中", "李四", "139****1111",
     "上海市", "上海市", "浦东新区", "花木街道", "上海市浦东新区世纪大道1号", "圆通速递", "YT8000000002", "小鹿"],
]

KUAISHOU = ["订单号", "商品名称", "商品规格", "商品数量", "实付款", "下单时间", "付款时间", "订单状态", "售后状态",
            "收货人姓名", "收货人电话", "收货地址", "快递公司", "快递单号", "交易成功时间"]
KUAISHOU_ROWS = [
    ["2411010000001", "牛肉干", "500g", "2", "59.80", "2026-11-01 19:00:00", "2026-11-01 19:00:10", "交易成功",
     "无售后", "王五", "13700001234", "广东省深圳市南山区科技园南路8号", "顺丰速运", "SF1400000001",
     "2026-11-05 18:00:00"],
    ["2411010000001", "坚果礼盒", "礼盒装", "1", "88.00", "2026-11-01 19:00:00", "2026-11-01 19:00:10", "交易成功",
     "退款成功", "王五", "13700001234", "广东省深圳市南山区科技园南路8号", "顺丰速运", "SF1400000001",
     "2026-11-05 18:00:00"],
]

YOUZAN = ["订单号", "商品订单号", "商品名称", "规格", "商品数量", "商品单价", "订单实付金额", "订单创建时间", "订单状态",
          "售后状态", "收货人/提货人", "收货人手机号/提货人手机号", "收货人省份", "收货人城市", "收货人地区",
          "详细收货地址"]
YOUZAN_ROWS = [
    # 订单实付金额 per sub-order here: the two rows differ, so they are summed
    ["E20261101000001", "E2026110100000101", "羊毛大衣", "驼色 L", "1", "599.00", "539.10", "2026-11-01 10:00:00",
     "交易完成", "", "赵六", "13600002222", "江苏省", "南京市", "鼓楼区", "中山路1号"],
    ["E20261101000001", "E2026110100000102", "围巾", "灰色", "1", "99.00", "89.10", "2026-11-01 10:00:00",
     "交易完成", "买家申请退款", "赵六", "13600002222", "江苏省", "南京市", "鼓楼区", "中山路1号"],
]


def write(path, headers, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(headers)
        out.writerows(rows)
    return path


def test_doudian_export(shop, tmp_path):
    job = orders_import(actor=SYSTEM, shop=shop, path=write(tmp_path / "抖店订单.csv", DOUDIAN, DOUDIAN_ROWS))
    assert job.status == "done", job.errors
    order = Order.objects.get(shop=shop, order_no="6931000000000001")
    assert order.total_paid == Decimal("149.90")  # the order's amount, counted once (not 299.80)
    lines = {ln.line_key: ln for ln in order.lines.all()}
    assert set(lines) == {"6931000000000011", "6931000000000012"}  # 子订单编号
    # split by 商品金额 × 数量 (69.90 : 90.00), the cent of rounding on the last line
    assert lines["6931000000000011"].price_paid + lines["6931000000000012"].price_paid == Decimal("149.90")
    assert lines["6931000000000011"].price_paid == Decimal("65.53")  # 149.90 × 69.90 / 159.90
    assert lines["6931000000000011"].platform_after_sale_status == "售后完成"
    assert lines["6931000000000012"].platform_after_sale_status == ""
    assert order.address == "浙江省杭州市西湖区文新街道文三路100号3单元"
    assert order.delivered_at is not None and order.delivered_at == dt.datetime(2026, 11, 6, 9, 0, tzinfo=SH)
    assert order.status == "completed"
    ship = Shipment.objects.get(order=order)
    assert ship.signed_at == order.delivered_at and ship.status == "signed"
    other = Order.objects.get(shop=shop, order_no="6931000000000002")
    assert other.address == "上海市浦东新区世纪大道1号"  # 详细地址 was already the full address
    assert other.total_paid == Decimal("199.00") and other.delivered_at is None
    assert OrderLine.objects.get(order=other).platform_after_sale_status == "退款中"


def test_doudian_reimport_changes_nothing(shop, tmp_path):
    path = write(tmp_path / "抖店订单.csv", DOUDIAN, DOUDIAN_ROWS)
    orders_import(actor=SYSTEM, shop=shop, path=path)
    before = list(OrderLine.objects.order_by("pk").values_list("line_key", "price_paid", "platform_after_sale_status"))
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    assert job.status == "done" and job.created_count == 0
    assert list(OrderLine.objects.order_by("pk").values_list(
        "line_key", "price_paid", "platform_after_sale_status")) == before
    assert Order.objects.get(order_no="6931000000000001").total_paid == Decimal("149.90")


def test_kuaishou_export(shop, tmp_path):
    job = orders_import(actor=SYSTEM, shop=shop, path=write(tmp_path / "快手订单.csv", KUAISHOU, KUAISHOU_ROWS))
    assert job.status == "done", job.errors
    order = Order.objects.get(shop=shop, order_no="2411010000001")
    assert order.total_paid == Decimal("147.80")  # 实付款 is per line: summed
    assert order.address == "广东省深圳市南山区科技园南路8号"
    assert order.delivered_at == dt.datetime(2026, 11, 5, 18, 0, tzinfo=SH)
    assert sorted(order.lines.values_list("platform_after_sale_status", flat=True)) == ["无售后", "退款成功"]


def test_youzan_export_with_per_line_order_amounts(shop, tmp_path):
    job = orders_import(actor=SYSTEM, shop=shop, path=write(tmp_path / "有赞订单.csv", YOUZAN, YOUZAN_ROWS))
    assert job.status == "done", job.errors
    order = Order.objects.get(shop=shop, order_no="E20261101000001")
    assert order.total_paid == Decimal("628.20")
    assert sorted(order.lines.values_list("price_paid", flat=True)) == [Decimal("89.10"), Decimal("539.10")]
    assert order.address == "江苏省南京市鼓楼区中山路1号"
    assert set(order.lines.values_list("line_key", flat=True)) == {"E2026110100000101", "E2026110100000102"}


def test_bad_cell_in_a_split_address_column_is_located(shop, tmp_path):
    rows = [list(r) for r in DOUDIAN_ROWS]
    rows[1][DOUDIAN.index("订单应付金额")] = "一百"
    job = orders_import(actor=SYSTEM, shop=shop, path=write(tmp_path / "bad.csv", DOUDIAN, rows))
    assert job.status == "failed" and Order.objects.count() == 0
    assert job.errors[0]["row"] == 3 and job.errors[0]["field"] == "订单应付金额"


def _line(order_no, **values):
    return ParsedLine(row_no=0, order_no=order_no, line_key="k", product_name="p", values=values)


@pytest.mark.parametrize(("rows", "total", "shares"), [
    # repeated on each row: the order's amount, split by unit price × quantity
    ([{"order_amount": Decimal("100"), "unit_price": Decimal("30"), "quantity": 1},
      {"order_amount": Decimal("100"), "unit_price": Decimal("90"), "quantity": 1}],
     Decimal("100"), [Decimal("25.00"), Decimal("75.00")]),
    # equal values that are each line's own share (two lines of the same price): per line
    ([{"order_amount": Decimal("50"), "unit_price": Decimal("50"), "quantity": 1},
      {"order_amount": Decimal("50"), "unit_price": Decimal("50"), "quantity": 1}],
     Decimal("100"), [Decimal("50"), Decimal("50")]),
    # repeated, no prices: split equally, rounding cent on the last line
    ([{"order_amount": Decimal("10")}, {"order_amount": Decimal("10")}, {"order_amount": Decimal("10")}],
     Decimal("10"), [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]),
])
def test_settle_amounts(rows, total, shares):
    lines = [_line("A", **r) for r in rows]
    totals, derived = settle_amounts(lines, {"order_amount", "unit_price"} if "unit_price" in rows[0] else
                                     {"order_amount"})
    assert derived and totals == {"A": total}
    assert [ln.values["paid_amount"] for ln in lines] == shares


def test_address_parts_are_not_repeated():
    assert joined_address({"province": "浙江省", "city": "杭州市", "district": "西湖区", "street": "",
                           "address": "浙江省杭州市西湖区文三路1号"}) == "浙江省杭州市西湖区文三路1号"
    assert joined_address({"province": "北京市", "city": "北京市", "district": "朝阳区",
                           "address": "建国路1号"}) == "北京市朝阳区建国路1号"
