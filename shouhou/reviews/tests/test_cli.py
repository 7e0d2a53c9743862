"""`shouhou reviews classify | evaluate | train` from the command line."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from shouhou.reviews.classifier.taxonomy import ComplaintType

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
    assert list(got[0].keys()) == ["id", "review", "sentiment", "sentiment_score", "complaint_type", "aspect",
                                   "complaint_others", "mixed", "complaint_type_label",
                                   "complaint_others_labels", "aspect_label"]
    assert [r["id"] for r in got] == ["1", "2", "3", "4", "5", "6"]
    assert [r["sentiment"] for r in got] == ["0", "1", "1", "1", "0", "0"]
    assert got[0]["complaint_type"] == "quality_defect" and got[0]["aspect"] == "fabric"
    assert got[1]["sentiment_score"] == "0.5000" and got[1]["complaint_type"] == "none"
    assert got[5]["complaint_type"] == "logistics"
    assert all(0.0 <= float(r["sentiment_score"]) <= 1.0 for r in got)
    # the codes in words for whoever opens the file (Chinese by default, as the API's labels)
    assert (got[0]["complaint_type_label"], got[0]["aspect_label"]) == ("质量问题", "面料")
    assert (got[5]["complaint_type_label"], got[1]["complaint_type_label"]) == ("物流", "无（非投诉）")


def test_classify_names_the_other_types_in_words(tmp_path):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    _write(src, ["review"], [["申请退货一个星期了一直不处理，客服也不回消息，东西还是坏的"]])
    _run("classify", "--in", str(src), "--out", str(dst))
    with dst.open(encoding="utf-8") as fh:
        row = next(csv.DictReader(fh))
    codes = [c for c in row["complaint_others"].split("|") if c]
    assert codes, row
    assert row["complaint_others_labels"].split("|") == [str(ComplaintType(c).label) for c in codes]
    assert row["complaint_type_label"] == str(ComplaintType(row["complaint_type"]).label)
    with translation.override("en"):  # in the active language
        _run("classify", "--in", str(src), "--out", str(dst))
        english = str(ComplaintType(row["complaint_type"]).label)
    with dst.open(encoding="utf-8") as fh:
        assert next(csv.DictReader(fh))["complaint_type_label"] == english != row["complaint_type_label"]


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
    _write(src, ["id", "note"], [["1", "好"]])
    with pytest.raises(CommandError, match="缺少列 “review”（也没有 text、content、评价、评论、内容 等评价文本列；可用 --column "
                                           "指定）；表头中的列为: id、note"):
        _run("classify", "--in", str(src), "--out", str(tmp_path / "out.csv"))
    with pytest.raises(CommandError, match="缺少列 “comment”；表头中的列为: id、note"):
        _run("classify", "--in", str(src), "--out", str(tmp_path / "out.csv"), "--column", "comment")
    _write(src, ["text", "评论"], [["好", "差"]])
    with pytest.raises(CommandError, match="表头中有多个可能的评价文本列：text、评论；请用 --column 指定一列"):
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


TYPED_NEG = [("质量太差了，开线了", "quality_defect"), ("物流太慢了，等了十天", "logistics"),
             ("发错货了，少发一件", "wrong_or_missing"), ("客服态度很差", "service_attitude"),
             ("申请退货一直不处理", "after_sales"), ("包装太简陋了，瓶子都漏了", "packaging"),
             ("绝对是假货，不是正品", "counterfeit"), ("说好的赠品没有送", "promise_not_kept")]


@pytest.fixture
def small_dataset(tmp_path, settings):
    """A small review CSV and human labels for it (reviews.csv joined by index + hash, chat openings)."""
    from shouhou.reviews.classifier.model import text_hash

    path = tmp_path / "reviews.csv"
    rows, labels = [], []
    for i in range(240):
        label = i % 2
        if label:
            text = POS[i % 5] + f"（第{i}单）"
        else:
            neg, ctype = TYPED_NEG[(i // 2) % 8]
            text = neg + f"（第{i}单）"
            split = ("train", "train", "train", "dev", "test")[(i // 16) % 5]
            labels.append([str(i), "衣服", text_hash(text), ctype, "price" if i % 3 == 0 else "", "R01", split])
        rows.append(["衣服", str(label), text])
    _write(path, ["cat", "label", "review"], rows)
    lab = tmp_path / "labels"
    lab.mkdir()
    _write(lab / "reviews.csv", ["id", "cat", "sha16", "main", "others", "reader", "split"], labels)
    _write(lab / "chat_openings.csv", ["id", "channel", "category", "text", "main", "others", "split", "source"],
           [[f"chat-{k}", "web_chat", "服装", f"在吗，{neg}，怎么办", ctype, "", ("train", "dev", "test")[k % 3],
             "written"] for k, (neg, ctype) in enumerate(TYPED_NEG * 3)])
    settings.SHOUHOU = {**settings.SHOUHOU, "REVIEWS_CSV": str(path)}
    return path


def test_evaluate_prints_types_and_sentiment_with_the_shipped_model(small_dataset):
    out = _run("evaluate", "--labels", str(small_dataset.parent / "labels"), "--limit", "20", "--snownlp-limit", "5")
    assert "问题类型（人工标注的固定测试集" in out
    assert "评价 reviews: 24 条  准确率 accuracy =" in out and "对话开场（团队撰写）chat openings: 8 条" in out
    assert "规则基线" in out and "precision  recall  F1  support" in out and "混淆矩阵（行=人工标注，列=预测）" in out
    assert "after_sales" in out and "counterfeit" in out
    # what the shipped model was chosen with (dev figures, settings), and that test never took part
    assert "模型：训练集 " in out and "开发集评价 准确率 0." in out and "首句权重 0.5" in out and "测试集从未参与" in out
    assert "情感 准确率 accuracy =" in out and "检查 " in out and "条/CPU秒" in out
    assert "SnowNLP 对比（同样的 5 条）" in out


def test_evaluate_scores_sentiment_on_an_outside_set_and_says_what_is_wrong_with_one(small_dataset, tmp_path):
    outside = tmp_path / "waimai_sample.csv"
    _write(outside, ["label", "review"], [
        ["1", "很快，好吃，味道足，量大"], ["1", "送餐很准时，饭菜热乎，下次还点"],
        ["0", "等了两个小时才送到，饭都凉了"], ["0", "太难吃了，肉都是臭的"], ["0", "送错了，打电话也不接"],
    ])
    out = _run("evaluate", "--labels", str(small_dataset.parent / "labels"), "--limit", "20", "--outside", str(outside))
    line = next(x for x in out.splitlines() if x.startswith("情感（域外，不参与训练与选择）waimai_sample.csv"))
    assert "5 条，正面占 0.40" in line and "准确率 accuracy = 1.0000" in line and "true0 3/0 true1 0/2" in line
    _write(outside, ["label", "text"], [["1", "好吃"], ["0", "太难吃了，肉都是臭的"]])  # another tool's header
    out = _run("evaluate", "--labels", str(small_dataset.parent / "labels"), "--limit", "20", "--outside", str(outside))
    assert "2 条，正面占 0.50" in next(x for x in out.splitlines() if x.startswith("情感（域外，不参与训练与选择）"))
    _write(outside, ["label", "note"], [["1", "好吃"]])
    with pytest.raises(CommandError, match="waimai_sample.csv: 缺少列 “review”（也没有 text"):
        _run("evaluate", "--labels", str(small_dataset.parent / "labels"), "--limit", "20", "--outside", str(outside))
    _write(outside, ["label", "review"], [["1", "好吃"], ["好", "难吃"]])
    with pytest.raises(CommandError, match="waimai_sample.csv 第 3 行: label 应为 0 或 1，实际为 '好'"):
        _run("evaluate", "--labels", str(small_dataset.parent / "labels"), "--limit", "20", "--outside", str(outside))


def test_train_writes_a_model_that_evaluate_can_load(small_dataset, tmp_path):
    model = tmp_path / "m" / "model.joblib"
    labels = str(small_dataset.parent / "labels")
    out = _run("train", "--out", str(model), "--labels", labels)
    assert "人工标注训练 80 条，开发集 32 条" in out and model.exists()
    ev = _run("evaluate", "--model", str(model), "--labels", labels)
    assert "SnowNLP" not in ev
    from shouhou.reviews.classifier.model import ReviewModel
    from shouhou.reviews.classifier.training import COMP_C, COMP_FIRST_WEIGHT

    trained = ReviewModel.load(model)
    assert trained.comp_features.first_idf is not None and trained.comp_features.first_weight == COMP_FIRST_WEIGHT
    assert trained.meta["complaint_C"] == COMP_C and trained.meta["dev_reviews_accuracy"] == 1.0
    assert f"模型：训练集 80 条选定设置，开发集评价 准确率 1.0000 / macro-F1 1.0000（C = {COMP_C}" in ev
    # the tiny typed reviews are learnt: every test review gets its reader's type
    line = next(x for x in ev.splitlines() if x.startswith("评价 reviews"))
    assert "准确率 accuracy = 1.0000" in line, ev


def test_labels_that_do_not_match_the_csv_are_a_clear_error(small_dataset, tmp_path):
    labels = small_dataset.parent / "labels" / "reviews.csv"
    labels.write_text(labels.read_text(encoding="utf-8").replace("quality_defect", "quality", 1), encoding="utf-8")
    with pytest.raises(CommandError, match="reviews.csv 第 2 行: 未知的问题类型 'quality'"):
        _run("train", "--out", str(tmp_path / "x.joblib"), "--labels", str(labels.parent))
    rows = small_dataset.read_text(encoding="utf-8").replace("质量太差了", "质量很差了")
    small_dataset.write_text(rows, encoding="utf-8")
    with pytest.raises(CommandError, match="文本与标注时的哈希不符"):
        _run("train", "--out", str(tmp_path / "x.joblib"), "--labels", str(labels.parent))


def test_missing_dataset_is_a_clear_error(settings, tmp_path):
    settings.SHOUHOU = {**settings.SHOUHOU, "REVIEWS_CSV": str(tmp_path / "missing.csv")}
    with pytest.raises(CommandError, match="找不到评价数据"):
        _run("evaluate")


def test_training_is_reproducible(small_dataset, tmp_path):
    import numpy as np

    from shouhou.reviews.classifier.model import ReviewModel

    a, b = tmp_path / "a" / "m.joblib", tmp_path / "b" / "m.joblib"
    labels = str(small_dataset.parent / "labels")
    _run("train", "--out", str(a), "--labels", labels)
    _run("train", "--out", str(b), "--labels", labels)
    ma, mb = ReviewModel.load(a), ReviewModel.load(b)
    assert np.array_equal(ma.sent_coef, mb.sent_coef)
    assert ma.sent_words_coef is not None and np.array_equal(ma.sent_words_coef, mb.sent_words_coef)
    assert ma.sent_words_features.vocab == mb.sent_words_features.vocab
    assert np.array_equal(ma.comp_coef, mb.comp_coef) and np.array_equal(ma.comp_intercept, mb.comp_intercept)


def test_reclassify_reads_stored_negative_reviews_again(shop):
    from shouhou.reviews.models import Review

    stalled = Review.objects.create(shop=shop, text="申请退货一个星期了一直不处理", sentiment=0,
                                    complaint_type="service_attitude")
    fake = Review.objects.create(shop=shop, text="绝对是假货，和专柜的完全不一样", sentiment=0,
                                 complaint_type="not_as_described")
    happy = Review.objects.create(shop=shop, text="很好", sentiment=1, complaint_type="none")
    out = _run("reclassify", "--shop", shop.code)
    assert "已重新判断问题类型：2 条评价有变化" in out
    got = {r.pk: r.complaint_type for r in Review.objects.all()}
    assert got == {stalled.pk: "after_sales", fake.pk: "counterfeit", happy.pk: "none"}
    assert "已重新判断问题类型：0 条评价有变化" in _run("reclassify")  # idempotent
    with pytest.raises(CommandError, match="没有店铺代码为 “nope” 的店铺"):
        _run("reclassify", "--shop", "nope")


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


def test_train_leaves_out_the_readers_kept_out_of_training(small_dataset, tmp_path):
    """Rows of a reader in LEFT_OUT_READERS stay in the labels file but are not trained on: here they carry a
    wrong type, and the model still gives every test review its reader's type."""
    from shouhou.reviews.classifier.model import ReviewModel
    from shouhou.reviews.classifier.training import LEFT_OUT_READERS

    reader = sorted(LEFT_OUT_READERS)[0]
    labels = small_dataset.parent / "labels"
    with (labels / "reviews.csv").open(encoding="utf-8", newline="") as fh:
        recs = list(csv.reader(fh))
    moved = 0
    for rec in recs[1:]:
        if rec[6] == "train" and int(rec[0]) % 4 == 0:
            rec[3], rec[4], rec[5] = "usage_question", "", reader
            moved += 1
    assert moved > 5
    _write(labels / "reviews.csv", recs[0], recs[1:])
    model = tmp_path / "m.joblib"
    out = _run("train", "--out", str(model), "--labels", str(labels))
    assert f"人工标注训练 {80 - moved} 条" in out
    assert f"标注者 {reader} 的 {moved} 条训练标注保留在标注文件中，不参与训练" in out
    trained = ReviewModel.load(model)
    assert trained.meta["complaint_train_rows"] == 80 - moved
    assert "usage_question" not in trained.comp_classes
    ev = _run("evaluate", "--model", str(model), "--labels", str(labels))
    line = next(x for x in ev.splitlines() if x.startswith("评价 reviews"))
    assert "准确率 accuracy = 1.0000" in line, ev


def test_reclassify_carries_the_new_type_to_alerts_and_unanswered_tasks(shop):
    """Reviews stored before a retrain got their new type, but the community alert kept showing the old one and an
    open task kept the old type's suggested reply (a stalled return answered as a rude-staff complaint)."""
    from datetime import timedelta

    from shouhou.core.clock import now
    from shouhou.reviews.models import CommunityAlert, CommunityGroup, RecoveryTask, Review
    from shouhou.reviews.scripts import PUBLIC_REPLY_SCRIPTS

    stalled = Review.objects.create(shop=shop, text="申请退货一个星期了一直不处理", sentiment=0,
                                    complaint_type="service_attitude")
    old_reply = PUBLIC_REPLY_SCRIPTS["service_attitude"][0]
    open_task = RecoveryTask.objects.create(shop=shop, number="HP-1", review=stalled, due_at=now() + timedelta(hours=24),
                                            suggested_reply=old_reply)
    replied = Review.objects.create(shop=shop, text="申请退款五天了还没人处理", sentiment=0,
                                    complaint_type="service_attitude")
    replied_task = RecoveryTask.objects.create(shop=shop, number="HP-2", review=replied, due_at=now(),
                                               suggested_reply=old_reply, public_reply="已回复", public_replied_at=now())
    group = CommunityGroup.objects.create(shop=shop, external_id="g1", name="老客群")
    fake = Review.objects.create(shop=shop, kind="group_message", group=group, text="群里买的是假货，和专柜的完全不一样",
                                 sentiment=0, complaint_type="not_as_described")
    alert = CommunityAlert.objects.create(shop=shop, group=group, message=fake, complaint_type="not_as_described")
    assert "已重新判断问题类型：3 条评价有变化" in _run("reclassify", "--shop", shop.code)
    alert.refresh_from_db()
    assert alert.complaint_type == "counterfeit"
    open_task.refresh_from_db()
    stalled.refresh_from_db()
    assert stalled.complaint_type == "after_sales"
    assert open_task.suggested_reply in PUBLIC_REPLY_SCRIPTS["after_sales"]
    replied_task.refresh_from_db()
    assert replied_task.suggested_reply == old_reply  # answered already: its history stays


@pytest.mark.parametrize("action", ["evaluate", "train"])
def test_a_labels_directory_without_the_labels_is_refused_before_any_work(action, tmp_path):
    """evaluate --labels <a wrong directory> printed a complaint-type section with no figures and exit 0; train
    read the whole review CSV first, then stopped with `[Errno 2] No such file or directory`."""
    with pytest.raises(CommandError, match="不是目录"):
        _run(action, "--labels", str(tmp_path / "nope"))
    (tmp_path / "reviews.csv").write_text("id,sha16,main,others,split,cat\n", encoding="utf-8")
    with pytest.raises(CommandError, match="缺少人工标注文件: chat_openings.csv"):
        _run(action, "--labels", str(tmp_path), *(["--out", str(tmp_path / "m.joblib")] if action == "train" else []))
    assert not (tmp_path / "m.joblib").exists()


def test_classify_finds_the_text_column_of_another_tools_export(tmp_path):
    # a labelled set kept by someone else: the text under 「评价内容」, their own label beside it
    src = tmp_path / "labelled.csv"
    _write(src, ["id", "评价内容", "label"], [["1", "衣服质量太差了，洗一次就掉色", "quality_defect"],
                                              ["2", "快递太慢了，等了一个星期才到", "logistics"]])
    out = _run("classify", "--in", str(src), "--out", str(tmp_path / "out.csv"))
    assert "评价文本取自列 “评价内容”（文件没有 review 列）" in out
    with (tmp_path / "out.csv").open(encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert [(r["id"], r["label"], r["complaint_type"]) for r in got] == [
        ("1", "quality_defect", "quality_defect"), ("2", "logistics", "logistics")]
    # a header with spaces and capitals is still found; `review` wins over the others
    _write(src, [" Text ", "id"], [["衣服质量太差了，洗一次就掉色", "1"]])
    assert "评价文本取自列 “ Text ”" in _run("classify", "--in", str(src), "--out", str(tmp_path / "out.csv"))
    _write(src, ["review", "text"], [["衣服质量太差了，洗一次就掉色", "很好"]])
    assert "评价文本取自列" not in _run("classify", "--in", str(src), "--out", str(tmp_path / "out.csv"))
    with (tmp_path / "out.csv").open(encoding="utf-8") as fh:
        assert next(csv.DictReader(fh))["complaint_type"] == "quality_defect"
