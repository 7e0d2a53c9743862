"""The English explanation of a no-reason return refused as not intact says why, as the Chinese one does (an
English reader of the customer's page read only 「The item is not intact as this category requires.」)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shouhou.policies.document import load_default
from shouhou.policies.engine import Claim, LineFacts, decide

POLICY = load_default()
SIGNED = dt.date(2026, 3, 1)


@pytest.mark.parametrize(("category", "claim", "why_zh", "why_en"), [
    ("mobile_phone", {"activated": True}, "电子电器类商品已激活", "it is an electronic item that has been activated"),
    ("clothing", {"washed": True}, "已洗涤", "it has been washed"),
    ("clothing", {"condition": "tags_removed"}, "吊牌已剪或缺失", "its tags are cut off or missing"),
    ("cosmetics", {"condition": "seal_broken"}, "必要的一次性密封包装已损坏", "its one-time seal is broken"),
])
def test_not_intact_says_why_in_both_languages(category, claim, why_zh, why_en):
    line = LineFacts(category=category, price_paid=Decimal("99.00"), ordered_on=SIGNED - dt.timedelta(days=2),
                     delivered_on=SIGNED)
    d = decide(line, Claim(reason="no_reason", **claim), dt.datetime(2026, 3, 3, 10, 0), policy=POLICY)
    assert d.allowed == [] and f"categories.{category}.intact" in d.clauses
    assert why_zh in d.explanation_zh
    assert f"The item is not intact as this category requires: {why_en}" in d.explanation_en
