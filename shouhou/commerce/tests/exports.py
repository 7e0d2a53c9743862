"""Build order-export files for tests: the rows a platform back office would give a merchant."""

from __future__ import annotations

import csv
from pathlib import Path

HEADERS = ["订单号", "子订单号", "商品名称", "商品ID", "规格", "SKU编码", "数量", "实付金额", "下单时间", "支付时间",
           "发货时间", "签收时间", "承诺发货时间", "收货人", "手机号", "收货地址", "物流公司", "运单号", "直播间", "主播",
           "类目", "批次号", "会员等级", "运费险"]

ROWS = [
    ["DY20261101001", "DY20261101001-1", "加绒卫衣女", "3501", "白色 M", "SKU-WY-M", "1", "129.00",
     "2026-11-01 20:30:00", "2026-11-01 20:31:00", "2026-11-02 10:00:00", "2026-11-04 15:00:00",
     "2026-11-03 20:31:00", "张三", "13812345678", "上海市浦东新区世纪大道100号", "中通快递", "ZT1000000001",
     "双11宠粉专场", "小鹿", "服装", "B202610", "金卡", "是"],
    ["DY20261101001", "DY20261101001-2", "玻尿酸保湿面霜", "3502", "50ml", "SKU-MS-50", "2", "200.00",
     "2026-11-01 20:30:00", "2026-11-01 20:31:00", "2026-11-02 10:00:00", "2026-11-04 15:00:00",
     "2026-11-03 20:31:00", "张三", "13812345678", "上海市浦东新区世纪大道100号", "中通快递", "ZT1000000001",
     "双11宠粉专场", "小鹿", "美妆护肤", "C88", "金卡", "是"],
    ["DY20261101002", "DY20261101002-1", "降噪蓝牙耳机", "3503", "黑色", "SKU-EJ-B", "1", "399.00",
     "2026-11-01 21:05:00", "2026-11-01 21:06:00", "", "", "2026-11-03 21:06:00", "李四", "13900001111",
     "北京市朝阳区建国路1号", "", "", "双11宠粉专场", "小鹿", "数码家电", "E2026", "普通会员", "否"],
]


def write_csv(path: Path, rows: list[list[str]] | None = None, headers: list[str] | None = None,
              encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers or HEADERS)
        writer.writerows(ROWS if rows is None else rows)
    return path


def write_xlsx(path: Path, rows: list[list] | None = None, headers: list[str] | None = None) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("订单")
    sheet.append(headers or HEADERS)
    for row in ROWS if rows is None else rows:
        sheet.append(row)
    workbook.save(path)
    return path


def with_value(header: str, value: str, row: int = 0, rows: list[list[str]] | None = None) -> list[list[str]]:
    """A copy of ROWS with one cell changed."""
    copied = [list(r) for r in (ROWS if rows is None else rows)]
    copied[row][HEADERS.index(header)] = value
    return copied
