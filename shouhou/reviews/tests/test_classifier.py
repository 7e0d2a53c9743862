"""The shipped classifier: robustness on odd input, sentiment, complaint type and aspect on typical phrasings."""

from __future__ import annotations

import numpy as np
import pytest

from shouhou.reviews.classifier.features import char_counts, fit_idf, tfidf, words
from shouhou.reviews.classifier.model import classify_text, classify_texts
from shouhou.reviews.classifier.normalize import MAX_CHARS, normalize_text
from shouhou.reviews.classifier.rules import aspect_of, weak_label


@pytest.mark.parametrize("raw, expected", [
    (None, ""),
    (float("nan"), ""),
    ("", ""),
    ("   \n\t ", ""),
    ("這件衣服質量太差了", "这件衣服质量太差了"),
    ("ＡＢＣ　好评", "abc 好评"),
    ("很好👍👍", "很好赞赞"),
    ("垃圾😡", "垃圾差"),
    ("🐱🐶", ""),
    (12345, "12345"),
])
def test_normalize_text_handles_odd_input(raw, expected):
    assert normalize_text(raw) == expected


def test_normalize_keeps_head_and_tail_of_very_long_text():
    text = normalize_text("好" * 100_000 + "但是发错货了")
    assert len(text) <= MAX_CHARS and text.startswith("好好") and text.endswith("但是发错货了") and " … " in text


@pytest.mark.parametrize("text", [
    "", None, "😀😀😀", "🤮", "   ", "a" * 200_000, "這個手機電池太不耐用了，螢幕也有亮點", "\x00\x00", "12345", "!!!???",
    "好" * 10_000 + "差" * 10_000,
])
def test_classify_never_fails(text):
    p = classify_text(text)
    assert p.sentiment in (0, 1)
    assert 0.0 <= p.sentiment_score <= 1.0
    assert (p.complaint_type == "none") == (p.sentiment == 1)


def test_empty_text_is_neutral_without_complaint():
    p = classify_text("")
    assert (p.sentiment, p.sentiment_score, p.complaint_type, p.aspect) == (1, 0.5, "none", "")


@pytest.mark.parametrize("text, sentiment", [
    ("质量很好，穿着很舒服，物流也快，好评！", 1),
    ("宝贝收到了，和主播说的一样，家人都很喜欢", 1),
    ("苹果又甜又脆，个头也大，下次还来买", 1),
    ("屏幕清晰，运行流畅，性价比很高", 1),
    ("質量很好，顏色也很正，推薦購買", 1),
    ("质量太差了，穿了一次就起球，再也不买了", 0),
    ("收到的苹果烂了好几个，太失望了", 0),
    ("客服态度极差，问什么都不理人", 0),
    ("物流太慢了，等了一个星期才到", 0),
    ("衣服和图片完全不一样，色差严重", 0),
    ("質量太差了，用了兩天就壞了", 0),
    ("垃圾😡😡😡", 0),
])
def test_sentiment_on_clear_reviews(text, sentiment):
    assert classify_text(text).sentiment == sentiment


@pytest.mark.parametrize("text, sentiment", [
    ("没有不满意的地方", 1),
    ("很好\n但是发错货了", 0),
    ("包装很好，物流也快，可是收到的是坏的", 0),
    ("衣服收到了，" + "面料柔软，做工精细，颜色也正，" * 60 + "可惜尺码发错了，退换又麻烦，很失望", 0),
])
def test_sentiment_reads_negation_mixed_and_long_reviews(text, sentiment):
    assert classify_text(text).sentiment == sentiment


@pytest.mark.parametrize("text, complaint", [
    ("衣服穿了一次就开线了，质量太差", "quality_defect"),
    ("和图片完全不一样，色差太大", "not_as_described"),
    ("绝对是假货，和专柜的完全不一样", "counterfeit"),
    ("买的黑色发来白色，发错货了", "wrong_or_missing"),
    ("裤子太紧了，按尺码表买的还是小", "size_fit"),
    ("物流太慢了，等了十天才到，差评", "logistics"),
    ("客服态度太差了，爱理不理的", "service_attitude"),
    ("申请退货一个星期了一直不处理", "after_sales"),
    ("刚买完第二天就降价了50", "price"),
    ("直播间说送面膜，结果什么都没送", "promise_not_kept"),
])
def test_complaint_type_on_typical_phrasings(text, complaint):
    p = classify_text(text)
    assert p.sentiment == 0
    assert p.complaint_type == complaint


def test_complaint_others_are_valid_types_other_than_the_main():
    from shouhou.reviews.choices import ComplaintType

    for p in classify_texts(["物流太慢了，而且包装也破了，里面的东西都压坏了", "质量差，客服还不理人，退货也不给退"]):
        others = [c for c in p.complaint_others.split("|") if c]
        assert p.complaint_type not in others and len(others) <= 3
        assert all(c in ComplaintType.values and c not in ("none", "other") for c in others)


@pytest.mark.parametrize("text, aspect", [
    ("电池太不耐用了，半天就没电", "battery"),
    ("面料摸起来很扎人", "fabric"),
    ("颜色和图片差很多", "colour"),
    ("味道一般，口感有点涩", "taste"),
    ("有一股刺鼻的气味", "smell"),
    ("外包装都压扁了", "packaging"),
    ("码数偏大一号", "size"),
    ("东西还行", ""),
])
def test_aspect(text, aspect):
    assert aspect_of(normalize_text(text)) == aspect


def test_weak_label_ties_go_to_the_more_specific_type():
    # one logistics rule and one quality rule match: logistics is listed first
    assert weak_label("快递太慢了，而且有点异味") == "logistics"
    assert weak_label("今天天气不错") == "other"


def test_batch_equals_one_by_one():
    texts = ["很好", "太差了，质量不行", "", "這個很好用"]
    assert classify_texts(texts) == [classify_text(t) for t in texts]


def test_features_shape_and_norm():
    X = tfidf(char_counts(["好评", "", "质量差"]), None)
    assert X.shape[0] == 3
    assert X[1].nnz == 0
    assert abs((X[0].multiply(X[0])).sum() - 1.0) < 1e-5
    idf = fit_idf(char_counts(["好评", "好", "质量差"]))
    assert idf.min() >= 1.0
    assert words("质量 太差了") == ["质量", "太", "差", "了", "质量 太", "太 差", "差 了"]


@pytest.mark.parametrize("text, complaint", [
    # the misses the issue names: an insult with 想问, a refused return with 质量问题 in a negation, tight
    # trousers, praise for the courier beside a quality complaint
    ("想问问客服是不是都下班了，一个人都没有，什么垃圾店", "service_attitude"),
    ("不是质量问题，就是想退货，申请了三天都不给退", "after_sales"),
    ("裤子太紧了，根本穿不进去", "size_fit"),
    ("快递很快，就是质量不行，穿了一次就坏了", "quality_defect"),
    ("不是质量问题，就是不喜欢这个颜色", "dislike"),
    ("这也叫正品？一股胶水味", "counterfeit"),
])
def test_complaint_type_reads_meaning_not_keywords(text, complaint):
    p = classify_text(text)
    assert (p.sentiment, p.complaint_type) == (0, complaint)
    assert "logistics" not in p.complaint_others.split("|")


@pytest.mark.parametrize("text, first", [
    ("很好，但是发错货了", "很好"),
    ("质量太差了!物流也慢", "质量太差了"),
    (",,…差评。", "差评"),
    ("没有标点的一句话", "没有标点的一句话"),
    ("", ""),
    ("。！？", ""),
])
def test_first_clauses(text, first):
    from shouhou.reviews.classifier.features import first_clauses

    assert first_clauses([text]) == [first]


def test_feature_spec_first_clause_block():
    """The complaint type's features carry the first clause's char n-grams as their own block, weighted."""
    from shouhou.reviews.classifier import features as F
    from shouhou.reviews.classifier.model import FeatureSpec

    texts = ["物流太慢了，质量还行", "质量太差了，物流很快", "发错货了"]
    plain = FeatureSpec.fit(texts, ngrams=(1, 3), words=True, min_df=1)
    spec = FeatureSpec.fit(texts, ngrams=(1, 3), words=True, min_df=1, first_weight=0.5)
    assert plain.first_idf is None and plain.width == F.N_CHAR + len(plain.vocab)
    assert spec.width == plain.width + F.N_FIRST
    X = spec.transform(texts + [""])
    assert X.shape == (4, spec.width)
    first = X[:, plain.width:]
    assert np.allclose(np.sqrt(first.multiply(first).sum(axis=1)).A.ravel(), [0.5, 0.5, 0.5, 0.0], atol=1e-4)
    # the same two clauses in the other order: the first-clause blocks differ
    both = spec.transform(["物流太慢，质量太差", "质量太差，物流太慢"])[:, plain.width:]
    assert (both[0] != both[1]).nnz > 0
    # survives a save and load
    again = FeatureSpec.load(spec.dump())
    assert again.first_weight == 0.5 and again.width == spec.width
    assert abs(again.transform(texts) - X[:3]).max() < 1e-2


def test_sentiment_reads_words_only_where_the_char_model_is_unsure_and_cuts_them_once(monkeypatch):
    """Two stages: the char model alone for clearly positive texts; char n-grams + jieba words for the rest
    (better in and out of domain, docs/reviews.md "Fifth round"); the negatives' words are cut once and serve
    the complaint type too."""
    from shouhou.reviews.classifier import features
    from shouhou.reviews.classifier.model import SENT_SCREEN, default_model

    model = default_model()
    assert model.sent_words_features is not None and model.sent_words_features.vocab
    texts = [normalize_text(t) for t in ("非常好，物流很快，包装完好，很满意", "味道一般，送来都凉了，不会再买",
                                         "质量太差了，用了两天就坏了")]
    char_only = 1.0 / (1.0 + np.exp(-(model.sent_features.transform(texts) @ model._sent_w() + model.sent_intercept)))
    assert char_only[0] >= SENT_SCREEN and char_only[1] < SENT_SCREEN and char_only[2] < SENT_SCREEN
    cut: list[str] = []
    real_words = features.words
    monkeypatch.setattr(features, "words", lambda text: cut.append(text) or real_words(text))
    scores = model.sentiment_scores(texts)
    assert cut == texts[1:]  # the clearly positive text was not cut
    assert scores[0] == pytest.approx(char_only[0]) and scores[1] != pytest.approx(char_only[1])
    cut.clear()
    predictions = model.predict(texts)
    assert [p.sentiment for p in predictions] == [1, 0, 0]
    assert sorted(cut) == sorted(texts[1:])  # once each, though both negatives also get a complaint type


@pytest.mark.parametrize("text, seen", [
    ("一点也不差，下次还来", "不错，下次还来"),
    ("用起来也不麻烦", "用起来方便"),
    ("完全没有异味，做工也好", "完好，做工也好"),
    ("无色差，没发现任何瑕疵", "完好，完好"),
    ("不是很满意", "不满意"),
    ("收到了，没那么满意", "收到了，不满意"),
])
def test_the_sentiment_view_rewrites_negations_the_way_the_reviews_read(text, seen):
    from shouhou.reviews.classifier.normalize import sentiment_view

    assert sentiment_view(normalize_text(text)) == normalize_text(seen)


@pytest.mark.parametrize("text", [
    "有没有异味？",        # a question, not a claim
    "没问题",              # bare 问题: as often a complaint (「客服说没问题，结果…」)
    "一点味道都没有，没味道",  # tasteless food is a complaint
    "不太满意",            # as often a mild remark in a positive review
    "质量很差",            # no negation at all
    "物流很快，很满意",
])
def test_the_sentiment_view_leaves_other_texts_as_they_are(text):
    from shouhou.reviews.classifier.normalize import sentiment_view

    norm = normalize_text(text)
    assert sentiment_view(norm) is norm


def test_negation_probes_read_right():
    """More negation than the issue's 「没有不满意的地方」: a hedged 满意, a negated complaint word, an absent defect."""
    from shouhou.reviews.classifier.model import classify_texts

    got = [p.sentiment for p in classify_texts(["不是很满意", "一点也不差", "完全没有异味", "没有不满意的地方"])]
    assert got == [0, 1, 1, 1]


def test_the_complaint_type_reads_the_text_before_the_sentiment_rewrites():
    """A negative review the sentiment view rewrites (「没有色差」 → 「完好」) gets the type its own text gives, in a
    batch where other texts are not rewritten: the type model's features are those of the normalised text."""
    from shouhou.reviews.classifier.model import default_model
    from shouhou.reviews.classifier.normalize import sentiment_view

    model = default_model()
    raw = ["没有色差，但是质量太差了，洗一次就破了个洞", "快递太慢了，一个星期才到", "衣服太小了，穿不上，没有弹性",
           "没有破损，可是发错货了，要的黑色来的白色"]
    norm = [normalize_text(t) for t in raw]
    assert [sentiment_view(t) is t for t in norm] == [False, True, True, False]
    predictions = model.predict(raw)
    assert [p.sentiment for p in predictions] == [0, 0, 0, 0]
    alone = [main for main, _ in model.complaint_sets(model.complaint_scores(norm), norm)]
    assert [p.complaint_type for p in predictions] == alone
    assert alone[0] == "quality_defect" and alone[3] == "wrong_or_missing"


def test_words_are_jiebas_dictionary_cut():
    """rjieba (jieba-rs) cuts as the Python jieba's dictionary mode did when the model was trained (all 50,221
    texts of the review CSV cut alike, docs/reviews.md "Sixth round"); a tokenizer update that cuts otherwise
    would change the model's word features, so these cuts are pinned."""
    from shouhou.reviews.classifier.features import words

    assert words("物流很快，质量很好") == ["物流", "很快", "，", "质量", "很", "好", "物流 很快", "很快 ，", "， 质量",
                                    "质量 很", "很 好"]
    assert words("七天无理由退货")[:4] == ["七天", "无", "理由", "退货"]
    assert words("衣服起球了怎么办")[:4] == ["衣服", "起球", "了", "怎么办"]


def _tiny_model(others_threshold=0.5):
    from scipy.sparse import csr_matrix

    from shouhou.reviews.classifier.model import ReviewModel

    model = ReviewModel(sent_features=None, sent_coef=None, sent_intercept=0.0, comp_features=None,
                        comp_coef=None, comp_intercept=None,
                        comp_classes=["quality_defect", "logistics", "none", "price", "other"], others_margin=10.0)
    model.others_coef = csr_matrix(np.zeros((4, 3), dtype=np.float32))
    model.others_classes = ["quality_defect", "logistics", "price", "packaging"]
    model.others_threshold = others_threshold
    return model


def test_other_types_come_from_the_others_model_above_its_threshold():
    model = _tiny_model()
    scores = np.array([[3.0, 2.9, 2.8, 2.7, 2.6], [0.0, 0.0, 5.0, 0.0, 0.0]], dtype=np.float32)
    logits = np.array([[4.0, 0.6, 0.4, 2.0], [3.0, 3.0, 3.0, 3.0]], dtype=np.float32)
    sets = model.complaint_sets(scores, None, logits)
    # main from the main model; others: above 0.5, not the main one, best first; none as main names no others
    assert sets == [("quality_defect", "packaging|logistics"), ("none", "")]
    # without the logits, the margin decides as before (here: everything within 10, but never none or other)
    assert model.complaint_sets(scores)[0] == ("quality_defect", "logistics|price")


def test_the_shipped_model_names_a_second_complaint_as_an_other_type():
    from shouhou.reviews.classifier.model import classify_texts, default_model

    model = default_model()
    assert model.others_coef is not None and model.others_threshold == model.meta["others_threshold"]
    assert "none" not in model.others_classes and "other" not in model.others_classes
    # most of the weights are zero (L1): the others model adds little to the file
    assert model.others_coef.nnz < 0.01 * model.others_coef.shape[0] * model.others_coef.shape[1]
    p = classify_texts(["衣服质量太差了，洗一次就破了，而且发货特别慢，等了十天"])[0]
    assert p.complaint_type == "quality_defect" and "logistics" in p.complaint_others.split("|")


def test_fit_others_skips_types_the_rows_never_name():
    from shouhou.reviews.classifier.model import FeatureSpec
    from shouhou.reviews.classifier.training import Labelled, fit_others

    rows = [Labelled(str(i), t, m, o) for i, (t, m, o) in enumerate([
        ("质量太差了，一洗就破", "quality_defect", []), ("快递太慢了，等了十天", "logistics", []),
        ("质量差，发货也慢", "quality_defect", ["logistics"]), ("不想要了", "dislike", [])] * 3)]
    spec = FeatureSpec.fit([r.text for r in rows], ngrams=(1, 2), words=False)
    coef, intercept, types = fit_others(rows, spec)
    assert types == ["quality_defect", "logistics", "dislike"]   # the taxonomy's order; none/other never
    assert coef.shape == (3, spec.width) and intercept.shape == (3,)
