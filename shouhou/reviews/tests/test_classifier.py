"""The shipped classifier: robustness on odd input, sentiment, complaint type and aspect on typical phrasings."""

from __future__ import annotations

import pytest

from shouhou.reviews.classifier.model import classify_text, classify_texts, featurize
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


def test_normalize_truncates_very_long_text():
    assert len(normalize_text("好" * 100_000)) == MAX_CHARS


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


@pytest.mark.parametrize("text, complaint", [
    ("衣服穿了一次就开线了，质量太差", "quality_defect"),
    ("手机用了三天就死机黑屏，垃圾", "quality_defect"),
    ("和图片完全不一样，货不对板", "not_as_described"),
    ("买的是高配版结果发的是低配版，发错货了", "wrong_or_missing"),
    ("少发了一件，赠品也没有，差评", "wrong_or_missing"),
    ("尺码偏小，平时穿M这个L都穿不上", "size_fit"),
    ("物流太慢了，等了十天才到，差评", "logistics"),
    ("收到的时候箱子都破了，里面的杯子摔坏了", "logistics"),
    ("客服态度太差了，爱理不理的", "service_attitude"),
    ("刚买完第二天就降价了，差价也不给补", "price"),
    ("请问这个怎么连接蓝牙？说明书看不懂，太难用了", "usage_question"),
])
def test_complaint_type_on_typical_phrasings(text, complaint):
    p = classify_text(text)
    assert p.sentiment == 0
    assert p.complaint_type == complaint


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


def test_featurize_shape_and_norm():
    X = featurize(["好评", "", "质量差"])
    assert X.shape[0] == 3
    assert X[1].nnz == 0
    assert abs((X[0].multiply(X[0])).sum() - 1.0) < 1e-5
