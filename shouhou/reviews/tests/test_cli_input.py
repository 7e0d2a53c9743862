"""`shouhou reviews classify` on bad input (issue 15): the same file in and out, long texts, line breaks,
Big5, UTF-16 and late GBK files. Each case failed before: the input was truncated (2,000 rows in, 72 out,
exit 0), texts were cut at 500 characters, a line break flipped labels, Big5/UTF-16 were read as garbage,
and GBK after a first megabyte of ASCII became U+FFFD."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from django.core.management import CommandError, call_command

POSITIVE = ["这件衣服真的很好看，面料舒服，颜色也正，穿着很显瘦，朋友都说好看。", "物流很快，第二天就到了，包装也很用心。",
            "价格实惠，性价比很高，会回购的。", "老公穿着也合身，颜色跟图片一样。"]
COMPLAINT = "但是洗了一次就严重掉色开线，质量太差了，要求退货。"
TRADITIONAL = "這件衣服質量太差了，洗一次就褪色，客服態度也不好"


def _run(*args) -> str:
    out = io.StringIO()
    call_command("reviews", "classify", *args, stdout=out)
    return out.getvalue()


def _write(path, rows, header=("id", "review"), encoding="utf-8"):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _read(path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_same_file_in_and_out_is_refused_and_the_input_kept(tmp_path):
    src = _write(tmp_path / "x.csv", [[str(i), "质量很好"] for i in range(2000)])
    before = src.read_bytes()
    for out in (src, tmp_path / "." / "x.csv"):
        with pytest.raises(CommandError, match="--out 与 --in 是同一个文件"):
            _run("--in", str(src), "--out", str(out))
    link = tmp_path / "link.csv"
    link.symlink_to(src)
    with pytest.raises(CommandError, match="同一个文件"):
        _run("--in", str(src), "--out", str(link))
    assert src.read_bytes() == before


def test_every_row_in_is_a_row_out(tmp_path):
    src = _write(tmp_path / "in.csv", [[str(i), f"第{i}条：质量很好\n物流也快"] for i in range(2000)])
    dst = tmp_path / "out.csv"
    assert "已分类 2000 条评价" in _run("--in", str(src), "--out", str(dst))
    got = _read(dst)
    assert [r["id"] for r in got] == [str(i) for i in range(2000)]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary file left


def test_a_complaint_at_the_end_or_in_the_middle_of_a_long_review_is_read(tmp_path):
    filler = "".join(POSITIVE) * 40  # 4,000+ characters of praise
    src = _write(tmp_path / "in.csv", [["praise", filler], ["end", filler + COMPLAINT],
                                       ["middle", filler[:2500] + COMPLAINT + filler[:2500]]])
    dst = tmp_path / "out.csv"
    _run("--in", str(src), "--out", str(dst))
    got = {r["id"]: r for r in _read(dst)}
    assert got["praise"]["sentiment"] == "1"
    for where in ("end", "middle"):
        assert got[where]["sentiment"] == "0", where
        assert got[where]["complaint_type"] not in ("", "none"), where
        assert got[where]["review"].endswith(COMPLAINT) or COMPLAINT in got[where]["review"]  # text kept whole


@pytest.mark.parametrize("breaker", ["\n", "\r\n", "\r", "\n\n"])
def test_a_line_break_inside_a_review_changes_nothing(tmp_path, breaker):
    texts = ["还行吧一般般", "宝贝收到不喜欢", "衣服收到了有线头", "颜色好看尺码偏小", "质量很好就是物流太慢了"]
    rows = []
    for i, text in enumerate(texts):
        cut = len(text) // 2
        rows += [[f"{i}-one", text], [f"{i}-two", text[:cut] + breaker + text[cut:]]]
    src = _write(tmp_path / "in.csv", rows)
    dst = tmp_path / "out.csv"
    _run("--in", str(src), "--out", str(dst))
    got = {r["id"]: r for r in _read(dst)}
    for i in range(len(texts)):
        one, two = got[f"{i}-one"], got[f"{i}-two"]
        assert (one["sentiment"], one["sentiment_score"], one["complaint_type"]) == \
               (two["sentiment"], two["sentiment_score"], two["complaint_type"]), texts[i]


@pytest.mark.parametrize("encoding", ["big5", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "gb18030", "utf-8-sig"])
def test_each_encoding_is_read_as_written(tmp_path, encoding):
    rows = [["1", TRADITIONAL], ["2", "質量很好，很滿意"], ["3", "物流太慢了"]]
    if encoding == "big5":
        rows[2] = ["3", "物流太慢了等了一週"]
    src = _write(tmp_path / "in.csv", rows, encoding=encoding)
    dst = tmp_path / "out.csv"
    _run("--in", str(src), "--out", str(dst))
    got = _read(dst)
    assert [r["review"] for r in got] == [r[1] for r in rows]
    assert got[0]["sentiment"] == "0"


def test_gbk_after_a_megabyte_of_ascii_is_found(tmp_path):
    ascii_rows = [[str(i), "good quality, fast delivery " * 3] for i in range(15_000)]  # > 1 MB of ASCII
    src = _write(tmp_path / "in.csv", [*ascii_rows, ["late", "质量太差了，衣服起球"]], encoding="gb18030")
    assert src.stat().st_size > 1 << 20
    dst = tmp_path / "out.csv"
    _run("--in", str(src), "--out", str(dst))
    last = _read(dst)[-1]
    assert (last["id"], last["review"], last["sentiment"]) == ("late", "质量太差了，衣服起球", "0")


def test_an_unreadable_file_is_refused_with_what_to_do(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(b"id,review\n1,\x80\xff\x80 bad\n")
    dst = tmp_path / "out.csv"
    dst.write_text("earlier output")
    with pytest.raises(CommandError, match="无法确定文件编码.*--encoding"):
        _run("--in", str(src), "--out", str(dst))
    assert dst.read_text() == "earlier output"  # nothing half-written
    bom_lie = tmp_path / "bom.csv"
    bom_lie.write_bytes(codecs.BOM_UTF8 + b"id,review\n1,\xb3\xa4\n")
    with pytest.raises(CommandError, match="UTF-8 字节序标记开头，但第 2 行不是有效的 UTF-8"):
        _run("--in", str(bom_lie), "--out", str(dst))


def test_encoding_can_be_given(tmp_path):
    src = _write(tmp_path / "in.csv", [["1", "質量太差"]], encoding="big5")
    dst = tmp_path / "out.csv"
    _run("--in", str(src), "--out", str(dst), "--encoding", "big5")
    assert _read(dst)[0]["review"] == "質量太差"
    with pytest.raises(CommandError, match="第 2 行不是有效的 utf-8"):
        _run("--in", str(src), "--out", str(dst), "--encoding", "utf-8")
    with pytest.raises(CommandError, match="未知的编码"):
        _run("--in", str(src), "--out", str(dst), "--encoding", "klingon")


def test_paths_that_are_not_files_and_a_repeated_column_are_named_not_a_traceback(tmp_path):
    src = _write(tmp_path / "in.csv", [["1", COMPLAINT]])
    with pytest.raises(CommandError, match="--in 是一个目录"):
        _run("--in", str(tmp_path), "--out", str(tmp_path / "out.csv"))
    with pytest.raises(CommandError, match="--out 是一个目录"):
        _run("--in", str(src), "--out", str(tmp_path))
    with pytest.raises(CommandError, match="--out 所在的目录不存在"):
        _run("--in", str(src), "--out", str(tmp_path / "no" / "out.csv"))
    # 「review,review」: the second cell replaced the first in the output (a row is read by name)
    twice = _write(tmp_path / "twice.csv", [["第一列的文字", COMPLAINT]], header=("review", "review"))
    with pytest.raises(CommandError, match="列名重复: review"):
        _run("--in", str(twice), "--out", str(tmp_path / "twice_out.csv"))
    assert not (tmp_path / "twice_out.csv").exists()


def test_evaluate_names_a_model_file_that_is_not_a_model(tmp_path):
    bogus = tmp_path / "model.joblib"
    bogus.write_text("review\n不是模型\n", encoding="utf-8")
    with pytest.raises(CommandError, match="不是 shouhou reviews train 写出的模型文件"):
        call_command("reviews", "evaluate", "--model", str(bogus), stdout=io.StringIO())
    with pytest.raises(CommandError, match="模型文件不存在或不是文件"):
        call_command("reviews", "evaluate", "--model", str(tmp_path), stdout=io.StringIO())
