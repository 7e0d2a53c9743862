"""Law vectors, round 9: situations the earlier tables did not hold, each row citing its article, run through the claim
JSON (`policies.claims.facts_from_json`) and `decide()` under the shipped default policy.

Sources, with the article numbers checked against the texts this round (docs/policy.md "Law"):
办法 = 网络购买商品七日无理由退货暂行办法 (工商总局令第90号, rev. 市场监管总局令第31号, 2020) — 6 (the four exclusions),
7 (excluded only with the buyer's confirmation at purchase), 8 (intact; opening to inspect and reasonable testing keep it),
9 (not intact), 10 (the seven days from the day after sign-off), 12 (gifts), 13 (refund within seven days of receiving
the goods), 14 (refund by the way it was paid), 18 (return shipping: the buyer's unless agreed; a free-shipping offer
lost by the return may be deducted), 20 para. 2 (no confirmation, no refusal);
条例 = 消费者权益保护法实施条例 (国务院令第778号, 2024) — 18 (the periods of the return, exchange and repair duties run from
delivery, or from the completed installation of goods the merchant installs; restart on an exchange; repair time not
counted), 19 (no widening of the exclusions; not a default-ticked option; without confirmation no refusal; inspection and
reasonable testing); 三包 = 部分商品修理更换退货责任规定 — 8 (the 三包 period; invoice and 三包凭证; its official reading: a
last day on a statutory rest day moves to the day after), 9 (7 days: return, exchange or repair), 10 (15 days: exchange or
repair), 11 (two failed repairs: exchange or return); 消法 = 消费者权益保护法.

New in this round (failed before the fix): goods the merchant installs count their 三包 periods and warranty from the
installation (claim key `installed_date`, clause `sanbao.from_installation`); after an exchange the 15-day (phones:
30-day) exchange period starts again from the exchange, as 条例18 says of the exchange and repair duties (clause
`sanbao.exchange_restarted`; round 8 had counted it from the sale only); under the 民法典203 option a 三包 warranty
ending on a rest day runs to the next workday, as its return and exchange periods already did.

Expected keys as in test_law_vectors.py: allowed, refund, payer, clause, no_clause, deadline, day, gift, ship_deduction,
refund_days, auto."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shouhou.policies.claims import facts_from_json
from shouhou.policies.document import load_default
from shouhou.policies.engine import Claim, ClaimInputError, LineFacts, decide
from shouhou.policies.labels import clause_label
from shouhou.policies.tests.test_law_vectors import NR, _check

POLICY = load_default()
SB3 = ["return_refund", "exchange", "repair"]


def row(cat: str, reason: str, signed: str, now: str, **claim) -> dict:
    ordered = (dt.date.fromisoformat(signed) - dt.timedelta(days=3)).isoformat()
    base = {"category": cat, "reason": reason, "order_date": ordered, "price_paid": "99.00", "delivery_date": signed,
            "now": now}
    return {**base, **claim}


VECTORS = [
    # ── 办法10: the seven days count from the day after sign-off — over month ends ─────────────────────────────────────
    ("办法10", "signed-31-january-day7-is-7-february", row("home", "no_reason", "2026-01-31", "2026-02-07"),
     {"allowed": NR, "day": 7, "deadline": ("no_reason_until", "2026-02-07")}),
    ("办法10", "signed-31-january-8-february-is-late", row("home", "no_reason", "2026-01-31", "2026-02-08"),
     {"allowed": [], "clause": "no_reason.window", "day": 8}),
    ("办法10", "signed-28-february-common-year-day7-is-7-march", row("home", "no_reason", "2026-02-28", "2026-03-07"),
     {"allowed": NR, "deadline": ("no_reason_until", "2026-03-07")}),
    ("办法10", "signed-30-april-day7-is-7-may-natural-days", row("home", "no_reason", "2026-04-30", "2026-05-07"),
     {"allowed": NR, "deadline": ("no_reason_until", "2026-05-07"), "no_clause": "period.holiday_extension"}),
    ("办法10", "signed-30-april-8-may-is-late", row("home", "no_reason", "2026-04-30", "2026-05-08"),
     {"allowed": []}),
    ("消法24", "quality-seven-days-over-the-end-of-august", row("home", "quality", "2026-08-28", "2026-09-04"),
     {"allowed": ["return_refund", "exchange", "repair", "compensation"],
      "deadline": ("quality_return_until", "2026-09-04")}),
    ("三包10", "fifteen-day-exchange-over-the-end-of-january",
     row("electronics", "performance_fault", "2026-01-20", "2026-02-04"),
     {"allowed": ["exchange", "repair"], "deadline": ("sanbao_exchange_until", "2026-02-04")}),
    ("三包10", "the-day-after-the-fifteen-days-is-repair", row("electronics", "performance_fault", "2026-01-20", "2026-02-05"),
     {"allowed": ["repair"], "clause": "sanbao.repair"}),
    # ── 办法6: excluded by law, whatever the reason given for the return ────────────────────────────────────────────
    ("办法6(一)", "custom-made-size-does-not-fit", row("custom_made", "size_fit", "2026-03-01", "2026-03-03"),
     {"allowed": [], "clause": "no_reason.exception.custom_made"}),
    ("办法6(二) 消法24", "fresh-goods-spoiled-on-arrival-is-a-quality-return",
     row("fresh", "quality", "2026-03-01", "2026-03-02"),
     {"allowed": ["return_refund", "exchange", "compensation"], "refund": "99.00", "payer": "merchant"}),
    # ── 办法7 and 20 para. 2, 条例19: without the confirmation at purchase, no refusal ─────────────────────────────────────
    ("办法7(一) 办法20 条例19", "cosmetics-opened-without-confirmation-keeps-the-right",
     row("cosmetics", "no_reason", "2026-03-01", "2026-03-04", condition="opened_unused"),
     {"allowed": NR, "clause": "no_reason.window", "no_clause": "categories.cosmetics.no_reason.confirmed_exclusion"}),
    ("办法7(三) 办法20 条例19", "near-expiry-food-without-confirmation-keeps-the-right",
     row("food", "no_reason", "2026-03-01", "2026-03-04", sold_as_flawed=True),
     {"allowed": NR, "no_clause": "no_reason.confirmed_exclusion.sold_as_flawed"}),
    ("办法7 条例19 (不得擅自扩大)", "a-confirmation-on-goods-of-none-of-the-kinds-excludes-nothing",
     row("home", "no_reason", "2026-03-01", "2026-03-04", condition="opened_unused", confirmed_exclusion_at_purchase=True),
     {"allowed": NR, "clause": "no_reason.window"}),
    ("办法7(一) 办法8", "underwear-confirmed-but-still-sealed-is-returnable",
     row("underwear", "no_reason", "2026-03-01", "2026-03-04", confirmed_exclusion_at_purchase=True),
     {"allowed": NR}),
    # ── 办法8, 9, 条例19 para. 3: intact ────────────────────────────────────────────────────────────────────────────
    ("办法8 条例19", "phone-unboxed-and-tried-not-activated-is-intact",
     row("mobile_phone", "no_reason", "2026-03-01", "2026-03-04", condition="opened_unused", price_paid="2999.00"),
     {"allowed": NR, "refund": "2999.00", "clause": "categories.mobile_phone.intact"}),
    ("办法8", "shoes-box-opened-and-tried-on-is-intact",
     row("shoes_bags", "size_fit", "2026-03-01", "2026-03-04", condition="opened_unused"),
     {"allowed": ["exchange", "return_refund"], "payer": "buyer"}),
    ("办法9(三)", "home-textiles-washed-are-not-intact", row("home", "no_reason", "2026-03-01", "2026-03-04", washed=True),
     {"allowed": [], "clause": "categories.home.intact"}),
    ("办法9(一)", "food-with-its-seal-broken-unconfirmed-is-not-intact",
     row("food", "no_reason", "2026-03-01", "2026-03-04", condition="seal_broken"),
     {"allowed": [], "clause": "categories.food.intact"}),
    # ── 办法12: gifts; 办法18: return shipping and the free-shipping offer; 办法13: the refund's seven days ─────────────────
    ("办法12", "gift-kept-on-a-size-return", row("shoes_bags", "size_fit", "2026-03-01", "2026-03-04", gift_value="30.00"),
     {"allowed": ["exchange", "return_refund"], "refund": "69.00", "gift": "30.00", "clause": "no_reason.gifts"}),
    ("办法18.2 办法18.1 (另有约定)", "free-shipping-deducted-though-the-vip-return-is-free",
     row("home", "no_reason", "2026-03-01", "2026-03-04", price_paid="50.00", tier="vip", free_shipping_lost="10.00"),
     {"allowed": NR, "refund": "40.00", "ship_deduction": "10.00", "payer": "merchant", "clause": "shipping.vip"}),
    ("办法18.2 三包9", "no-free-shipping-deduction-on-a-3bao-return",
     row("electronics", "performance_fault", "2026-03-01", "2026-03-04", free_shipping_lost="10.00"),
     {"allowed": SB3, "refund": "99.00", "ship_deduction": None, "payer": "merchant", "refund_days": 7}),
    ("办法13", "refund-within-seven-days-of-receipt-on-a-size-return",
     row("clothing", "size_fit", "2026-03-01", "2026-03-04"), {"refund_days": 7, "clause": "refund.within_days"}),
    # ── 条例18: goods the merchant installs — the 三包 periods run from the completed installation ─────────────────────
    ("条例18 三包8", "installed-appliance-warranty-runs-from-the-installation",
     row("electronics", "performance_fault", "2026-03-01", "2027-03-10", installed_date="2026-03-20"),
     {"allowed": ["repair"], "clause": "sanbao.from_installation", "deadline": ("warranty_until", "2027-03-20")}),
    ("条例18 三包8", "installed-appliance-the-last-day-of-its-year",
     row("electronics", "performance_fault", "2026-03-01", "2027-03-20", installed_date="2026-03-20"),
     {"allowed": ["repair"]}),
    ("条例18 三包8", "installed-appliance-the-day-after-its-year",
     row("electronics", "performance_fault", "2026-03-01", "2027-03-21", installed_date="2026-03-20"),
     {"allowed": [], "clause": "sanbao.warranty_expired"}),
    ("条例18 三包9", "installed-appliance-seven-day-return-from-the-installation",
     row("electronics", "performance_fault", "2026-03-01", "2026-03-12", installed_date="2026-03-06", price_paid="2599.00"),
     {"allowed": SB3, "refund": "2599.00", "clause": "sanbao.from_installation",
      "deadline": ("sanbao_return_until", "2026-03-13")}),
    ("条例18 三包10", "installed-appliance-fifteen-day-exchange-from-the-installation",
     row("electronics", "performance_fault", "2026-03-01", "2026-03-21", installed_date="2026-03-06"),
     {"allowed": ["exchange", "repair"], "clause": "sanbao.from_installation",
      "deadline": ("sanbao_exchange_until", "2026-03-21")}),
    ("条例18 三包 主要部件", "installed-appliance-main-part-from-the-installation",
     row("electronics", "performance_fault", "2026-03-01", "2029-03-10", installed_date="2026-03-20", main_part=True),
     {"allowed": ["repair"], "clause": "sanbao.from_installation",
      "deadline": ("main_part_warranty_until", "2029-03-20")}),
    ("条例18 三包11", "installed-and-repaired-twice-exchange-or-return",
     row("electronics", "performance_fault", "2026-03-01", "2027-03-15", installed_date="2026-03-20", failed_repairs=2),
     {"allowed": ["exchange", "return_refund"], "clause": "sanbao.failed_repairs"}),
    ("条例18 三包9", "installed-the-day-it-came-changes-nothing",
     row("electronics", "performance_fault", "2026-03-01", "2026-03-05", installed_date="2026-03-01"),
     {"allowed": SB3, "no_clause": "sanbao.from_installation"}),
    ("条例18 三包8", "in-the-plain-year-the-installation-is-not-cited",
     row("electronics", "performance_fault", "2026-03-01", "2026-09-01", installed_date="2026-03-20"),
     {"allowed": ["repair"], "no_clause": "sanbao.from_installation", "deadline": ("warranty_until", "2027-03-20")}),
    ("消法25 办法10 (自收到商品之日起)", "an-installation-does-not-move-the-no-reason-window",
     row("electronics", "no_reason", "2026-03-01", "2026-03-10", installed_date="2026-03-06"),
     {"allowed": [], "clause": "no_reason.window"}),
    ("消法24 (自收到商品之日起)", "an-installation-does-not-move-a-home-items-quality-return",
     row("home", "quality", "2026-03-01", "2026-03-10", installed_date="2026-03-06"),
     {"allowed": ["exchange", "repair", "compensation"], "clause": "quality.exchange"}),
    # ── 条例18: after an exchange, the periods of the exchange and repair duties start again (not the return period) ──
    ("条例18 三包10", "an-exchange-restarts-the-15-day-exchange-period",
     row("electronics", "performance_fault", "2026-03-01", "2026-03-20", replaced_date="2026-03-10"),
     {"allowed": ["exchange", "repair"], "clause": "sanbao.exchange_restarted",
      "deadline": ("sanbao_exchange_until", "2026-03-25")}),
    ("条例18 三包10", "the-restarted-exchange-period-last-day",
     row("electronics", "performance_fault", "2026-03-01", "2026-03-25", replaced_date="2026-03-10"),
     {"allowed": ["exchange", "repair"]}),
    ("条例18 三包10", "the-restarted-exchange-period-the-day-after",
     row("electronics", "performance_fault", "2026-03-01", "2026-03-26", replaced_date="2026-03-10"),
     {"allowed": ["repair"], "clause": "sanbao.repair", "no_clause": "sanbao.exchange_restarted"}),
    ("条例18 三包10", "an-exchange-inside-the-first-period-is-not-cited-there",
     row("electronics", "performance_fault", "2026-03-01", "2026-03-14", replaced_date="2026-03-05"),
     {"allowed": ["exchange", "repair"], "no_clause": "sanbao.exchange_restarted"}),
    ("条例18 移动电话三包", "a-phone-exchanged-on-day-24-has-thirty-days-again",
     row("mobile_phone", "performance_fault", "2026-03-01", "2026-04-20", replaced_date="2026-03-25"),
     {"allowed": ["exchange", "repair"], "clause": "sanbao.exchange_restarted",
      "deadline": ("sanbao_exchange_until", "2026-04-24")}),
    ("条例18 三包11", "two-failed-repairs-of-the-new-unit-in-its-exchange-period",
     row("electronics", "performance_fault", "2026-03-01", "2026-03-20", replaced_date="2026-03-10", failed_repairs=2),
     {"allowed": ["exchange", "return_refund"], "clause": "sanbao.failed_repairs"}),
    # ── 三包8: the order record proves the purchase — a lost 三包凭证 takes nothing away ─────────────────────────────────
    ("三包8 (凭发票)", "no-warranty-card-the-order-date-counts",
     row("electronics", "performance_fault", "2026-03-01", "2026-11-01"),
     {"allowed": ["repair"], "deadline": ("warranty_until", "2027-03-01")}),
]


@pytest.mark.parametrize(("claim", "expected"), [v[2:] for v in VECTORS], ids=[f"{v[1]} [{v[0]}]" for v in VECTORS])
def test_round9_law_vector(claim, expected):
    line, parsed, today = facts_from_json(claim)
    d = decide(line, parsed, today, policy=POLICY)
    _check(d, expected)
    assert d.refund_amount <= (line.paid_total if line.paid_total is not None else line.price_paid * line.quantity)


def test_round9_vector_ids_are_unique():
    ids = [v[1] for v in VECTORS]
    assert len(ids) == len(set(ids))


CIVIL_CODE = {**POLICY, "periods": {"extend_past_rest_days": True}}


@pytest.mark.parametrize(("policy", "allowed", "clause"), [
    (CIVIL_CODE, ["repair"], "period.holiday_extension"),  # the option: the warranty's Sunday moves to Monday
    (POLICY, [], "sanbao.warranty_expired"),               # the default: natural days
])
def test_a_warranty_ending_on_a_sunday_under_the_civil_code_option(policy, allowed, clause):
    # given a sign-off on 2026-03-07: the year's warranty ends on Sunday 2027-03-07 (三包8's reading, 民法典203)
    line, parsed, _ = facts_from_json(row("electronics", "performance_fault", "2026-03-07", "2027-03-08"))
    # when the fault is reported on Monday 2027-03-08
    d = decide(line, parsed, dt.date(2027, 3, 8), policy=policy)
    # then under the option the warranty ran to Monday: a free repair; by default it had ended
    assert d.allowed == allowed and clause in d.clauses
    if policy is CIVIL_CODE:
        assert d.deadlines["warranty_until"] == "2027-03-08"
        assert "2027-03-08" in d.explanation_zh


@pytest.mark.parametrize(("claim", "field"), [
    ({"installed_date": "2026-02-27"}, "claim.installed_date"),  # installed before it was signed for
    ({"installed_date": "2027-05-01"}, "claim.now"),  # installed after `now` (located at the later event)
    ({"delivery_date": None, "installed_date": "2026-03-10"}, "claim.installed_date"),  # never signed for
    ({"installed_date": "20260310"}, "claim.installed_date"),
    ({"installed_date": True}, "claim.installed_date"),
])
def test_the_installation_date_is_checked(claim, field):
    with pytest.raises(ClaimInputError) as exc:
        facts_from_json({**row("electronics", "performance_fault", "2026-03-01", "2027-04-01"), **claim})
    assert field in {f for f, _ in exc.value.located}


def test_decide_refuses_an_installation_before_the_sign_off_given_by_hand():
    line = LineFacts(category="electronics", price_paid=Decimal("99.00"), ordered_on=dt.date(2026, 2, 26),
                     delivered_on=dt.date(2026, 3, 1))
    with pytest.raises(ClaimInputError) as exc:
        decide(line, Claim(reason="performance_fault", installed_on=dt.date(2026, 2, 28)), dt.date(2026, 6, 1),
               policy=POLICY)
    assert {f for f, _ in exc.value.located} == {"claim.installed_on"}


def test_the_installation_says_why_in_both_languages():
    line, parsed, today = facts_from_json(row("electronics", "performance_fault", "2026-03-01", "2027-03-10",
                                              installed_date="2026-03-20"))
    d = decide(line, parsed, today, policy=POLICY)
    assert "安装完成之日（2026-03-20）" in d.explanation_zh and "实施条例第18条" in d.explanation_zh
    assert "installation (2026-03-20" in d.explanation_en
    assert clause_label("sanbao.from_installation") != "sanbao.from_installation"
    line, parsed, today = facts_from_json(row("electronics", "performance_fault", "2026-03-01", "2026-03-20",
                                              replaced_date="2026-03-10"))
    d = decide(line, parsed, today, policy=POLICY)
    assert "2026-03-10换货，换货期自换货之日起重新计算" in d.explanation_zh
    assert "exchange period runs again" in d.explanation_en
    assert clause_label("sanbao.exchange_restarted") != "sanbao.exchange_restarted"


@pytest.mark.parametrize(("days", "cause", "owed"), [
    (30, "repairer", False), (31, "repairer", True), (90, "parts", False), (91, "parts", True),
    (400, None, False),  # no cause recorded: the delay may be the buyer's own; nothing owed automatically
])
def test_the_30_and_90_day_repair_rule(days, cause, owed):
    # 三包12: 自送修之日起超过90日未修好的（生产者未供应零配件）…因修理者自身原因使修理期超过30日的 → 免费调换
    from shouhou.policies.engine import sanbao_repair_overdue

    assert sanbao_repair_overdue(days_in_repair=days, cause=cause) is owed
