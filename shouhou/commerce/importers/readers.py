"""Streaming readers for order exports: .csv (utf-8, utf-8 with BOM, GB18030/GBK) and .xlsx.

Each reader yields the header row first, then data rows as lists; nothing holds the whole file.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

SNIFF_BYTES = 256 * 1024


class FileFormatError(ValueError):
    pass


def detect_encoding(path: Path) -> str:
    """utf-8-sig when there is a BOM, utf-8 when the first 256 KiB decode, otherwise gb18030 (a superset
    of GBK and GB2312, what Excel on a Chinese Windows writes)."""
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=len(head) < SNIFF_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=len(head) < SNIFF_BYTES)
        return "gb18030"
    except UnicodeDecodeError:
        raise FileFormatError("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV")


def iter_csv(path: Path) -> Iterator[list]:
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.read(8192)
        fh.seek(0)
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        try:
            yield from csv.reader(fh, delimiter=delimiter)
        except UnicodeDecodeError as exc:
            raise FileFormatError(f"文件编码不一致（按 {encoding} 读取失败）：{exc.reason}")
        except csv.Error as exc:
            raise FileFormatError(f"CSV 格式错误：{exc}")


def iter_xlsx(path: Path) -> Iterator[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken zip
        raise FileFormatError(f"无法打开 Excel 文件：不是有效的 .xlsx，可能已损坏（{exc.__class__.__name__}）")
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def iter_rows(path: Path) -> Iterator[list]:
    suffix = Path(path).suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        return iter_csv(Path(path))
    if suffix in {".xlsx", ".xlsm"}:
        return iter_xlsx(Path(path))
    if suffix == ".xls":
        raise FileFormatError("不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 或 .csv")
    raise FileFormatError(f"不支持的文件类型 {suffix or '（无扩展名）'}：请上传 .xlsx 或 .csv")


def is_blank(row: list) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)
