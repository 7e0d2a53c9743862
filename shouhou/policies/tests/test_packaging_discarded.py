"""A customer who threw the outer box away: the goods are still intact for a no-reason return (办法8: 商品本身、配件、
商标标识齐全 — the box is none of them), the box counts as opened (an audio-video or software product is then unsealed,
消法25.1(三)), and the consumer page offers the condition (it had no way to say so)."""

from __future__ import annotations

import pytest

from shouhou.policies.claims import facts_from_json
from shouhou.policies.document import load_default
from shouhou.policies.engine import CONDITIONS, decide
from shouhou.policies.tests.test_law_vectors import NR, _check, row

POLICY = load_default()


@pytest.mark.parametrize(("claim", "expected"), [
    (row("clothing", "no_reason", condition="packaging_discarded"), {"allowed": NR}),
    (row("electronics", "no_reason", condition="packaging_discarded"), {"allowed": NR}),
    (row("audio_video_software", "no_reason", condition="packaging_discarded"),
     {"allowed": [], "clause": "no_reason.exception.audio_video_software"}),
], ids=["clothing-box-gone-still-intact", "electronics-box-gone-still-intact", "software-box-gone-is-unsealed"])
def test_a_discarded_outer_box_keeps_the_goods_intact(claim, expected):
    line, parsed, today = facts_from_json(claim)
    _check(decide(line, parsed, today, policy=POLICY), expected)


def test_the_consumer_page_offers_every_condition_it_lists_to_the_engine():
    from shouhou.portal.views import CONDITIONS as PAGE_CONDITIONS

    offered = [code for code, _label in PAGE_CONDITIONS if code]  # "" is the placeholder 「请选择」, refused on submit
    assert "packaging_discarded" in offered
    assert set(offered) <= set(CONDITIONS)
    assert PAGE_CONDITIONS[0][0] == ""  # nothing pre-chosen
