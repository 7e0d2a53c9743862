"""The examiner's law vectors (policies/tests/test_law_vectors.py) through the case services: an order line as
stored (line total in `price_paid`, sign-off as an aware datetime on the order or a parcel), `case_preview` and
`case_create` deciding on the Asia/Shanghai calendar, the refund a case records and later cases on the same line.
消法 = 消费者权益保护法; 办法 = 网络购买商品七日无理由退货暂行办法; 三包 = 部分商品修理更换退货责任规定."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.cases import services as svc
from shouhou.cases.selectors import case_claim_facts, line_refunded
from shouhou.commerce.choices import OrderStatus
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory, ShipmentFactory

pytestmark = pytest.mark.django_db(transaction=False)

SH = dt.timezone(dt.timedelta(hours=8))
SIGNED = dt.datetime(2026, 3, 1, 23, 59, tzinfo=SH)  # day 7 is 03-08
NR = ["return_refund", "exchange"]
_N = itertools.count(1)


def _line(shop, category="home", *, quantity=1, paid="99.00", delivered_at=SIGNED, **order):
    product = ProductFactory(shop=shop, name=f"商品 {next(_N)}", category=category)
    order.setdefault("placed_at", dt.datetime(2026, 2, 26, 9, 0, tzinfo=SH))
    order.setdefault("paid_at", order["placed_at"])
    order.setdefault("shipped_at", order["placed_at"])
    return OrderLineFactory(order=OrderFactory(shop=shop, delivered_at=delivered_at, **order), product=product,
                            quantity=quantity, price_paid=Decimal(paid))


def at(day: int, hour: int = 10, minute: int = 0, second: int = 0, signed: dt.datetime = SIGNED) -> dt.datetime:
    return dt.datetime.combine(signed.date() + dt.timedelta(days=day), dt.time(hour, minute, second), tzinfo=SH)


# (source, id, category, line kwargs, now, reason, claim data, expected: allowed, refund (case_create, SYSTEM), payer)
VECTORS = [
    ("消法25 办法10", "day7-23:59:59", "home", {}, at(7, 23, 59, 59), "no_reason", {}, NR, "99.00", "buyer"),
    ("消法25 办法10", "day8-00:00", "home", {}, at(8, 0, 0), "no_reason", {}, [], "0", "none"),
    ("消法25 办法10", "year-end", "home",
     {"delivered_at": dt.datetime(2026, 12, 28, 23, 0, tzinfo=SH),
      "placed_at": dt.datetime(2026, 12, 20, 9, 0, tzinfo=SH)},
     dt.datetime(2027, 1, 4, 23, 0, tzinfo=SH), "no_reason", {}, NR, "99.00", "buyer"),
    ("消法25 办法10", "leap-february", "home",
     {"delivered_at": dt.datetime(2028, 2, 25, 12, 0, tzinfo=SH),
      "placed_at": dt.datetime(2028, 2, 20, 9, 0, tzinfo=SH)},
     dt.datetime(2028, 3, 4, 0, 0, tzinfo=SH), "no_reason", {}, [], "0", "none"),
    ("消法25.1(三)", "software-unsealed", "audio_video_software", {}, at(2), "no_reason",
     {"condition": "opened_unused"}, [], "0", "none"),
    ("办法7(三)", "near-expiry-confirmed", "food", {}, at(2), "no_reason",
     {"sold_as_flawed": True, "confirmed_exclusion_at_purchase": True}, [], "0", "none"),
    ("办法9(二)", "phone-activated", "mobile_phone", {"paid": "2999.00"}, at(2), "no_reason", {"activated": True},
     [], "0", "none"),
    ("办法12", "gift-kept", "clothing", {"paid": "199.00"}, at(2), "no_reason", {"gift_value": "20.00"}, NR,
     "179.00", "buyer"),
    ("办法18.2", "free-shipping-lost", "home", {"paid": "50.00"}, at(2), "no_reason",
     {"free_shipping_lost": "10.00"}, NR, "40.00", "buyer"),
    ("消法24", "quality-day7", "home", {}, at(7), "quality", {},
     ["return_refund", "exchange", "repair", "compensation"], "99.00", "merchant"),
    ("消法24", "quality-day8", "home", {}, at(8), "quality", {}, ["exchange", "repair", "compensation"], "0",
     "merchant"),
    ("三包11", "phone-two-repairs-day20", "mobile_phone", {"paid": "2999.00"}, at(20), "performance_fault",
     {"failed_repairs": 2}, ["exchange", "return_refund"], "0", "merchant"),
    ("三包 民法典202", "warranty-year-across-29-february", "electronics",
     {"delivered_at": dt.datetime(2027, 6, 1, 20, 0, tzinfo=SH),
      "placed_at": dt.datetime(2027, 5, 30, 9, 0, tzinfo=SH)},
     dt.datetime(2028, 6, 1, 23, 0, tzinfo=SH), "performance_fault", {}, ["repair"], "0", "merchant"),
    ("消法25.3", "one-of-three-discounted", "home", {"quantity": 3, "paid": "100.00"}, at(2), "no_reason",
     {"return_quantity": 1}, NR, "33.33", "buyer"),
]


@pytest.mark.parametrize(("category", "line_kw", "now", "reason", "claim", "allowed", "refund", "payer"),
                         [v[2:] for v in VECTORS], ids=[f"{v[1]} [{v[0]}]" for v in VECTORS])
def test_law_vector_through_the_case_services(shop, category, line_kw, now, reason, claim, allowed, refund, payer):
    line = _line(shop, category, **line_kw)
    with time_machine.travel(now, tick=False):
        preview = svc.case_preview(shop=shop, order_line=line, reason=reason, claim_data=claim)
        case = svc.case_create(shop=shop, order_line=line, reason=reason, claim_data=claim, actor=SYSTEM)
    assert preview.allowed == allowed
    assert case.decision["allowed"] == allowed
    # what the case records: the refund of the recommended remedy (none for exchange, repair, or nothing granted)
    assert case.refund_amount == Decimal(refund)
    assert case.shipping_payer == payer


def test_a_parcel_signed_at_2359_and_no_order_time_counts_in_beijing(shop):
    # given an order whose sign-off only a parcel recorded: 23:59 on 03-01 Beijing time (15:59 UTC)
    line = _line(shop, delivered_at=None)
    ShipmentFactory(order=line.order, status="signed", signed_at=dt.datetime(2026, 3, 1, 15, 59, tzinfo=dt.UTC))
    with time_machine.travel(at(7, 23, 59, 59), tick=False):
        assert svc.case_preview(shop=shop, order_line=line, reason="no_reason").allowed == NR
    with time_machine.travel(at(8, 0, 0, 0), tick=False):
        assert svc.case_preview(shop=shop, order_line=line, reason="no_reason").allowed == []


def test_an_order_signed_for_at_an_unknown_time_waits_for_a_person(shop):
    # 消法25: the seven days run from receipt; when nobody recorded it, no window can be counted
    line = _line(shop, delivered_at=None, status=OrderStatus.DELIVERED)
    with time_machine.travel(at(3), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=CustomerActor(),
                               from_customer=True, channel="portal")
    assert case.decision["clauses"] == ["delivery.unknown"] and case.decision["allowed"] == []
    assert case.status == "requested" and not case.auto_approved and case.refund_amount == Decimal("0")


def test_a_customer_may_choose_a_return_after_two_failed_repairs_in_the_exchange_period(shop):
    # 三包11: repaired twice and still faulty → exchange or return, the merchant paying the postage
    line = _line(shop, "electronics", paid="1299.00")
    with time_machine.travel(at(12), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="performance_fault", kind="return_refund",
                               claim_data={"failed_repairs": 2}, actor=CustomerActor(), from_customer=True,
                               channel="portal")
    assert case.kind == "return_refund" and case.refund_amount == Decimal("1299.00")
    assert case.shipping_payer == "merchant" and "sanbao.failed_repairs" in case.decision["clauses"]


def test_a_free_shipping_deduction_is_kept_and_never_given_back_by_a_later_case(shop, agent):
    # given two units bought for 100.00 with free shipping (threshold 99); the buyer sends one back without reason,
    # which takes the order below the threshold: the 10.00 shipping it was spared is deducted (办法, 满额包邮)
    line = _line(shop, quantity=2, paid="100.00")
    with time_machine.travel(at(2), tick=False):
        first = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=SYSTEM,
                                claim_data={"return_quantity": 1, "free_shipping_lost": "10.00"})
        assert first.refund_amount == Decimal("40.00")
        assert first.decision["shipping_deduction"] == "10.00"
        assert ("free-shipping", "退货后不再满足包邮条件，退款已扣运费 ¥10.00") in case_claim_facts(first)
        svc.case_return_shipped(case=first, actor=agent, carrier="SF", tracking_no="SF100200300")
    with time_machine.travel(at(4), tick=False):
        first = svc.case_mark_received(case=first, actor=agent)
        # 消法25.3, 办法13: refund within seven days of receiving the goods back
        assert first.decision["deadlines"]["refund_by"] == at(11).date().isoformat()
        first = svc.case_resolve(case=first, actor=agent)
    assert first.refund_amount == Decimal("40.00")
    # the deduction counts as settled: 40 refunded + 10 kept of 100
    assert line_refunded(line) == (1, Decimal("50.00"))
    with time_machine.travel(at(5), tick=False):
        second = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=SYSTEM)
    # when the second unit comes back, it refunds what is left (50.00), not 60.00: never more than was paid
    assert second.refund_amount == Decimal("50.00")
    assert first.refund_amount + second.refund_amount + Decimal("10.00") == Decimal("100.00")


@pytest.mark.parametrize(("now", "allowed"), [(at(7, 23, 59, 59), NR), (at(8, 0, 0, 0), [])])
def test_days_are_beijing_days_whatever_the_servers_time_zone(shop, settings, now, allowed):
    # given a deployment whose TIME_ZONE is UTC (SHOUHOU_TIME_ZONE) and a parcel signed at 23:59 Beijing time (15:59 UTC:
    # the same calendar day in both); a sign-off at 00:30 on 03-02 Beijing is 16:30 UTC on 03-01
    settings.TIME_ZONE = "UTC"
    line = _line(shop, delivered_at=dt.datetime(2026, 3, 2, 0, 30, tzinfo=SH))
    with time_machine.travel(now + dt.timedelta(days=1), tick=False):
        # then day 7 still ends at midnight Beijing time (办法10: 03-09 for a sign-off on 03-02)
        d = svc.case_preview(shop=shop, order_line=line, reason="no_reason")
    assert d.allowed == allowed


def test_the_refund_deadline_is_a_beijing_day_whatever_the_servers_time_zone(shop, agent, settings):
    settings.TIME_ZONE = "UTC"
    line = _line(shop)
    with time_machine.travel(at(2), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=SYSTEM)
        svc.case_return_shipped(case=case, actor=agent, carrier="SF", tracking_no="SF100200301")
    # received at 01:00 on 03-05 Beijing time (17:00 UTC on 03-04): the 7 days run to 03-12, 23:59 Beijing time
    with time_machine.travel(at(4, 1, 0), tick=False):
        case = svc.case_mark_received(case=case, actor=agent)
    assert case.decision["deadlines"]["refund_by"] == "2026-03-12"
    assert case.deadline_at == dt.datetime(2026, 3, 12, 23, 59, tzinfo=SH)
