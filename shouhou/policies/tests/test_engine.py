"""Table-driven policy vectors against the shipped default policy."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest

from shouhou.policies.document import load_default, validate
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
    ("nr-digital", "digital_goods", "30", 1, {}, {"reason": "no_reason", "downloaded": True}, {"allowed": [], "clause": "no_reason.exception.digital_goods"}),
    ("nr-avs", "audio_video_software", "60", 1, {}, {"reason": "no_reason", "condition": "opened_unused"}, {"allowed": [], "clause": "no_reason.exception.audio_video_software"}),
    ("nr-books", "books_periodicals", "20", 1, {}, {"reason": "no_reason"}, {"allowed": [], "clause": "no_reason.exception.books_periodicals"}),
    ("fresh-quality-ok", "fresh", "88", 1, {}, {"reason": "quality"}, {"recommended": "return_refund", "payer": "merchant"}),
    # 购买时确认的排除
    ("cosm-opened-confirmed", "cosmetics", "199", 2, {}, {"reason": "no_reason", "condition": "opened_unused", "confirmed_exclusion_at_purchase": True}, {"allowed": [], "clause": "categories.cosmetics.no_reason.confirmed_exclusion"}),
    ("cosm-unopened-confirmed", "cosmetics", "199", 2, {}, {"reason": "no_reason", "condition": "unopened", "confirmed_exclusion_at_purchase": True}, {"recommended": "return_refund"}),
    ("cosm-opened-not-confirmed", "cosmetics", "199", 2, {}, {"reason": "no_reason", "condition": "opened_unused"}, {"recommended": "return_refund", "clause": "categories.cosmetics.intact"}),
    ("cosm-seal-broken", "cosmetics", "199", 2, {}, {"reason": "no_reason", "condition": "seal_broken"}, {"allowed": [], "clause": "categories.cosmetics.intact"}),
    ("underwear-opened-confirmed", "underwear", "69", 2, {}, {"reason": "no_reason", "condition": "opened_unused", "confirmed_exclusion_at_purchase": True}, {"allowed": [], "clause": "categories.underwear.no_reason.confirmed_exclusion"}),
    ("food-opened-confirmed", "food", "49", 2, {}, {"reason": "no_reason", "condition": "opened_unused", "confirmed_exclusion_at_purchase": True}, {"allowed": []}),
    # 完好标准
    ("clothing-opened-ok", "clothing", "99", 2, {}, {"reason": "no_reason", "condition": "opened_unused"}, {"recommended": "return_refund"}),
    ("clothing-tags-cut", "clothing", "99", 2, {}, {"reason": "no_reason", "condition": "tags_removed"}, {"allowed": [], "clause": "categories.clothing.intact"}),
    ("clothing-used", "clothing", "99", 2, {}, {"reason": "no_reason", "condition": "used"}, {"allowed": []}),
    ("clothing-no-gifts", "clothing", "99", 2, {}, {"reason": "no_reason", "condition": "missing_gifts", "gift_value": Decimal("15")}, {"recommended": "return_refund", "refund": "84.00", "clause": "no_reason.gifts"}),
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
    ("transit-day4-late", "home", "99", 4, {}, {"reason": "damaged_in_transit", "has_photo": True}, {"recommended": "return_refund", "clause": "quality.transit_damage_report", "auto": False, "payer": "merchant"}),
    ("lost-parcel", "home", "99", None, {}, {"reason": "lost_parcel"}, {"recommended": "resend", "auto": True}),
    # the carrier's record says signed for: a person checks with the carrier first (a tester's round, 2026-12-07)
    ("lost-parcel-signed-on-record", "home", "99", 0, {}, {"reason": "lost_parcel"}, {"recommended": "resend", "auto": False, "clause": "lost_parcel.signed_on_record"}),
    ("lost-parcel-vip-gift", "home", "99", 0, {"tier": "vip"}, {"reason": "lost_parcel"}, {"comp": ("gift", "30")}),
    # 质量问题（消法24）
    ("quality-day7", "home", "99", 7, {}, {"reason": "quality"}, {"allowed": ["return_refund", "exchange", "repair", "compensation"]}),
    ("quality-day8", "home", "99", 8, {}, {"reason": "quality"}, {"allowed": ["exchange", "repair", "compensation"]}),
    ("quality-day15", "home", "99", 15, {}, {"reason": "quality"}, {"recommended": "exchange"}),
    # 消法第24条: after seven days exchange and repair stay open (no 15-day end outside 三包); a return needs the
    # conditions for ending the contract, judged by a person; nothing is refunded on an exchange or a repair
    ("quality-day16", "home", "99", 16, {}, {"reason": "quality"}, {"allowed": ["exchange", "repair", "compensation"], "clause": "quality.after_exchange_period", "refund": "99.00", "auto": False}),
    ("quality-day800", "clothing", "99", 800, {}, {"reason": "quality"}, {"allowed": ["exchange", "repair", "compensation"], "refund": "99.00"}),
    ("quality-day8-return-on-request", "clothing", "99", 8, {}, {"reason": "quality"}, {"allowed": ["exchange", "repair", "compensation"], "refund": "99.00", "clause": "quality.return_on_request"}),
    ("quality-day3-refund", "clothing", "99", 3, {}, {"reason": "quality"}, {"recommended": "return_refund", "refund": "99.00"}),
    ("quality-food-not-repaired", "food", "39", 10, {}, {"reason": "quality"}, {"allowed": ["exchange", "compensation"]}),
    ("quality-fresh-day20-not-repaired", "fresh", "39", 20, {}, {"reason": "not_as_described"}, {"allowed": ["exchange", "compensation"]}),
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
    # the shop's limit caps the exchanges a buyer asks for, not one the law owes (消法24, 三包9–10, 民法典582)
    ("exchange-limit-quality", "home", "99", 9, {}, {"reason": "quality", "exchanges_so_far": 3}, {"allowed": ["exchange", "repair", "compensation"], "recommended": "exchange"}),
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


# More edges found in the issue-3 audit (same shape).
V += [
    # 七日无理由：品类与完好的边界
    ("jewelry-day7", "jewelry", "599", 7, {}, {"reason": "no_reason"}, {"recommended": "return_refund", "day": 7}),
    ("jewelry-day8", "jewelry", "599", 8, {}, {"reason": "no_reason"}, {"allowed": [], "clause": "no_reason.window"}),
    ("jewelry-tags-cut", "jewelry", "599", 2, {}, {"reason": "no_reason", "condition": "tags_removed"}, {"allowed": [], "clause": "categories.jewelry.intact"}),
    ("underwear-opened-not-confirmed", "underwear", "69", 2, {}, {"reason": "no_reason", "condition": "opened_unused"}, {"recommended": "return_refund", "clause": "categories.underwear.intact"}),
    ("food-unopened-confirmed", "food", "49", 2, {}, {"reason": "no_reason", "confirmed_exclusion_at_purchase": True}, {"recommended": "return_refund"}),
    ("nr-damaged", "home", "59", 2, {}, {"reason": "no_reason", "condition": "damaged"}, {"allowed": [], "clause": "categories.home.intact"}),
    ("shoes-missing-accessories", "shoes_bags", "259", 2, {}, {"reason": "no_reason", "condition": "missing_accessories"}, {"allowed": []}),
    ("nr-fresh-day0", "fresh", "88", 0, {}, {"reason": "no_reason"}, {"allowed": [], "clause": "no_reason.exception.fresh"}),
    ("size-fit-day8", "clothing", "99", 8, {}, {"reason": "size_fit"}, {"allowed": [], "clause": "no_reason.window"}),
    ("size-fit-vip", "clothing", "99", 3, {"tier": "vip"}, {"reason": "size_fit"}, {"recommended": "exchange", "payer": "merchant", "clause": "shipping.vip"}),
    ("size-fit-insured", "clothing", "99", 3, {"return_insurance": True}, {"reason": "size_fit"}, {"payer": "insurance", "clause": "shipping.insurance"}),
    ("ship-nr-silver-buyer", "clothing", "99", 2, {"tier": "silver"}, {"reason": "no_reason"}, {"payer": "buyer"}),
    # 运费：商家原因不看会员与运费险
    ("ship-quality-vip-is-merchant-fault", "home", "99", 2, {"tier": "vip"}, {"reason": "quality"}, {"payer": "merchant", "clause": "shipping.merchant.quality", "no_clause": "shipping.vip"}),
    ("ship-quality-insured-still-merchant", "home", "99", 2, {"return_insurance": True}, {"reason": "quality"}, {"payer": "merchant", "no_clause": "shipping.insurance"}),
    ("ship-wrong-item-day30", "clothing", "99", 30, {}, {"reason": "wrong_item", "has_photo": True}, {"recommended": "exchange", "payer": "merchant"}),
    ("missing-parts-no-photo", "home", "99", 2, {}, {"reason": "missing_parts"}, {"recommended": "resend", "auto": False}),
    ("transit-day0", "home", "99", 0, {}, {"reason": "damaged_in_transit", "has_photo": True}, {"recommended": "resend", "auto": True}),
    ("transit-no-photo", "home", "99", 1, {}, {"reason": "damaged_in_transit"}, {"recommended": "resend", "auto": False}),
    ("lost-parcel-not-delivered", "home", "99", None, {}, {"reason": "lost_parcel"}, {"allowed": ["resend", "refund_only"], "payer": "none"}),
    # 质量问题
    ("quality-day0", "home", "99", 0, {}, {"reason": "quality"}, {"recommended": "return_refund", "clause": "quality.return"}),
    ("nad-day8", "home", "99", 8, {}, {"reason": "not_as_described"}, {"allowed": ["exchange", "repair", "compensation"], "clause": "quality.exchange"}),
    ("nad-electronics-is-not-sanbao", "electronics", "599", 10, {}, {"reason": "not_as_described"}, {"clause": "quality.exchange", "no_clause": "sanbao.exchange"}),
    ("fault-outside-sanbao-is-quality", "home", "199", 3, {}, {"reason": "performance_fault"}, {"recommended": "return_refund", "clause": "quality.return", "payer": "merchant"}),
    ("care-home-washed-ignored", "home", "99", 3, {}, {"reason": "quality", "washed": True, "followed_care_label": False}, {"recommended": "return_refund", "no_clause": "categories.home.care"}),
    ("quality-gold-day20", "home", "99", 20, {"tier": "gold"}, {"reason": "quality"}, {"allowed": ["exchange", "repair", "compensation"], "comp": ("red_packet", "20")}),
    # 三包边界
    ("sanbao-day0", "electronics", "599", 0, {}, {"reason": "performance_fault"}, {"allowed": ["return_refund", "exchange", "repair"]}),
    ("sanbao-onsite-at-2000", "electronics", "2000", 20, {}, {"reason": "performance_fault"}, {"clause": "sanbao.onsite_repair"}),
    ("sanbao-onsite-in-return-period", "electronics", "2999", 3, {}, {"reason": "performance_fault"}, {"clause": "sanbao.onsite_repair"}),
    ("sanbao-no-onsite-after-warranty", "electronics", "2999", 400, {}, {"reason": "performance_fault"}, {"allowed": [], "no_clause": "sanbao.onsite_repair"}),
    ("sanbao-repairs-in-return-period", "electronics", "599", 5, {}, {"reason": "performance_fault", "failed_repairs": 2}, {"clause": "sanbao.return", "no_clause": "sanbao.failed_repairs"}),
    ("sanbao-three-repairs", "electronics", "599", 300, {}, {"reason": "performance_fault", "failed_repairs": 3}, {"allowed": ["exchange", "return_refund"]}),
    ("sanbao-deadlines", "electronics", "599", 1, {}, {"reason": "performance_fault"}, {"deadline": ("warranty_until", "2027-03-01")}),
    ("phone-day7", "mobile_phone", "3999", 7, {}, {"reason": "performance_fault"}, {"allowed": ["return_refund", "exchange", "repair"]}),
    ("phone-quality-is-fault", "mobile_phone", "3999", 20, {}, {"reason": "quality"}, {"allowed": ["exchange", "repair"], "payer": "merchant"}),
    # 换货次数上限
    ("exchange-limit-wrong-item", "clothing", "99", 2, {}, {"reason": "wrong_item", "exchanges_so_far": 2, "has_photo": True}, {"allowed": ["exchange", "return_refund"], "recommended": "exchange"}),
    ("exchange-limit-sanbao", "electronics", "599", 10, {}, {"reason": "performance_fault", "exchanges_so_far": 2}, {"allowed": ["exchange", "repair"], "recommended": "exchange"}),
    ("exchange-limit-no-reason", "clothing", "99", 2, {}, {"reason": "no_reason", "exchanges_so_far": 5}, {"allowed": ["return_refund", "compensation"]}),
    # 价保
    ("price-not-delivered", "clothing", "199", None, {}, {"reason": "price_drop", "current_price": Decimal("179")}, {"recommended": "price_protect", "refund": "20.00", "payer": "none"}),
    ("price-no-current", "clothing", "199", 1, {}, {"reason": "price_drop"}, {"allowed": [], "clause": "price_protection.no_difference"}),
    ("price-higher-now", "clothing", "199", 1, {}, {"reason": "price_drop", "current_price": Decimal("219")}, {"allowed": []}),
    ("price-deadline", "clothing", "199", 1, {}, {"reason": "price_drop", "current_price": Decimal("179")}, {"deadline": ("price_protect_until", "2026-03-05")}),
    ("price-line-total", "clothing", "133.33", 1, {"quantity": 3, "paid_total": Decimal("400.00")}, {"reason": "price_drop", "current_price": Decimal("120")}, {"refund": "40.00"}),
    # 补偿与自动通过
    ("late-delivered", "home", "99", 3, {}, {"reason": "late_shipment"}, {"allowed": ["compensation"], "recommended": "compensation", "auto": False, "payer": "none"}),
    ("transit-points-within-limit", "home", "99", 1, {}, {"reason": "damaged_in_transit", "has_photo": True}, {"comp": ("points", "500"), "needs_sup": False}),
    ("auto-just-over-price", "clothing", "300.01", 2, {}, {"reason": "no_reason"}, {"auto": False}),
    ("recall-expensive-still-auto", "electronics", "4999", 2, {}, {"reason": "recall"}, {"auto": True, "payer": "merchant"}),
    ("quality-never-auto-even-cheap", "home", "9.9", 1, {}, {"reason": "quality", "has_photo": True}, {"auto": False}),
    ("refund-line-total", "home", "33.33", 1, {"quantity": 3, "paid_total": Decimal("100.00")}, {"reason": "no_reason"}, {"refund": "100.00"}),
    # auto-approval looks at what leaves the shop, not only the unit price (auto_approve.max_refund, 1,000)
    ("auto-total-at-limit", "clothing", "250", 2, {"quantity": 4}, {"reason": "no_reason"}, {"auto": True, "refund": "1000.00"}),
    ("auto-total-over-limit", "clothing", "250", 2, {"quantity": 5}, {"reason": "no_reason"}, {"auto": False, "refund": "1250.00"}),
    ("auto-many-units", "clothing", "300", 2, {"quantity": 100000}, {"reason": "no_reason"}, {"auto": False}),
    ("auto-exchange-of-a-dear-line", "clothing", "200", 2, {"quantity": 6}, {"reason": "size_fit"}, {"recommended": "exchange", "auto": False}),
]


def _check(d, expected):
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


def _decide(cat, price, day, line_extra, claim_kw, policy):
    # given a line signed on SIGNED (or not delivered) and a claim
    delivered = SIGNED if day is not None else None
    line = LineFacts(category=cat, price_paid=Decimal(price), ordered_on=ORDERED, delivered_on=delivered, **line_extra)
    now = SIGNED + dt.timedelta(days=day or 0)
    # when the policy decides
    return decide(line, Claim(**claim_kw), now, policy=policy)


@pytest.mark.parametrize(("cat", "price", "day", "line_extra", "claim_kw", "expected"),
                         [v[1:] for v in V], ids=[v[0] for v in V])
def test_policy_vector(cat, price, day, line_extra, claim_kw, expected):
    # then the default policy's answer is the expected one
    _check(_decide(cat, price, day, line_extra, claim_kw, POLICY), expected)


def _variant(**patch) -> dict:
    """The default policy with some keys changed: 'a__b': value."""
    doc = copy.deepcopy(POLICY)
    for path, value in patch.items():
        node = doc
        keys = path.split("__")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    assert validate(doc) == []
    return doc


# Vectors under a shop's own variants of the policy (the clauses the default leaves unused).
VARIANTS = [
    ("balance-refund", {"price_protection__refund_to": "balance"}, "clothing", "199", 1, {}, {"reason": "price_drop", "current_price": Decimal("159")}, {"refund": "40.00", "clause": "price_protection.refund_to.balance"}),
    ("category-15-days-day15", {"categories__clothing__no_reason": {"days": 15}}, "clothing", "99", 15, {}, {"reason": "no_reason"}, {"recommended": "return_refund", "deadline": ("no_reason_until", "2026-03-16")}),
    ("category-15-days-day16", {"categories__clothing__no_reason": {"days": 15}}, "clothing", "99", 16, {}, {"reason": "no_reason"}, {"allowed": []}),
    ("no-vip-rule", {"shipping__vip_free_return_tiers": []}, "clothing", "99", 2, {"tier": "vip"}, {"reason": "no_reason"}, {"payer": "buyer"}),
    ("gold-vip-rule", {"shipping__vip_free_return_tiers": ["gold", "vip"]}, "clothing", "99", 2, {"tier": "gold"}, {"reason": "no_reason"}, {"payer": "merchant", "clause": "shipping.vip"}),
    ("insurance-not-counted", {"shipping__insurance_covers_no_reason": False}, "clothing", "99", 2, {"return_insurance": True}, {"reason": "no_reason"}, {"payer": "buyer"}),
    ("merchant-pays-no-reason", {"shipping__no_reason_payer": "merchant"}, "clothing", "99", 2, {}, {"reason": "no_reason"}, {"payer": "merchant"}),
    ("no-exchanges-allowed", {"exchange__max_exchanges": 0}, "clothing", "99", 2, {}, {"reason": "size_fit"}, {"allowed": ["return_refund", "compensation"], "clause": "exchange.limit"}),
    ("strict-agent-limit", {"compensation__agent_approval_limit": 5}, "home", "99", 2, {}, {"reason": "quality"}, {"comp": ("coupon", "10"), "needs_sup": True}),
    ("sanbao-one-repair-enough", {"sanbao__failed_repairs_for_exchange": 1}, "electronics", "599", 100, {}, {"reason": "performance_fault", "failed_repairs": 1}, {"allowed": ["exchange", "return_refund"]}),
    ("auto-approve-off", {"auto_approve__reasons": []}, "clothing", "99", 2, {}, {"reason": "no_reason"}, {"recommended": "return_refund", "auto": False}),
]


@pytest.mark.parametrize(("patch", "cat", "price", "day", "line_extra", "claim_kw", "expected"),
                         [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_policy_vector_under_a_shop_variant(patch, cat, price, day, line_extra, claim_kw, expected):
    _check(_decide(cat, price, day, line_extra, claim_kw, _variant(**patch)), expected)


def test_every_clause_the_engine_can_cite_is_exercised_by_a_vector():
    # given every vector's decision
    cited: set[str] = set()
    for v in V:
        cited.update(_decide(*v[1:6], POLICY).clauses)
    for v in VARIANTS:
        cited.update(_decide(*v[2:7], _variant(**v[1])).clauses)
    # then each clause family of the engine appears at least once
    families = {"no_reason.window", "no_reason.exception.custom_made", "no_reason.exception.fresh",
                "no_reason.exception.digital_goods", "no_reason.exception.audio_video_software",
                "no_reason.exception.books_periodicals", "categories.cosmetics.no_reason.confirmed_exclusion",
                "categories.clothing.intact", "categories.clothing.care", "no_reason.gifts", "refund.within_days",
                "quality.return", "quality.exchange", "quality.after_exchange_period", "quality.transit_damage_report",
                "sanbao.return", "sanbao.exchange", "sanbao.repair", "sanbao.failed_repairs", "sanbao.onsite_repair",
                "sanbao.warranty_expired", "categories.mobile_phone.sanbao.exchange",
                "merchant_fault.wrong_item", "merchant_fault.missing_parts", "merchant_fault.damaged_in_transit",
                "merchant_fault.lost_parcel", "shipping.no_reason", "shipping.insurance", "shipping.vip",
                "shipping.merchant.quality", "price_protection.window", "price_protection.no_difference",
                "price_protection.refund_to.original", "price_protection.refund_to.balance", "exchange.limit",
                "late_shipment", "recall", "not_delivered.refund_only", "manual_review",
                "compensation.quality.*", "compensation.quality.gold", "compensation.quality.vip",
                "compensation.late_shipment.*", "compensation.late_shipment.vip", "compensation.exchange_limit.*",
                "compensation.damaged_in_transit.*", "compensation.lost_parcel.vip"}
    assert families - cited == set()


def test_there_are_at_least_60_vectors():
    assert len(V) + len(VARIANTS) >= 60
    assert len({v[0] for v in V} | {v[0] for v in VARIANTS}) == len(V) + len(VARIANTS)  # ids are unique


def test_decide_is_pure_and_uses_default_policy_when_none_given():
    line = LineFacts(category="clothing", price_paid=Decimal("99"), ordered_on=ORDERED, delivered_on=SIGNED)
    a = decide(line, Claim(reason="no_reason"), SIGNED + dt.timedelta(days=3))
    b = decide(line, Claim(reason="no_reason"), dt.datetime(2026, 3, 4, 23, 0))
    assert a.to_json() == b.to_json()
    assert "寄回运费：买家承担" in a.explanation_zh


@pytest.mark.parametrize(("reason", "tier", "expected"), [
    ("late_shipment", "regular", ("coupon", Decimal("5"), "compensation.late_shipment.*")),
    ("late_shipment", "gold", ("coupon", Decimal("5"), "compensation.late_shipment.*")),  # no gold step
    ("late_shipment", "vip", ("red_packet", Decimal("10"), "compensation.late_shipment.vip")),
    ("quality", "gold", ("red_packet", Decimal("20"), "compensation.quality.gold")),
    ("size_fit", "vip", None),
])
def test_compensation_for_picks_the_tiers_step_else_the_shared_one(reason, tier, expected):
    from shouhou.policies.engine import compensation_for

    step = compensation_for(load_default(), reason=reason, tier=tier)
    assert (step and (step["kind"], step["amount"], step["clause"])) == expected
