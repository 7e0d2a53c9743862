"""Parse review exports (CSV or Excel) into ReviewInput rows, with errors naming row and column."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shouhou.core.clock import now
from shouhou.core.uploads import OLE_MAGIC, ZIP_MAGIC
from shouhou.reviews.services import ReviewInput

# canonical field → accepted header names (lowercase)
HEADERS: dict[str, tuple[str, ...]] = {
    "text": ("review", "text", "content", "评价内容", "评价", "内容", "评论"),
    "platform": ("platform", "平台", "来源平台"),
    "external_id": ("external_id", "review_id", "评价id", "评价编号", "评论id"),
    "order_no": ("order_no", "订单号", "订单编号"),
    "line_key": ("line_key", "子订单号"),
    "rating": ("rating", "评分", "星级"),
    "posted_at": ("posted_at", "评价时间", "时间"),
    "author_name": ("author", "author_name", "昵称", "用户昵称", "买家"),
}


@dataclass
class ParsedFile:
    items: list[ReviewInput] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)      # rows skipped, and why
    warnings: list[str] = field(default_factory=list)    # rows imported, with something to know


# An id Excel stored as a number and shows in scientific notation (7.234567890123457e+18): its last digits are
# gone, and two reviews can come out as one id.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[eE][+-]?\d+")
ID_FIELDS = {"external_id": "评价ID", "order_no": "订单号", "line_key": "子订单号"}


class ImportFormatError(ValueError):
    pass


MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _rows(content: bytes, filename: str) -> list[list[str]]:
    """Read by what the bytes are, not by the file name: a zip archive is read as .xlsx, text as CSV;
    anything else (an image, an old .xls, a binary) is refused with a clear message."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportFormatError(f"{filename}: 文件太大（{len(content) / 1024 / 1024:.1f} MB），"
                                f"最多 {MAX_IMPORT_BYTES // 1024 // 1024} MB，请分批导入")
    if content.startswith(OLE_MAGIC):
        raise ImportFormatError(f"{filename}: 这是旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再导入")
    if content.startswith(ZIP_MAGIC):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a broken file
            raise ImportFormatError(f"{filename}: 无法读取 Excel 文件（{exc.__class__.__name__}）") from exc
        ws = wb.worksheets[0]
        return [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    if b"\x00" in content[:8192]:
        raise ImportFormatError(f"{filename}: 文件内容不是 CSV 文本或 .xlsx 表格（可能是图片或其他二进制文件）")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFormatError(f"{filename}: 文件编码无法识别（请使用 UTF-8 或 GBK）")
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportFormatError(f"{filename}: CSV 格式错误（{exc}）") from exc


# 「5星」「五星」「★★★★☆」 as exports write the stars; 「4.0」 as Excel writes a number.
_STARS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_RATING = re.compile(r"([1-5一二两三四五])(?:\.0+)?\s*(?:星|分|颗星)?")
# 2026年12月5日 10:30、2026/12/5 → 2026-12-05 10:30 (parse_datetime reads ISO forms only)
_CHINESE_DATE = re.compile(r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?")
FUTURE_SLACK = timedelta(days=1)  # a clock or time zone a little off is no error; a review dated 2099 is


def _rating(raw: str) -> int | None:
    text = raw.strip()
    if text and set(text) <= {"★", "☆"}:
        stars = text.count("★")
        return stars if 1 <= stars <= 5 else None
    match = _RATING.fullmatch(text)
    if match is None:
        return None
    digit = match.group(1)
    return _STARS.get(digit) or int(digit)


def _dashed(raw: str) -> str:
    """A date as exports write it, in the ISO form parse_datetime reads (a date alone is its midnight)."""
    if parse_datetime(raw.replace("/", "-")) is not None:  # ISO already (a 「T」, a zone): as it is
        return raw.replace("/", "-")
    match = _CHINESE_DATE.match(raw.strip())
    if match is None:
        return raw.replace("/", "-")
    year, month, day = match.groups()
    rest = raw.strip()[match.end():].strip()
    return f"{year}-{int(month):02d}-{int(day):02d} {rest or '00:00:00'}"


def _cell_text(value: object) -> str:
    """An Excel cell as text: a whole number without 「.0」 while it is exact (below 2^53), a larger one in
    scientific notation (its digits are already lost; the id check refuses it), a time in ISO form."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return f"{value:.15e}"
    return str(value)


def _content_key(item: ReviewInput) -> str:
    """A stand-in id for a row without a review id, from what identifies it (order, line, time, author, text):
    importing the same file again finds the same rows instead of storing them twice."""
    parts = [item.order_no, item.line_key, item.posted_at.isoformat() if item.posted_at else "", item.author_name,
             item.text]
    return "h:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def parse_review_file(content: bytes, filename: str, *, default_platform: str = "") -> ParsedFile:
    rows = _rows(content, filename)
    if not rows:
        raise ImportFormatError(f"{filename}: 文件为空")
    header = [h.strip().lower() for h in rows[0]]
    cols: dict[str, int] = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names:
                cols[key] = i
                break
    if "text" not in cols:
        raise ImportFormatError(f"{filename}: 缺少评价内容列（review / 评价内容）；表头为 {', '.join(rows[0])}")
    out = ParsedFile()
    for n, row in enumerate(rows[1:], start=2):
        if not any(str(c).strip() for c in row):
            continue

        def cell(key: str, row=row) -> str:
            i = cols.get(key)
            return str(row[i]).strip() if i is not None and i < len(row) else ""

        rating = None
        if cell("rating"):
            rating = _rating(cell("rating"))
            if rating is None:
                out.errors.append(f"第 {n} 行 评分: 应为 1–5，实际为 {cell('rating')!r}")
                continue
        posted = None
        if cell("posted_at"):
            posted = parse_datetime(_dashed(cell("posted_at")))
            if posted is None:
                out.errors.append(f"第 {n} 行 评价时间: 无法识别 {cell('posted_at')!r}（例：2026-11-20 10:30:00）")
                continue
            if timezone.is_naive(posted):
                posted = timezone.make_aware(posted)
            if not 2000 <= posted.year < 2100:
                out.errors.append(f"第 {n} 行 评价时间: 应在 2000–2099 年之间，实际为 {cell('posted_at')!r}")
                continue
            if posted > now() + FUTURE_SLACK:
                out.errors.append(f"第 {n} 行 评价时间: {cell('posted_at')!r} 在将来；请检查导出文件的时间列")
                continue
        lossy = next((key for key in ID_FIELDS if _SCIENTIFIC.fullmatch(cell(key))), None)
        if lossy:
            out.errors.append(f"第 {n} 行 {ID_FIELDS[lossy]}: {cell(lossy)!r} 是 Excel 存成数字后的科学计数法，"
                              f"末几位已丢失；请把该列设为文本后重新导出")
            continue
        item = ReviewInput(
            text=cell("text"), platform=cell("platform") or default_platform, external_id=cell("external_id"),
            order_no=cell("order_no"), line_key=cell("line_key"), rating=rating, posted_at=posted,
            author_name=cell("author_name"),
        )
        if not item.external_id:
            if item.order_no or item.posted_at:
                item.external_id = _content_key(item)
            else:
                out.warnings.append(f"第 {n} 行: 没有评价ID、订单号和评价时间，再次导入同一文件时这一行会重复保存")
        out.items.append(item)
    return out
