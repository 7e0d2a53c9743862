"""Table-driven policy vectors against the shipped default policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shouhou.policies.document import load_default
from shouhou.policies.engine import Claim, LineFacts, decide

SIGNED = dt.date(2026, 3, 1)
ORDERED = dt.date(2026, 2, 26)
POLICY = load_default()

# (id, category, price, day after sign-off, line extras, claim kwargs, expected)
V = [
    # 七日无理由：签收次日起算
    ("nr-day0", "clothing", "99", 0, {}, {"reason": "no_reason"}, {"recommended": "return_refund"}),
    ("nr-day1", "clothing", "99", 1, {}, {"reason": "no_reason"}, {"recommended": "return_refund"}),
    ("nr-day7", "clothing", "99", 7, {}, {"reason": "no_reason"}, {"allowed": ["return_refund", "exchange"], "day": 7}),
    ("nr-day8", "clothing", "99", 8, {}, {"reason": "no_reason"}, {"allowed": [], "clause": "no_reason.window"}),
    ("nr-deadline", "clothing", "99", 3, {}, {"reason": "no_reason"}, {"deadline": ("no_reason_until", "2026-03-08")}),
    ("nr-home-day7", "home", "59", 7, {}, {"reason": "no_reason"}, {"recommended": "return_refund"}),
    ("nr-home-day8", "home", "59", 8, {}, {"reason": "no_reason"}, {"allowed": []}),
    ("nr-toys", "toys", "59", 2, {}, {"reason": "no_reason"}, {"recommended": "return_refund"}),
    # 法定例外
    ("nr-custom", "custom_made", "299", 1, {}, {"reason": "no_reason"}, {"allowed": [], "clause": "no_reason.exception.custom_made"}),
    ("nr-fresh", "fresh", "88", 1, {}, {"reason": "no_reason"}, {"allowed": [], "clause": "no_reason.exception.fresh"}),
    ("nr-digital", "digital_goods", "30", 1, {}, {"reason": "no_reason"}, {"allowed": [], "clause": "no_reason.exception.digital_goods"}),
    ("nr-avs", "audio_video_software", "60", 1, {}, {"reason": "no_reason", "condition": "opened_unused"}, {"allowed": [], "clause": "no_reason.exception.audio_video_software"}),
    ("nr-books", "books_periodicals", "20", 1, {}, {"reason": "no_reason"}, {"allowed": [], "clause": "no_reason.exception.books_periodicals"}),
    ("fresh-quality-ok", "fresh", "88", 1, {}, {"reason": "quality"}, {"recommended": "return_refund", "payer": "merchant"}),
    # 购买时确认的排除
    ("cosm-opened-confirmed", "cosmetics", "199", 2, {}, {"reason": "no_reason", "condition": "opened_unused", "confirmed_exclusion_at_purchase": True}, {"allowed": [], "clause": "categories.cosmetics.no_reason.confirmed_exclusion"}),
    ("cosm-unopened-confirmed", "cosmetics", "199", 2, {}, {"reason": "no_reason", "condition": "unopened", "confirmed_exclusion_at_purchase": True}, {"recommended": "return_refund"}),
    ("cosm-opened-not-confirmed", "cosmetics", "199", 2, {}, {"reason": "no_reason", "condition": "opened_unused"}, {"allowed": [], "clause": "categories.cosmetics.intact"}),
    ("underwear-opened-confirmed", "underwear", "69", 2, {}, {"reason": "no_reason", "condition": "opened_unused", "confirmed_exclusion_at_purchase": True}, {"allowed": [], "clause": "categories.underwear.no_reason.confirmed_exclusion"}),
    ("food-opened-confirmed", "food", "49", 2, {}, {"reason": "no_reason", "condition": "opened_unused", "confirmed_exclusion_at_purchase": True}, {"allowed": []}),
    # 完好标准
    ("clothing-opened-ok", "clothing", "99", 2, {}, {"reason": "no_reason", "condition": "opened_unused"}, {"recommended": "return_refund"}),
    ("clothing-tags-cut", "clothing", "99", 2, {}, {"reason": "no_reason", "condition": "tags_removed"}, {"allowed": [], "clause": "categories.clothing.intact"}),
    ("clothing-used", "clothing", "99", 2, {}, {"reason": "no_reason", "condition": "used"}, {"allowed": []}),
    ("clothing-no-gifts", "clothing", "99", 2, {}, {"reason": "no_reason", "condition": "missing_gifts"}, {"allowed": []}),
    ("electronics-opened-ok", "electronics", "299", 2, {}, {"reason": "no_reason", "condition": "opened_unused"}, {"recommended": "return_refund"}),
    ("electronics-no-accessories", "electronics", "299", 2, {}, {"reason": "no_reason", "condition": "missing_accessories"}, {"allowed": []}),
    ("cosmetics-tags-ok", "cosmetics", "199", 2, {}, {"reason": "no_reason", "condition": "tags_removed"}, {"recommended": "return_refund"}),
    ("size-fit-exchange-first", "shoes_bags", "259", 3, {}, {"reason": "size_fit"}, {"recommended": "exchange", "payer": "buyer"}),
    # 运费承担
    ("ship-nr-buyer", "clothing", "99", 2, {}, {"reason": "no_reason"}, {"payer": "buyer", "clause": "shipping.no_reason"}),
    ("ship-nr-insurance", "clothing", "99", 2, {"return_insurance": True}, {"reason": "no_reason"}, {"payer": "insurance"}),
    ("ship-nr-vip", "clothing", "99", 2, {"tier": "vip"}, {"reason": "no_reason"}, {"payer": "merchant", "clause": "shipping.vip"}),
    ("ship-nr-gold-buyer", "clothing", "99", 2, {"tier": "gold"}, {"reason": "no_reason"}, {"payer": "buyer"}),
    ("ship-nr-vip-insured", "clothing", "99", 2, {"tier": "vip", "return_insurance": True}, {"reason": "no_reason"}, {"payer": "insurance"}),
    ("ship-quality", "clothing", "99", 2, {}, {"reason": "quality"}, {"payer": "merchant", "clause": "shipping.merchant.quality"}),
    ("ship-nad", "home", "99", 2, {}, {"reason": "not_as_described"}, {"payer": "merchant"}),
    ("ship-wrong", "clothing", "99", 2, {}, {"reason": "wrong_item", "has_photo": True}, {"recommended": "exchange", "payer": "merchant", "auto": True}),
    ("wrong-no-photo-not-auto", "clothing", "99", 2, {}, {"reason": "wrong_item"}, {"auto": False}),
    ("missing-parts-resend", "home", "99", 2, {}, {"reason": "missing_parts", "has_photo": True}, {"recommended": "resend", "payer": "none", "auto": True}),
    ("transit-day3", "home", "99", 3, {}, {"reason": "damaged_in_transit", "has_photo": True}, {"recommended": "resend", "comp": ("points", "500")}),
    ("transit-day4-late", "home", "99", 4, {}, {"reason": "damaged_in_transit"}, {"allowed": [], "clause": "quality.transit_damage_report"}),
    ("lost-parcel", "home", "99", 0, {}, {"reason": "lost_parcel"}, {"recommended": "resend", "auto": True}),
    ("lost-parcel-vip-gift", "home", "99", 0, {"tier": "vip"}, {"reason": "lost_parcel"}, {"comp": ("gift", "30")}),
    # 质量问题（消法24）
    ("quality-day7", "home", "99", 7, {}, {"reason": "quality"}, {"allowed": ["return_refund", "exchange", "compensation"]}),
    ("quality-day8", "home", "99", 8, {}, {"reason": "quality"}, {"allowed": ["exchange", "repair", "compensation"]}),
    ("quality-day15", "home", "99", 15, {}, {"reason": "quality"}, {"recommended": "exchange"}),
    ("quality-day16", "home", "99", 16, {}, {"reason": "quality"}, {"allowed": ["repair", "compensation"]}),
    ("quality-not-auto", "home", "99", 2, {}, {"reason": "quality"}, {"auto": False}),
    # 服装洗涤
    ("care-followed", "clothing", "99", 5, {}, {"reason": "quality", "washed": True, "followed_care_label": True}, {"recommended": "return_refund", "clause": "categories.clothing.care"}),
    ("care-against", "clothing", "99", 5, {}, {"reason": "quality", "washed": True, "followed_care_label": False}, {"allowed": [], "clause": "categories.clothing.care", "payer": "none"}),
    # 三包
    ("sanbao-day7", "electronics", "599", 7, {}, {"reason": "performance_fault"}, {"allowed": ["return_refund", "exchange", "repair"], "clause": "sanbao.return"}),
    ("sanbao-day8", "electronics", "599", 8, {}, {"reason": "performance_fault"}, {"allowed": ["exchange", "repair"], "clause": "sanbao.exchange"}),
    ("sanbao-day15", "electronics", "599", 15, {}, {"reason": "performance_fault"}, {"allowed": ["exchange", "repair"]}),
    ("sanbao-day16", "electronics", "599", 16, {}, {"reason": "performance_fault"}, {"allowed": ["repair"], "clause": "sanbao.repair"}),
    ("sanbao-warranty-last", "electronics", "599", 365, {}, {"reason": "performance_fault"}, {"allowed": ["repair"]}),
    ("sanbao-warranty-over", "electronics", "599", 366, {}, {"reason": "performance_fault"}, {"allowed": [], "clause": "sanbao.warranty_expired"}),
    ("sanbao-two-repairs", "electronics", "599", 100, {}, {"reason": "performance_fault", "failed_repairs": 2}, {"allowed": ["exchange", "return_refund"], "clause": "sanbao.failed_repairs"}),
    ("sanbao-one-repair", "electronics", "599", 100, {}, {"reason": "performance_fault", "failed_repairs": 1}, {"allowed": ["repair"]}),
    ("sanbao-quality-is-fault", "electronics", "599", 3, {}, {"reason": "quality"}, {"clause": "sanbao.return", "payer": "merchant"}),
    ("sanbao-onsite", "electronics", "2999", 20, {}, {"reason": "performance_fault"}, {"clause": "sanbao.onsite_repair"}),
    ("sanbao-no-onsite-cheap", "electronics", "1999", 20, {}, {"reason": "performance_fault"}, {"no_clause": "sanbao.onsite_repair"}),
    ("phone-day8", "mobile_phone", "3999", 8, {}, {"reason": "performance_fault"}, {"allowed": ["exchange", "repair"], "clause": "categories.mobile_phone.sanbao.exchange"}),
    ("phone-day30", "mobile_phone", "3999", 30, {}, {"reason": "performance_fault"}, {"allowed": ["exchange", "repair"]}),
    ("phone-day31", "mobile_phone", "3999", 31, {}, {"reason": "performance_fault"}, {"allowed": ["repair"]}),
    ("phone-no-onsite", "mobile_phone", "3999", 31, {}, {"reason": "performance_fault"}, {"no_clause": "sanbao.onsite_repair"}),
    ("phone-deadline", "mobile_phone", "3999", 1, {}, {"reason": "performance_fault"}, {"deadline": ("sanbao_exchange_until", "2026-03-31")}),
    # 换货次数上限
    ("exchange-1", "clothing", "99", 2, {}, {"reason": "size_fit", "exchanges_so_far": 1}, {"recommended": "exchange"}),
    ("exchange-limit", "clothing", "99", 2, {}, {"reason": "size_fit", "exchanges_so_far": 2}, {"allowed": ["return_refund", "compensation"], "clause": "exchange.limit", "comp": ("red_packet", "15")}),
    ("exchange-limit-quality", "home", "99", 9, {}, {"reason": "quality", "exchanges_so_far": 3}, {"allowed": ["repair", "compensation", "return_refund"]}),
    # 价保（自下单日 2026-02-26 起算：签收后第4天 = 下单后第7天）
    ("price-day7", "clothing", "199", 4, {}, {"reason": "price_drop", "current_price": Decimal("159")}, {"recommended": "price_protect", "refund": "40.00", "clause": "price_protection.refund_to.original", "auto": True}),
    ("price-day8", "clothing", "199", 5, {}, {"reason": "price_drop", "current_price": Decimal("159")}, {"allowed": [], "clause": "price_protection.window"}),
    ("price-no-diff", "clothing", "199", 1, {}, {"reason": "price_drop", "current_price": Decimal("199")}, {"allowed": [], "clause": "price_protection.no_difference"}),
    ("price-qty", "clothing", "199", 1, {"quantity": 3}, {"reason": "price_drop", "current_price": Decimal("189.5")}, {"refund": "28.50"}),
    # 补偿阶梯与审批额度
    ("late-regular", "home", "99", None, {}, {"reason": "late_shipment"}, {"allowed": ["compensation", "refund_only"], "comp": ("coupon", "5"), "needs_sup": False}),
    ("late-vip", "home", "99", None, {"tier": "vip"}, {"reason": "late_shipment"}, {"comp": ("red_packet", "10")}),
    ("quality-comp-regular", "home", "99", 2, {}, {"reason": "quality"}, {"comp": ("coupon", "10"), "needs_sup": False}),
    ("quality-comp-gold", "home", "99", 2, {"tier": "gold"}, {"reason": "quality"}, {"comp": ("red_packet", "20"), "needs_sup": False}),
    ("quality-comp-vip-over-limit", "home", "99", 2, {"tier": "vip"}, {"reason": "quality"}, {"comp": ("red_packet", "30"), "needs_sup": True}),
    ("quality-comp-silver-falls-back", "home", "99", 2, {"tier": "silver"}, {"reason": "quality"}, {"comp": ("coupon", "10")}),
    # 其他
    ("not-delivered-refund", "clothing", "99", None, {}, {"reason": "no_reason"}, {"allowed": ["refund_only"], "refund": "99.00"}),
    ("auto-over-price", "clothing", "399", 2, {}, {"reason": "no_reason"}, {"recommended": "return_refund", "auto": False}),
    ("auto-at-price", "clothing", "300", 2, {}, {"reason": "no_reason"}, {"auto": True}),
    ("recall", "electronics", "599", 200, {}, {"reason": "recall"}, {"recommended": "return_refund", "payer": "merchant", "auto": True}),
    ("other-manual", "home", "99", 2, {}, {"reason": "other"}, {"allowed": [], "recommended": None, "auto": False, "clause": "manual_review"}),
    ("refund-amount-qty", "clothing", "99.9", 1, {"quantity": 2}, {"reason": "no_reason"}, {"refund": "199.80"}),
]


@pytest.mark.parametrize(("cat", "price", "day", "line_extra", "claim_kw", "expected"),
                         [v[1:] for v in V], ids=[v[0] for v in V])
def test_policy_vector(cat, price, day, line_extra, claim_kw, expected):
    # given a line signed on SIGNED (or not delivered) and a claim
    delivered = SIGNED if day is not None else None
    line = LineFacts(category=cat, price_paid=Decimal(price), ordered_on=ORDERED, delivered_on=delivered, **line_extra)
    now = SIGNED + dt.timedelta(days=day or 0)
    # when the default policy decides
    d = decide(line, Claim(**claim_kw), now, policy=POLICY)
    # then
    if "allowed" in expected:
        assert d.allowed == expected["allowed"]
    if "recommended" in expected:
        assert d.recommended == expected["recommended"]
    if "payer" in expected:
        assert d.shipping_payer == expected["payer"]
    if "clause" in expected:
        assert expected["clause"] in d.clauses
    if "no_clause" in expected:
        assert expected["no_clause"] not in d.clauses
    if "auto" in expected:
        assert d.auto_approved is expected["auto"]
    if "day" in expected:
        assert d.day == expected["day"]
    if "deadline" in expected:
        key, value = expected["deadline"]
        assert d.deadlines[key] == value
    if "refund" in expected:
        assert str(d.refund_amount) == expected["refund"]
    if "comp" in expected:
        assert (d.compensation["kind"], str(d.compensation["amount"])) == expected["comp"]
    if "needs_sup" in expected:
        assert d.compensation["needs_supervisor"] is expected["needs_sup"]
    assert d.explanation_zh and d.explanation_en


def test_there_are_at_least_60_vectors():
    assert len(V) >= 60


def test_decide_is_pure_and_uses_default_policy_when_none_given():
    line = LineFacts(category="clothing", price_paid=Decimal("99"), delivered_on=SIGNED)
    a = decide(line, Claim(reason="no_reason"), SIGNED + dt.timedelta(days=3))
    b = decide(line, Claim(reason="no_reason"), dt.datetime(2026, 3, 4, 23, 0))
    assert a.to_json() == b.to_json()
    assert "寄回运费：买家承担" in a.explanation_zh
