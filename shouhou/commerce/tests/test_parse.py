"""Cell parsing is pure: table-driven, no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shouhou.commerce.importers.columns import MappingError, resolve_columns
from shouhou.commerce.importers.parse import _parse_value, parse_datetime

SH = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 11, 1, 20, 30, tzinfo=SH)


@pytest.mark.parametrize("raw", ["2026-11-01 20:30:00", "2026-11-01 20:30", "2026/11/01 20:30:00", "2026/11/01 20:30",
                                 "2026年11月1日 20:30", "2026年11月1日 20时30分", "2026-11-01T20:30:00",
                                 "2026-11-01T12:30:00+00:00", dt.datetime(2026, 11, 1, 20, 30), 46327.8541666667])
def test_datetimes_in_every_common_shape(raw):
    assert parse_datetime(raw) == AT


@pytest.mark.parametrize("raw", [None, "", "-", "--"])
def test_empty_datetimes_are_none(raw):
    assert parse_datetime(raw) is None


@pytest.mark.parametrize(("kind", "raw", "expected"), [
    ("money", "¥1,299.00", Decimal("1299.00")), ("money", "", Decimal("0.00")), ("money", 12.5, Decimal("12.50")),
    ("int", "3", 3), ("int", "", 1), ("int", 2.0, 2),
    ("phone", "+86 138-1234-5678", "13812345678"), ("phone", "021-8888 6666", "2188886666"), ("phone", "138****5678", "138****5678"), ("phone", "", ""),
    ("bool", "是", True), ("bool", "无", False), ("bool", "", False),
    ("tier", "钻石会员", "vip"), ("tier", "金卡", "gold"), ("tier", "", ""),
    ("category", "女装", "clothing"), ("category", "美妆护肤", "cosmetics"), ("category", "奇怪类目", "other"),
    ("carrier", "顺丰", "SF"), ("carrier", "中通快递", "ZTO"), ("carrier", "某某物流", "OTHER"),
    ("status", "交易关闭", "cancelled"), ("status", "已签收", "delivered"),
])
def test_cell_values(kind, raw, expected):
    assert _parse_value(kind, raw) == expected


@pytest.mark.parametrize(("kind", "raw", "message"), [
    ("money", "abc", "不是有效金额 'abc'"), ("money", "-1", "金额不能为负 '-1'"),
    # beyond what the database holds: 1e30 could not even be rounded (a traceback and a job left running)
    ("money", "1e30", "超出范围 '1e30'"), ("money", "1e20", "超出范围 '1e20'"),
    ("money", "1000000000", "超出范围 '1000000000'"),
    ("int", "1.5", "数量应为正整数 '1.5'"), ("int", "x", "不是有效数量 'x'"),
    ("phone", "12ab", "不是有效手机号 '12ab'"), ("phone", "12345", "不是有效手机号 '12345'"),
    ("phone", "1380013800", "不是有效手机号 '1380013800'"), ("bool", "也许", "应为 是/否 '也许'"),
    ("tier", "黄金VIP至尊", "未知的会员等级 '黄金VIP至尊'"), ("status", "飞走了", "未知的订单状态 '飞走了'"),
])
def test_bad_cell_values_say_why(kind, raw, message):
    with pytest.raises(ValueError, match=message):
        _parse_value(kind, raw)


def test_headers_resolve_with_stars_colons_and_bom():
    columns = resolve_columns(["\ufeff*订单编号", "商品名称：", "实付款", "实付金额"])
    assert columns == {"order_no": 0, "product_name": 1, "paid_amount": 3}


def test_a_required_column_missing_names_its_synonyms():
    with pytest.raises(MappingError, match="缺少必需的列「商品名称」"):
        resolve_columns(["订单号", "数量"])
