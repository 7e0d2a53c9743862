"""The compliance guard's reasons in the reader's language: a refusal on an English page was all Chinese
(「…」未通过合规检查：不得以红包换取好评…); the default language stays Chinese (the worker's stored notes)."""

from __future__ import annotations

from django.utils import translation

from shouhou.reviews.guards import guard_outgoing, guard_refusal

OFFER = "给个五星好评返现10元红包"


def test_a_refusal_on_an_english_page_reads_in_english():
    with translation.override("en"):
        text = guard_refusal(OFFER, field="Reply")
    assert text.startswith("“Reply” failed the compliance check: ")
    assert "may not be offered for a good, five-star or photo review" in text
    assert "未通过" not in text and "不得以" not in text


def test_the_default_language_keeps_the_chinese_reasons():
    with translation.override("zh-hans"):
        reasons = guard_outgoing(OFFER).reasons
        text = guard_refusal(OFFER, field="回复")
    assert reasons and reasons[0].startswith("「") and "不得以" in reasons[0]
    assert text.startswith("「回复」未通过合规检查：")
