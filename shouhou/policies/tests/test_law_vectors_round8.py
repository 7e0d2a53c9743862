"""Law vectors, round 8: situations the earlier tables did not hold, each row citing its source, run through the claim
JSON (`policies.claims.facts_from_json`) and `decide()` under the shipped default policy.
消法 = 消费者权益保护法; 办法 = 网络购买商品七日无理由退货暂行办法; 三包 = 部分商品修理更换退货责任规定; 电商法 = 电子商务法.

New in this round: the 三包 warranty of goods exchanged or repaired. 三包 (as the State's 三包 summaries quote it):
「换货后的"三包"有效期自换货之日起重新计算」 and 「"三包"有效期应扣除因修理占用和无零配件待修的时间」 — claim keys
`replaced_date` (the last exchange) and `repair_days` (days the present unit spent being repaired); the case services
fill both from the line's resolved cases (cases/tests/test_law_vectors_round8.py). The 7-day period stays
counted from the sale (三包9: 自售出之日起; the 15-day one restarts on an exchange since round 9, 条例18). Also: transit damage on the report deadline, the parcel's risk
before sign-off, 三包 floors under a shorter promise, recalls years later, tags of toys and jewellery, who pays when
insurance and VIP meet.

Expected keys as in test_law_vectors.py: allowed, refund, payer, clause, no_clause, deadline, day, gift, refund_days,
auto."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shouhou.policies.claims import facts_from_json
from shouhou.policies.document import load_default
from shouhou.policies.engine import Claim, ClaimInputError, LineFacts, decide
from shouhou.policies.labels import clause_label
from shouhou.policies.tests.test_law_vectors import NR, Q7, _check

POLICY = load_default()
SIGNED = "2026-03-01"  # a year's warranty from this sign-off ends 2027-03-01


def row(cat: str, reason: str, now: str, **claim) -> dict:
    base = {"category": cat, "reason": reason, "order_date": "2026-02-26", "price_paid": "99.00",
            "delivery_date": SIGNED, "now": now}
    return {**base, **claim}


SB3 = ["return_refund", "exchange", "repair"]

VECTORS = [
    # ── 三包: the warranty starts again on an exchange; the days in repair do not count ────────────────────────────
    ("三包 换货后重新计算", "exchanged-unit-fails-after-the-first-year",
     row("electronics", "performance_fault", "2027-04-01", replaced_date="2026-06-01"),
     {"allowed": ["repair"], "payer": "merchant", "clause": "sanbao.warranty_restarted",
      "deadline": ("warranty_until", "2027-06-01")}),
    ("三包 换货后重新计算 民法典202", "exchanged-unit-last-day-of-its-year",
     row("electronics", "performance_fault", "2027-06-01", replaced_date="2026-06-01"), {"allowed": ["repair"]}),
    ("三包 换货后重新计算", "exchanged-unit-the-day-after-its-year",
     row("electronics", "performance_fault", "2027-06-02", replaced_date="2026-06-01"),
     {"allowed": [], "clause": "sanbao.warranty_expired"}),
    # round 9: this row said the 15-day exchange period did not restart on an exchange (三包10: 自售出之日起); 条例18
    # (2024) restarts the periods of the exchange and repair duties 自更换完成之日起 — not the return (退货) period:
    # test_law_vectors_round9.py holds the exchange period's vectors
    ("三包9 (自售出之日起) 条例18", "an-exchange-does-not-restart-the-7-day-return-period",
     row("electronics", "performance_fault", "2026-03-12", replaced_date="2026-03-10"),
     {"allowed": ["exchange", "repair"], "no_clause": "sanbao.warranty_restarted",
      "deadline": ("sanbao_return_until", "2026-03-08")}),
    ("三包 扣除修理占用时间", "twenty-days-in-repair-carry-the-warranty-on",
     row("electronics", "performance_fault", "2027-03-21", repair_days=20),
     {"allowed": ["repair"], "clause": "sanbao.repair_time", "deadline": ("warranty_until", "2027-03-21")}),
    ("三包 扣除修理占用时间", "and-not-a-day-more",
     row("electronics", "performance_fault", "2027-03-22", repair_days=20), {"allowed": []}),
    ("三包 扣除修理占用时间", "in-the-first-year-the-repair-time-is-not-cited",
     row("electronics", "performance_fault", "2026-09-01", repair_days=20),
     {"allowed": ["repair"], "no_clause": "sanbao.repair_time", "deadline": ("warranty_until", "2027-03-21")}),
    ("三包 换货 扣除修理", "both-exchange-and-repair-time",
     row("mobile_phone", "performance_fault", "2027-06-05", replaced_date="2026-06-01", repair_days=10),
     {"allowed": ["repair"], "clause": "sanbao.repair_time", "deadline": ("warranty_until", "2027-06-11")}),
    ("三包11 换货后重新计算", "two-failed-repairs-of-the-replacement-in-its-warranty",
     row("electronics", "performance_fault", "2027-04-01", replaced_date="2026-06-01", failed_repairs=2,
         price_paid="1299.00"),
     {"allowed": ["exchange", "return_refund"], "refund": "1299.00", "clause": "sanbao.failed_repairs",
      "refund_days": 7}),
    ("三包 主要部件 换货后重新计算", "main-part-of-an-exchanged-unit",
     row("electronics", "performance_fault", "2029-05-01", replaced_date="2026-06-01", main_part=True),
     {"allowed": ["repair"], "clause": "sanbao.main_part_repair", "deadline": ("main_part_warranty_until", "2029-06-01")}),
    ("消法24 (非三包商品)", "an-exchange-date-does-not-touch-a-home-items-quality-periods",
     row("home", "quality", "2026-03-12", replaced_date="2026-03-10"),
     {"allowed": ["exchange", "repair", "compensation"], "clause": "quality.exchange"}),
    # ── 三包 floors under a shorter promise, on-site repair, the exchange limit ─────────────────────────────────────
    ("三包 整机一年", "a-90-day-promise-still-gets-the-year",
     row("electronics", "performance_fault", "2026-12-01", warranty_days=90),
     {"allowed": ["repair"], "deadline": ("warranty_until", "2027-03-01")}),
    # the shop's exchange limit is for the exchanges a buyer asks for; 三包 art. 9 gives the buyer the choice of
    # return, exchange or repair whatever the shop's count (a 2026-12-07 law round; before, the limit withdrew it)
    ("三包9 店规 换货次数", "exchange-limit-leaves-the-statutory-exchange",
     row("electronics", "performance_fault", "2026-03-05", exchanges_so_far=2),
     {"allowed": ["return_refund", "exchange", "repair"], "payer": "merchant"}),
    ("三包 店规 上门维修", "a-large-appliance-is-repaired-on-site",
     row("electronics", "performance_fault", "2026-06-01", price_paid="2999.00"),
     {"allowed": ["repair"], "clause": "sanbao.onsite_repair"}),
    # ── 消法24, 电商法20: transit damage and the parcel's risk before sign-off ──────────────────────────────────────
    ("消法24 电商法20", "transit-damage-on-the-report-deadline-is-the-merchants",
     row("home", "damaged_in_transit", "2026-03-04", has_photo=True),
     {"allowed": ["resend", "return_refund", "refund_only"], "clause": "merchant_fault.damaged_in_transit",
      "auto": True}),
    ("消法24", "transit-damage-a-day-late-is-a-quality-return-checked-by-a-person",
     row("home", "damaged_in_transit", "2026-03-05", has_photo=True),
     {"allowed": Q7, "payer": "merchant", "clause": "quality.transit_damage_report", "auto": False}),
    ("电商法20", "lost-before-sign-off-resend-or-refund",
     {**row("home", "lost_parcel", "2026-03-04"), "delivery_date": None},
     {"allowed": ["resend", "refund_only"], "refund": "99.00", "payer": "none"}),
    ("电商法20", "damaged-before-sign-off-is-refund-only",
     {**row("home", "damaged_in_transit", "2026-03-04"), "delivery_date": None},
     {"allowed": ["refund_only"], "refund": "99.00", "clause": "not_delivered.refund_only"}),
    # ── 消法19 recall: whenever it comes, at the merchant's cost ──────────────────────────────────────────────────
    ("消法19", "recall-three-years-later", row("electronics", "recall", "2029-03-02"),
     {"allowed": SB3, "refund": "99.00", "payer": "merchant", "auto": True}),
    # ── 办法8, 9(三): tags of toys and jewellery ────────────────────────────────────────────────────────────────
    ("办法9(三)", "toy-tags-cut", row("toys", "no_reason", "2026-03-03", condition="tags_removed"),
     {"allowed": [], "clause": "categories.toys.intact"}),
    ("办法8 (商标标识齐全)", "jewellery-tag-cut", row("jewelry", "no_reason", "2026-03-03", condition="tags_removed"),
     {"allowed": [], "clause": "categories.jewelry.intact"}),
    ("办法8", "jewellery-box-opened-to-look", row("jewelry", "no_reason", "2026-03-03", condition="opened_unused"),
     {"allowed": NR}),
    # ── 消法24: the first day and repairs inside the first week ──────────────────────────────────────────────────
    ("消法24", "quality-on-the-day-of-sign-off", row("home", "quality", SIGNED), {"allowed": Q7, "day": 0}),
    ("消法24", "repaired-twice-within-seven-days-is-still-the-seven-day-return",
     row("home", "quality", "2026-03-08", failed_repairs=2), {"allowed": Q7, "clause": "quality.return"}),
    # ── 消法25.3 (约定): insurance pays before the VIP promise ───────────────────────────────────────────────────
    ("消法25.3 (约定)", "insurance-before-the-vip-promise",
     row("home", "no_reason", "2026-03-03", return_insurance=True, tier="vip"),
     {"allowed": NR, "payer": "insurance", "no_clause": "shipping.vip"}),
]


@pytest.mark.parametrize(("claim", "expected"), [v[2:] for v in VECTORS], ids=[f"{v[1]} [{v[0]}]" for v in VECTORS])
def test_round8_law_vector(claim, expected):
    line, parsed, today = facts_from_json(claim)
    d = decide(line, parsed, today, policy=POLICY)
    _check(d, expected)
    assert d.refund_amount <= (line.paid_total if line.paid_total is not None else line.price_paid * line.quantity)


def test_round8_vector_ids_are_unique():
    ids = [v[1] for v in VECTORS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("claim", "field"), [
    ({"replaced_date": "2026-02-20"}, "claim.replaced_date"),  # exchanged before it was signed for
    ({"replaced_date": "2027-05-01"}, "claim.now"),  # exchanged after `now` (located at the later event)
    ({"delivery_date": None, "replaced_date": "2026-03-10"}, "claim.replaced_date"),  # never signed for
    ({"repair_days": -1}, "claim.repair_days"),
    ({"repair_days": "20"}, "claim.repair_days"),
    ({"repair_days": 3651}, "claim.repair_days"),
])
def test_the_exchange_and_repair_facts_are_checked(claim, field):
    with pytest.raises(ClaimInputError) as exc:
        facts_from_json({**row("electronics", "performance_fault", "2027-04-01"), **claim})
    assert field in {f for f, _ in exc.value.located}


def test_decide_refuses_the_same_facts_given_by_hand():
    line = LineFacts(category="electronics", price_paid=Decimal("99.00"), ordered_on=dt.date(2026, 2, 26),
                     delivered_on=dt.date(2026, 3, 1), replaced_on=dt.date(2026, 2, 27), repair_days=-3)
    with pytest.raises(ClaimInputError) as exc:
        decide(line, Claim(reason="performance_fault"), dt.date(2026, 6, 1), policy=POLICY)
    assert {f for f, _ in exc.value.located} == {"line.replaced_on", "line.repair_days"}


def test_the_new_clauses_say_why_in_both_languages():
    line, parsed, today = facts_from_json(row("electronics", "performance_fault", "2027-06-05",
                                              replaced_date="2026-06-01", repair_days=10))
    d = decide(line, parsed, today, policy=POLICY)
    assert "2026-06-01换货" in d.explanation_zh and "扣除维修占用的10天" in d.explanation_zh
    assert "exchanged on 2026-06-01" in d.explanation_en and "10 days the item spent in repair" in d.explanation_en
    assert clause_label("sanbao.warranty_restarted") != "sanbao.warranty_restarted"
    assert clause_label("sanbao.repair_time") != "sanbao.repair_time"
