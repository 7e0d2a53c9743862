"""The one helper that keeps formulas out of exports (core/spreadsheets.py)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from shouhou.core.spreadsheets import SafeDictWriter, SafeWriter, csv_cell, is_formula_like, xlsx_neutralise

ATTACKS = ["=HYPERLINK(\"http://x.example\",\"点我\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1", "=1+1"]


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_like_text_is_escaped_in_csv(text):
    assert is_formula_like(text)
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-5", "+3.20", "1e5", "小鹿直播", "", "a=b", " =x", 42, None, -3.5])
def test_numbers_and_ordinary_text_are_left_alone(value):
    assert csv_cell(value) == value


def test_the_csv_writers_escape_every_data_cell():
    buf = io.StringIO()
    w = SafeDictWriter(buf, fieldnames=["host", "n"])
    w.writeheader()
    w.writerow({"host": "=1+1", "n": "-7"})
    SafeWriter(buf).writerow(["@x", "ok"])
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows == [["host", "n"], ["'=1+1", "-7"], ["'@x", "ok"]]


def test_xlsx_cells_become_text_with_a_quote_prefix():
    wb = Workbook()
    wb.active.append([*ATTACKS, "普通文本", 5])
    assert xlsx_neutralise(wb) == len(ATTACKS)
    buf = io.BytesIO()
    wb.save(buf)
    raw = buf.getvalue()
    loaded = load_workbook(io.BytesIO(raw))
    cells = list(loaded.active.iter_rows())[0]
    for cell, text in zip(cells, ATTACKS, strict=False):
        # (XML stores a carriage return as a line feed; the cell is still text)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text.replace("\r", "\n"), "s", True)
    assert cells[-2].value == "普通文本" and cells[-2].quotePrefix is False and cells[-1].value == 5
    import zipfile

    sheet_xml = zipfile.ZipFile(io.BytesIO(raw)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula element anywhere in the sheet
