"""`shouhou reviews classify | evaluate | train` from the command line."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

POS = ["质量很好，很满意", "物流很快，包装完好", "颜色好看，穿着舒服", "味道不错，很新鲜", "屏幕清晰，电池耐用"]
NEG = ["质量太差了，开线了", "物流太慢了，等了十天", "发错货了，少发一件", "客服态度很差", "尺码偏小穿不上",
       "和图片完全不一样", "降价了不给补差价", "苹果烂了好几个"]


def _run(*args) -> str:
    out = io.StringIO()
    call_command("reviews", *args, stdout=out)
    return out.getvalue()


def _write(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def test_classify_csv_in_and_out(tmp_path):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    rows = [["1", "质量太差了，穿一次就起球"], ["2", ""], ["3", "👍👍👍"], ["4", "這件衣服很好看，顏色很正"],
            ["5", "差" * 50_000], ["6", "物流太慢了，等了一周才到"]]
    _write(src, ["id", "review"], rows)
    msg = _run("classify", "--in", str(src), "--out", str(dst))
    assert "已分类 6 条评价" in msg
    with dst.open(encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert list(got[0].keys()) == ["id", "review", "sentiment", "sentiment_score", "complaint_type", "aspect"]
    assert [r["id"] for r in got] == ["1", "2", "3", "4", "5", "6"]
    assert [r["sentiment"] for r in got] == ["0", "1", "1", "1", "0", "0"]
    assert got[0]["complaint_type"] == "quality_defect" and got[0]["aspect"] == "fabric"
    assert got[1]["sentiment_score"] == "0.5000" and got[1]["complaint_type"] == "none"
    assert got[5]["complaint_type"] == "logistics"
    assert all(0.0 <= float(r["sentiment_score"]) <= 1.0 for r in got)


def test_classify_reads_a_gbk_export_and_a_bom(tmp_path):
    """Excel on Chinese Windows saves CSV as GBK; other tools add a UTF-8 BOM."""
    gbk, bom = tmp_path / "gbk.csv", tmp_path / "bom.csv"
    gbk.write_bytes("review,id\n質量太差了，衣服起球,1\n,2\n物流太慢了等了一周,3\n".encode("gb18030"))
    bom.write_bytes("\ufeffreview\n很好很满意\n".encode())
    _run("classify", "--in", str(gbk), "--out", str(tmp_path / "gbk.out.csv"))
    _run("classify", "--in", str(bom), "--out", str(tmp_path / "bom.out.csv"))
    with (tmp_path / "gbk.out.csv").open(encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert [(r["id"], r["sentiment"], r["complaint_type"]) for r in got] == [
        ("1", "0", "quality_defect"), ("2", "1", "none"), ("3", "0", "logistics")]
    assert got[0]["review"] == "質量太差了，衣服起球"
    with (tmp_path / "bom.out.csv").open(encoding="utf-8") as fh:
        assert next(csv.DictReader(fh))["sentiment"] == "1"


def test_classify_missing_column_is_a_clear_error(tmp_path):
    src = tmp_path / "in.csv"
    _write(src, ["id", "text"], [["1", "好"]])
    with pytest.raises(CommandError, match="缺少列 “review”；表头中的列为: id、text"):
        _run("classify", "--in", str(src), "--out", str(tmp_path / "out.csv"))
    with pytest.raises(CommandError, match="输入文件不存在"):
        _run("classify", "--in", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv"))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CommandError, match="空文件"):
        _run("classify", "--in", str(empty), "--out", str(tmp_path / "o.csv"))


def test_classify_other_column(tmp_path):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write(src, ["评论"], [["太差了"]])
    _run("classify", "--in", str(src), "--out", str(dst), "--column", "评论")
    assert "sentiment" in dst.read_text(encoding="utf-8")


@pytest.fixture
def small_dataset(tmp_path, settings):
    path = tmp_path / "reviews.csv"
    rows = []
    for i in range(200):
        label = i % 2
        text = (POS if label else NEG)[i % (5 if label else 8)] + f"（第{i}单）"
        rows.append(["衣服", str(label), text])
    _write(path, ["cat", "label", "review"], rows)
    settings.SHOUHOU = {**settings.SHOUHOU, "REVIEWS_CSV": str(path)}
    return path


def test_evaluate_on_a_small_sample_with_the_shipped_model(small_dataset):
    out = _run("evaluate", "--limit", "20", "--snownlp-limit", "5")
    assert "留出集 20 条评价" in out
    assert "accuracy =" in out and "macro-F1 =" in out and "混淆矩阵" in out
    assert "SnowNLP 对比（同样的 5 条）" in out and "条/CPU秒" in out


def test_train_writes_a_model_that_evaluate_can_load(small_dataset, tmp_path):
    model = tmp_path / "m" / "model.joblib"
    out = _run("train", "--out", str(model))
    assert "训练 180 行，留出 20 行" in out and model.exists()
    labels = (tmp_path / "m" / "complaint_labels.csv").read_text(encoding="utf-8").splitlines()
    assert labels[0] == "row_index,text_sha256_16,cat,complaint_type"
    assert len(labels) == 1 + 100  # one line per negative review, no review text
    assert "质量" not in "".join(labels)
    ev = _run("evaluate", "--model", str(model), "--no-snownlp")
    assert "留出集 20 条评价" in ev and "SnowNLP" not in ev


def test_missing_dataset_is_a_clear_error(settings, tmp_path):
    settings.SHOUHOU = {**settings.SHOUHOU, "REVIEWS_CSV": str(tmp_path / "missing.csv")}
    with pytest.raises(CommandError, match="找不到评价数据"):
        _run("evaluate")


def test_training_is_reproducible(small_dataset, tmp_path):
    import numpy as np

    from shouhou.reviews.classifier.model import ReviewModel

    a, b = tmp_path / "a" / "m.joblib", tmp_path / "b" / "m.joblib"
    _run("train", "--out", str(a))
    _run("train", "--out", str(b))
    ma, mb = ReviewModel.load(a), ReviewModel.load(b)
    assert np.array_equal(ma.sent_coef, mb.sent_coef)
    assert np.array_equal(ma.comp_coef, mb.comp_coef)
    assert (a.parent / "complaint_labels.csv").read_bytes() == (b.parent / "complaint_labels.csv").read_bytes()


def test_classify_output_never_carries_a_live_formula(tmp_path):
    """Reviews come from outsiders: a review (or any other column) starting with = + - @ is written as
    text, so opening the output in Excel or WPS runs nothing (issue 15)."""
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    attacks = ['=HYPERLINK("http://evil.example","退款")', "+1+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"]
    _write(src, ["id", "review"], [[a, a] for a in attacks] + [["-5", "质量很好"]])
    _run("classify", "--in", str(src), "--out", str(dst))
    with dst.open(encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert [r["review"] for r in got[:4]] == ["'" + a for a in attacks]
    assert [r["id"] for r in got[:4]] == ["'" + a for a in attacks]
    assert got[4]["id"] == "-5" and got[4]["review"] == "质量很好"  # numbers and plain text unchanged
