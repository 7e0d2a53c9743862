"""PostgreSQL fast path for clean CSV exports: the server parses the plain cells, Python only the odd ones.

The decoded file is COPYed (FORMAT csv, PostgreSQL's C parser) into a temporary table of text columns, one row per
line with its row number as the spreadsheet shows it. One INSERT … SELECT then writes the typed staging rows
(pgstage.STAGE) of every row whose cells are all in a plain, unambiguous form; each per-cell expression accepts only
forms whose value parse.py would give exactly the same:

- text and ids: no white space at either end (Python's own list of white space characters), within the column's
  length; an id neither starting with an apostrophe nor holding a "+" (Excel's 6.931E+18);
- money `123.45` (1–8 digits, at most 2 decimals), quantity `1`…`99999`, a mobile `1[3-9]` + 9 digits;
- a time `YYYY-MM-DD HH:MM:SS` of the years 2000–2099 with a real day of the month, read as Asia/Shanghai;
- 是/否 words, tiers, statuses, categories and carriers spelled exactly as one of parse.py's table keys (a join to
  those tables), and a category or carrier of Chinese characters only that no table knows (其他/OTHER);
- blank cells where blank is allowed (the required 订单号 and 商品名称 are not).

Every other row — a 合计 row, a row of the wrong width, Excel's numbers and serial dates, thousands separators, a
phone with a space, anything odd — is read back and goes through parse.py unchanged (runner.row_outcome), in row
order, so errors, their row/column messages and notes are today's. The file is not clean (and the whole import
falls back to the Python path, inside a savepoint) when it has a double quote (a quoted cell: Python's and
PostgreSQL's CSV readers differ on quotes in the middle of a cell), a NUL, a carriage return that does not end a
line, a line longer than Python's csv field limit, an undecodable byte, or more than MAX_SLOW_ROWS odd rows
(memory stays bounded). Files with 订单应付金额/单价 (amounts settled per order) or split addresses (省/市/区) use the
Python path. `SHOUHOU_IMPORT_PG_PARSE=0` switches the fast path off.
"""

from __future__ import annotations

import csv
import heapq
import logging
import os
from itertools import compress, repeat
from operator import methodcaller
from pathlib import Path

from django.db import DatabaseError, connection, transaction

from shouhou.commerce.importers import pgstage
from shouhou.commerce.importers.columns import FIELDS_BY_NAME
from shouhou.commerce.importers.parse import (
    _LIMITS,
    ADDRESS_PARTS,
    FALSE_WORDS,
    ID_FIELDS,
    TRUE_WORDS,
    _tables,
    compile_row_parser,
)
from shouhou.commerce.importers.readers import CSV_SUFFIXES, detect_encoding

log = logging.getLogger(__name__)

RAW = "import_raw_lines"
MAX_SLOW_ROWS = 10_000  # odd rows read back into Python; beyond this the file is not "clean"
READ_CHARS = 1 << 18  # characters read at a time (about 0.5-1 MiB of text in memory)
# Python's str.isspace() characters (what str.strip() removes); a test checks them against Python's own list.
SPACES = "".join(chr(c) for c in (*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                                  0x2028, 0x2029, 0x202F, 0x205F, 0x3000))
TIME = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
MONEY = "^[0-9]{1,8}(\\.[0-9]{1,2})?$"
QUANTITY = "^[1-9][0-9]{0,4}$"
MOBILE = "^1[3-9][0-9]{9}$"
CJK_ONLY = "^[\\u4e00-\\u9fff]+$"  # no case, no spaces: lower(), casefold() and split() leave them as they are
# Files whose amounts are settled per order in Python (amounts.settle_amounts) or whose address is joined from parts.
PYTHON_ONLY_FIELDS = frozenset({"order_amount", "unit_price", *ADDRESS_PARTS})


class NotClean(Exception):
    """The file is not one the fast path reads exactly as the Python path does: use the Python path."""


def applicable(path: Path, columns: dict[str, int]) -> bool:
    return (connection.vendor == "postgresql" and os.environ.get("SHOUHOU_IMPORT_PG_PARSE", "1") != "0"
            and Path(path).suffix.lower() in CSV_SUFFIXES and not PYTHON_ONLY_FIELDS & set(columns))


def _stage_ready() -> bool:
    """Only inside the import's transaction, with pgstage's staging table made (services._run)."""
    if not connection.in_atomic_block:
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [f"pg_temp.{pgstage.STAGE}"])
        return bool(cur.fetchone()[0])


def run(path: Path, opened, result) -> bool:
    """Stage every row of the file and fill `result` (runner.Validation) as the Python path would; False (nothing
    staged, `result` untouched) when the file is not clean or the fast path cannot run here."""
    from shouhou.commerce.importers.runner import Validation

    if not _stage_ready():
        return False
    scratch = Validation(columns=result.columns, labels=result.labels, ignored=result.ignored,
                         notes=list(result.notes))
    try:
        with transaction.atomic():  # a savepoint: a file found not clean half-way leaves nothing staged
            _fast(path, opened, scratch)
    except NotClean:
        return False
    except DatabaseError:  # not expected: the Python path is always right, only slower
        log.exception("import fast path failed; reading the file in Python")
        return False
    result.total_rows, result.ok_rows = scratch.total_rows, scratch.ok_rows
    result.error_count, result.errors, result.notes = scratch.error_count, scratch.errors, scratch.notes
    return True


# Python's white space in UTF-8 other than the space and the line break (which ends a line here): rare in exports.
# One pass of bytes.translate finds whether the text has any of their one-byte forms or of the first bytes of the
# others (C2, E1, E2, E3); only then are the multi-byte ones looked for (those starting E2 80 at once).
_RARE_BYTES = bytes(c for c in b"".join(ch.encode() for ch in SPACES) if c < 0x80 and c not in b" \n")
_RARE_SEQUENCES = tuple(ch.encode() for ch in SPACES if ord(ch) >= 0x80 and not ch.encode().startswith(b"\xe2\x80"))
_LEADS = bytes({ch.encode()[0] for ch in SPACES if ord(ch) >= 0x80})
_ALL_BUT_LEADS = bytes(range(256)).translate(None, _LEADS)


def _look(data: bytes, delim: bytes, seen: set[str]) -> None:
    """Note what `data` (COPY text: row number, delimiter, the line's cells) holds: white space at a cell's edge (a
    space beside a delimiter or the line break; any rarer white space anywhere), a "+" or an apostrophe."""
    if "edge" not in seen and (b" " + delim in data or delim + b" " in data or b" \n" in data
                               or len(data.translate(None, _RARE_BYTES.replace(delim, b""))) != len(data)
                               or (data.translate(None, _ALL_BUT_LEADS)
                                   and (b"\xe2\x80" in data or any(ch in data for ch in _RARE_SEQUENCES)))):
        seen.add("edge")
    if "+" not in seen and b"+" in data:
        seen.add("+")
    if "'" not in seen and b"'" in data:
        seen.add("'")


def _delimiter(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, newline="") as fh:  # as readers.iter_csv decides it
        sample = fh.read(8192)
    return "\t" if sample.count("\t") > sample.count(",") else ","


def _fast(path: Path, opened, result) -> None:
    width = len(opened.headers)
    encoding = detect_encoding(path)
    delim = _delimiter(path, encoding)
    field_limit = csv.field_size_limit()
    slow: list[tuple[int, list[str]]] = []  # rows Python reads, in row order
    sent = 0
    seen: set[str] = set()  # what the COPYed text holds that the per-cell checks must then look for
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {RAW}")
        cols = ", ".join(f"c{i} text" for i in range(width))
        cur.execute(f"CREATE TEMP TABLE {RAW} (row_no integer, {cols}) ON COMMIT DROP")
        sep = "\\t" if delim == "\t" else ","
        row_no = 0
        with open(path, encoding=encoding, newline="") as fh, \
                cur.cursor.copy(f"COPY {RAW} FROM STDIN (FORMAT csv, DELIMITER E'{sep}')") as copy:
            carry = ""
            while True:
                try:
                    block = fh.read(READ_CHARS)
                except UnicodeDecodeError:
                    raise NotClean
                text = carry + block
                if block:
                    cut = text.rfind("\n") + 1
                    text, carry = text[:cut], text[cut:]
                    if not text:
                        continue
                else:
                    carry = ""
                    if not text:
                        break
                    text += "\n"  # the last line has no line break
                if '"' in text or "\x00" in text:
                    raise NotClean
                if "\r" in text:
                    text = text.replace("\r\n", "\n")
                    if "\r" in text:
                        raise NotClean
                lines = text.split("\n")
                lines.pop()  # text ends with a line break
                if max(map(len, lines)) > field_limit:
                    raise NotClean
                first, row_no = row_no + 1, row_no + len(lines)
                if first <= opened.header_row_no:  # the header and what is above it: read by runner._open
                    lines = lines[opened.header_row_no - first + 1:]
                    first = opened.header_row_no + 1
                numbers = range(first, first + len(lines))
                # A row of another width goes to Python (runner.row_outcome names it or reads its empty extra cells);
                # a 合计 row or a blank one has a blank 订单号 or 商品名称, so the server's checks leave it to Python.
                counts = list(map(methodcaller("count", delim), lines))
                if counts.count(width - 1) != len(counts):
                    keep = [n == width - 1 for n in counts]
                    for number, line, ok in zip(numbers, lines, keep, strict=True):
                        if not ok:
                            if len(slow) >= MAX_SLOW_ROWS:
                                raise NotClean
                            slow.append((number, line.split(delim)))
                    numbers = list(compress(numbers, keep))
                    lines = list(compress(lines, keep))
                if lines:
                    sent += len(lines)
                    data = ("\n".join(map("".join, zip(map(str, numbers), repeat(delim), lines, strict=False)))
                            + "\n").encode()
                    _look(data, delim.encode(), seen)
                    copy.write(data)
                if not block:
                    break
        flagged = _stage_plain(cur, opened.columns, width, MAX_SLOW_ROWS - len(slow), frozenset(seen)) if sent else []
    parse = compile_row_parser(opened.columns)
    from shouhou.commerce.importers.runner import row_outcome

    good = []
    labels = result.labels
    for row_no, row in heapq.merge(slow, flagged, key=lambda item: item[0]):
        outcome = row_outcome(parse, row_no, row, opened.columns, width, result.notes)
        if outcome is None:
            continue
        result.total_rows += 1
        line, problems = outcome
        for field_name, reason in problems:
            result.add(row_no, labels.get(field_name, field_name), reason)
        if line is not None:
            result.ok_rows += 1
            good.append(line)
    plain = sent - len(flagged)
    result.total_rows += plain
    result.ok_rows += plain
    pgstage.copy_lines_at_rows(good)


def _words(words) -> str:
    """Our own constant words as an SQL array literal."""
    return "ARRAY[" + ", ".join("'" + w.replace("'", "''") + "'" for w in sorted(words)) + "]::text[]"


def _cell_sql(name: str, cell: str, params: list, joins: list[str], join_params: list,
              seen: frozenset[str] = frozenset({"edge", "+", "'"})) -> tuple[str, str]:
    """(the condition under which `cell` is in a plain form, its typed value then) for one field; the condition's
    parameters go to `params`, a lookup table's join and parameters to `joins` and `join_params`."""
    kind = FIELDS_BY_NAME[name].kind
    if kind == "text":
        limit = _LIMITS.get(name)
        # octet_length is read from the value's header; char_length counts (only needed past `limit` bytes)
        checks = [f"(CASE WHEN octet_length({cell}) <= {limit} THEN true ELSE char_length({cell}) <= {limit} END)"
                  if limit else "true"]
        if "edge" in seen:  # white space next to a delimiter or a line break somewhere in the file
            params.append(SPACES)
            checks.insert(0, f"btrim({cell}, %s) = {cell}")
        if name in ID_FIELDS and "'" in seen:
            checks.append(f"left({cell}, 1) <> ''''")
        if name in ID_FIELDS and "+" in seen:
            checks.append(f"strpos({cell}, '+') = 0")
        ok = " AND ".join(checks)
        if name in {"order_no", "product_name"}:
            return f"({cell} IS NOT NULL AND {ok})", cell
        return f"({cell} IS NULL OR ({ok}))", f"coalesce({cell}, '')"
    if kind == "money":
        params.append(MONEY)
        return f"({cell} IS NULL OR {cell} ~ %s)", f"coalesce({cell}, '0')::numeric(12, 2)"
    if kind == "int":
        params.append(QUANTITY)
        return f"({cell} IS NULL OR {cell} ~ %s)", f"coalesce({cell}::integer, 1)"
    if kind == "datetime":  # 20YY-MM-DD HH:MM:SS, and a day the month has
        params.append(TIME)
        day = f"substr({cell}, 9, 2)"
        last_day = (f"CASE substr({cell}, 6, 2) WHEN '02' THEN CASE WHEN mod(substr({cell}, 3, 2)::integer, 4) = 0 "
                    f"THEN '29' ELSE '28' END WHEN '04' THEN '30' WHEN '06' THEN '30' WHEN '09' THEN '30' "
                    "WHEN '11' THEN '30' ELSE '31' END")
        ok = f"(CASE WHEN {cell} IS NULL THEN true WHEN {cell} ~ %s THEN {day} <= ({last_day}) ELSE false END)"
        return ok, f"({cell}::timestamp AT TIME ZONE 'Asia/Shanghai')"
    if kind == "phone":
        params.append(MOBILE)
        return f"({cell} IS NULL OR {cell} ~ %s)", f"coalesce({cell}, '')"
    if kind == "bool":
        true_words, words = _words(TRUE_WORDS - {""}), _words((TRUE_WORDS | FALSE_WORDS) - {""})
        return f"({cell} IS NULL OR {cell} = ANY({words}))", f"coalesce({cell} = ANY({true_words}), false)"
    # tier, category, carrier, status: a key of parse.py's table, exactly as written
    alias, table = f"m_{name}", _tables()[kind]
    joins.append(f"LEFT JOIN unnest(%s::text[], %s::text[]) AS {alias}(k, v) ON {alias}.k = {cell}")
    join_params.extend([list(table), list(table.values())])
    if kind in {"category", "carrier"}:
        params.append(CJK_ONLY)
        other = "other" if kind == "category" else "OTHER"
        return (f"(CASE WHEN {cell} IS NULL OR {alias}.k IS NOT NULL THEN true ELSE {cell} ~ %s END)",
                f"coalesce({alias}.v, CASE WHEN {cell} IS NULL THEN '' ELSE '{other}' END)")
    return f"({cell} IS NULL OR {alias}.k IS NOT NULL)", f"coalesce({alias}.v, '')"


def _stage_plain(cur, columns: dict[str, int], width: int, limit: int,
                 seen: frozenset[str]) -> list[tuple[int, list[str]]]:
    """Stage the raw rows whose cells are all plain; return the others (row number, cells), at most `limit`."""
    joins: list[str] = []
    join_params: list = []
    ok_parts: list[str] = []
    ok_params: list = []
    values: dict[str, str] = {}
    for name, pos in columns.items():
        ok, values[name] = _cell_sql(name, f"r.c{pos}", ok_params, joins, join_params, seen)
        ok_parts.append(ok)
    # the line key as parse._finish makes it: the sub-order number, else product|spec|SKU (hashed beyond 128)
    blank = "''"
    sub = values.get("sub_order_no", blank)
    basis = (f"({values['product_name']} || '|' || {values.get('spec', blank)} || '|' || "
             f"{values.get('sku_code', blank)})")
    line_key = (f"CASE WHEN {sub} <> '' THEN {sub} WHEN char_length({basis}) <= 128 THEN {basis} "
                f"ELSE 'h:' || encode(sha256(convert_to({basis}, 'UTF8')), 'hex') END")
    select = ["r.row_no"]
    for column, _sql_type, src in pgstage.COLUMNS:
        if column == "line_key":
            select.append(line_key)
        elif column == "order_total":
            select.append("NULL")
        else:
            select.append(values.get(src or column, "NULL"))
    ok = f"coalesce({' AND '.join(ok_parts)}, false)"
    names = ", ".join(["seq"] + [c for c, _t, _s in pgstage.COLUMNS])
    source = f"FROM {RAW} r {' '.join(joins)}"
    cur.execute(f"INSERT INTO {pgstage.STAGE} ({names}) SELECT {', '.join(select)} {source} WHERE {ok}",  # noqa: S608
                [*join_params, *ok_params])
    cells = ", ".join(f"coalesce(r.c{i}, '')" for i in range(width))
    # the rows left out: not staged (an anti-join, not the conditions again)
    cur.execute(f"SELECT r.row_no, ARRAY[{cells}] FROM {RAW} r WHERE NOT EXISTS "  # noqa: S608
                f"(SELECT 1 FROM {pgstage.STAGE} s WHERE s.seq = r.row_no) ORDER BY r.row_no LIMIT %s", [limit + 1])
    rows = cur.fetchall()
    if len(rows) > limit:
        raise NotClean
    return [(row_no, list(cells)) for row_no, cells in rows]
