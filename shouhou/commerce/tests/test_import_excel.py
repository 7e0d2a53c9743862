"""Exports that went through Excel or a person's hands before the import: long ids Excel turned into numbers,
title and group rows above the header, a 合计 row under the orders, dates left as serial numbers, money
with a comma that is not a thousands separator, carrier names as merchants type them."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.importers.parse import _parse_value, parse_datetime
from shouhou.commerce.models import ImportJob, Order, Shipment
from shouhou.commerce.selectors import import_report_lines
from shouhou.commerce.services import orders_import
from shouhou.commerce.tests.exports import HEADERS, ROWS, with_value, write_csv

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
ORDER_NO, SUB_NO, TRACKING = HEADERS.index("订单号"), HEADERS.index("子订单号"), HEADERS.index("运单号")


def _xlsx(path, rows, above=()):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in above:
        sheet.append(row)
    if above and len(above[0]) == 1:  # a title merged across the columns, as back offices write it
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def _texts(job: ImportJob) -> list[str]:
    return [e["text"] for e in job.errors]


def test_long_ids_that_excel_made_numbers_are_row_errors_and_nothing_is_written(shop, tmp_path):
    # 抖店 order ids have 19 digits: an .xlsx saved by Excel holds them as numbers that lost their last digits
    rows = [list(r) for r in ROWS]
    rows[0][ORDER_NO] = rows[1][ORDER_NO] = 6931000000000001234.0  # read back as 6931000000000001024
    rows[2][TRACKING] = 75300000000012345.0
    rows[2][SUB_NO] = 12345  # a short number is exact: fine
    job = orders_import(actor=SYSTEM, shop=shop, path=_xlsx(tmp_path / "excel.xlsx", rows))
    assert job.status == ImportJob.Status.FAILED
    texts = _texts(job)
    assert len(texts) == 3, texts
    assert texts[0].startswith("第2行「订单号」：长编号被 Excel 存成了数字，末尾几位已丢失 '6931000000000001024'")
    assert texts[1].startswith("第3行「订单号」：")
    assert texts[2].startswith("第4行「运单号」：长编号被 Excel 存成了数字")
    assert "设为「文本」" in texts[0]
    assert Order.objects.filter(shop=shop).count() == 0


def test_long_ids_excel_showed_in_scientific_notation_are_row_errors(shop, tmp_path):
    # the same file opened in Excel and saved as CSV: the cells are the text Excel showed
    rows = with_value("订单号", "6.931E+18", row=0)
    rows = with_value("订单号", "6.931E+18", row=1, rows=rows)
    rows = with_value("子订单号", "6.93100000000001E+18", row=1, rows=rows)
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "excel.csv", rows), allow_partial=True)
    assert job.status == ImportJob.Status.DONE and job.ok_rows == 1
    texts = _texts(job)
    assert texts[0].startswith("第2行「订单号」：长编号被 Excel 显示成了科学计数法 '6.931E+18'，原编号已丢失")
    assert texts[1].startswith("第3行「订单号」：") and texts[2].startswith("第3行「子订单号」：")
    # the two lines did not become one order "6.931E+18"
    assert list(Order.objects.filter(shop=shop).values_list("order_no", flat=True)) == ["DY20261101002"]


def test_ids_that_only_look_like_numbers_are_kept_as_written(shop, tmp_path):
    rows = with_value("订单号", "1E5ABC", row=2)
    rows = with_value("SKU编码", "2E+5X", row=2, rows=rows)
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "ok.csv", rows))
    assert job.status == ImportJob.Status.DONE, _texts(job)
    assert Order.objects.filter(shop=shop, order_no="1E5ABC").exists()


@pytest.mark.parametrize("above", [
    [["订单列表（导出时间：2026-11-30 10:00:00）"]],
    [["订单信息", None, "商品信息", None, None, None, None, None, "时间信息"]],
    [["小鹿直播旗舰店 订单导出"], [], ["订单信息", None, "商品信息"]],
])
def test_title_and_group_rows_above_the_header_are_passed_over(shop, tmp_path, above):
    path = _xlsx(tmp_path / "titled.xlsx", [list(r) for r in ROWS], above=above)
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    assert job.status == ImportJob.Status.DONE, _texts(job)
    assert (job.total_rows, job.ok_rows) == (3, 3)
    assert Order.objects.filter(shop=shop).count() == 2
    header_row = len(above) + 1
    assert job.summary["notes"][0].startswith(f"表头在第{header_row}行：")
    assert job.summary["notes"][0] in import_report_lines(job=job)
    # row numbers are still the ones Excel shows
    bad = [list(r) for r in ROWS]
    bad[1][HEADERS.index("实付金额")] = "abc"
    job = orders_import(actor=SYSTEM, shop=shop, path=_xlsx(tmp_path / "bad.xlsx", bad, above=above))
    assert _texts(job) == [f"第{header_row + 2}行「实付金额」：不是有效金额 'abc'"]


def test_a_file_without_a_header_in_its_first_rows_still_names_the_missing_column(shop, tmp_path):
    path = write_csv(tmp_path / "noheader.csv", [["x", "y"]] * 12, headers=["甲", "乙"])
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    assert job.status == ImportJob.Status.FAILED
    assert _texts(job)[0].startswith("缺少必需的列「订单号」")


def test_a_totals_row_under_the_orders_is_passed_over_and_said(shop, tmp_path):
    rows = [list(r) for r in ROWS]
    total = [""] * len(HEADERS)
    total[0], total[HEADERS.index("数量")], total[HEADERS.index("实付金额")] = "合计：", "4", "728.00"
    rows.append(total)
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "total.csv", rows))
    assert job.status == ImportJob.Status.DONE, _texts(job)
    assert (job.total_rows, job.ok_rows, job.error_count) == (3, 3, 0)
    assert job.summary["notes"] == ["第5行是合计行，已跳过"]
    assert Order.objects.filter(shop=shop).count() == 2
    assert not Order.objects.filter(shop=shop, order_no__startswith="合计").exists()


def test_a_row_that_names_a_product_is_never_taken_for_a_totals_row(shop, tmp_path):
    rows = with_value("订单号", "合计", row=2)  # an odd order number, but a real line: imported as written
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "odd.csv", rows))
    assert job.status == ImportJob.Status.DONE and job.ok_rows == 3
    assert Order.objects.filter(shop=shop, order_no="合计").exists()


def test_a_date_left_as_an_excel_serial_number_is_read(shop, tmp_path):
    # a 下单时间 cell formatted 常规 in Excel, saved as CSV, and one written with fewer decimals
    rows = with_value("下单时间", "46327.8541666667", row=0)
    rows = with_value("下单时间", "46327.85416666", row=1, rows=rows)
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "serial.csv", rows))
    assert job.status == ImportJob.Status.DONE, _texts(job)
    order = Order.objects.get(shop=shop, order_no="DY20261101001")
    assert order.placed_at == dt.datetime(2026, 11, 1, 20, 30, tzinfo=SH)


@pytest.mark.parametrize("raw", ["46327.85416666", 46327.85416666, "46327.85417"])
def test_excel_serials_round_to_the_nearest_second(raw):
    assert parse_datetime(raw) == dt.datetime(2026, 11, 1, 20, 30, tzinfo=SH)  # not 20:29:59


@pytest.mark.parametrize(("raw", "expected"), [
    ("¥1,299.00", Decimal("1299.00")), ("￥ 12,345,678.90 元", Decimal("12345678.90")), ("RMB 1,299", Decimal("1299.00")),
])
def test_thousands_separators_are_read(raw, expected):
    assert _parse_value("money", raw) == expected


@pytest.mark.parametrize("raw", ["1,29", "1.299,00", "12,3456.00"])
def test_a_comma_that_is_not_a_thousands_separator_is_a_row_error(shop, tmp_path, raw):
    with pytest.raises(ValueError, match="不是有效金额"):
        _parse_value("money", raw)  # it used to become 129, 1.30 and 123456.00
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "m.csv", with_value("实付金额", raw)))
    assert _texts(job) == [f"第2行「实付金额」：不是有效金额 {raw!r}（千位分隔符应为 1,299.00）"]


@pytest.mark.parametrize(("word", "code"), [
    ("中通", "ZTO"), ("中通快递", "ZTO"), ("中通速递", "ZTO"), ("ZTO", "ZTO"), ("zto", "ZTO"), ("zhongtong", "ZTO"),
    ("韵达", "YD"), ("韵达快递", "YD"), ("韵达速递", "YD"), ("yunda", "YD"),
    ("极兔", "JTSD"), ("极兔速递", "JTSD"), ("J&T极兔", "JTSD"), ("J&T Express", "JTSD"), ("jtexpress", "JTSD"),
    ("京东", "JD"), ("京东物流", "JD"), ("jd", "JD"),
    ("顺丰", "SF"), ("顺丰速运", "SF"), ("sf", "SF"), ("Sf", "SF"), ("shunfeng", "SF"),
    ("邮政EMS", "EMS"), ("ems", "EMS"), ("中国邮政速递物流", "EMS"), ("申通速递", "STO"), ("圆通 速递", "YTO"),
    ("德邦快递", "OTHER"), ("中通快运", "OTHER"),
])
def test_carrier_names_as_merchants_type_them(word, code):
    assert _parse_value("carrier", word) == code


def test_a_parcel_named_by_another_spelling_of_its_carrier_stays_one_shipment(shop, tmp_path):
    first = with_value("物流公司", "韵达速递", row=0)
    first = with_value("物流公司", "韵达速递", row=1, rows=first)
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "a.csv", first))
    later = with_value("物流公司", "韵达", row=0)
    later = with_value("物流公司", "韵达", row=1, rows=later)
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "b.csv", later))
    assert job.status == ImportJob.Status.DONE
    ships = Shipment.objects.filter(shop=shop, tracking_no="ZT1000000001")
    assert [(s.carrier, s.tracking_no) for s in ships] == [("YD", "ZT1000000001")]


def test_a_gbk_csv_with_a_title_row_and_a_totals_row(shop, tmp_path):
    # what Excel on a Chinese Windows saves: GBK, the back office's title on top, a 合计 row at the end
    path = tmp_path / "订单.csv"
    with open(path, "w", encoding="gbk", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["订单导出"] + [""] * (len(HEADERS) - 1))
        out.writerow(HEADERS)
        out.writerows(ROWS)
        out.writerow(["合计"] + [""] * (len(HEADERS) - 1))
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    assert job.status == ImportJob.Status.DONE, _texts(job)
    assert job.summary["notes"] == ["表头在第2行：上方的第1行不是表头（标题或分组行），已跳过", "第6行是合计行，已跳过"]
    assert Order.objects.get(shop=shop, order_no="DY20261101001").total_paid == Decimal("329.00")
