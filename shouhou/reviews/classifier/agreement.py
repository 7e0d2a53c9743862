"""Agreement between the first readers (data/labels/reviews.csv) and the blind second readers on the main
complaint type: observed agreement, Cohen's kappa, per second reader and per first reader, the most frequent
disagreement pairs, and how often the two readers' type sets overlap. Two files of second labels:
data/labels/second_reader.csv (S1, S2: samples of 420 and 360 rows) and data/labels/second_reading.csv (S3–S9:
every row of the later readers R20, R21 and R22, 12,765 rows, read again blind); and one for the chat openings,
data/labels/second_reader_chats.csv (S10: 150 of the 449 openings written on 2026-12-06, 50 from each writer's
batch, read blind; their first reader is the writer, `written`).

Run `python -m shouhou.reviews.classifier.agreement` for the figures reported in
data/labels/README.md and docs/reviews.md.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

from .taxonomy import ComplaintType, split_types

LABELS_DIR = Path(__file__).resolve().parent.parent / "data" / "labels"


@dataclass(frozen=True)
class Pair:
    id: str
    first_reader: str
    second_reader: str
    first: tuple[str, ...]   # main type first, then the others
    second: tuple[str, ...]


@dataclass
class Agreement:
    rows: int
    observed: float
    kappa: float
    overlap: int   # rows where one reader's main type is among the other reader's types
    disagreements: Counter = field(default_factory=Counter)   # (first main, second main) -> rows


def _types(main: str, others: str, where: str) -> tuple[str, ...]:
    codes = (main, *split_types(others))
    for code in codes:
        if code not in ComplaintType.values:
            raise ValueError(f"{where}: 未知的问题类型 {code!r}")
    return codes


SECOND_FILES = ("second_reader.csv", "second_reading.csv", "second_reader_chats.csv")
CHATS_SECOND = "second_reader_chats.csv"


def load_pairs(labels_dir: Path = LABELS_DIR, name: str = "second_reader.csv") -> list[Pair]:
    """Every row of a second readers' file joined with its first reader's label (by review id, or by chat
    opening id for the chat openings' file)."""
    first: dict[str, tuple[str, tuple[str, ...]]] = {}
    source = "chat_openings.csv" if name == CHATS_SECOND else "reviews.csv"
    with (labels_dir / source).open(encoding="utf-8", newline="") as fh:
        for n, rec in enumerate(csv.DictReader(fh), start=2):
            reader = rec.get("reader") or rec.get("source") or ""
            first[rec["id"]] = (reader, _types(rec["main"], rec["others"], f"{source} 第 {n} 行"))
    pairs: list[Pair] = []
    seen: set[str] = set()
    with (labels_dir / name).open(encoding="utf-8", newline="") as fh:
        for n, rec in enumerate(csv.DictReader(fh), start=2):
            where = f"{name} 第 {n} 行"
            if rec["id"] not in first:
                raise ValueError(f"{where}: 评价 {rec['id']} 不在 {source} 中")
            if rec["id"] in seen:
                raise ValueError(f"{where}: 评价 {rec['id']} 重复")
            seen.add(rec["id"])
            reader, types = first[rec["id"]]
            pairs.append(Pair(rec["id"], reader, rec["reader"], types,
                              _types(rec["main"], rec["others"], where)))
    return pairs


def agreement(pairs: list[Pair]) -> Agreement:
    if not pairs:
        raise ValueError("no rows to compare")
    a = [p.first[0] for p in pairs]
    b = [p.second[0] for p in pairs]
    same = sum(x == y for x, y in zip(a, b, strict=True))
    # kappa is undefined (nan) when both readers used one single type; that is full agreement
    kappa = float(cohen_kappa_score(a, b)) if len(set(a) | set(b)) > 1 else 1.0
    overlap = sum(p.first[0] in p.second or p.second[0] in p.first for p in pairs)
    return Agreement(len(pairs), same / len(pairs), kappa, overlap,
                     Counter((x, y) for x, y in zip(a, b, strict=True) if x != y))


def by(pairs: list[Pair], key) -> dict[str, Agreement]:
    groups: dict[str, list[Pair]] = {}
    for p in pairs:
        groups.setdefault(key(p), []).append(p)
    return {k: agreement(v) for k, v in sorted(groups.items())}


def unordered(disagreements: Counter) -> Counter:
    """Disagreement pairs regardless of which reader said which."""
    out: Counter = Counter()
    for (x, y), n in disagreements.items():
        out[tuple(sorted((x, y)))] += n
    return out


def report(labels_dir: Path = LABELS_DIR, *, top: int = 8) -> str:
    def line(name: str, ag: Agreement) -> str:
        return (f"{name}: {ag.rows} rows, main type agreement {ag.observed:.3f}, Cohen's kappa {ag.kappa:.3f}, "
                f"type sets overlap {ag.overlap}/{ag.rows}")

    out: list[str] = []
    for name in SECOND_FILES:
        pairs = load_pairs(labels_dir, name)
        out.append(line(f"{name}, all", agreement(pairs)))
        for second, ag in by(pairs, lambda p: p.second_reader).items():
            out.append(line(f"second reader {second}", ag))
            for first, fag in by([p for p in pairs if p.second_reader == second], lambda p: p.first_reader).items():
                if second == "S2":   # S1 read 70 rows from each of six first readers, too few to split; S3–S9 below
                    out.append("  " + line(f"first reader {first}", fag))
            pairs_s = unordered(ag.disagreements).most_common(top)
            out.append("  most frequent disagreements: " + ", ".join(f"{x} / {y} {n}" for (x, y), n in pairs_s))
        if name == "second_reading.csv":   # the batches were shuffled across readers: split by first reader
            for first, fag in by(pairs, lambda p: p.first_reader).items():
                out.append(line(f"{name}, first reader {first}", fag))
            pairs_s = unordered(agreement(pairs).disagreements).most_common(top)
            out.append("  most frequent disagreements: " + ", ".join(f"{x} / {y} {n}" for (x, y), n in pairs_s))
    return "\n".join(out)


if __name__ == "__main__":   # pragma: no cover
    print(report())
