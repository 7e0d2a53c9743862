"""Law vectors, round 10: the rows the earlier tables did not hold, each citing its article, run through the claim JSON
(`policies.claims.facts_from_json`) and `decide()` under the shipped default policy; and the statutory damages of
消法55 and 食品安全法148 (`engine.statutory_damages`), new this round.

Sources (docs/policy.md "Law"): 办法 = 网络购买商品七日无理由退货暂行办法 — 6 (the four exclusions), 7 and 20 para. 2
(excluded only once opened and only with the buyer's confirmation at purchase), 8 (intact), 10 (the seven days from the
day after sign-off), 12 (gifts: sent back, or their marked value paid — a no-reason return's rule), 18 (return postage:
the buyer's unless agreed); 消法 = 消费者权益保护法 — 24 (quality: the merchant bears transport and other necessary
costs), 25 (no-reason returns), 55 para. 1 (fraud: three times the price paid, at least 500 yuan); 食品安全法 148 para. 2
(unsafe food: ten times the price paid or three times the loss, at least 1,000 yuan; not for a labelling flaw that
neither affects safety nor misleads); 民法典 203 (a period whose last day is a rest day ends on the next workday: the
policy option `periods.extend_past_rest_days`); 三包 = 部分商品修理更换退货责任规定 — 8 (a year's warranty, the invoice or
order record proves the purchase), 10, 11 (two failed repairs).

New in this round (failed before the fix): the statutory damages did not exist (no minimum could be applied)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shouhou.policies.claims import facts_from_json
from shouhou.policies.document import load_default
from shouhou.policies.engine import ClaimInputError, decide, statutory_damages
from shouhou.policies.labels import clause_label
from shouhou.policies.tests.test_law_vectors import NR, _check

POLICY = load_default()
CIVIL_CODE = {**POLICY, "periods": {"extend_past_rest_days": True}}
QUALITY_ALL = ["return_refund", "exchange", "repair", "compensation"]


def row(cat: str, reason: str, signed: str, now: str, **claim) -> dict:
    ordered = (dt.date.fromisoformat(signed[:10]) - dt.timedelta(days=3)).isoformat()
    base = {"category": cat, "reason": reason, "order_date": ordered, "price_paid": "99.00", "delivery_date": signed,
            "now": now}
    return {**base, **claim}


VECTORS = [
    # ── 办法10: the day of sign-off is not counted — over a year end, and at Beijing midnight ─────────────────────────
    ("办法10", "signed-31-december-day7-is-7-january", row("home", "no_reason", "2026-12-31", "2027-01-07"),
     {"allowed": NR, "day": 7, "deadline": ("no_reason_until", "2027-01-07")}),
    ("办法10", "signed-31-december-8-january-is-late", row("home", "no_reason", "2026-12-31", "2027-01-08"),
     {"allowed": [], "day": 8, "clause": "no_reason.window"}),
    ("办法10", "signed-at-23-59-beijing-day7-ends-that-week",
     row("home", "no_reason", "2026-06-10T23:59:00+08:00", "2026-06-17T23:59:00+08:00"),
     {"allowed": NR, "day": 7}),
    ("办法10", "signed-at-00-01-beijing-counts-from-that-beijing-day",  # 16:01 UTC on 06-10 is 06-11 in Beijing
     row("home", "no_reason", "2026-06-10T16:01:00+00:00", "2026-06-18T12:00:00+08:00"),
     {"allowed": NR, "day": 7, "deadline": ("no_reason_until", "2026-06-18")}),
    # ── 办法6 / 消法25.1: fresh, custom-made, digital goods ────────────────────────────────────────────────────────────
    ("办法6(二)", "fresh-goods-unopened-size-fit-still-excluded", row("fresh", "size_fit", "2026-03-01", "2026-03-02"),
     {"allowed": [], "clause": "no_reason.exception.fresh"}),
    ("办法6(一) 消法24", "custom-made-with-a-defect-is-a-quality-return",
     row("custom_made", "quality", "2026-03-01", "2026-03-05"),
     {"allowed": QUALITY_ALL, "refund": "99.00", "payer": "merchant", "no_clause": "no_reason.exception.custom_made"}),
    ("办法6(三)", "digital-goods-still-sealed-are-returnable",
     row("digital_goods", "no_reason", "2026-03-01", "2026-03-05", condition="unopened"),
     {"allowed": NR, "clause": "no_reason.window"}),
    ("办法6(三)", "digital-goods-activated-online-are-excluded",
     row("digital_goods", "no_reason", "2026-03-01", "2026-03-05", condition="unopened", activated=True),
     {"allowed": [], "clause": "no_reason.exception.digital_goods"}),
    ("办法6(三)", "software-downloaded-is-excluded",
     row("audio_video_software", "no_reason", "2026-03-01", "2026-03-02", downloaded=True),
     {"allowed": [], "clause": "no_reason.exception.audio_video_software"}),
    # ── 办法7, 20 para. 2: the shop's mark binds only once opened, and only with the buyer's confirmation ─────────────────
    ("办法7(一) 办法20", "underwear-confirmed-but-still-sealed-is-returnable",
     row("underwear", "no_reason", "2026-03-01", "2026-03-04", condition="unopened", confirmed_exclusion_at_purchase=True),
     {"allowed": NR, "no_clause": "categories.underwear.no_reason.confirmed_exclusion"}),
    ("办法7(一) 办法20", "underwear-confirmed-and-opened-is-excluded",
     row("underwear", "no_reason", "2026-03-01", "2026-03-04", condition="opened_unused",
         confirmed_exclusion_at_purchase=True),
     {"allowed": [], "clause": "categories.underwear.no_reason.confirmed_exclusion"}),
    ("办法7(一) 办法20", "food-opened-without-confirmation-keeps-the-right",
     row("food", "no_reason", "2026-03-01", "2026-03-04", condition="opened_unused"),
     {"allowed": NR}),
    ("条例19", "a-confirmation-on-clothing-excludes-nothing",
     row("clothing", "no_reason", "2026-03-01", "2026-03-04", condition="opened_unused",
         confirmed_exclusion_at_purchase=True),
     {"allowed": NR}),
    # ── 办法18, 消法24: who pays the postage ─────────────────────────────────────────────────────────────────────────
    ("办法18", "no-reason-return-postage-is-the-buyers", row("home", "no_reason", "2026-03-01", "2026-03-04"),
     {"payer": "buyer", "clause": "shipping.no_reason"}),
    ("办法18 (另有约定)", "return-shipping-insurance-pays-a-no-reason-return",
     row("home", "no_reason", "2026-03-01", "2026-03-04", return_insurance=True),
     {"payer": "insurance", "clause": "shipping.insurance"}),
    ("消法24", "a-quality-exchange-on-day-10-is-at-the-merchants-cost",
     row("home", "quality", "2026-03-01", "2026-03-11"),
     {"allowed": ["exchange", "repair", "compensation"], "payer": "merchant", "clause": "shipping.merchant.quality"}),
    ("消法24", "a-quality-return-with-insurance-is-still-the-merchants",
     row("home", "quality", "2026-03-01", "2026-03-04", return_insurance=True),
     {"payer": "merchant", "no_clause": "shipping.insurance"}),
    ("消法24", "a-wrong-item-is-the-merchants-cost", row("clothing", "wrong_item", "2026-03-01", "2026-03-20"),
     {"allowed": ["exchange", "return_refund"], "payer": "merchant"}),
    # ── 办法12: gifts — on a no-reason return only ──────────────────────────────────────────────────────────────────
    ("办法12", "gift-kept-its-marked-value-is-deducted",
     row("home", "no_reason", "2026-03-01", "2026-03-04", gift_value="30.00"),
     {"allowed": NR, "refund": "69.00", "gift": "30.00", "clause": "no_reason.gifts"}),
    ("办法12 消法24", "gift-kept-on-a-quality-return-is-not-deducted",
     row("home", "quality", "2026-03-01", "2026-03-04", gift_value="30.00"),
     {"allowed": QUALITY_ALL, "refund": "99.00", "gift": None, "no_clause": "no_reason.gifts"}),
    # ── partial returns: the returned units' share of what was paid ─────────────────────────────────────────────────
    ("消法25.3", "one-of-three-units-of-a-discounted-line",
     row("home", "no_reason", "2026-03-01", "2026-03-04", quantity=3, paid_total="100.00", price_paid="33.33",
         return_quantity=1),
     {"allowed": NR, "refund": "33.33"}),
    ("消法25.3", "two-of-three-units-take-their-share",
     row("home", "no_reason", "2026-03-01", "2026-03-04", quantity=3, paid_total="100.00", price_paid="33.33",
         return_quantity=2),
     {"allowed": NR, "refund": "66.67"}),
    # ── 三包11: repairs counted; 三包8: the year's warranty, no 三包凭证 needed ────────────────────────────────────────────
    ("三包11", "one-failed-repair-is-another-repair",
     row("electronics", "performance_fault", "2026-03-01", "2026-07-01", failed_repairs=1),
     {"allowed": ["repair"], "clause": "sanbao.repair"}),
    ("三包11", "two-failed-repairs-exchange-or-return",
     row("electronics", "performance_fault", "2026-03-01", "2026-07-01", failed_repairs=2),
     {"allowed": ["exchange", "return_refund"], "clause": "sanbao.failed_repairs", "payer": "merchant"}),
    ("三包8", "last-day-of-the-years-warranty", row("electronics", "performance_fault", "2026-03-01", "2027-03-01"),
     {"allowed": ["repair"], "deadline": ("warranty_until", "2027-03-01")}),
    ("三包8", "the-day-after-the-warranty-is-paid-repair",
     row("electronics", "performance_fault", "2026-03-01", "2027-03-02"),
     {"allowed": [], "clause": "sanbao.warranty_expired"}),
    ("三包 (当事人约定)", "a-two-year-promise-binds-in-the-second-year",
     row("electronics", "performance_fault", "2026-03-01", "2027-09-01", warranty_days=730),
     {"allowed": ["repair"], "deadline": ("warranty_until", "2028-03-01")}),
]


@pytest.mark.parametrize(("claim", "expected"), [v[2:] for v in VECTORS], ids=[f"{v[1]} [{v[0]}]" for v in VECTORS])
def test_round10_law_vector(claim, expected):
    line, parsed, today = facts_from_json(claim)
    d = decide(line, parsed, today, policy=POLICY)
    _check(d, expected)
    assert d.refund_amount <= (line.paid_total if line.paid_total is not None else line.price_paid * line.quantity)


def test_round10_vector_ids_are_unique():
    ids = [v[1] for v in VECTORS]
    assert len(ids) == len(set(ids))


# ── 民法典203 (option on): a window whose last day is a Saturday runs to Monday ───────────────────────────────────────

@pytest.mark.parametrize(("now", "allowed"), [
    ("2026-03-14", NR),   # day 7, a Saturday
    ("2026-03-16", NR),   # Monday: the next workday, still inside
    ("2026-03-17", []),   # Tuesday: late
])
def test_a_no_reason_window_ending_on_a_saturday_under_the_civil_code_option(now, allowed):
    line, parsed, today = facts_from_json(row("home", "no_reason", "2026-03-07", now))
    d = decide(line, parsed, today, policy=CIVIL_CODE)
    assert d.allowed == allowed
    assert d.deadlines["no_reason_until"] == "2026-03-16"
    # under the default (natural days, as the platforms count) the window ends on the Saturday
    plain = decide(line, parsed, today, policy=POLICY)
    assert plain.deadlines["no_reason_until"] == "2026-03-14"


# ── 消法55 para. 1 and 食品安全法148 para. 2: the punitive damages and their minimums ───────────────────────────────────

@pytest.mark.parametrize(("basis", "price", "loss", "amount", "minimum"), [
    ("fraud", "100.00", "0", "500", True),          # 3 × 100 = 300 < 500: the minimum
    ("fraud", "166.66", "0", "500", True),          # 499.98 < 500
    ("fraud", "166.67", "0", "500.01", False),      # 500.01
    ("fraud", "200.00", "0", "600.00", False),
    ("fraud", "0.00", "0", "500", True),            # a free item sold by fraud: still 500
    ("fraud", "100.00", "5000.00", "500", True),    # 55 para. 1 does not multiply the loss (claimed beside it)
    ("food_safety", "50.00", "0", "1000", True),    # 10 × 50 = 500 < 1,000: the minimum
    ("food_safety", "99.99", "0", "1000", True),
    ("food_safety", "100.01", "0", "1000.10", False),
    ("food_safety", "150.00", "0", "1500.00", False),
    ("food_safety", "20.00", "400.00", "1200.00", False),   # three times the loss, when higher
    ("food_safety", "300.00", "400.00", "3000.00", False),  # ten times the price, when higher
])
def test_statutory_damages_with_their_minimums(basis, price, loss, amount, minimum):
    d = statutory_damages(basis=basis, price_paid=Decimal(price), loss=Decimal(loss))
    assert d is not None
    assert d.amount == Decimal(amount) and d.minimum_applied is minimum
    assert d.clause == {"fraud": "damages.fraud_55", "food_safety": "damages.food_safety_148"}[basis]
    assert ("第55条" if basis == "fraud" else "第148条") in d.explanation_zh
    assert ("art. 55" if basis == "fraud" else "art. 148") in d.explanation_en
    assert str(d.amount) in d.explanation_zh and str(d.amount) in d.explanation_en
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in d.explanation_en)
    assert d.to_json()["amount"] == str(d.amount)
    assert clause_label(d.clause) != d.clause


def test_a_labelling_flaw_that_neither_affects_safety_nor_misleads_gives_no_ten_fold_damages():
    assert statutory_damages(basis="food_safety", price_paid=Decimal("50.00"), label_only=True) is None
    # a labelling flaw is no excuse from 消法55 when the label was a fraud
    assert statutory_damages(basis="fraud", price_paid=Decimal("50.00"), label_only=True).amount == Decimal("500")


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"basis": "punitive", "price_paid": Decimal("10")}, "basis"),
    ({"basis": "fraud", "price_paid": Decimal("-1")}, "price_paid"),
    ({"basis": "fraud", "price_paid": Decimal("NaN")}, "price_paid"),
    ({"basis": "food_safety", "price_paid": Decimal("10"), "loss": Decimal("0.001")}, "loss"),
    ({"basis": "fraud", "price_paid": 10.5}, "price_paid"),
])
def test_damages_refuse_bad_input_located(kwargs, field):
    with pytest.raises(ClaimInputError) as exc:
        statutory_damages(**kwargs)
    assert [f for f, _ in exc.value.located] == [field]
