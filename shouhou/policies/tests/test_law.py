"""Law vectors: each row cites the clause it checks (消法 = Consumer Rights Protection Law; 办法 = SAMR's
Interim Measures on 7-day no-reason returns for online purchases; 三包 = the repair/exchange/return rules).
The shipped default policy must give at least what the law gives; so must a published policy (see
test_document's floors) and a version published before the floors existed (the engine applies them)."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest

from shouhou.policies.document import PolicyError, default_source, load_default, parse
from shouhou.policies.engine import Claim, LineFacts, decide

ORDERED = dt.date(2026, 4, 28)
SIGNED = dt.date(2026, 5, 1)
POLICY = load_default()


def _decide(cat: str, day: int | None, claim: dict, *, price: str = "99", policy: dict = POLICY, **line):
    # given a line ordered on ORDERED, signed for on SIGNED (None: not delivered), decided `day` days later
    if "return_quantity" in claim:  # a partial return: three units, 100 yuan for the line (a discount shared)
        price, line = "33.33", {"quantity": 3, "paid_total": Decimal("100.00"), **line}
    facts = LineFacts(category=cat, price_paid=Decimal(price), ordered_on=ORDERED,
                      delivered_on=SIGNED if day is not None else None, **line)
    return decide(facts, Claim(**claim), SIGNED + dt.timedelta(days=day or 0), policy=policy)


# (clause, id, category, day after sign-off, claim, expected allowed (None: not checked), expected extra)
LAW = [
    # 消法第25条第一款 / 办法第十条: seven days, counted from the day after sign-off
    ("消法25.1 办法10", "window-day7-inside", "home", 7, {"reason": "no_reason"}, ["return_refund", "exchange"],
     {"deadline": ("no_reason_until", "2026-05-08")}),
    ("消法25.1 办法10", "window-day8-outside", "home", 8, {"reason": "no_reason"}, [], {"clause": "no_reason.window"}),
    ("消法25.1 办法10", "window-sign-day-is-day0", "home", 0, {"reason": "no_reason"}, ["return_refund", "exchange"],
     {"day": 0}),
    # 消法第25条第一款(一)(二)(四): custom-made, fresh, delivered periodicals are never no-reason returns
    ("消法25.1(一)", "custom-made", "custom_made", 1, {"reason": "no_reason"}, [], {"clause": "no_reason.exception.custom_made"}),
    ("消法25.1(二)", "fresh", "fresh", 1, {"reason": "no_reason"}, [], {"clause": "no_reason.exception.fresh"}),
    ("消法25.1(四)", "periodicals", "books_periodicals", 1, {"reason": "no_reason"}, [],
     {"clause": "no_reason.exception.books_periodicals"}),
    # … but only newspapers and periodicals: a book is returned like other goods
    ("消法25.1(四)", "books-returnable", "books", 3, {"reason": "no_reason"}, ["return_refund", "exchange"],
     {"no_clause": "no_reason.exception.books_periodicals"}),
    # 办法第九条(三): washed apparel is not intact for a no-reason return (a washed defect is a quality matter)
    ("办法9(三)", "washed-clothing-not-intact", "clothing", 2, {"reason": "no_reason", "washed": True}, [],
     {"clause": "categories.clothing.intact"}),
    ("办法9(三)", "unwashed-clothing-intact", "clothing", 2, {"reason": "no_reason", "washed": False},
     ["return_refund", "exchange"], {}),
    ("办法9(三)", "washed-phone-irrelevant", "electronics", 2, {"reason": "no_reason", "washed": True},
     ["return_refund", "exchange"], {}),
    # 消法第25条第一款(三): audio/video/software only once downloaded or unsealed by the consumer
    ("消法25.1(三)", "avs-sealed-returnable", "audio_video_software", 3, {"reason": "no_reason"},
     ["return_refund", "exchange"], {"no_clause": "no_reason.exception.audio_video_software"}),
    ("消法25.1(三)", "avs-unsealed-excluded", "audio_video_software", 3,
     {"reason": "no_reason", "condition": "opened_unused"}, [], {"clause": "no_reason.exception.audio_video_software"}),
    ("消法25.1(三)", "avs-seal-broken-excluded", "audio_video_software", 3,
     {"reason": "no_reason", "condition": "seal_broken"}, [], {"clause": "no_reason.exception.audio_video_software"}),
    ("消法25.1(三)", "avs-downloaded-excluded", "audio_video_software", 3, {"reason": "no_reason", "downloaded": True},
     [], {"clause": "no_reason.exception.audio_video_software"}),
    ("消法25.1(三)", "digital-not-downloaded-returnable", "digital_goods", 3, {"reason": "no_reason"},
     ["return_refund", "exchange"], {}),
    ("消法25.1(三)", "digital-downloaded-excluded", "digital_goods", 3, {"reason": "no_reason", "downloaded": True},
     [], {"clause": "no_reason.exception.digital_goods"}),
    # 消法第25条第二款 / 办法第七条: unsuitable by nature only if the buyer confirmed at purchase
    ("消法25.2 办法7", "underwear-opened-not-confirmed", "underwear", 2,
     {"reason": "no_reason", "condition": "opened_unused"}, ["return_refund", "exchange"], {}),
    ("消法25.2 办法7", "underwear-opened-confirmed", "underwear", 2,
     {"reason": "no_reason", "condition": "opened_unused", "confirmed_exclusion_at_purchase": True}, [],
     {"clause": "categories.underwear.no_reason.confirmed_exclusion"}),
    ("消法25.2 办法7", "cosmetics-opened-not-confirmed", "cosmetics", 2,
     {"reason": "no_reason", "condition": "opened_unused"}, ["return_refund", "exchange"], {}),
    ("消法25.2 办法7", "cosmetics-opened-confirmed", "cosmetics", 2,
     {"reason": "no_reason", "condition": "opened_unused", "confirmed_exclusion_at_purchase": True}, [],
     {"clause": "categories.cosmetics.no_reason.confirmed_exclusion"}),
    ("消法25.2 办法7", "cosmetics-unopened-confirmed", "cosmetics", 2,
     {"reason": "no_reason", "confirmed_exclusion_at_purchase": True}, ["return_refund", "exchange"], {}),
    ("消法25.2 办法7", "confirmation-means-nothing-for-clothing", "clothing", 2,
     {"reason": "no_reason", "condition": "opened_unused", "confirmed_exclusion_at_purchase": True},
     ["return_refund", "exchange"], {}),
    # 办法第八条: opening to inspect keeps goods intact; 第九条: a broken one-time seal of food/cosmetics does not
    ("办法8", "electronics-opened-to-inspect", "electronics", 2, {"reason": "no_reason", "condition": "opened_unused"},
     ["return_refund", "exchange"], {}),
    ("办法9(一)", "food-seal-broken", "food", 2, {"reason": "no_reason", "condition": "seal_broken"}, [],
     {"clause": "categories.food.intact"}),
    ("办法9(一)", "cosmetics-seal-broken", "cosmetics", 2, {"reason": "no_reason", "condition": "seal_broken"}, [],
     {"clause": "categories.cosmetics.intact"}),
    ("办法8", "toys-seal-is-just-packaging", "toys", 2, {"reason": "no_reason", "condition": "seal_broken"},
     ["return_refund", "exchange"], {}),
    ("办法9(三)", "clothing-tags-cut", "clothing", 2, {"reason": "no_reason", "condition": "tags_removed"}, [],
     {"clause": "categories.clothing.intact"}),
    ("办法8", "missing-accessories", "electronics", 2, {"reason": "no_reason", "condition": "missing_accessories"}, [],
     {"clause": "categories.electronics.intact"}),
    # 办法第十二条: gifts not sent back are paid for (their marked value deducted), the return stands
    ("办法12", "gifts-missing-deducted", "clothing", 2,
     {"reason": "no_reason", "condition": "missing_gifts", "gift_value": Decimal("20")}, ["return_refund", "exchange"],
     {"refund": "79.00", "gift": "20.00", "clause": "no_reason.gifts"}),
    ("办法12", "gifts-missing-value-unknown", "clothing", 2, {"reason": "no_reason", "condition": "missing_gifts"},
     ["return_refund", "exchange"], {"refund": "99.00", "gift": None, "clause": "no_reason.gifts"}),
    ("办法12", "gifts-worth-more-than-the-item", "clothing", 2,
     {"reason": "no_reason", "condition": "missing_gifts", "gift_value": Decimal("150")}, ["return_refund", "exchange"],
     {"refund": "0.00", "gift": "99.00"}),
    # 消法第25条第三款 / 办法第十三条: refund within 7 days of receiving the returned goods
    ("消法25.3 办法13", "refund-within-7-days", "home", 2, {"reason": "no_reason"}, None,
     {"refund_days": 7, "clause": "refund.within_days"}),
    ("消法25.3", "no-refund-deadline-without-return", "home", 2, {"reason": "missing_parts", "has_photo": True}, None,
     {"refund_days": None}),
    # 消法第25条第三款: the buyer pays no-reason return shipping unless agreed otherwise
    ("消法25.3", "no-reason-buyer-pays", "home", 2, {"reason": "no_reason"}, None, {"payer": "buyer"}),
    # 消法第24条: quality problems are returnable within 7 days whatever the no-reason exclusions
    ("消法24", "quality-fresh", "fresh", 2, {"reason": "quality"}, ["return_refund", "exchange", "compensation"],
     {"payer": "merchant"}),
    ("消法24", "quality-custom-made", "custom_made", 7, {"reason": "quality"},
     ["return_refund", "exchange", "repair", "compensation"],
     {"payer": "merchant"}),
    ("消法24", "quality-opened-underwear-confirmed", "underwear", 3,
     {"reason": "quality", "condition": "opened_unused", "confirmed_exclusion_at_purchase": True},
     ["return_refund", "exchange", "compensation"], {"payer": "merchant"}),
    ("消法24", "quality-downloaded-software", "audio_video_software", 3, {"reason": "quality", "downloaded": True},
     ["return_refund", "exchange", "repair", "compensation"], {}),
    ("消法24", "quality-day8-exchange-or-repair", "home", 8, {"reason": "quality"}, ["exchange", "repair", "compensation"],
     {"payer": "merchant"}),
    # 消法第24条 sets no end to 更换、修理 after the first seven days (outside 三包's listed goods)
    ("消法24", "quality-day40-exchange-still-open", "home", 40, {"reason": "quality"},
     ["exchange", "repair", "compensation"], {"payer": "merchant", "clause": "quality.after_exchange_period"}),
    ("消法24", "not-as-described-merchant-pays", "clothing", 4, {"reason": "not_as_described"}, None,
     {"payer": "merchant", "clause": "shipping.merchant.not_as_described"}),
    ("消法24", "late-transit-damage-still-returnable", "home", 5, {"reason": "damaged_in_transit", "has_photo": True},
     ["return_refund", "exchange", "repair", "compensation"], {"payer": "merchant", "auto": False}),
    # 三包 arts. 9–11: 7 days return/exchange/repair, 15 days exchange/repair, two failed repairs → exchange/return
    ("三包9", "sanbao-day7", "electronics", 7, {"reason": "performance_fault"}, ["return_refund", "exchange", "repair"],
     {"payer": "merchant"}),
    ("三包10", "sanbao-day15", "electronics", 15, {"reason": "performance_fault"}, ["exchange", "repair"], {}),
    ("三包10", "sanbao-day16", "electronics", 16, {"reason": "performance_fault"}, ["repair"], {}),
    ("三包11", "sanbao-two-failed-repairs", "electronics", 200, {"reason": "performance_fault", "failed_repairs": 2},
     ["exchange", "return_refund"], {}),
    # 消法第24条: return, or exchange, or repair — the buyer's choice from day one, not only after day seven
    ("消法24", "quality-day3-repair-offered", "home", 3, {"reason": "quality"},
     ["return_refund", "exchange", "repair", "compensation"], {"refund": "99.00", "payer": "merchant"}),
    ("消法24", "quality-day3-food-not-repaired", "food", 3, {"reason": "quality"},
     ["return_refund", "exchange", "compensation"], {}),
    # 消法第24条 (the conditions for ending the contract) as 三包11 says it: repaired twice and still defective →
    # exchange or return, past the first seven days too, outside 三包's listed goods
    ("消法24 三包11", "quality-two-failed-repairs-day30", "home", 30, {"reason": "quality", "failed_repairs": 2},
     ["exchange", "return_refund", "compensation"], {"clause": "quality.failed_repairs", "refund": "99.00",
                                                     "payer": "merchant", "auto": False}),
    ("消法24", "quality-one-failed-repair-day30", "home", 30, {"reason": "quality", "failed_repairs": 1},
     ["exchange", "repair", "compensation"], {"refund": "99.00", "clause": "quality.return_on_request"}),
    # 三包 (微型计算机、家用电器): a main part's warranty outlasts the whole unit's (2 / 3 years); phones have none
    ("三包 主要部件", "sanbao-main-part-day400", "electronics", 400, {"reason": "performance_fault", "main_part": True},
     ["repair"], {"clause": "sanbao.main_part_repair", "payer": "merchant",
                  "deadline": ("main_part_warranty_until", "2029-05-01")}),
    # three years from 2026-05-01 end on 2029-05-01 (Civil Code arts. 201, 202), day 1096 across 29 Feb 2028
    ("三包 主要部件", "sanbao-main-part-last-day", "electronics", 1096, {"reason": "performance_fault", "main_part": True},
     ["repair"], {}),
    ("三包 主要部件", "sanbao-main-part-over", "electronics", 1097, {"reason": "performance_fault", "main_part": True},
     [], {"clause": "sanbao.warranty_expired"}),
    ("三包 整机", "sanbao-other-part-day400", "electronics", 400, {"reason": "performance_fault"}, [],
     {"clause": "sanbao.warranty_expired"}),
    ("移动电话三包", "phone-main-part-day400", "mobile_phone", 400, {"reason": "performance_fault", "main_part": True},
     [], {"clause": "sanbao.warranty_expired"}),
    # 办法 (refund of the price paid for what comes back): a partial return refunds the returned units' share
    ("消法25.3 办法13", "partial-return-1-of-3", "home", 2, {"reason": "no_reason", "return_quantity": 1},
     ["return_refund", "exchange"], {"refund": "33.33"}),
    ("消法25.3 办法13", "partial-return-all-3", "home", 2, {"reason": "no_reason", "return_quantity": 3},
     ["return_refund", "exchange"], {"refund": "100.00"}),
    ("消法24", "partial-quality-return-2-of-3", "home", 2, {"reason": "quality", "return_quantity": 2}, None,
     {"refund": "66.67"}),
    # not delivered: refund only (nothing to send back)
    ("消法25", "not-delivered", "home", None, {"reason": "no_reason"}, ["refund_only"], {"payer": "none"}),
]


def _check(d, allowed, extra):
    if allowed is not None:
        assert d.allowed == allowed
    if "clause" in extra:
        assert extra["clause"] in d.clauses
    if "no_clause" in extra:
        assert extra["no_clause"] not in d.clauses
    if "payer" in extra:
        assert d.shipping_payer == extra["payer"]
    if "refund" in extra:
        assert str(d.refund_amount) == extra["refund"]
    if "gift" in extra:
        assert (None if d.gift_deduction is None else str(d.gift_deduction)) == extra["gift"]
    if "refund_days" in extra:
        assert d.refund_within_days == extra["refund_days"]
    if "auto" in extra:
        assert d.auto_approved is extra["auto"]
    if "day" in extra:
        assert d.day == extra["day"]
    if "deadline" in extra:
        key, value = extra["deadline"]
        assert d.deadlines[key] == value


@pytest.mark.parametrize(("cat", "day", "claim", "allowed", "extra"), [v[2:] for v in LAW],
                         ids=[f"{v[1]} [{v[0]}]" for v in LAW])
def test_law_vector(cat, day, claim, allowed, extra):
    # when the shipped default policy decides, then it gives what the cited clause gives
    _check(_decide(cat, day, claim), allowed, extra)


@pytest.mark.parametrize(("warranty", "day", "allowed"), [(730, 400, ["repair"]), (730, 731, ["repair"]),
                                                         (730, 732, []), (90, 300, ["repair"]), (None, 400, [])])
def test_a_longer_warranty_promised_for_the_product_binds_the_shop(warranty, day, allowed):
    # 消法24 (当事人约定), 三包: the product's own warranty card promises `warranty` days; a shorter one than the
    # statutory year changes nothing; two years from 2026-05-01 end on 2028-05-01, day 731 (29 Feb 2028 between)
    d = _decide("electronics", day, {"reason": "performance_fault"}, warranty_days=warranty)
    assert d.allowed == allowed


def test_the_seventh_day_ends_at_midnight_in_shanghai():
    # 办法10: day 1 is the day after sign-off; the last day ends at 24:00 on the Asia/Shanghai calendar
    facts = LineFacts(category="home", price_paid=Decimal("99"), ordered_on=ORDERED, delivered_on=SIGNED)
    tz = dt.timezone(dt.timedelta(hours=8))
    inside = decide(facts, Claim(reason="no_reason"), dt.datetime(2026, 5, 8, 23, 59, 59, tzinfo=tz), policy=POLICY)
    outside = decide(facts, Claim(reason="no_reason"), dt.datetime(2026, 5, 8, 16, 0, 0, tzinfo=dt.UTC), policy=POLICY)
    assert (inside.day, inside.allowed) == (7, ["return_refund", "exchange"])
    assert (outside.day, outside.allowed) == (8, [])


def test_gift_deduction_is_in_the_decision_json_and_explanation():
    d = _decide("clothing", 2, {"reason": "no_reason", "condition": "missing_gifts", "gift_value": Decimal("20")})
    assert (d.to_json()["refund_amount"], d.to_json()["gift_deduction"]) == ("79.00", "20.00")
    assert "赠品未一并退回，按赠品标价 20.00 元从退款中扣除" in d.explanation_zh
    assert "商家收到退回商品后7日内退款" in d.explanation_zh


# A version published before the floors existed (stored, read with law=False) still decides lawfully.
OLD_UNLAWFUL = (default_source()
                .replace("days = 7                         # 自签收次日起算", "days = 3")
                .replace('"books_periodicals"]', '"books_periodicals", "clothing"]')
                .replace("exchange_days = 15\nwarranty_days", "exchange_days = 10\nwarranty_days")
                .replace("warranty_days = 365", "warranty_days = 90")
                .replace("failed_repairs_for_exchange = 2", "failed_repairs_for_exchange = 5")
                .replace('merchant_reasons = ["quality", ', 'merchant_reasons = [')
                + '\n[categories.home]\nno_reason = { enabled = false }\n'
                + 'intact = { opened_unused_ok = false, gifts_required = true }\n')
OLD = parse(OLD_UNLAWFUL, law=False)


@pytest.mark.parametrize(("clause", "cat", "day", "claim", "allowed", "extra"), [
    ("消法25.1 window floor", "clothing", 7, {"reason": "no_reason"}, ["return_refund", "exchange"], {}),
    ("消法25.1 not an exception", "clothing", 2, {"reason": "no_reason"}, ["return_refund", "exchange"], {}),
    ("消法25 cannot be switched off", "home", 2, {"reason": "no_reason"}, ["return_refund", "exchange"], {}),
    ("办法8 opened to inspect", "home", 2, {"reason": "no_reason", "condition": "opened_unused"},
     ["return_refund", "exchange"], {}),
    ("消法24 merchant pays", "home", 2, {"reason": "quality"}, None, {"payer": "merchant"}),
    ("三包10 exchange floor", "electronics", 15, {"reason": "performance_fault"}, ["exchange", "repair"], {}),
    ("三包 warranty floor", "electronics", 300, {"reason": "performance_fault"}, ["repair"], {}),
    ("三包11 two repairs", "electronics", 200, {"reason": "performance_fault", "failed_repairs": 2},
     ["exchange", "return_refund"], {}),
])
def test_an_old_unlawful_version_still_decides_at_the_statutory_floor(clause, cat, day, claim, allowed, extra):
    # given a stored version that breaks the law (it can no longer be published)
    with pytest.raises(PolicyError):
        parse(OLD_UNLAWFUL)
    # when it decides, then the floor of the cited clause holds
    _check(_decide(cat, day, claim, policy=OLD), allowed, extra)


def test_more_generous_policies_are_honoured():
    # given a shop offering 15-day no-reason returns and free return shipping
    doc = copy.deepcopy(POLICY)
    doc["no_reason"]["days"] = 15
    doc["shipping"]["no_reason_payer"] = "merchant"
    # when a buyer asks on day 15, then the shop's promise stands
    d = _decide("home", 15, {"reason": "no_reason"}, policy=doc)
    assert (d.allowed, d.shipping_payer) == (["return_refund", "exchange"], "merchant")
