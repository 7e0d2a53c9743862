"""The PostgreSQL fast path (importers/pgparse.py) against the Python parsers, which stay the single source of
truth: the same file read both ways must stage the same typed rows in the same order and report the same counts,
errors (row, column, message) and notes. The files hold every kind of cell, plain and odd."""

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.importers import pgparse, pgstage, runner
from shouhou.commerce.models import Order, OrderLine, Shipment
from shouhou.commerce.services import orders_import


def declined_on_sqlite() -> bool:
    """True on SQLite, once it is asserted that the fast path declines every file there; the test then ends (what it
    compares is PostgreSQL's). No test is skipped: on SQLite each asserts the decline."""
    if connection.vendor == "postgresql":
        return False
    assert not pgparse.applicable(Path("orders.csv"), {"order_no": 0, "quantity": 1})
    return True

HEADERS = ["订单号", "子订单号", "商品名称", "商品ID", "规格", "SKU编码", "数量", "实付金额", "下单时间", "支付时间", "发货时间",
           "签收时间", "承诺发货时间", "订单状态", "收货人", "手机号", "收货地址", "物流公司", "运单号", "直播间", "主播", "类目",
           "批次号", "会员等级", "运费险", "售后状态"]


def plain(n: int, **cells) -> list[str]:
    """A row whose every cell is in the plain form the server reads."""
    row = {"订单号": f"69{n:08d}", "子订单号": f"69{n:08d}-1", "商品名称": f"加绒卫衣{n % 3}", "商品ID": f"35{n % 3}",
           "规格": "白色 M", "SKU编码": f"SKU{n % 3}", "数量": "2", "实付金额": "129.90", "下单时间": "2026-11-01 20:30:00",
           "支付时间": "2026-11-01 20:30:30", "发货时间": "2026-11-02 09:00:00", "签收时间": "",
           "承诺发货时间": "2024-02-29 12:00:00", "订单状态": "已发货", "收货人": "张三", "手机号": "13800138000",
           "收货地址": "浙江省杭州市西湖区文三路1号", "物流公司": "中通快递", "运单号": f"ZT{n:010d}", "直播间": "11月01日 直播专场",
           "主播": "小鹿", "类目": "女装", "批次号": "B202601", "会员等级": "VIP", "运费险": "是", "售后状态": ""}
    row.update(cells)
    return [row[h] for h in HEADERS]


# (header, cell) pairs the fast path must leave to Python (or read exactly as Python does)
ODD = [
    ("实付金额", "¥1,299.00"), ("实付金额", "1,29"), ("实付金额", "129.9元"), ("实付金额", "-5"), ("实付金额", "1e20"),
    ("实付金额", "100000000"), ("实付金额", "12.345"), ("实付金额", ".5"), ("实付金额", "１２"), ("实付金额", "0"),
    ("实付金额", ""), ("数量", "2.0"), ("数量", "0"), ("数量", ""), ("数量", "100001"), ("数量", "99999"), ("数量", "02"),
    ("下单时间", "2026/11/01 20:30"), ("下单时间", "46327.8541666667"), ("下单时间", "2026-02-30 10:00:00"),
    ("下单时间", "2026-11-01"), ("下单时间", "-"), ("下单时间", "2026-11-01T20:30:00"), ("下单时间", "1999-01-01 00:00:00"),
    ("下单时间", "2026-11-01 24:00:00"), ("下单时间", "2026-11-01 20:30:00+00:00"), ("下单时间", "2026年11月1日 20:30"),
    ("下单时间", "2026-04-31 10:00:00"), ("下单时间", "2100-02-29 10:00:00"), ("下单时间", "2026-12-31 23:59:59"),
    ("签收时间", "2026-11-05 10:00:60"), ("签收时间", "２０２６-11-05 10:00:00"),
    ("手机号", "138 0013 8000"), ("手机号", "138****5678"), ("手机号", "17012345678-1234"), ("手机号", "12345"),
    ("手机号", "+8613800138000"), ("手机号", "12800138000"), ("手机号", "#abcdefgh#"), ("手机号", ""),
    ("订单状态", "奇怪"), ("订单状态", "paid"), ("订单状态", "SHIPPED"), ("订单状态", ""),
    ("物流公司", "中通"), ("物流公司", "ZTO"), ("物流公司", "zto"), ("物流公司", "Zto"), ("物流公司", "未知快递公司"),
    ("物流公司", "Unknown Express"), ("物流公司", "J&T"), ("物流公司", "中通 快递"), ("物流公司", ""),
    ("类目", "奇怪类目"), ("类目", "Beauty"), ("类目", "数码"), ("类目", "3C数码"), ("类目", "美妆护肤"), ("类目", ""),
    ("会员等级", "vip"), ("会员等级", "Vip"), ("会员等级", "钻石会员"), ("会员等级", "铁牌"), ("会员等级", ""),
    ("运费险", "YES"), ("运费险", "maybe"), ("运费险", "否"), ("运费险", "✓"), ("运费险", ""), ("运费险", "1"),
    ("订单号", "6.931E+18"), ("订单号", "'6931000000000001"), ("订单号", "A" * 65), ("订单号", "A" * 64),
    ("订单号", ""), ("商品ID", "1E5ABC"), ("运单号", "SF1+2"), ("SKU编码", "'SKU9"),
    ("商品名称", "商" * 201), ("商品名称", "商" * 200), ("商品名称", ""), ("商品名称", "Tom's 卫衣"),
    ("规格", "C:\\path\\to"), ("规格", "a\\Nb"), ("收货人", "王五\\"), ("直播间", "直播+专场"),
    ("子订单号", ""), ("规格", "规" * 70), ("收货地址", "地" * 301),
]
SPACED = [("商品名称", " 商品A "), ("商品名称", "\u3000商品B"), ("规格", "白色\u00a0"), ("收货人", "\u2003李四"),
          ("主播", "小鹿\x0b"), ("批次号", " "), ("物流公司", " 中通快递"), ("手机号", " 13800138000"),
          ("订单号", " 6900000001 "), ("直播间", "专场\u202f"), ("运费险", " 是")]


def lines_of(rows: list[list[str]], delim: str = ",", title: bool = True) -> list[str]:
    out = ["订单列表（导出时间：2026-12-01）"] if title else []
    out.append(delim.join(HEADERS))
    out += [delim.join(r) for r in rows]
    return out


def everything(spaced: bool) -> list[str]:
    rows = [plain(n) for n in range(1, 6)]
    for n, (header, cell) in enumerate(ODD + (SPACED if spaced else []), start=10):
        rows.append(plain(n % 7, **{header: cell}))  # some orders repeat: last non-empty values matter
    rows.insert(3, plain(3, 子订单号="", 规格="黑色 L"))  # a line key made of product|spec|SKU
    rows.insert(4, plain(4, 子订单号="", 商品名称="长" * 120, 规格="规格" * 10))  # … hashed beyond 128 characters
    out = lines_of(rows)
    width = len(HEADERS)
    out[5:5] = ["", "," * (width - 1), "合计,,,,,,,1299.00" + "," * (width - 8), "total" + "," * (width - 1),
                ",".join(plain(99)[:10]), ",".join(plain(98) + ["多出来", "x"]), ",".join(plain(97) + ["", ""]),
                "小计：" + "," * (width - 1)]
    return out


def write(tmp_path, name: str, lines: list[str], *, encoding="utf-8", newline="\n", final=True) -> object:
    path = tmp_path / name
    text = newline.join(lines) + (newline if final else "")
    path.write_bytes(text.encode(encoding))
    return path


def staged(path, *, fast: bool, monkeypatch) -> tuple[list[tuple], dict, bool]:
    """(the staged rows in file order, without their sequence numbers; the Validation's fields; whether the fast
    path staged them), rolled back."""
    monkeypatch.setenv("SHOUHOU_IMPORT_PG_PARSE", "1" if fast else "0")
    ran = []
    real_run = pgparse.run

    def spy(*args):
        ran.append(real_run(*args))
        return ran[-1]

    monkeypatch.setattr(pgparse, "run", spy)
    with transaction.atomic():
        stage = pgstage.Stage()
        checked, batches = runner.read(path, None, 7)  # small batches: an order's rows across several
        for batch in batches:
            stage.add(batch, {})
        cols = ", ".join(c for c, _t, _s in pgstage.COLUMNS)
        with connection.cursor() as cur:
            cur.execute(f"SELECT {cols} FROM {pgstage.STAGE} ORDER BY seq")  # noqa: S608
            rows = cur.fetchall()
        transaction.set_rollback(True)
    report = {"total": checked.total_rows, "ok": checked.ok_rows, "error_count": checked.error_count,
              "errors": checked.errors, "notes": checked.notes}
    return rows, report, bool(ran and ran[-1])


def assert_same(path, monkeypatch, *, fast_expected=True):
    slow_rows, slow_report, _ = staged(path, fast=False, monkeypatch=monkeypatch)
    fast_rows, fast_report, used = staged(path, fast=True, monkeypatch=monkeypatch)
    assert used is fast_expected
    assert fast_report == slow_report
    assert len(fast_rows) == len(slow_rows) == slow_report["ok"]
    for fast_row, slow_row in zip(fast_rows, slow_rows, strict=True):
        assert fast_row == slow_row
    return slow_rows, slow_report


@pytest.mark.django_db
@pytest.mark.parametrize("spaced", [False, True], ids=["no-edge-spaces", "edge-spaces"])
@pytest.mark.parametrize("block", [pgparse.READ_CHARS, 97, 1000], ids=["one-block", "blocks-shorter-than-a-line",
                                                                      "many-blocks"])
def test_every_kind_of_cell_is_staged_and_reported_as_python_does(tmp_path, monkeypatch, spaced, block):
    if declined_on_sqlite():
        return
    monkeypatch.setattr(pgparse, "READ_CHARS", block)  # the file read in pieces: lines cut across them
    rows, report = assert_same(write(tmp_path, "orders.csv", everything(spaced)), monkeypatch)
    # the file really has odd rows: errors with their row and column, notes, good rows
    assert report["error_count"] > 30 and report["ok"] > 60
    assert "第3行：" not in str(report["errors"])
    assert any("合计行" in note for note in report["notes"]) and report["notes"][0].startswith("表头在第2行")
    assert any(e["field"] == "实付金额" and "金额不能为负" in e["message"] for e in report["errors"])
    assert any("比表头多出 2 列" in e["message"] for e in report["errors"])  # 1,29 unquoted is two cells


@pytest.mark.django_db
def test_the_server_reads_the_plain_rows_and_python_only_the_odd_ones(tmp_path, monkeypatch):
    if declined_on_sqlite():
        return
    lines = everything(True)
    read_by_python = []
    real = runner.row_outcome

    def spy(parse, row_no, *args):
        read_by_python.append(row_no)
        return real(parse, row_no, *args)

    monkeypatch.setattr(runner, "row_outcome", spy)
    path = write(tmp_path, "orders.csv", lines)
    monkeypatch.setenv("SHOUHOU_IMPORT_PG_PARSE", "1")
    with transaction.atomic():
        pgstage.Stage()
        checked, batches = runner.read(path, None, 2000)
        assert list(batches) == []  # staged on the server, nothing for the caller to write
        transaction.set_rollback(True)
    plain_rows = {n for n, line in enumerate(lines, start=1) if n > 2 and line.startswith("69") and
                  line.split(",")[0] in {f"69{k:08d}" for k in range(1, 6)} and n <= 7}
    assert plain_rows and not plain_rows & set(read_by_python)
    assert len(read_by_python) < checked.total_rows


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["crlf", "tab", "gbk", "bom", "no-final-newline", "no-title", "quoted"])
def test_file_variants_are_read_alike(tmp_path, monkeypatch, variant):
    if declined_on_sqlite():
        return
    rows = [plain(n) for n in range(1, 30)] + [plain(40, 实付金额="¥1299.00"), plain(41, 下单时间="2026/11/01 20:30")]
    lines = lines_of(rows, "\t" if variant == "tab" else ",", title=variant != "no-title")
    kwargs = {"crlf": {"newline": "\r\n"}, "gbk": {"encoding": "gb18030"}, "bom": {"encoding": "utf-8-sig"},
              "no-final-newline": {"final": False}}.get(variant, {})
    if variant == "quoted":  # a quoted cell: Python's and PostgreSQL's CSV readers differ on quotes, Python reads it
        lines[5] = lines[5].replace("白色 M", '"白色, M"')
    path = write(tmp_path, "orders.tsv" if variant == "tab" else "orders.csv", lines, **kwargs)
    _rows, report = assert_same(path, monkeypatch, fast_expected=variant != "quoted")
    assert report["ok"] == 31 and report["error_count"] == 0


@pytest.mark.django_db
def test_a_bare_carriage_return_or_a_bad_byte_leaves_the_file_to_python(tmp_path, monkeypatch):
    if declined_on_sqlite():
        return
    lines = lines_of([plain(n) for n in range(1, 5)])
    lines[3] = lines[3].replace("白色 M", "白色\rM")
    assert_same(write(tmp_path, "cr.csv", lines), monkeypatch, fast_expected=False)
    # a byte that is not UTF-8 past the first 256 KiB (the encoding was judged on those): the same error both ways
    path = write(tmp_path, "bad.csv", lines_of([plain(n) for n in range(1, 1200)]))
    path.write_bytes(path.read_bytes() + ",".join(plain(2)).encode("gbk") + b"\n")
    messages = []
    for fast in (False, True):
        with pytest.raises(runner.ImportFileError) as caught:
            staged(path, fast=fast, monkeypatch=monkeypatch)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and "编码" in messages[0]


@pytest.mark.django_db
def test_too_many_odd_rows_fall_back_to_python_whole(tmp_path, monkeypatch):
    if declined_on_sqlite():
        return
    monkeypatch.setattr(pgparse, "MAX_SLOW_ROWS", 5)
    rows = [plain(n, 实付金额="¥1299.00") for n in range(1, 10)]
    assert_same(write(tmp_path, "odd.csv", lines_of(rows)), monkeypatch, fast_expected=False)


@pytest.mark.django_db
def test_an_import_writes_the_same_orders_either_way(shop, tmp_path, monkeypatch):
    if declined_on_sqlite():
        return
    from shouhou.commerce.models import Shop

    path = write(tmp_path, "orders.csv", everything(True))
    results = []
    for n, fast in enumerate((False, True)):
        monkeypatch.setenv("SHOUHOU_IMPORT_PG_PARSE", "1" if fast else "0")
        target = Shop.objects.create(name=f"店{n}", code=f"pgparse-{n}", platform="douyin")
        job = orders_import(shop=target, path=path, actor=SYSTEM, allow_partial=True)
        orders = sorted(Order.objects.filter(shop=target).values_list(
            "order_no", "status", "placed_at", "delivered_at", "total_paid", "receiver_phone", "return_insurance"))
        lines = sorted(OrderLine.objects.filter(shop=target).values_list(
            "order__order_no", "line_key", "product_name", "spec", "quantity", "price_paid", "category"))
        ships = sorted(Shipment.objects.filter(shop=target).values_list("order__order_no", "carrier", "tracking_no",
                                                                          "status"))
        results.append((job.status, job.total_rows, job.ok_rows, job.error_count, job.errors, orders, lines, ships))
    assert results[0] == results[1]
    assert results[1][5] and results[1][0] == "done"


# --- the constants the SQL relies on, checked against Python itself (both databases)

def test_the_white_space_list_is_pythons():
    assert set(pgparse.SPACES) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


def test_chinese_characters_have_no_case_and_no_space():
    for c in range(0x4E00, 0xA000):
        ch = chr(c)
        assert ch.lower() == ch == ch.casefold() and not ch.isspace()


def test_the_plain_forms_parse_in_python_to_what_the_sql_writes():
    from shouhou.commerce.importers.parse import _parse_value

    assert _parse_value("money", "12.3") == Decimal("12.30")
    assert _parse_value("datetime", "2024-02-29 12:00:00") == dt.datetime(2024, 2, 29, 4, tzinfo=dt.UTC)
    assert _parse_value("int", "99999") == 99999
