"""The pure engine on a line earlier after-sales already partly paid back (`LineFacts.units_refunded`,
`LineFacts.refunded`): the refund is a share of what is left and the last units get all of it (消法25.3, 办法13: the
merchant refunds what the consumer paid — once); impossible refund facts are located errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shouhou.policies.document import load_default
from shouhou.policies.engine import Claim, ClaimInputError, LineFacts, decide, refund_share

SIGNED = dt.date(2026, 5, 1)
TODAY = dt.date(2026, 5, 3)
POLICY = load_default()


def _line(**kw):
    base = {"category": "home", "price_paid": Decimal("33.33"), "quantity": 3, "paid_total": Decimal("100.00"),
            "ordered_on": dt.date(2026, 4, 28), "delivered_on": SIGNED}
    return LineFacts(**{**base, **kw})


# (id, units refunded before, money refunded before, claim, expected refund)
VECTORS = [
    ("first-third", 0, "0", {"reason": "no_reason", "return_quantity": 1}, "33.33"),
    ("second-third-rounds-up", 1, "33.33", {"reason": "no_reason", "return_quantity": 1}, "33.34"),
    ("last-third-takes-what-is-left", 2, "66.67", {"reason": "no_reason", "return_quantity": 1}, "33.33"),
    ("whole-rest-without-units", 1, "33.33", {"reason": "quality"}, "66.67"),
    ("lost-parcel-rest", 2, "66.67", {"reason": "lost_parcel"}, "33.33"),
    # a price refund took money, no units: the return gives back what is left
    ("return-after-price-refund", 0, "30.00", {"reason": "no_reason"}, "70.00"),
    # price protection after one unit came back: the 2 units kept, 66.67 − 2 × 20.00
    ("price-drop-on-units-kept", 1, "33.33", {"reason": "price_drop", "current_price": Decimal("20.00")}, "26.67"),
]


@pytest.mark.parametrize(("units", "money", "claim", "refund"), [v[1:] for v in VECTORS], ids=[v[0] for v in VECTORS])
def test_refund_of_what_is_left(units, money, claim, refund):
    d = decide(_line(units_refunded=units, refunded=Decimal(money)), Claim(**claim), TODAY, policy=POLICY)
    assert d.refund_amount == Decimal(refund)


def test_units_refunded_one_by_one_add_up_to_the_line_total():
    for total, quantity in ((Decimal("100.00"), 3), (Decimal("0.05"), 2), (Decimal("299.99"), 7), (Decimal("1"), 6)):
        left, units, paid = total, quantity, []
        for _ in range(quantity):
            share = left if units == 1 else refund_share(left, 1, units)
            paid.append(share)
            left, units = left - share, units - 1
        assert sum(paid) == total and max(paid) - min(paid) <= Decimal("0.01")


@pytest.mark.parametrize(("kw", "claim", "where", "says"), [
    ({"units_refunded": 3, "refunded": Decimal("100.00")}, {"reason": "quality"}, "line.units_refunded", "已全部退款"),
    ({"units_refunded": 4}, {"reason": "quality"}, "line.units_refunded", "0–3"),
    ({"units_refunded": -1}, {"reason": "quality"}, "line.units_refunded", "0–3"),
    ({"refunded": Decimal("100.01")}, {"reason": "quality"}, "line.refunded", "超过本行实付"),
    ({"refunded": Decimal("NaN")}, {"reason": "quality"}, "line.refunded", "有限"),
    ({"units_refunded": 2, "refunded": Decimal("66.67")}, {"reason": "no_reason", "return_quantity": 2},
     "claim.return_quantity", "已退 2 件"),
])
def test_impossible_refund_facts_are_located(kw, claim, where, says):
    with pytest.raises(ClaimInputError) as refused:
        decide(_line(**kw), Claim(**claim), TODAY, policy=POLICY)
    assert any(e.startswith(f"{where}:") and says in e for e in refused.value.errors), refused.value.errors
