"""Law vectors, round 7: situations the earlier tables did not hold, each row citing its source and run through the
claim JSON (`policies.claims.facts_from_json`) and `decide()` under the shipped default policy (or the 民法典203 option).
消法 = 消费者权益保护法; 办法 = 网络购买商品七日无理由退货暂行办法; 三包 = 部分商品修理更换退货责任规定;
民法典203: a period whose last day is a statutory rest day ends on the next workday (the Heilongjiang court's guide on
the 7-day return, jxhl.hljcourt.gov.cn detail 17976, applies it to 七日无理由). The platforms and the 办法 count natural
days, so the default policy does too; a shop may choose 民法典203 (`periods.extend_past_rest_days = true`): the holiday
vectors below run under such a policy, and the same dates under the default stay natural days. The holiday days are the
State Council's 放假安排 (2026: 春节 2-15…2-23, 中秋 9-25…9-27, 国庆 10-1…10-7; 10-10 a make-up workday).

Expected keys as in test_law_vectors.py: allowed, refund, payer, clause, no_clause, deadline, day, gift, refund_days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shouhou.policies.claims import facts_from_json
from shouhou.policies.document import load_default
from shouhou.policies.engine import decide, statutory_last_day
from shouhou.policies.tests.test_law_vectors import NR, Q7, _check

POLICY = load_default()
POLICY_203 = {**load_default(), "periods": {"extend_past_rest_days": True}}


def row(cat: str, reason: str, signed: str, now: str, **claim) -> dict:
    base = {"policy": "default", "category": cat, "reason": reason,
            "order_date": (dt.date.fromisoformat(signed) - dt.timedelta(days=3)).isoformat(), "price_paid": "99.00", "delivery_date": signed, "now": now}
    return {**base, **claim}


def row203(cat: str, reason: str, signed: str, now: str, **claim) -> dict:
    return {**row(cat, reason, signed, now, **claim), "policy": "civil_code_203"}


VECTORS = [
    # ── the 7 days end on a statutory holiday: 民法典203 → the day after the holiday (消法25, 办法 from the day after) ──
    ("消法25 办法 民法典203", "day7-in-national-day-extended-to-the-first-workday",
     row203("home", "no_reason", "2026-09-26", "2026-10-08"),
     {"allowed": NR, "day": 12, "deadline": ("no_reason_until", "2026-10-08"), "clause": "period.holiday_extension"}),
    ("消法25 办法 民法典203", "the-day-after-the-extension-is-late",
     row203("home", "no_reason", "2026-09-26", "2026-10-09"), {"allowed": [], "clause": "no_reason.window"}),
    ("消法25 办法 民法典203", "day7-in-spring-festival",
     row203("clothing", "no_reason", "2026-02-10", "2026-02-24"),
     {"allowed": NR, "deadline": ("no_reason_until", "2026-02-24")}),
    ("消法25 办法 民法典203", "holiday-at-the-start-does-not-lengthen-it",
     row203("home", "no_reason", "2026-10-02", "2026-10-10"),
     {"allowed": [], "day": 8, "deadline": ("no_reason_until", "2026-10-09")}),
    ("消法25 办法 民法典203", "no-extension-when-day7-is-a-workday",
     row203("home", "no_reason", "2026-10-02", "2026-10-09"),
     {"allowed": NR, "day": 7, "no_clause": "period.holiday_extension"}),
    ("消法24 民法典203", "quality-7-day-return-ending-in-the-holiday",
     row203("home", "quality", "2026-09-26", "2026-10-08"),
     {"allowed": Q7, "refund": "99.00", "payer": "merchant", "deadline": ("quality_return_until", "2026-10-08")}),
    ("三包 民法典203", "sanbao-return-ending-in-the-holiday",
     row203("electronics", "performance_fault", "2026-09-26", "2026-10-08"),
     {"allowed": ["return_refund", "exchange", "repair"], "deadline": ("sanbao_return_until", "2026-10-08")}),
    ("三包 民法典203", "sanbao-15-day-exchange-ending-in-the-holiday",
     row203("electronics", "performance_fault", "2026-09-18", "2026-10-08"),
     {"allowed": ["exchange", "repair"], "deadline": ("sanbao_exchange_until", "2026-10-08")}),
    ("消法25 办法 (自然日)", "default-policy-day8-in-national-day-is-late",
     row("home", "no_reason", "2026-09-26", "2026-10-04"),
     {"allowed": [], "clause": "no_reason.window", "deadline": ("no_reason_until", "2026-10-03")}),
    ("消法24 (自然日)", "default-policy-quality-day8-in-the-holiday-is-exchange",
     row("home", "quality", "2026-09-26", "2026-10-04"), {"deadline": ("quality_return_until", "2026-10-03")}),
    ("消法25 办法 民法典203", "civil-code-policy-an-ordinary-sunday-moves-to-monday",
     row203("home", "no_reason", "2026-03-01", "2026-03-09"),
     {"allowed": NR, "deadline": ("no_reason_until", "2026-03-09"), "clause": "period.holiday_extension"}),
    ("三包", "sanbao-exchange-over-after-the-extension",
     row203("electronics", "performance_fault", "2026-09-18", "2026-10-09"), {"allowed": ["repair"]}),
    # ── excluded by nature (消法25.1, 办法6), whatever the packaging ─────────────────────────────────────────────
    ("消法25.1(一)", "custom-made-unopened", row("custom_made", "no_reason", "2026-03-02", "2026-03-04"),
     {"allowed": [], "clause": "no_reason.exception.custom_made"}),
    ("消法25.1(二)", "fresh-unopened", row("fresh", "size_fit", "2026-03-02", "2026-03-03"),
     {"allowed": [], "clause": "no_reason.exception.fresh"}),
    ("消法25.1(三)", "software-sealed-but-downloaded",
     row("audio_video_software", "no_reason", "2026-03-02", "2026-03-03", downloaded=True),
     {"allowed": [], "clause": "no_reason.exception.audio_video_software"}),
    ("消法25.1(三)", "digital-goods-not-downloaded", row("digital_goods", "no_reason", "2026-03-02", "2026-03-03"),
     {"allowed": NR}),
    ("消法25.1(四)", "newspaper-delivered", row("books_periodicals", "no_reason", "2026-03-02", "2026-03-03"),
     {"allowed": [], "clause": "no_reason.exception.books_periodicals"}),
    ("消法24", "custom-made-defect-still-returnable", row("custom_made", "quality", "2026-03-02", "2026-03-09"),
     {"allowed": Q7, "payer": "merchant"}),
    # ── excluded only when the consumer confirmed at purchase (消法25.2, 办法7) ────────────────────────────────────
    ("办法7(一)", "underwear-opened-unconfirmed",
     row("underwear", "no_reason", "2026-03-02", "2026-03-05", condition="opened_unused"), {"allowed": NR}),
    ("办法7(一)", "cosmetics-opened-confirmed",
     row("cosmetics", "no_reason", "2026-03-02", "2026-03-05", condition="opened_unused",
         confirmed_exclusion_at_purchase=True),
     {"allowed": [], "clause": "categories.cosmetics.no_reason.confirmed_exclusion"}),
    ("办法7(一)", "food-sealed-confirmed-still-returnable",
     row("food", "no_reason", "2026-03-02", "2026-03-05", confirmed_exclusion_at_purchase=True), {"allowed": NR}),
    ("办法7(二)", "confirmed-but-only-tried-not-activated-clothing",
     row("clothing", "no_reason", "2026-03-02", "2026-03-05", confirmed_exclusion_at_purchase=True,
         condition="opened_unused"), {"allowed": NR}),
    # ── 三包 for listed goods: 7 return / 15 exchange / warranty repair; two failed repairs ──────────────────────────
    ("三包9", "phone-fault-day7-return", row("mobile_phone", "performance_fault", "2026-03-02", "2026-03-09"),
     {"allowed": ["return_refund", "exchange", "repair"], "refund": "99.00", "payer": "merchant"}),
    ("三包10", "phone-fault-day8-exchange", row("mobile_phone", "performance_fault", "2026-03-02", "2026-03-10"),
     {"allowed": ["exchange", "repair"], "payer": "merchant"}),  # a return on request refunds it (三包13)
    ("三包", "electronics-day200-repair", row("electronics", "performance_fault", "2026-03-02", "2026-09-18"),
     {"allowed": ["repair"], "payer": "merchant", "clause": "sanbao.repair"}),
    ("三包11", "two-failed-repairs-after-the-warranty-are-paid-repair",
     row("electronics", "performance_fault", "2026-03-02", "2027-04-01", failed_repairs=2),
     {"allowed": [], "clause": "sanbao.warranty_expired"}),
    ("三包11", "two-failed-repairs-day100-return-refunds-the-price",
     row("electronics", "performance_fault", "2026-03-02", "2026-06-10", failed_repairs=2, price_paid="1999.00"),
     {"allowed": ["exchange", "return_refund"], "refund": "1999.00", "payer": "merchant",
      "clause": "sanbao.failed_repairs", "refund_days": 7}),
    # ── price protection (店规: from the order date), a line of a multi-line order, gifts ──────────────────────────
    ("店规 价保", "price-drop-day7-of-the-order",
     row("home", "price_drop", "2026-03-02", "2026-03-06", order_date="2026-02-27", current_price="80.00"),
     {"allowed": ["price_protect"], "refund": "19.00", "payer": "none"}),
    ("店规 价保", "price-drop-day8-of-the-order",
     row("home", "price_drop", "2026-03-02", "2026-03-07", order_date="2026-02-27", current_price="80.00"),
     {"allowed": [], "clause": "price_protection.window"}),
    ("店规 价保", "price-up-nothing-to-refund",
     row("home", "price_drop", "2026-03-02", "2026-03-03", current_price="120.00"), {"allowed": []}),
    ("消法25.3", "two-of-five-units-of-one-line",
     row("home", "no_reason", "2026-03-02", "2026-03-04", price_paid="20.00", quantity=5, paid_total="90.00",
         return_quantity=2), {"allowed": NR, "refund": "36.00"}),
    ("办法12", "gift-worth-more-than-the-item-deducts-at-most-the-refund",
     row("home", "no_reason", "2026-03-02", "2026-03-04", price_paid="30.00", gift_value="50.00"),
     {"allowed": NR, "refund": "0.00", "gift": "30.00"}),
    ("办法12", "gifts-sent-back-nothing-deducted",
     row("home", "no_reason", "2026-03-02", "2026-03-04", condition="unopened"),
     {"allowed": NR, "refund": "99.00", "gift": None, "no_clause": "no_reason.gifts"}),
    ("消法24 办法12", "no-gift-deduction-on-a-quality-return",
     row("home", "quality", "2026-03-02", "2026-03-04", gift_value="20.00"),
     {"allowed": Q7, "refund": "99.00", "gift": None}),
    # ── refund within 7 days of receiving the return (消法25.3) and who pays shipping ────────────────────────────
    ("消法25.3", "refund-days-on-a-quality-return", row("home", "quality", "2026-03-02", "2026-03-04"),
     {"refund_days": 7, "clause": "refund.within_days"}),
    ("消法24", "defective-merchant-pays-even-with-insurance",
     row("home", "quality", "2026-03-02", "2026-03-04", return_insurance=True),
     {"payer": "merchant", "no_clause": "shipping.insurance"}),
    ("消法24", "not-as-described-merchant-pays", row("clothing", "not_as_described", "2026-03-02", "2026-03-04"),
     {"payer": "merchant"}),
    ("消法25.3", "size-does-not-fit-buyer-pays", row("clothing", "size_fit", "2026-03-02", "2026-03-04"),
     {"allowed": ["exchange", "return_refund"], "payer": "buyer"}),
    ("消法25.3 (约定)", "size-does-not-fit-with-insurance", row("clothing", "size_fit", "2026-03-02", "2026-03-04",
                                                                   return_insurance=True),
     {"payer": "insurance"}),
    ("消法24", "wrong-item-merchant-pays", row("clothing", "wrong_item", "2026-03-02", "2026-03-04"),
     {"allowed": ["exchange", "return_refund"], "payer": "merchant"}),
]


@pytest.mark.parametrize(("claim", "expected"), [v[2:] for v in VECTORS], ids=[f"{v[1]} [{v[0]}]" for v in VECTORS])
def test_round7_law_vector(claim, expected):
    claim = dict(claim)
    policy = POLICY_203 if claim.pop("policy") == "civil_code_203" else POLICY
    line, parsed, today = facts_from_json(claim)
    d = decide(line, parsed, today, policy=policy)
    _check(d, expected)
    assert d.refund_amount <= (line.paid_total if line.paid_total is not None else line.price_paid * line.quantity)


def test_round7_vector_ids_are_unique():
    ids = [v[1] for v in VECTORS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("start", "days", "last"), [
    ("2026-09-26", 7, "2026-10-08"),   # 10-03 in 国庆 (10-01…10-07): the day after the holiday
    ("2026-02-10", 7, "2026-02-24"),   # 02-17 in 春节 (02-15…02-23, weekend days inside it included)
    ("2026-10-02", 7, "2026-10-09"),   # a workday: unchanged
    ("2026-10-03", 7, "2026-10-10"),   # a Saturday made a workday (调休): unchanged
    ("2026-03-01", 7, "2026-03-09"),   # an ordinary Sunday: the Monday after (民法典203: 休假日 includes the weekend)
    ("2026-09-11", 15, "2026-09-28"),  # 09-26 is the weekend right after 中秋 (09-25): the block ends 09-27
    ("2026-12-25", 7, "2027-01-04"),   # 01-01 元旦 then the weekend 01-02, 01-03
])
def test_a_statutory_period_ending_on_a_rest_day_runs_to_the_next_workday_under_the_civil_code_option(
        start, days, last):
    assert statutory_last_day(dt.date.fromisoformat(start), days, past_rest_days=True).isoformat() == last


@pytest.mark.parametrize(("start", "days"), [("2026-09-26", 7), ("2026-03-01", 7), ("2026-12-25", 7)])
def test_by_default_the_periods_are_natural_days(start, days):
    begin = dt.date.fromisoformat(start)
    assert statutory_last_day(begin, days) == begin + dt.timedelta(days=days)


def test_the_option_is_validated_and_off_in_the_default_policy():
    from shouhou.policies.document import validate

    assert POLICY["periods"]["extend_past_rest_days"] is False
    assert validate({**POLICY, "periods": {"extend_past_rest_days": "yes"}}) == [
        "periods.extend_past_rest_days: 必须是 true 或 false"]
    assert validate({**POLICY, "periods": {"extend_holidays": True}}) == [
        "periods.extend_holidays: 未知配置项，可选: extend_past_rest_days"]


def test_the_extension_says_why_in_both_languages():
    claim = row("home", "no_reason", "2026-09-26", "2026-10-08")
    claim.pop("policy")
    line, parsed, today = facts_from_json(claim)
    d = decide(line, parsed, today, policy=POLICY_203)
    assert "2026-10-08" in d.explanation_zh and "法定休假日" in d.explanation_zh
    assert "2026-10-08" in d.explanation_en and "public holiday" in d.explanation_en
    assert d.refund_amount == Decimal("99.00")
