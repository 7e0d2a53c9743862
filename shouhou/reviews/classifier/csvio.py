"""CSV in → CSV out classification (the `shouhou reviews classify` command), streamed in batches."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from shouhou.reviews.classifier.model import classify_texts

OUT_COLUMNS = ["sentiment", "sentiment_score", "complaint_type", "aspect", "complaint_others"]
BATCH = 5000


class CsvColumnError(ValueError):
    pass


def sniff_encoding(src: Path, probe: int = 1 << 20) -> str:
    """UTF-8 (with or without BOM) when the first megabyte decodes as UTF-8, else GB18030 (a superset of
    GBK/GB2312: what Excel and the shop platforms export on Chinese Windows)."""
    import codecs

    with src.open("rb") as fh:
        head = fh.read(probe)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < probe)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def classify_csv(*, src: Path, dst: Path, column: str = "review") -> int:
    """Classify every row of `src` (a CSV with a `column` column) into `dst`; returns the row count.
    The output is UTF-8 whatever the input encoding; a stray undecodable byte becomes U+FFFD."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with src.open(encoding=sniff_encoding(src), errors="replace", newline="") as fin:
        reader = csv.DictReader(fin)
        fields = list(reader.fieldnames or [])
        if column not in fields:
            found = "、".join(fields) if fields else "（空文件，没有表头）"
            raise CsvColumnError(f"{src}: 缺少列 “{column}”；表头中的列为: {found}")
        out_fields = fields + [c for c in OUT_COLUMNS if c not in fields]
        count = 0
        with dst.open("w", encoding="utf-8", newline="") as fout:
            writer = csv.DictWriter(fout, fieldnames=out_fields, extrasaction="ignore")
            writer.writeheader()
            batch: list[dict] = []
            for rec in reader:
                batch.append(rec)
                if len(batch) >= BATCH:
                    count += _flush(batch, writer, column)
                    batch = []
            count += _flush(batch, writer, column)
    return count


def _flush(batch: list[dict], writer: csv.DictWriter, column: str) -> int:
    if not batch:
        return 0
    preds = classify_texts([rec.get(column) or "" for rec in batch])
    for rec, p in zip(batch, preds, strict=True):
        rec.pop(None, None)  # overflow cells of ragged rows
        rec.update(sentiment=p.sentiment, sentiment_score=f"{p.sentiment_score:.4f}",
                   complaint_type=p.complaint_type, aspect=p.aspect, complaint_others=p.complaint_others)
        writer.writerow(rec)
    return len(batch)
