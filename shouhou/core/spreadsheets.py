"""Spreadsheets and CSV files never carry a live formula from data (CSV/formula injection).

A text cell that starts with = + - @, a tab or a carriage return can be read by Excel, WPS or LibreOffice
as a formula (=HYPERLINK(...), =cmd|...), and host names, live-session titles, reviews and findings come
from outsiders. Every export writes such text as text:
- CSV: the value gets a leading apostrophe (the spreadsheet shows the text; nothing is evaluated);
- .xlsx: the cell is a string cell with the "quote prefix" style (shown as typed, never a formula, also
  not after someone edits the cell).
Plain numbers written as text ("-5", "+3.20") are left alone: they are numbers, not formulas.
References: OWASP "CSV Injection"; ECMA-376 Part 1 §18.8.45 (xf@quotePrefix)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet could take for a formula."""
    return (isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)
            and _PLAIN_NUMBER.fullmatch(value) is None)


def csv_cell(value: Any) -> Any:
    """The value to write in a CSV cell: formula-like text gets a leading apostrophe."""
    return "'" + value if is_formula_like(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


class SafeDictWriter(csv.DictWriter):
    """csv.DictWriter whose rows (not the header, which the program writes) are escaped cell by cell."""

    def writerow(self, rowdict):
        return super().writerow({k: csv_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts):
        for row in rowdicts:
            self.writerow(row)


class SafeWriter:
    """csv.writer with every cell escaped."""

    def __init__(self, fh, **kwargs):
        self._writer = csv.writer(fh, **kwargs)

    def writerow(self, row):
        return self._writer.writerow(csv_row(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def xlsx_neutralise(workbook) -> int:
    """Make every formula-like text cell of an openpyxl workbook plain text; returns how many cells.
    Call it on the finished workbook, so no sheet or cell added later is missed."""
    changed = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if is_formula_like(cell.value):
                    cell.data_type = "s"  # openpyxl stores "=..." as a formula unless told it is a string
                    cell.quotePrefix = True
                    changed += 1
    return changed
