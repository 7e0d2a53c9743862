"""The second reader's labels (data/labels/second_reader.csv) and the agreement figures reported from them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from shouhou.reviews.classifier.agreement import (
    LABELS_DIR,
    Pair,
    agreement,
    by,
    load_pairs,
    report,
    unordered,
)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "reviews.md"


def _pair(first, second, *, id="1", fr="R01", sr="S9"):
    return Pair(id, fr, sr, tuple(first), tuple(second))


def test_kappa_and_disagreements_on_a_worked_example():
    # 4 rows: observed 0.75; chance 0.5·0.25 + 0.5·0.75 = 0.5; kappa (0.75 − 0.5) / (1 − 0.5) = 0.5
    pairs = [_pair(["price"], ["price"]), _pair(["price"], ["dislike", "price"]),
             _pair(["dislike"], ["dislike"]), _pair(["dislike", "other"], ["dislike"])]
    ag = agreement(pairs)
    assert (ag.rows, ag.observed, ag.overlap) == (4, 0.75, 4)
    assert ag.kappa == pytest.approx(0.5)
    assert ag.disagreements == Counter({("price", "dislike"): 1})
    # disjoint type sets do not overlap; one type used by both readers everywhere is full agreement
    assert agreement([_pair(["price"], ["dislike"])]).overlap == 0
    assert agreement([_pair(["none"], ["none"])]).kappa == 1.0
    assert unordered(Counter({("a", "b"): 2, ("b", "a"): 1})) == Counter({("a", "b"): 3})
    groups = by([_pair(["price"], ["price"], fr="R02"), _pair(["price"], ["other"], fr="R01")],
                lambda p: p.first_reader)
    assert list(groups) == ["R01", "R02"] and groups["R02"].observed == 1.0 and groups["R01"].observed == 0.0


def _labels(tmp_path, second_rows):
    (tmp_path / "reviews.csv").write_text(
        "id,cat,sha16,main,others,reader,split\n7,水果,0,quality_defect,,R01,train\n8,水果,0,price,,R02,train\n",
        encoding="utf-8")
    (tmp_path / "second_reader.csv").write_text("id,main,others,reader\n" + second_rows, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("rows, message", [
    ("9,price,,S2\n", "评价 9 不在 reviews.csv 中"),
    ("7,price,,S2\n7,price,,S2\n", "second_reader.csv 第 3 行: 评价 7 重复"),
    ("8,price,quality|dislike,S2\n", "second_reader.csv 第 2 行: 未知的问题类型 'quality'"),
])
def test_bad_second_reader_rows_are_refused_with_their_line(tmp_path, rows, message):
    with pytest.raises(ValueError, match=message):
        load_pairs(_labels(tmp_path, rows))


def test_second_reader_file_is_blind_sample_of_the_first_readers():
    pairs = load_pairs()
    assert Counter(p.second_reader for p in pairs) == {"S1": 420, "S2": 360}
    # S1: 70 from each of the first six batches; S2: 120 from each reader of the later batches
    assert Counter(p.first_reader for p in pairs if p.second_reader == "S1") == {f"R0{i}": 70 for i in range(1, 7)}
    assert Counter(p.first_reader for p in pairs if p.second_reader == "S2") == {"R19": 120, "R20": 120, "R21": 120}


def test_reported_agreement_is_what_the_labels_give():
    pairs = load_pairs()
    s1 = agreement([p for p in pairs if p.second_reader == "S1"])
    s2 = agreement([p for p in pairs if p.second_reader == "S2"])
    # the figure reported since the first 420 rows (docs/reviews.md) is unchanged
    assert (round(s1.observed, 3), round(s1.kappa, 3)) == (0.933, 0.919)
    per_first = by([p for p in pairs if p.second_reader == "S2"], lambda p: p.first_reader)
    docs = DOCS.read_text(encoding="utf-8")
    readme = (LABELS_DIR / "README.md").read_text(encoding="utf-8")
    for ag in (s1, s2, *per_first.values()):
        for text in (docs, readme):
            assert f"{ag.kappa:.3f}" in text and f"{ag.observed:.3f}" in text
    assert s2.kappa < s1.kappa   # the later readers agree less; the docs say so
    assert "second reader S2: 360 rows" in report()


def test_the_second_reading_covers_every_row_of_the_later_readers_once():
    pairs = load_pairs(name="second_reading.csv")
    # every row of R20, R21 and R22 read again blind, by seven readers over shuffled batches
    assert Counter(p.first_reader for p in pairs) == {"R20": 5610, "R21": 5999, "R22": 1156}
    assert {p.second_reader for p in pairs} == {f"S{n}" for n in range(3, 10)}
    assert len({p.id for p in pairs}) == len(pairs) == 12765


def test_the_second_reading_agreement_is_reported_as_the_labels_give_it():
    pairs = load_pairs(name="second_reading.csv")
    docs = DOCS.read_text(encoding="utf-8")
    readme = (LABELS_DIR / "README.md").read_text(encoding="utf-8")
    per_first = by(pairs, lambda p: p.first_reader)
    for ag in (agreement(pairs), *per_first.values()):
        for text in (docs, readme):
            assert f"{ag.kappa:.3f}" in text and f"{ag.observed:.3f}" in text
    # R21's 120-row sample (S2) read 0.808; all its 5,999 rows agree far better: the sample was unlucky
    assert per_first["R21"].observed > 0.9
    assert "second_reading.csv, first reader R21: 5999 rows" in report()


def test_a_bad_row_of_the_second_reading_names_its_file_and_line(tmp_path):
    labels = _labels(tmp_path, "")
    (labels / "second_reading.csv").write_text("id,main,others,reader\n7,pricey,,S3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="second_reading.csv 第 2 行: 未知的问题类型 'pricey'"):
        load_pairs(labels, "second_reading.csv")


def test_the_chat_openings_second_reader_is_a_blind_sample_of_the_new_openings():
    """S10 read 150 of the 449 openings written on 2026-12-06 (50 from each writer's batch of ids) without their
    labels; the agreement reported is what the two files give."""
    pairs = load_pairs(name="second_reader_chats.csv")
    batches = Counter("A" if p.id <= "chat-0710" else "B" if p.id <= "chat-0860" else "C" for p in pairs)
    assert batches == {"A": 50, "B": 50, "C": 50}
    assert all(p.id >= "chat-0561" and p.first_reader == "written" and p.second_reader == "S10" for p in pairs)
    ag = agreement(pairs)
    docs = DOCS.read_text(encoding="utf-8")
    readme = (LABELS_DIR / "README.md").read_text(encoding="utf-8")
    for text in (docs, readme):
        assert f"{ag.observed:.3f}" in text and f"kappa {ag.kappa:.3f}" in text
    assert "second reader S10: 150 rows" in report()


def test_a_chat_second_reading_of_an_unknown_opening_is_refused(tmp_path):
    (tmp_path / "chat_openings.csv").write_text(
        "id,channel,category,text,main,others,split,source\nchat-0001,webchat,服装,在吗,none,,train,written\n",
        encoding="utf-8")
    (tmp_path / "second_reader_chats.csv").write_text("id,main,others,reader\nchat-0002,none,,S10\n", encoding="utf-8")
    with pytest.raises(ValueError, match="second_reader_chats.csv 第 2 行: 评价 chat-0002 不在 chat_openings.csv 中"):
        load_pairs(tmp_path, "second_reader_chats.csv")
