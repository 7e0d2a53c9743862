"""Law vectors through the case flow (消法 = Consumer Rights Protection Law; 办法 = SAMR's Interim Measures on 7-day
no-reason returns): the day a request was made, a partial return, the buyer's choice of repair for a quality
problem, and a sign-off near midnight counted on the Asia/Shanghai calendar."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.cases import services as svc
from shouhou.cases.models import Case
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=False)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SIGNED = dt.datetime(2026, 11, 4, 15, 0, tzinfo=SHANGHAI)  # the order factory's sign-off; day 7 is 11-11


_N = itertools.count(1)


def _home_line(shop, *, quantity=1, paid="199.00", delivered_at=SIGNED):
    product = ProductFactory(shop=shop, name=f"北欧落地灯 {next(_N)}", category=Category.HOME)
    return OrderLineFactory(order__shop=shop, order__delivered_at=delivered_at, product=product, quantity=quantity,
                            price_paid=Decimal(paid))


@pytest.mark.parametrize("asked", [dt.datetime(2026, 11, 11, 23, 50, tzinfo=SHANGHAI),
                                   dt.datetime(2026, 11, 11, 15, 59, 59, tzinfo=dt.UTC)])  # 23:59:59 in Shanghai
def test_a_return_asked_for_on_day_7_and_synced_on_day_8_is_in_time(shop, asked):
    # given a platform request made before the end of day 7 that reaches the shop on day 8 (消法25, 办法: the buyer
    # sends the return notice within seven days of receipt)
    line = _home_line(shop)
    with time_machine.travel(dt.datetime(2026, 11, 12, 9, 0, tzinfo=SHANGHAI), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=SYSTEM, requested_at=asked)
        # then the policy decides as of the request: day 7, a no-reason return
        assert case.decision["day"] == 7 and case.decision["allowed"] == ["return_refund", "exchange"]
        assert case.refund_amount == Decimal("199.00")
        # while a request made now, on day 8, is late
        late = svc.case_preview(shop=shop, order_line=_home_line(shop), reason="no_reason")
        assert late.day == 8 and late.allowed == []


def test_a_request_dated_before_sign_off_or_in_the_future_is_judged_today(shop):
    # given a request the platform dates before the parcel was signed for (a refund asked in transit)
    line = _home_line(shop)
    with time_machine.travel(dt.datetime(2026, 11, 6, 10, 0, tzinfo=SHANGHAI), tick=False):
        early = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=SYSTEM,
                                requested_at=dt.datetime(2026, 11, 3, 8, 0, tzinfo=SHANGHAI))
        # then it is decided on today's facts (day 2), not refused as an impossible chronology
        assert early.decision["day"] == 2
        ahead = svc.case_preview(shop=shop, order_line=_home_line(shop), reason="no_reason")
        assert ahead.day == 2


def test_a_partial_return_refunds_the_units_sent_back(shop):
    # given three units of a line bought for 300 yuan (a shared discount: 100 a unit)
    line = _home_line(shop, quantity=3, paid="300.00")
    with time_machine.travel(dt.datetime(2026, 11, 6, 10, 0, tzinfo=SHANGHAI), tick=False):
        # when the buyer sends one back without reason
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", claim_data={"return_quantity": 1},
                               actor=SYSTEM)
    # then the refund is that unit's share, not the whole line
    assert case.refund_amount == Decimal("100.00") and case.claim["return_quantity"] == 1


def test_more_units_than_the_line_has_are_refused(shop):
    line = _home_line(shop, quantity=2, paid="200.00")
    with time_machine.travel(dt.datetime(2026, 11, 6, 10, 0, tzinfo=SHANGHAI), tick=False), \
            pytest.raises(svc.CaseError) as refused:
        svc.case_create(shop=shop, order_line=line, reason="no_reason", claim_data={"return_quantity": 3}, actor=SYSTEM)
    assert "claim.return_quantity" in str(refused.value) and "本行共 2 件" in str(refused.value)


def test_a_customer_may_ask_for_a_repair_of_a_defect_in_the_first_week(shop):
    # 消法24: for a quality problem the buyer may return, or have it exchanged or repaired
    line = _home_line(shop)
    with time_machine.travel(dt.datetime(2026, 11, 6, 10, 0, tzinfo=SHANGHAI), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="quality", kind="repair", actor=CustomerActor(),
                               from_customer=True, channel="portal")
    assert case.kind == "repair" and case.shipping_payer == "merchant" and case.refund_amount == Decimal("0")


@pytest.mark.parametrize(("now", "day", "allowed"), [
    (dt.datetime(2026, 11, 11, 23, 59, 59, tzinfo=SHANGHAI), 7, ["return_refund", "exchange"]),
    (dt.datetime(2026, 11, 11, 16, 0, 0, tzinfo=dt.UTC), 8, []),  # 00:00 on 11-12 in Shanghai
])
def test_a_sign_off_at_2330_counts_from_the_next_day_in_shanghai(shop, now, day, allowed):
    # given a parcel signed for at 23:30 on 11-04 in Shanghai (15:30 UTC)
    line = _home_line(shop, delivered_at=dt.datetime(2026, 11, 4, 15, 30, tzinfo=dt.UTC))
    with time_machine.travel(now, tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="no_reason")
    # then day 1 is 11-05 and day 7 ends at midnight in Shanghai
    assert (d.day, d.allowed) == (day, allowed)


def test_the_products_own_longer_warranty_is_honoured(shop):
    # given a laptop whose warranty card promises two years (the policy's whole-unit warranty: one year)
    product = ProductFactory(shop=shop, name="轻薄笔记本", category=Category.ELECTRONICS, warranty_days=730)
    line = OrderLineFactory(order__shop=shop, product=product, price_paid=Decimal("4999.00"))
    # when a fault appears on day 400, then it is a free repair, not "paid repair only"
    with time_machine.travel(SIGNED + dt.timedelta(days=400), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="performance_fault")
    assert (d.day, d.allowed, d.clauses[0]) == (400, ["repair"], "sanbao.repair")


def test_more_units_than_the_line_has_is_the_claims_error_located_at_its_field(shop):
    # the order is not wrong: the claim is, and a form or the API says so at claim.return_quantity
    line = _home_line(shop, quantity=2, paid="200.00")
    with time_machine.travel(dt.datetime(2026, 11, 6, 10, 0, tzinfo=SHANGHAI), tick=False):
        for make in (lambda: svc.case_preview(shop=shop, order_line=line, reason="no_reason",
                                              claim_data={"return_quantity": 3}),
                     lambda: svc.case_create(shop=shop, order_line=line, reason="no_reason",
                                             claim_data={"return_quantity": 3}, actor=SYSTEM)):
            with pytest.raises(svc.CaseError) as refused:
                make()
            assert refused.value.field == "claim.return_quantity"
            assert str(refused.value).startswith("申请信息有误") and "本行共 2 件" in str(refused.value)
    assert not Case.objects.exists()
