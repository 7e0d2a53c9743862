"""The two passes over an export: validate everything (streaming), then write in set-based chunks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from shouhou.commerce.importers import messages as M
from shouhou.commerce.importers import pgparse
from shouhou.commerce.importers.columns import (
    FIELDS_BY_NAME,
    IMPORTANT_OPTIONAL,
    MappingError,
    clean_header,
    header_labels,
    ignored_headers,
    resolve_columns,
)
from shouhou.commerce.importers.messages import error_record
from shouhou.commerce.importers.parse import ParsedLine, compile_row_parser
from shouhou.commerce.importers.readers import CSV_SUFFIXES, FileFormatError, is_blank, iter_rows

MAX_REPORTED_ERRORS = 500


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, header); raised with a messages.Reason (stored with its
    code and parameters, shown in the reader's language)."""


@dataclass
class Validation:
    total_rows: int = 0
    ok_rows: int = 0
    error_count: int = 0
    errors: list[dict] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # rows passed over on purpose (title rows, 合计 rows)

    @property
    def missing_important(self) -> list[str]:
        """Chinese labels of the important optional fields the file has no column for."""
        have = set(self.columns)
        if have & {"order_amount", "unit_price"}:
            have.add("paid_amount")  # line amounts are settled from the order amount or unit prices
        return [FIELDS_BY_NAME[name].label for name in IMPORTANT_OPTIONAL if name not in have]

    def add(self, row_no: int, label: str, reason: str) -> None:
        """One problem: `label` is the column's header as the file spells it (or the field's name), `reason` a
        messages.Reason (stored as its code and parameters, rendered in the reader's language)."""
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            field = next((name for name, header in self.labels.items() if header == label), label)
            self.errors.append(error_record(row_no, label, reason, field=field))


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


# Back-office exports may put a title ("订单列表 导出时间：…", often merged across the columns) or a row of group
# headings (订单信息 | 商品信息 | 收货信息) above the header: the header is the first of these many non-empty rows
# that names the required columns.
HEADER_SEARCH_ROWS = 10


@dataclass
class _Opened:
    rows: Iterator[list]
    headers: list
    columns: dict[str, int]
    labels: dict[str, str]
    header_row_no: int
    notes: list[str]


# An after-sale export (售后单 / 退款单) downloaded instead of the order export: it names orders and products too,
# and was imported as orders of 0 yuan. Its own id column together with an after-sale column gives it away.
AFTER_SALE_IDS = ("售后单号", "售后编号", "售后单编号", "售后ID", "售后单ID", "退款单号", "退款编号", "退款单编号", "退款ID")
AFTER_SALE_MARKS = ("售后类型", "退款类型", "售后原因", "退款原因", "申请时间", "售后申请时间", "退款申请时间", "申请退款金额",
                    "退款金额")
MAX_NAMED_COLUMNS = 20


def _named(headers: list) -> str:
    names = [clean_header(h) for h in headers if clean_header(h)]
    named = "、".join(names[:MAX_NAMED_COLUMNS])
    return M.Reason(M.COLUMNS_MORE, columns=named, count=len(names)) if len(names) > MAX_NAMED_COLUMNS else named


def _after_sale_export(headers: list) -> list[str]:
    """The after-sale id and mark columns of a header that is an after-sale export's, else []."""
    names = {clean_header(h) for h in headers}
    ids = [h for h in AFTER_SALE_IDS if h in names]
    marks = [h for h in AFTER_SALE_MARKS if h in names]
    return ids[:1] + marks[:1] if ids and marks else []


def _open(path: Path, mapping: dict | None, name: str | None = None) -> _Opened:
    first_headers: list | None = None
    try:
        rows = iter_rows(path, name=name)
        row_no = 0
        first_error: MappingError | None = None
        above: list[int] = []  # the non-empty rows above the header
        for row in rows:
            row_no += 1
            if is_blank(row):
                continue
            try:
                columns = resolve_columns(row, mapping)
            except MappingError as exc:
                if first_error is None:
                    first_error, first_headers = exc, row
                above.append(row_no)
                if len(above) >= HEADER_SEARCH_ROWS:
                    break
                continue
            after_sale = [] if mapping else _after_sale_export(row)
            if after_sale:
                close = getattr(rows, "close", None)
                if close:
                    close()
                raise ImportFileError(M.Reason(M.FILE_AFTER_SALE, id_column=after_sale[0], mark_column=after_sale[1],
                                               columns=_named(row)))
            notes = []
            if above:
                notes.append(f"表头在第{row_no}行：上方的第{'、'.join(map(str, above))}行不是表头（标题或分组行），已跳过")
            return _Opened(rows, row, columns, header_labels(row, columns), row_no, notes)
    except FileFormatError as exc:
        raise ImportFileError(M.reason_of(exc)) from exc
    close = getattr(rows, "close", None)
    if close:
        close()  # an .xlsx holds its file open
    if first_error is None:
        raise ImportFileError(M.Reason(M.FILE_EMPTY))
    # name the columns the file has: a shipment sheet, another platform's or another kind of export chosen by
    # mistake is recognised at once
    raise ImportFileError(M.Reason(M.FILE_NO_HEADER, problem=M.reason_of(first_error),
                                   columns=_named(first_headers or [])))


def _width(path: Path, headers: list) -> int | None:
    """The cells every CSV row must have: a CSV writer writes every column, so a row with fewer (a line break or
    comma left unquoted split it) or more non-empty ones is broken, not short. An .xlsx row may end early."""
    return len(headers) if Path(path).suffix.lower() in CSV_SUFFIXES else None


def _width_problem(row: list, width: int | None) -> str:
    if width is None or len(row) == width:
        return ""
    if len(row) < width:
        return M.Reason(M.ROW_TOO_SHORT, cells=len(row), width=width)
    if any(str(cell).strip() for cell in row[width:]):
        return M.Reason(M.ROW_TOO_LONG, extra=len(row) - width)
    return ""


TOTAL_WORDS = ("合计", "总计", "小计", "汇总", "total", "sum")
MAX_NOTES = 50  # an export with a 小计 row under every order says so 50 times, not 10,000


def _total_row(row: list, columns: dict[str, int]) -> bool:
    """A 合计/总计 row that an export or a person added under the orders: its first non-empty cell says so and
    it names no order and no product (other than that word)."""
    first = next((cell for cell in row if cell is not None and str(cell).strip()), None)
    if not isinstance(first, str):
        return False
    word = first.strip().rstrip(":：").strip().lower()
    if not word.startswith(TOTAL_WORDS):
        return False
    for name in ("order_no", "product_name"):
        pos = columns[name]
        cell = row[pos] if pos < len(row) else None
        if cell is not None and str(cell).strip() and cell is not first:
            return False
    return True


def row_outcome(parse, row_no: int, row: list, columns: dict[str, int], width: int | None,
                notes: list[str] | None):
    """What one data row is: None (blank, or a 合计 row, noted), or (parsed line or None, problems). The one
    place these rules live: the reading below and the PostgreSQL fast path (importers/pgparse.py) both ask it."""
    if is_blank(row):
        return None
    if row and _total_row(row, columns):
        if notes is not None and len(notes) < MAX_NOTES:
            notes.append(f"第{row_no}行是合计行，已跳过")
        return None
    broken = _width_problem(row, width)
    if broken:
        return None, [("", broken)]
    return parse(row_no, row)


def _iter_parsed(rows: Iterator[list], columns: dict[str, int], row_no: int, width: int | None = None,
                 notes: list[str] | None = None):
    parse = compile_row_parser(columns)
    try:
        for row in rows:
            row_no += 1
            outcome = row_outcome(parse, row_no, row, columns, width, notes)
            if outcome is not None:
                yield row_no, outcome[0], outcome[1]
    except FileFormatError as exc:
        raise ImportFileError(M.Reason(M.FILE_NEAR_ROW, row=row_no, problem=M.reason_of(exc))) from exc
    finally:
        close = getattr(rows, "close", None)
        if close:
            close()


def scan(path: Path, mapping: dict | None) -> Iterator[tuple[int, ParsedLine | None, list[tuple[str, str]]]]:
    """Yield (row number as the spreadsheet shows it, parsed line or None, problems) for every data row."""
    opened = _open(path, mapping)
    yield from _iter_parsed(opened.rows, opened.columns, opened.header_row_no, _width(path, opened.headers))


def validate(path: Path, mapping: dict | None, *, name: str | None = None) -> Validation:
    """First pass: read every row, keep only counts and the first MAX_REPORTED_ERRORS problems. `name` is
    the file's name as uploaded (the stored copy may be renamed), for the messages."""
    opened = _open(path, mapping, name)
    result = Validation(columns=opened.columns, labels=opened.labels, notes=opened.notes,
                        ignored=ignored_headers(opened.headers, opened.columns))
    labels = opened.labels
    for row_no, line, problems in _iter_parsed(opened.rows, opened.columns, opened.header_row_no,
                                               _width(path, opened.headers), result.notes):
        result.total_rows += 1
        if line is not None:
            result.ok_rows += 1
        for name, reason in problems:
            result.add(row_no, labels.get(name, name), reason)
    return result


def chunks(path: Path, mapping: dict | None, size: int) -> Iterator[list[ParsedLine]]:
    """Second pass: the good rows, `size` at a time."""
    batch: list[ParsedLine] = []
    for _row_no, line, _problems in scan(path, mapping):
        if line is None:
            continue
        # An order's adjacent rows stay in one chunk: its amounts are settled across its lines.
        if len(batch) >= size and line.order_no != batch[-1].order_no:
            yield batch
            batch = []
        batch.append(line)
    if batch:
        yield batch


def read(path: Path, mapping: dict | None, size: int, *,
         name: str | None = None) -> tuple[Validation, Iterator[list[ParsedLine]]]:
    """One pass: the batches of good rows (an order's adjacent rows kept together), while the returned
    Validation fills up with counts and located problems. Exhaust the iterator before reading the totals.
    On PostgreSQL, inside the import's transaction with pgstage's staging table made, a clean CSV is staged by the
    server while the iterator runs and it yields nothing (importers/pgparse.py)."""
    opened = _open(path, mapping, name)
    result = Validation(columns=opened.columns, labels=opened.labels, notes=opened.notes,
                        ignored=ignored_headers(opened.headers, opened.columns))
    labels = opened.labels

    def batches() -> Iterator[list[ParsedLine]]:
        # PostgreSQL and a clean CSV: the server parses the plain cells and the rows are staged there; nothing
        # to yield (importers/pgparse.py). Otherwise, or when the file turns out not to be clean: below.
        if pgparse.applicable(path, opened.columns) and pgparse.run(path, opened, result):
            close = getattr(opened.rows, "close", None)
            if close:
                close()
            return
        batch: list[ParsedLine] = []
        for row_no, line, problems in _iter_parsed(opened.rows, opened.columns, opened.header_row_no,
                                                   _width(path, opened.headers), result.notes):
            result.total_rows += 1
            for field_name, reason in problems:
                result.add(row_no, labels.get(field_name, field_name), reason)
            if line is None:
                continue
            result.ok_rows += 1
            if len(batch) >= size and line.order_no != batch[-1].order_no:
                yield batch
                batch = []
            batch.append(line)
        if batch:
            yield batch

    return result, batches()
