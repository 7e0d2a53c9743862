"""Law vectors, round 8, through the case services (policies/tests/test_law_vectors_round8.py holds the pure table):
the line's own after-sales history decides what the law gives next — two repairs that did not hold (三包 art. 11,
消法24 法定解除), counted from the repair cases themselves and only since the last replacement; the days the goods
spent being repaired are not part of the 三包 period (三包: 三包有效期扣除因修理占用的时间).
消法 = 消费者权益保护法; 三包 = 部分商品修理更换退货责任规定."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.cases import services as svc
from shouhou.cases.choices import Resolution
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=False)

SH = dt.timezone(dt.timedelta(hours=8))
SIGNED = dt.datetime(2026, 3, 1, 20, 0, tzinfo=SH)  # day 1 is 03-02; a year's warranty ends 2027-03-01
_N = itertools.count(1)


def _line(shop, category="electronics", *, paid="1299.00"):
    placed = dt.datetime(2026, 2, 26, 9, 0, tzinfo=SH)
    order = OrderFactory(shop=shop, delivered_at=SIGNED, placed_at=placed, paid_at=placed, shipped_at=placed)
    product = ProductFactory(shop=shop, name=f"蓝牙音箱 {next(_N)}", category=category)
    return OrderLineFactory(order=order, product=product, quantity=1, price_paid=Decimal(paid))


def _done(shop, line, *, at: dt.datetime, kind: str, resolution: str, reason: str = "performance_fault",
          days: int = 0):
    """A case on the line, opened at `at` and resolved `days` later as `resolution` (staff choose the remedy)."""
    with time_machine.travel(at, tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason=reason, kind=kind, actor=SYSTEM,
                               auto_approve=False)
        case = svc.case_approve(case=case, actor=SYSTEM)
        case = svc.case_mark_received(case=case, actor=SYSTEM)
    with time_machine.travel(at + dt.timedelta(days=days), tick=False):
        return svc.case_resolve(case=case, actor=SYSTEM, resolution=resolution)


def _repaired(shop, line, at: dt.datetime, days: int = 0):
    return _done(shop, line, at=at, kind="repair", resolution=Resolution.REPAIR, days=days)


def test_a_third_fault_after_two_repairs_in_the_warranty_is_exchange_or_return(shop):
    # 三包 art. 11: repaired twice within the warranty and still faulty → exchange or return (here day 101, long after
    # the 15-day exchange period). Given two repair cases resolved on the line (04-01, 05-01)
    line = _line(shop)
    _repaired(shop, line, dt.datetime(2026, 4, 1, 10, 0, tzinfo=SH))
    _repaired(shop, line, dt.datetime(2026, 5, 1, 10, 0, tzinfo=SH))
    # when the buyer reports the fault a third time (nobody typed the repair count)
    with time_machine.travel(dt.datetime(2026, 6, 10, 10, 0, tzinfo=SH), tick=False):
        preview = svc.case_preview(shop=shop, order_line=line, reason="performance_fault")
        case = svc.case_create(shop=shop, order_line=line, reason="performance_fault", actor=CustomerActor(),
                               from_customer=True, channel="portal")
    # then the policy counts the two repairs itself: exchange or return at the merchant's cost, the price refunded
    assert preview.allowed == ["exchange", "return_refund"] and "sanbao.failed_repairs" in preview.clauses
    assert case.decision["allowed"] == ["exchange", "return_refund"]
    assert case.claim["failed_repairs"] == 2 and case.shipping_payer == "merchant"
    assert case.decision["refund_amount"] == "1299.00"


def test_one_repair_is_not_enough(shop):
    line = _line(shop)
    _repaired(shop, line, dt.datetime(2026, 4, 1, 10, 0, tzinfo=SH))
    with time_machine.travel(dt.datetime(2026, 6, 10, 10, 0, tzinfo=SH), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="performance_fault")
    assert d.allowed == ["repair"] and "sanbao.repair" in d.clauses


def test_repairs_of_a_unit_since_replaced_do_not_count(shop):
    # two repairs, then the unit was exchanged (05-20): the replacement has had no repair yet
    line = _line(shop)
    _repaired(shop, line, dt.datetime(2026, 4, 1, 10, 0, tzinfo=SH))
    _repaired(shop, line, dt.datetime(2026, 5, 1, 10, 0, tzinfo=SH))
    _done(shop, line, at=dt.datetime(2026, 5, 20, 10, 0, tzinfo=SH), kind="exchange",
          resolution=Resolution.REPLACEMENT)
    with time_machine.travel(dt.datetime(2026, 6, 10, 10, 0, tzinfo=SH), tick=False):
        assert svc.failed_repairs_so_far(line) == 0
        assert svc.case_preview(shop=shop, order_line=line, reason="performance_fault").allowed == ["repair"]
    # …one more repair of the new unit is one, not three
    _repaired(shop, line, dt.datetime(2026, 6, 10, 10, 0, tzinfo=SH))
    assert svc.failed_repairs_so_far(line) == 1


def test_a_home_item_repaired_twice_for_a_quality_defect_may_be_returned(shop):
    # 消法24: after the first seven days exchange or repair; repaired twice and still defective, the purpose of the
    # purchase is defeated (法定解除): exchange or return (quality.failed_repairs)
    line = _line(shop, "home", paid="399.00")
    _done(shop, line, at=dt.datetime(2026, 3, 20, 10, 0, tzinfo=SH), kind="repair", resolution=Resolution.REPAIR,
          reason="quality")
    _done(shop, line, at=dt.datetime(2026, 4, 5, 10, 0, tzinfo=SH), kind="repair", resolution=Resolution.REPAIR,
          reason="quality")
    with time_machine.travel(dt.datetime(2026, 4, 20, 10, 0, tzinfo=SH), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="quality")
    assert d.allowed[:2] == ["exchange", "return_refund"] and "quality.failed_repairs" in d.clauses
    assert d.refund_amount == Decimal("399.00") and d.shipping_payer == "merchant"


def test_a_repair_count_staff_state_stands(shop):
    # the history is a default: what staff or the API state (the buyer's repair records from a service centre) stands
    line = _line(shop)
    _repaired(shop, line, dt.datetime(2026, 4, 1, 10, 0, tzinfo=SH))
    _repaired(shop, line, dt.datetime(2026, 5, 1, 10, 0, tzinfo=SH))
    with time_machine.travel(dt.datetime(2026, 6, 10, 10, 0, tzinfo=SH), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="performance_fault", claim_data={"failed_repairs": 0})
    assert d.allowed == ["repair"]


def test_the_warranty_starts_again_on_an_exchange(shop):
    # 三包: 换货后的三包有效期自换货之日起重新计算. Given a unit signed for on 2026-03-01 (a year's warranty to 2027-03-01)
    # and exchanged on 2026-06-01
    line = _line(shop)
    _done(shop, line, at=dt.datetime(2026, 6, 1, 10, 0, tzinfo=SH), kind="exchange",
          resolution=Resolution.REPLACEMENT)
    # when the replacement fails on 2027-04-01, a month after the first unit's warranty would have ended
    with time_machine.travel(dt.datetime(2027, 4, 1, 10, 0, tzinfo=SH), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="performance_fault")
    # then it is still under warranty, to 2027-06-01: a free repair, and the decision says why
    assert d.allowed == ["repair"] and d.deadlines["warranty_until"] == "2027-06-01"
    assert "sanbao.warranty_restarted" in d.clauses and "2026-06-01换货" in d.explanation_zh
    # …which ends on the same day a year later: the day after, paid repair only
    with time_machine.travel(dt.datetime(2027, 6, 2, 10, 0, tzinfo=SH), tick=False):
        late = svc.case_preview(shop=shop, order_line=line, reason="performance_fault")
    assert late.allowed == [] and "sanbao.warranty_expired" in late.clauses


def test_the_days_in_repair_do_not_count_against_the_warranty(shop):
    # 三包: 三包有效期扣除因修理占用和无零配件待修的时间. Given one repair: handed over on 2026-05-01, back 20 days later
    line = _line(shop)
    _repaired(shop, line, dt.datetime(2026, 5, 1, 10, 0, tzinfo=SH), days=20)
    assert svc.warranty_history(line) == (None, 20)
    # when the unit fails again on 2027-03-15 (after 2027-03-01, a year from sign-off)
    with time_machine.travel(dt.datetime(2027, 3, 15, 10, 0, tzinfo=SH), tick=False):
        d = svc.case_create(shop=shop, order_line=line, reason="performance_fault", actor=CustomerActor(),
                            from_customer=True, channel="portal")
    # then the warranty runs to 2027-03-21 and the repair is free, at the merchant's cost
    assert d.decision["allowed"] == ["repair"] and d.decision["deadlines"]["warranty_until"] == "2027-03-21"
    assert "sanbao.repair_time" in d.decision["clauses"] and d.shipping_payer == "merchant"


def test_a_request_made_before_the_exchange_is_judged_on_its_own_day(shop):
    # a platform request dated before the replacement went out is decided as of today (never an impossible
    # chronology: the exchange date is one of the facts the request may not precede)
    line = _line(shop)
    _done(shop, line, at=dt.datetime(2026, 6, 1, 10, 0, tzinfo=SH), kind="exchange",
          resolution=Resolution.REPLACEMENT)
    with time_machine.travel(dt.datetime(2026, 7, 1, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="performance_fault", actor=SYSTEM,
                               requested_at=dt.datetime(2026, 5, 30, 10, 0, tzinfo=SH))
    assert case.decision["allowed"] == ["repair"] and case.decision["deadlines"]["warranty_until"] == "2027-06-01"


# ── 消法25, 办法: the seven days run from the buyer's receipt of the goods — an order sent in several parcels ──────

def _split_order(shop, *, second_signed: dt.datetime | None):
    """An order in two parcels: the first signed for on 03-01 20:00 (which logistics records as the order's
    sign-off), the second on `second_signed` (None: still on its way)."""
    from shouhou.core.testing.factories import ShipmentFactory

    line = _line(shop, "home", paid="199.00")
    ShipmentFactory(order=line.order, carrier="ZTO", tracking_no="ZT8000000101", status="signed", signed_at=SIGNED)
    ShipmentFactory(order=line.order, carrier="ZTO", tracking_no="ZT8000000102",
                    status="signed" if second_signed else "in_transit", signed_at=second_signed)
    return line


def test_a_line_of_a_split_order_counts_from_the_last_parcel(shop):
    # given the second parcel signed for on 03-06 (no parcel records which lines it held)
    line = _split_order(shop, second_signed=dt.datetime(2026, 3, 6, 10, 0, tzinfo=SH))
    # when a no-reason return is asked on 03-10: day 9 of the first parcel, day 4 of the second
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=SH), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="no_reason")
    # then it is in time: the line may have come in the second parcel (it was refused as day 9)
    assert (d.allowed, d.day, d.deadlines["no_reason_until"]) == (["return_refund", "exchange"], 4, "2026-03-13")


def test_a_line_of_a_split_order_whose_second_parcel_is_on_its_way_is_checked_by_a_person(shop):
    line = _split_order(shop, second_signed=None)
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=SH), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="no_reason")
    # then nothing is refused or granted automatically: the line may not have arrived yet
    assert (d.allowed, d.auto_approved) == ([], False) and "delivery.unknown" in d.clauses


def test_an_exchange_parcel_is_not_a_split_shipment_and_restarts_the_warranty_on_its_sign_off(shop):
    from shouhou.core.testing.factories import ShipmentFactory

    line = _line(shop)
    ShipmentFactory(order=line.order, carrier="ZTO", tracking_no="ZT8000000201", status="signed", signed_at=SIGNED)
    case = _done(shop, line, at=dt.datetime(2026, 6, 1, 10, 0, tzinfo=SH), kind="exchange",
                 resolution=Resolution.REPLACEMENT)
    # the new unit's parcel (as platforms.actback.exchange_ship records it), signed for on 06-04
    parcel = ShipmentFactory(order=line.order, carrier="ZTO", tracking_no="ZT8000000202", status="signed",
                             signed_at=dt.datetime(2026, 6, 4, 18, 0, tzinfo=SH))
    svc.case_platform_note(case=case, note="换货新商品已寄出", actor=SYSTEM, data={"shipment_id": parcel.pk})
    with time_machine.travel(dt.datetime(2027, 6, 3, 10, 0, tzinfo=SH), tick=False):
        facts = svc.line_facts(line)
        d = svc.case_preview(shop=shop, order_line=line, reason="performance_fault")
    # the goods' sign-off stays the first parcel's; the 三包 warranty runs a year from the new unit's arrival
    assert facts.delivered_on == dt.date(2026, 3, 1)
    assert svc.warranty_history(line) == (dt.date(2026, 6, 4), 0)
    assert d.allowed == ["repair"] and d.deadlines["warranty_until"] == "2027-06-04"
