"""CSV in → CSV out classification (the `shouhou reviews classify` command), streamed in batches.

Reading is careful, because a misread file gives confident wrong labels and nobody notices:
- the encoding comes from a byte-order mark (UTF-8, UTF-16, UTF-32), else from the whole file: strict
  UTF-8 end to end, else GB18030 (GBK) or Big5, told apart by charset-normalizer on the file's non-ASCII
  lines wherever they are (not only in the first megabyte); when that is not clear the command refuses
  and asks for `--encoding` or a UTF-8 copy. Nothing undecodable is silently replaced.
- the output is written to a temporary file next to it and moved into place at the end: `--out` equal to
  `--in` is refused (it used to truncate the input while reading it), and a failure leaves no half file.
Texts are classified whole (classify_whole): line breaks are dropped (they never change a label), and a
long review is also read sentence by sentence so a complaint at its end (or middle) is not cut off."""

from __future__ import annotations

import codecs
import csv
import os
import sys
import tempfile
from pathlib import Path

from shouhou.core.spreadsheets import SafeDictWriter
from shouhou.reviews.classifier.rules import Aspect
from shouhou.reviews.classifier.taxonomy import SEPARATOR, ComplaintType, split_types
from shouhou.reviews.classifier.whole import classify_whole

# `mixed`: 1 when a text read positive holds a clear complaint, whose type is then named (whole.py)
OUT_COLUMNS = ["sentiment", "sentiment_score", "complaint_type", "aspect", "complaint_others", "mixed"]
# The same in words, for the person who opens the file in Excel (「质量问题」, not `quality_defect`): in the active
# language, Chinese by default (as the API's complaint_type_label / complaint_others_labels).
LABEL_COLUMNS = ["complaint_type_label", "complaint_others_labels", "aspect_label"]
BATCH = 5000
CHUNK = 1 << 20
SAMPLE_BYTES = 256 * 1024  # non-ASCII lines given to the detector, gathered from the whole file
LEGACY = ("gb18030", "big5")
_BOMS = [(codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16LE",
          "utf-16-be": "UTF-16BE", "utf-32": "UTF-32", "gb18030": "GBK/GB18030", "big5": "Big5"}


class CsvColumnError(ValueError):
    pass


# Headers a review's text goes by in other tools' exports and data sets, tried in this order when no --column is given
# and the file has no `review` column (compared without surrounding spaces, case-insensitively).
TEXT_COLUMNS = ("review", "text", "content", "comment", "review_text", "body", "评价", "评价内容", "评论", "评论内容",
                "内容", "文本")


def text_column(fields: list[str], wanted: str | None, where: object) -> str:
    """The column holding the texts: `wanted` when given (it must be there), else `review`, else the one header of
    TEXT_COLUMNS the file has. Raises CsvColumnError naming the headers when there is none or more than one."""
    found = "、".join(fields) if fields else "（空文件，没有表头）"
    if wanted is not None:
        if wanted not in fields:
            raise CsvColumnError(f"{where}: 缺少列 “{wanted}”；表头中的列为: {found}")
        return wanted
    known = {name: n for n, name in enumerate(TEXT_COLUMNS)}
    candidates = sorted((f for f in fields if f.strip().lower() in known), key=lambda f: known[f.strip().lower()])
    if "review" in fields:
        return "review"
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise CsvColumnError(f"{where}: 缺少列 “review”（也没有 text、content、评价、评论、内容 等评价文本列；可用 --column "
                             f"指定）；表头中的列为: {found}")
    raise CsvColumnError(f"{where}: 表头中有多个可能的评价文本列：{'、'.join(candidates)}；请用 --column 指定一列")


class CsvEncodingError(ValueError):
    """The file's encoding cannot be told for sure; the message says what to do."""


def _decodes(src: Path, encoding: str) -> tuple[bool, int]:
    """(whether the whole file decodes strictly, the 1-based line of the first error)."""
    skip = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0  # so error offsets count from the data
    decoder = codecs.getincrementaldecoder("utf-8" if skip else encoding)()
    line = 1
    with src.open("rb") as fh:
        fh.seek(skip)
        while chunk := fh.read(CHUNK):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return False, line + chunk[:exc.start].decode(encoding, errors="ignore").count("\n")
            line += text.count("\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False, line
    return True, 0


def _non_ascii_sample(src: Path) -> bytes:
    """Lines holding non-ASCII bytes, from anywhere in the file, up to SAMPLE_BYTES."""
    out = bytearray()
    with src.open("rb") as fh:
        for raw in fh:
            if not raw.isascii():
                out += raw
                if len(out) >= SAMPLE_BYTES:
                    break
    return bytes(out)


def _utf16_without_bom(head: bytes) -> str | None:
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > len(head) // 8 and odd > 4 * even:
        return "utf-16-le"
    if even > len(head) // 8 and even > 4 * odd:
        return "utf-16-be"
    return None


def sniff_encoding(src: Path) -> str:
    """The file's encoding, or CsvEncodingError saying why it cannot be told and what to do."""
    with src.open("rb") as fh:
        head = fh.read(4096)
    for bom, name in _BOMS:
        if head.startswith(bom):
            ok, line = _decodes(src, name)
            if not ok:
                raise CsvEncodingError(f"{src}: 文件以 {_NAMES[name]} 字节序标记开头，但第 {line} 行不是有效的 "
                                       f"{_NAMES[name]} 文本")
            return name
    if b"\x00" in head:
        guess = _utf16_without_bom(head)
        if guess and _decodes(src, guess)[0]:
            return guess
        raise CsvEncodingError(f"{src}: 文件含有空字节，不是可识别的文本 CSV（如为 UTF-16，请带字节序标记保存，"
                               "或另存为 UTF-8）")
    utf8, utf8_line = _decodes(src, "utf-8")
    if utf8:
        return "utf-8"
    candidates = [enc for enc in LEGACY if _decodes(src, enc)[0]]
    chosen = _legacy_choice(_non_ascii_sample(src), candidates)
    if chosen is None:
        tried = "、".join(_NAMES[c] for c in candidates) or "GBK、Big5 也都不能完整解码"
        raise CsvEncodingError(
            f"{src}: 无法确定文件编码（第 {utf8_line} 行不是有效的 UTF-8；可能的编码：{tried}）。"
            "请用 --encoding 指定（如 --encoding gb18030 或 --encoding big5），或在 Excel/WPS 中另存为"
            "「CSV UTF-8」后重试")
    return chosen


def _legacy_choice(sample: bytes, candidates: list[str]) -> str | None:
    """GB18030 or Big5, when charset-normalizer finds exactly one of them readable, or one clearly
    better; None when unsure (most Big5 byte pairs are also valid GBK, so decoding alone cannot tell)."""
    if not candidates:
        return None
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(sample, cp_isolation=candidates) if m.encoding in candidates]
    if not matches:
        return None
    matches.sort(key=lambda m: (m.chaos, -m.coherence))
    best = matches[0]
    if len(matches) > 1 and matches[1].chaos - best.chaos < 0.1 and matches[1].encoding != best.encoding:
        return None
    return best.encoding


def _same_file(src: Path, dst: Path) -> bool:
    if dst.exists():
        return os.path.samefile(src, dst)
    return src.resolve() == dst.resolve()


def classify_csv(*, src: Path, dst: Path, column: str | None = None, encoding: str | None = None,
                 on_column=None) -> int:
    """Classify every row of `src` into `dst`; returns the row count. The texts are in `column`, else in the column
    text_column() finds (`on_column(name)` is told which one when it is not `review`).
    The output is UTF-8 whatever the input encoding. Refuses (CsvEncodingError) a file it cannot read for
    sure, and `dst` naming the same file as `src` (ValueError)."""
    if _same_file(src, dst):
        raise ValueError(f"--out 与 --in 是同一个文件（{dst}）：输出会覆盖正在读取的输入。请换一个输出文件名")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise CsvEncodingError(f"--encoding：未知的编码 {encoding!r}（可用如 utf-8、gb18030、big5、utf-16）") \
                from None
        ok, line = _decodes(src, encoding)
        if not ok:
            raise CsvEncodingError(f"{src}: 第 {line} 行不是有效的 {encoding} 文本")
    else:
        encoding = sniff_encoding(src)
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with src.open(encoding=encoding, newline="") as fin:
        reader = csv.DictReader(fin)
        fields = list(reader.fieldnames or [])
        if fields and fields[0].startswith("\ufeff"):
            fields[0] = fields[0].lstrip("\ufeff")
            reader.fieldnames = fields
        picked = text_column(fields, column, src)
        if column is None and picked != "review" and on_column is not None:
            on_column(picked)
        column = picked
        repeated = sorted({f for f in fields if f and fields.count(f) > 1})
        if repeated:  # a row is read by name: the later column's cell would silently replace the earlier one's
            raise CsvColumnError(f"{src}: 表头中的列名重复: {'、'.join(repeated)}（每列需要不同的名字，否则后一列的内容"
                                 "会覆盖前一列）")
        out_fields = fields + [c for c in OUT_COLUMNS + LABEL_COLUMNS if c not in fields]
        count = 0
        handle, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent or Path("."))
        tmp = Path(tmp_name)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as fout:
                # reviews are written by outsiders: a text cell never becomes a live formula (core.spreadsheets)
                writer = SafeDictWriter(fout, fieldnames=out_fields, extrasaction="ignore")
                writer.writeheader()
                batch: list[dict] = []
                for rec in reader:
                    batch.append(rec)
                    if len(batch) >= BATCH:
                        count += _flush(batch, writer, column)
                        batch = []
                count += _flush(batch, writer, column)
            os.replace(tmp, dst)  # all or nothing: the output appears only when every row is written
        finally:
            tmp.unlink(missing_ok=True)
    return count


def _flush(batch: list[dict], writer: SafeDictWriter, column: str) -> int:
    if not batch:
        return 0
    preds = classify_whole([rec.get(column) or "" for rec in batch])
    for rec, p in zip(batch, preds, strict=True):
        rec.pop(None, None)  # overflow cells of ragged rows
        rec.update(sentiment=p.sentiment, sentiment_score=f"{p.sentiment_score:.4f}",
                   complaint_type=p.complaint_type, aspect=p.aspect, complaint_others=p.complaint_others,
                   mixed=int(p.mixed),
                   complaint_type_label=_label(ComplaintType, p.complaint_type),
                   complaint_others_labels=SEPARATOR.join(_label(ComplaintType, c) for c in split_types(p.complaint_others)),
                   aspect_label=_label(Aspect, p.aspect))
        writer.writerow(rec)
    return len(batch)


def _label(choices, code: str) -> str:
    return str(choices(code).label) if code in choices.values else ""
