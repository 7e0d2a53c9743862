"""Order-export import: given an export file, when it is imported, then shop data is upserted or the
report names every bad row and field and nothing is written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.importers.readers import detect_encoding
from shouhou.commerce.models import (
    SKU,
    Customer,
    Host,
    ImportJob,
    LiveSession,
    Order,
    OrderLine,
    Product,
    Shipment,
)
from shouhou.commerce.services import orders_import
from shouhou.commerce.tests.exports import HEADERS, ROWS, with_value, write_csv, write_xlsx

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _counts(shop) -> dict[str, int]:
    return {
        "orders": Order.objects.filter(shop=shop).count(), "lines": OrderLine.objects.filter(shop=shop).count(),
        "customers": Customer.objects.filter(shop=shop).count(), "products": Product.objects.filter(shop=shop).count(),
        "skus": SKU.objects.filter(shop=shop).count(), "shipments": Shipment.objects.filter(shop=shop).count(),
        "sessions": LiveSession.objects.filter(shop=shop).count(), "hosts": Host.objects.filter(shop=shop).count(),
    }


EXPECTED = {"orders": 2, "lines": 3, "customers": 2, "products": 3, "skus": 3, "shipments": 2, "sessions": 1,
            "hosts": 1}


def test_good_csv_creates_orders_lines_customers_products_shipments(shop, tmp_path):
    # given a Douyin-style export with two orders (three lines)
    path = write_csv(tmp_path / "orders.csv")
    # when it is imported
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    # then everything is there, typed, in Shanghai time
    assert job.status == ImportJob.Status.DONE
    assert (job.total_rows, job.ok_rows, job.error_count) == (3, 3, 0)
    assert (job.created_count, job.updated_count) == (2, 0)
    assert _counts(shop) == EXPECTED
    order = Order.objects.get(shop=shop, order_no="DY20261101001")
    assert order.total_paid == Decimal("329.00")
    assert order.status == "delivered"
    assert order.placed_at == dt.datetime(2026, 11, 1, 20, 30, tzinfo=SH)
    assert order.delivered_at == dt.datetime(2026, 11, 4, 15, 0, tzinfo=SH)
    assert order.return_insurance is True
    assert order.customer.phone == "13812345678" and order.customer.tier == "gold"
    assert order.customer.phone_last4 == "5678" and order.customer.name == "张三"
    assert order.live_session.title == "双11宠粉专场" and order.live_session.host.name == "小鹿"
    assert sorted(order.live_session.products.values_list("name", flat=True)) == ["加绒卫衣女", "玻尿酸保湿面霜",
                                                                                 "降噪蓝牙耳机"]
    line = order.lines.get(line_key="DY20261101001-2")
    assert (line.product_name, line.spec, line.quantity, line.price_paid, line.category, line.batch_no) == (
        "玻尿酸保湿面霜", "50ml", 2, Decimal("200.00"), "cosmetics", "C88")
    assert line.sku.code == "SKU-MS-50" and line.product.external_id == "3502"
    shipment = order.shipments.get()
    assert (shipment.carrier, shipment.tracking_no, shipment.status) == ("ZTO", "ZT1000000001", "signed")
    pending = Shipment.objects.get(order__order_no="DY20261101002")
    assert (pending.status, pending.tracking_no) == ("pending", "")
    assert pending.promised_ship_by == dt.datetime(2026, 11, 3, 21, 6, tzinfo=SH)
    assert Order.objects.get(order_no="DY20261101002").status == "paid"


def test_good_xlsx_gives_the_same_result(shop, tmp_path):
    rows = [list(r) for r in ROWS]
    for r in rows:  # Excel cells are typed: numbers and datetimes, not text
        r[6] = int(r[6])
        r[7] = float(r[7])
        r[8] = dt.datetime.strptime(r[8], "%Y-%m-%d %H:%M:%S")
    job = orders_import(actor=SYSTEM, shop=shop, path=write_xlsx(tmp_path / "orders.xlsx", rows))
    assert job.status == "done", job.errors
    assert _counts(shop) == EXPECTED
    order = Order.objects.get(shop=shop, order_no="DY20261101001")
    assert order.total_paid == Decimal("329.00")
    assert order.placed_at == dt.datetime(2026, 11, 1, 20, 30, tzinfo=SH)


PLATFORM_HEADERS = {
    "kuaishou": {"订单号": "订单编号", "商品名称": "选购商品", "规格": "商品规格", "SKU编码": "商家编码",
                 "数量": "购买数量", "实付金额": "实付款", "下单时间": "订单提交时间", "支付时间": "付款时间",
                 "签收时间": "确认收货时间", "收货人": "收件人", "手机号": "收货人手机号", "收货地址": "详细地址",
                 "物流公司": "快递公司", "运单号": "快递单号", "直播间": "直播场次"},
    "youzan": {"订单号": "主订单编号", "子订单号": "子订单编号", "实付金额": "支付金额", "手机号": "联系电话",
               "商品名称": "商品标题", "规格": "规格名称", "签收时间": "交易完成时间"},
    "taobao": {"订单号": "订单编号", "商品名称": "宝贝标题", "数量": "宝贝数量", "实付金额": "买家实付",
               "物流公司": "物流公司名称", "运单号": "物流单号", "商品ID": "宝贝ID"},
}


@pytest.mark.parametrize("platform", sorted(PLATFORM_HEADERS))
def test_header_synonyms_of_each_platform(shop, tmp_path, platform):
    headers = [PLATFORM_HEADERS[platform].get(h, h) for h in HEADERS]
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "x.csv", headers=headers))
    assert job.status == "done", job.errors
    assert _counts(shop) == EXPECTED
    assert Order.objects.get(shop=shop, order_no="DY20261101001").total_paid == Decimal("329.00")


@pytest.mark.parametrize(("encoding", "detected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                    ("gbk", "gb18030"), ("gb18030", "gb18030")])
def test_csv_encodings_are_detected(shop, tmp_path, encoding, detected):
    path = write_csv(tmp_path / "x.csv", encoding=encoding)
    assert detect_encoding(path) == detected
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    assert job.status == "done", job.errors
    assert Order.objects.get(shop=shop, order_no="DY20261101001").customer.name == "张三"


def test_bad_rows_are_reported_by_row_and_header_and_nothing_is_written(shop, tmp_path):
    # given an export with four bad cells in three rows (row numbers as Excel shows them: header is row 1)
    rows = with_value("实付金额", "abc", row=0)
    rows = with_value("数量", "0", row=1, rows=rows)
    rows = with_value("手机号", "12ab", row=2, rows=rows)
    rows = with_value("下单时间", "昨天晚上", row=2, rows=rows)
    # when imported without --allow-partial
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "bad.csv", rows))
    # then the report names each one, and nothing at all was written
    assert job.status == "failed"
    assert [e["text"] for e in job.errors] == [
        "第2行「实付金额」：不是有效金额 'abc'",
        "第3行「数量」：数量应为正整数 '0'",
        "第4行「下单时间」：不是有效时间 '昨天晚上'（应为 2026-11-01 20:30:00）",
        "第4行「手机号」：不是有效手机号 '12ab'",
    ]
    assert (job.total_rows, job.ok_rows, job.error_count) == (3, 0, 4)
    assert job.summary["written"] is False
    assert set(_counts(shop).values()) == {0}


def test_report_uses_the_files_own_header_words(shop, tmp_path):
    headers = [{"实付金额": "实付款", "订单号": "订单编号"}.get(h, h) for h in HEADERS]
    rows = with_value("实付金额", "12元5角", row=1)
    rows = with_value("订单号", "", row=2, rows=rows)
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "bad.csv", rows, headers=headers))
    assert [e["text"] for e in job.errors] == ["第3行「实付款」：不是有效金额 '12元5角'", "第4行「订单编号」：不能为空"]


def test_missing_required_column_is_a_file_level_error(shop, tmp_path):
    headers = ["编号" if h == "订单号" else h for h in HEADERS]
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "x.csv", headers=headers))
    assert job.status == "failed"
    assert job.errors[0]["row"] is None
    assert job.errors[0]["text"].startswith("缺少必需的列「订单号」（可识别的列名：订单号/订单编号/主订单编号")
    assert Order.objects.count() == 0


@pytest.mark.parametrize(("name", "content", "message"), [
    ("old.xls", b"\xd0\xcf\x11\xe0", "不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 或 .csv"),
    ("broken.xlsx", b"PK\x03\x04 not a workbook", "无法打开 Excel 文件：不是有效的 .xlsx，可能已损坏（BadZipFile）"),
    ("empty.csv", b"", "文件是空的：没有表头行"),
    ("header-only.csv", "订单号,商品名称\n".encode(), "文件里没有数据行"),
])
def test_unreadable_files_fail_with_a_clear_message(shop, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    assert job.status == "failed"
    assert [e["text"] for e in job.errors] == [message]


def test_allow_partial_writes_the_good_rows_and_reports_the_bad(shop, tmp_path):
    rows = with_value("实付金额", "-5", row=2)
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "x.csv", rows), allow_partial=True)
    assert job.status == "done"
    assert [e["text"] for e in job.errors] == ["第4行「实付金额」：金额不能为负 '-5'"]
    assert (job.ok_rows, job.created_count) == (2, 1)
    assert list(Order.objects.filter(shop=shop).values_list("order_no", flat=True)) == ["DY20261101001"]


def test_reimporting_the_same_file_never_duplicates(shop, tmp_path):
    path = write_csv(tmp_path / "orders.csv")
    first = orders_import(actor=SYSTEM, shop=shop, path=path)
    second = orders_import(actor=SYSTEM, shop=shop, path=path)
    assert _counts(shop) == EXPECTED
    assert (second.created_count, second.updated_count) == (0, 2)
    assert second.summary["lines_created"] == 0 and second.summary["lines_updated"] == 3
    assert second.summary["same_file_as_job"] == first.pk
    assert first.digest == second.digest


def test_a_later_export_updates_changed_values(shop, tmp_path):
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "v1.csv"))
    # the next day's export: order 2 has shipped and been signed for; a price was corrected; tier changed
    rows = with_value("发货时间", "2026-11-02 09:00:00", row=2)
    rows = with_value("签收时间", "2026-11-05 11:00:00", row=2, rows=rows)
    rows = with_value("物流公司", "顺丰速运", row=2, rows=rows)
    rows = with_value("运单号", "SF1400000002", row=2, rows=rows)
    rows = with_value("实付金额", "389.00", row=2, rows=rows)
    rows = with_value("会员等级", "VIP", row=2, rows=rows)
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "v2.csv", rows))
    assert (job.created_count, job.updated_count) == (0, 2)
    assert _counts(shop) == EXPECTED  # the pending shipment got its tracking number, no second shipment
    order = Order.objects.get(shop=shop, order_no="DY20261101002")
    assert (order.status, order.total_paid, order.customer.tier) == ("delivered", Decimal("389.00"), "vip")
    shipment = order.shipments.get()
    assert (shipment.carrier, shipment.tracking_no, shipment.status) == ("SF", "SF1400000002", "signed")
    assert shipment.promised_ship_by == dt.datetime(2026, 11, 3, 21, 6, tzinfo=SH)


def test_a_blank_tier_in_a_later_export_keeps_the_known_tier(shop, tmp_path):
    # given a customer imported as 金卡 (gold)
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "v1.csv"))
    assert Customer.objects.get(shop=shop, phone="13812345678").tier == "gold"
    # when a later export leaves 会员等级 blank for them (and a new buyer has no tier either)
    rows = with_value("会员等级", "", row=0)
    rows = with_value("会员等级", "", row=1, rows=rows)
    new_buyer = list(rows[2])
    new_buyer[HEADERS.index("订单号")], new_buyer[HEADERS.index("子订单号")] = "DY20261101003", "DY20261101003-1"
    new_buyer[HEADERS.index("手机号")], new_buyer[HEADERS.index("会员等级")] = "13700001234", ""
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "v2.csv", [*rows, new_buyer]))
    # then nobody is downgraded, and the new customer starts as regular
    assert job.status == ImportJob.Status.DONE
    assert Customer.objects.get(shop=shop, phone="13812345678").tier == "gold"
    assert Customer.objects.get(shop=shop, phone="13700001234").tier == "regular"


def test_masked_platform_phones_identify_no_customer(shop, tmp_path):
    rows = with_value("手机号", "139****1111", row=2)
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "x.csv", rows))
    order = Order.objects.get(shop=shop, order_no="DY20261101002")
    assert order.customer is None and order.receiver_phone == "139****1111"
    assert Customer.objects.filter(shop=shop).count() == 1


def test_mapping_override_points_a_field_at_another_header(shop, tmp_path):
    headers = ["平台单号" if h == "订单号" else "备注金额" if h == "实付金额" else h for h in HEADERS]
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "x.csv", headers=headers),
                        mapping={"order_no": "平台单号", "paid_amount": ["实收", "备注金额"]})
    assert job.status == "done", job.errors
    assert Order.objects.get(shop=shop, order_no="DY20261101001").total_paid == Decimal("329.00")


@pytest.mark.parametrize(("mapping", "message"), [
    ({"orderno": "订单号"}, "列映射里有未知字段 'orderno'"),
    ({"order_no": "平台单号"}, "列映射把「订单号」指向 平台单号，但文件里没有这一列"),
])
def test_bad_mapping_is_reported(shop, tmp_path, mapping, message):
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "x.csv"), mapping=mapping)
    assert job.status == "failed"
    assert job.errors[0]["text"].startswith(message)


def test_one_shops_import_never_touches_another_shop(shop, other_shop, tmp_path):
    path = write_csv(tmp_path / "orders.csv")
    orders_import(actor=SYSTEM, shop=other_shop, path=path)
    before = list(Order.objects.filter(shop=other_shop).values_list("pk", "total_paid", "updated_at"))
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "v2.csv", with_value("实付金额", "1.00", row=0)))
    assert (job.created_count, job.updated_count) == (2, 0)
    assert _counts(shop) == EXPECTED and _counts(other_shop) == EXPECTED
    assert list(Order.objects.filter(shop=other_shop).values_list("pk", "total_paid", "updated_at")) == before
    assert Customer.objects.get(shop=shop, phone="13812345678").pk != Customer.objects.get(
        shop=other_shop, phone="13812345678").pk


def test_order_number_is_unique_per_shop(shop, other_shop):
    Order.objects.create(shop=shop, order_no="A1")
    Order.objects.create(shop=other_shop, order_no="A1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(shop=shop, order_no="A1")


def test_customer_phone_is_unique_per_shop_but_blank_phones_may_repeat(shop):
    Customer.objects.create(shop=shop, phone="")
    Customer.objects.create(shop=shop, phone="")
    Customer.objects.create(shop=shop, phone="13800000000")
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(shop=shop, phone="13800000000")


def test_new_orders_are_announced_to_notifications_once(shop, tmp_path, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    from shouhou.notifications import services as notification_services

    calls = []
    monkeypatch.setattr(notification_services, "orders_placed_notices",
                        lambda *, shop, order_ids: calls.append((shop, order_ids)) or
                        notification_services.PlacedNotices(len(order_ids), 0))
    path = write_csv(tmp_path / "orders.csv")
    with django_capture_on_commit_callbacks(execute=True):
        orders_import(actor=SYSTEM, shop=shop, path=path)
    with django_capture_on_commit_callbacks(execute=True):
        orders_import(actor=SYSTEM, shop=shop, path=path)  # nothing new the second time
    assert calls == [(shop, sorted(Order.objects.filter(shop=shop).values_list("pk", flat=True)))]


@pytest.mark.django_db(transaction=True)
def test_the_report_says_which_new_orders_get_the_order_placed_message(shop, shop_admin, tmp_path, client):
    import time_machine

    # the export's second order was paid 2026-11-01 21:06, its first a week before; imported the next morning
    # (no outer transaction: the messages are written at the import's commit, before its report is saved)
    rows = with_value("支付时间", "2026-10-25 20:31:00", row=0)
    rows = with_value("支付时间", "2026-10-25 20:31:00", row=1, rows=rows)
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH), tick=False):
        job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "orders.csv", rows))
    assert (job.summary["placed_messages"], job.summary["placed_not_recent"]) == (1, 1)
    assert job.summary["placed_within_hours"] == 48
    client.force_login(shop_admin)
    page = client.get(f"/commerce/import/{job.pk}/").content.decode()
    assert "为新订单生成 1 条消息" in page and "另有 1 笔新订单不是 48 小时内付款的或已取消" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(f"/commerce/import/{job.pk}/").content.decode()
    assert "1 message(s) for new orders" in english and "paid in the last 48 hours" in english


def test_orders_spanning_chunks_are_counted_once(shop, tmp_path, monkeypatch):
    from shouhou.commerce import services

    monkeypatch.setattr(services, "CHUNK_ROWS", 1)
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "orders.csv"))
    assert (job.created_count, job.updated_count) == (2, 0)
    assert Order.objects.get(shop=shop, order_no="DY20261101001").total_paid == Decimal("329.00")
    assert _counts(shop) == EXPECTED


def test_cells_with_backslashes_tabs_and_line_breaks_are_stored_as_written(shop, tmp_path):
    # given cells holding what the staging COPY's text format must escape (backslash, tab, line break)
    address = "上海市浦东新区\\世纪大道\t100号\n2楼\r门卫"
    rows = with_value("收货地址", address, row=0)
    rows = with_value("收货地址", address, row=1, rows=rows)
    rows = with_value("收货人", "张\\N", row=0, rows=rows)
    rows = with_value("收货人", "张\\N", row=1, rows=rows)
    rows = with_value("规格", "白色\\M", row=0, rows=rows)
    # when imported
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "odd.csv", rows))
    # then each cell is stored exactly as written (stripped at its ends only), never read as NULL or an escape
    assert job.status == ImportJob.Status.DONE, job.errors
    order = Order.objects.get(shop=shop, order_no="DY20261101001")
    assert order.address == address.strip()
    assert order.receiver_name == "张\\N"
    assert order.lines.get(line_key="DY20261101001-1").spec == "白色\\M"


def test_a_time_with_its_own_offset_keeps_it(shop, tmp_path):
    # given a 下单时间 written with an explicit UTC offset (19 characters, like the common local form)
    rows = with_value("下单时间", "2026-11-01 12:30+00", row=0)
    rows = with_value("下单时间", "2026-11-01 12:30+00", row=1, rows=rows)
    # when imported
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "offset.csv", rows))
    # then the offset is the file's, not Shanghai's (12:30 UTC = 20:30 in Shanghai)
    assert job.status == ImportJob.Status.DONE, job.errors
    assert Order.objects.get(shop=shop, order_no="DY20261101001").placed_at == dt.datetime(2026, 11, 1, 20, 30,
                                                                                             tzinfo=SH)


@pytest.mark.parametrize("amount", ["1e30", "1e20"])
def test_an_amount_beyond_the_database_is_a_row_error_and_the_job_ends(shop, tmp_path, amount):
    # a 1e30 amount raised at the rounding and left the job "running" for ever; 1e20 was stored and broke reads
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "big.csv", with_value("实付金额", amount, row=0)))
    assert job.status == "failed" and job.finished_at is not None
    assert [e["text"] for e in job.errors] == [f"第2行「实付金额」：超出范围 '{amount}'"]
    assert set(_counts(shop).values()) == {0}


def test_an_unexpected_failure_ends_the_job_as_failed_with_nothing_written(shop, tmp_path, monkeypatch):
    from shouhou.commerce import services as commerce_services

    def broken(**kwargs):
        raise RuntimeError("a defect of ours")

    monkeypatch.setattr(commerce_services, "write_chunk", broken)
    monkeypatch.setattr(commerce_services, "Stage", lambda: None)  # the SQLite path on either database
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "ok.csv", with_value("实付金额", "9.90", row=0)))
    assert job.status == "failed" and "未写入任何数据" in job.summary.get("error", "") + str(job.errors)
    assert set(_counts(shop).values()) == {0}


def test_a_csv_row_split_or_widened_by_an_unquoted_comma_or_line_break_is_named_not_imported(shop, tmp_path):
    # given rows with too few cells (a line break left unquoted split the row) and too many (an unquoted comma)
    short = ROWS[0][:3]
    wide = [*ROWS[1], "多出来的", "两列"]
    trailing = [*ROWS[2], "", ""]  # empty extra cells, as some tools write: fine
    path = write_csv(tmp_path / "ragged.csv", [short, wide, trailing])
    # when imported
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    # then both broken rows are named, nothing is written (they were stored as orders of 0 yuan before)
    assert job.status == "failed"
    assert [e["text"] for e in job.errors] == [
        f"第2行：只有 3 列，表头有 {len(HEADERS)} 列（单元格里的逗号或换行是否没有加引号？），整行未导入",
        "第3行：比表头多出 2 列（单元格里的逗号是否没有加引号？），整行未导入",
    ]
    assert set(_counts(shop).values()) == {0}


def test_an_xlsx_that_unpacks_to_too_much_is_refused_before_it_is_read(shop, tmp_path, monkeypatch):
    import zipfile

    from shouhou.commerce.importers import readers

    # given a small .xlsx whose parts unpack to more than the ceiling (a zip bomb's shape, kept small here)
    monkeypatch.setattr(readers, "MAX_XLSX_UNPACKED", 1024 * 1024)
    path = write_xlsx(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/padding.xml", "0" * (2 * 1024 * 1024))
    assert path.stat().st_size < 200 * 1024
    # when imported, then it is refused with a reason, and nothing is written
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    assert job.status == "failed" and "解压后过大" in job.errors[0]["text"]
    assert set(_counts(shop).values()) == {0}
