"""Streaming readers for order exports: .csv (utf-8, utf-8 with BOM, GB18030/GBK) and .xlsx.

Each reader yields the header row first, then data rows as lists; nothing holds the whole file. The first
KiB is checked against the extension first (uploads are judged by content, not by name).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

from shouhou.commerce.importers import messages as M
from shouhou.commerce.importers.messages import Reason
from shouhou.core.uploads import OLE_MAGIC, ZIP_MAGIC

SNIFF_BYTES = 256 * 1024
HEAD_BYTES = 1024
CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})


class FileFormatError(ValueError):
    """Raised with a messages.Reason (the Chinese text, with its code and parameters: shown in the reader's
    language)."""


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
        raise FileFormatError(Reason(M.FILE_UNKNOWN_ENCODING))


def iter_csv(path: Path) -> Iterator[list]:
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.read(8192)
        fh.seek(0)
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        try:
            yield from csv.reader(fh, delimiter=delimiter)
        except UnicodeDecodeError as exc:
            raise FileFormatError(Reason(M.FILE_MIXED_ENCODING, encoding=encoding, detail=exc.reason))
        except csv.Error as exc:
            raise FileFormatError(Reason(M.FILE_BAD_CSV, detail=str(exc)))


# An .xlsx is a zip: what it unpacks to is what openpyxl holds (its shared strings wholly in memory). A real
# 100,000-row export unpacks to well under this; a 1.5 MB "zip bomb" unpacked to 1.5 GB and 1.6 GB of memory.
MAX_XLSX_UNPACKED = 400 * 1024 * 1024


def _check_unpacked_size(path: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # openpyxl says what is wrong with it
    if unpacked > MAX_XLSX_UNPACKED:
        raise FileFormatError(Reason(M.FILE_XLSX_TOO_LARGE, size=unpacked // (1024 * 1024),
                                     limit=MAX_XLSX_UNPACKED // (1024 * 1024)))


def iter_xlsx(path: Path) -> Iterator[list]:
    from openpyxl import load_workbook

    _check_unpacked_size(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken zip
        raise FileFormatError(Reason(M.FILE_XLSX_BROKEN, detail=exc.__class__.__name__))
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _head(path: Path) -> bytes:
    """The first bytes only: the check must not read a large export twice."""
    with open(path, "rb") as fh:
        return fh.read(HEAD_BYTES)


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return True
        except UnicodeDecodeError:
            continue
    return False


def check_content(path: Path, suffix: str, name: str) -> None:
    """Refuse a file whose bytes do not match its extension (a renamed .xlsx, a binary called .csv), naming
    the file and saying what to do, before a reader trips over it with a confusing error."""
    head = _head(path)
    if suffix in XLSX_SUFFIXES and not head.startswith(ZIP_MAGIC):
        if head.startswith(OLE_MAGIC):
            code = M.FILE_XLSX_IS_XLS
        elif head and _looks_like_text(head):
            code = M.FILE_XLSX_IS_TEXT
        else:
            code = M.FILE_XLSX_IS_OTHER
        raise FileFormatError(Reason(code, name=name))
    if suffix in CSV_SUFFIXES:
        if head.startswith(ZIP_MAGIC):
            raise FileFormatError(Reason(M.FILE_CSV_IS_ZIP, name=name))
        # UTF-16 text has NULs too; leave it to detect_encoding, which asks for UTF-8 or GBK.
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FileFormatError(Reason(M.FILE_CSV_IS_BINARY, name=name))


def iter_rows(path: Path, *, name: str | None = None) -> Iterator[list]:
    """Rows of the export at `path`; `name` is the file's name as the user knows it (for messages)."""
    suffix = Path(path).suffix.lower()
    if suffix in CSV_SUFFIXES | XLSX_SUFFIXES:
        check_content(Path(path), suffix, name or Path(path).name)
    if suffix in CSV_SUFFIXES:
        return iter_csv(Path(path))
    if suffix in XLSX_SUFFIXES:
        return iter_xlsx(Path(path))
    if suffix == ".xls":
        raise FileFormatError(Reason(M.FILE_OLD_XLS))
    raise FileFormatError(Reason(M.FILE_UNSUPPORTED, suffix=suffix) if suffix else Reason(M.FILE_NO_SUFFIX))


def is_blank(row: list) -> bool:
    try:
        return not "".join(row).strip()  # CSV rows: all text, one C call
    except TypeError:
        return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)
