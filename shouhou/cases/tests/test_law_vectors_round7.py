"""Law vectors, round 7, through the case services (policies/tests/test_law_vectors_round7.py holds the pure table):
a parcel left in a locker or signed by an agent, a period ending in a statutory holiday, a live-stream order, one line
of a multi-line order, the refund due within 7 days of the return arriving.
消法 = 消费者权益保护法; 办法 = 网络购买商品七日无理由退货暂行办法; 民法典203 = a period ending on a statutory holiday."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.cases import services as svc
from shouhou.commerce.choices import OrderStatus
from shouhou.core.testing.factories import (
    LiveSessionFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ShipmentFactory,
)
from shouhou.logistics.normalize import normalize_kuaidi100
from shouhou.logistics.services import Event, tracking_ingest
from shouhou.policies.document import default_source
from shouhou.policies.services import policy_publish

pytestmark = pytest.mark.django_db(transaction=False)

SH = dt.timezone(dt.timedelta(hours=8))
NR = ["return_refund", "exchange"]


def _order(shop, *, delivered_at=None, **kw):
    placed = kw.pop("placed_at", dt.datetime(2026, 2, 26, 9, 0, tzinfo=SH))
    return OrderFactory(shop=shop, delivered_at=delivered_at, placed_at=placed, paid_at=placed, shipped_at=placed, **kw)


def _line(order, category="home", *, paid="99.00", quantity=1, name="商品"):
    product = ProductFactory(shop=order.shop, name=f"{name} {category} {paid}", category=category)
    return OrderLineFactory(order=order, product=product, quantity=quantity, price_paid=Decimal(paid))


@pytest.mark.parametrize(("state", "code", "text"), [
    ("3", "304", "快件已由丰巢智能快递柜签收，请凭取件码取件"),   # 投柜或站签收
    ("3", "303", "快件已签收，签收人：门卫代签"),                  # 代签
])
def test_a_parcel_signed_by_a_locker_or_an_agent_starts_the_seven_days_the_next_day(shop, state, code, text):
    # given a parcel a tracking push reports at the locker (501: waiting to be collected) on 03-01 and signed for at
    # the locker or by an agent at 21:00 on 03-01, Beijing time (消法25, 办法: counted from the day after sign-off)
    order = _order(shop)
    line = _line(order)
    ShipmentFactory(order=order, carrier="ZTO", tracking_no="ZT70000301")
    tracking_ingest(shop=shop, actor=SYSTEM, carrier="ZTO", tracking_no="ZT70000301", source="kuaidi100", events=[
        Event(dt.datetime(2026, 3, 1, 18, 0, tzinfo=SH), normalize_kuaidi100(state="5", status_code="501",
                                                                             text="快件已到驿站，待取件"), "已到驿站"),
        Event(dt.datetime(2026, 3, 1, 21, 0, tzinfo=SH), normalize_kuaidi100(state=state, status_code=code, text=text),
              text)])
    # then day 7 is 03-08 (in through 23:59:59) and 03-09 is too late
    with time_machine.travel(dt.datetime(2026, 3, 8, 23, 59, 59, tzinfo=SH), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="no_reason")
        assert (d.allowed, d.day, d.deadlines["no_reason_until"]) == (NR, 7, "2026-03-08")
    with time_machine.travel(dt.datetime(2026, 3, 9, 0, 0, tzinfo=SH), tick=False):
        assert svc.case_preview(shop=shop, order_line=line, reason="no_reason").allowed == []


def test_a_parcel_waiting_in_a_locker_is_not_yet_signed_for(shop):
    # 501 (投柜或驿站，待取件) is not a sign-off: the buyer has not received it; nothing counts yet
    order = _order(shop, status=OrderStatus.SHIPPED)
    line = _line(order)
    ShipmentFactory(order=order, carrier="ZTO", tracking_no="ZT70000302")
    tracking_ingest(shop=shop, actor=SYSTEM, carrier="ZTO", tracking_no="ZT70000302", source="kuaidi100", events=[
        Event(dt.datetime(2026, 3, 1, 18, 0, tzinfo=SH), normalize_kuaidi100(state="5", status_code="501",
                                                                             text="快件已到驿站，待取件"), "已到驿站")])
    with time_machine.travel(dt.datetime(2026, 3, 20, 10, 0, tzinfo=SH), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="no_reason")
    assert d.allowed == ["refund_only"] and "not_delivered.refund_only" in d.clauses


@pytest.mark.parametrize(("now", "allowed"), [
    (dt.datetime(2026, 10, 8, 23, 59, tzinfo=SH), NR),   # day 7 (10-03) in 国庆: the first workday after it
    (dt.datetime(2026, 10, 9, 0, 0, tzinfo=SH), []),
])
def test_the_seven_days_ending_in_national_day_run_to_the_first_workday(shop, now, allowed):
    # 民法典203 (the court's guide on 七日无理由: a last day on a statutory holiday moves to the day after it), for a
    # shop whose policy chose it; the default counts natural days (next test)
    source = default_source().replace("extend_past_rest_days = false", "extend_past_rest_days = true")
    policy_publish(actor=SYSTEM, shop=shop, source=source)
    line = _line(_order(shop, delivered_at=dt.datetime(2026, 9, 26, 20, 0, tzinfo=SH),
                        placed_at=dt.datetime(2026, 9, 20, 9, 0, tzinfo=SH)))
    with time_machine.travel(now, tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=CustomerActor(),
                               from_customer=True, channel="portal")
    assert case.decision["allowed"] == allowed
    assert case.decision["deadlines"]["no_reason_until"] == "2026-10-08"
    if allowed:
        assert "period.holiday_extension" in case.decision["clauses"] and case.refund_amount == Decimal("99.00")


def test_by_default_the_seven_days_are_natural_days_even_across_national_day(shop):
    line = _line(_order(shop, delivered_at=dt.datetime(2026, 9, 26, 20, 0, tzinfo=SH),
                        placed_at=dt.datetime(2026, 9, 20, 9, 0, tzinfo=SH)))
    with time_machine.travel(dt.datetime(2026, 10, 4, 9, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=CustomerActor(),
                               from_customer=True, channel="portal")
    assert case.decision["allowed"] == []
    assert case.decision["deadlines"]["no_reason_until"] == "2026-10-03"


def test_a_live_stream_order_has_the_same_seven_days_and_the_promised_return_insurance(shop):
    # 消法25 applies to every distance sale, a live room's included; the 运费险 the order carries pays the postage
    session = LiveSessionFactory(shop=shop)
    order = _order(shop, delivered_at=dt.datetime(2026, 3, 1, 20, 0, tzinfo=SH), live_session=session,
                   return_insurance=True)
    line = _line(order, "clothing", paid="159.00")
    with time_machine.travel(dt.datetime(2026, 3, 8, 22, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=CustomerActor(),
                               from_customer=True, channel="portal")
    assert case.decision["allowed"] == NR and case.refund_amount == Decimal("159.00")
    assert case.shipping_payer == "insurance" and case.live_session_id == session.pk
    without = _line(_order(shop, delivered_at=dt.datetime(2026, 3, 1, 20, 0, tzinfo=SH), live_session=session))
    with time_machine.travel(dt.datetime(2026, 3, 9, 0, 1, tzinfo=SH), tick=False):
        late = svc.case_preview(shop=shop, order_line=without, reason="no_reason")
    assert late.allowed == [] and "no_reason.window" in late.clauses


def test_one_line_of_a_multi_line_order_refunds_that_line_only_and_defects_are_the_merchants(shop, agent):
    # given an order of a jacket (199.00), a scarf (59.00) and a faulty kettle (89.00)
    order = _order(shop, delivered_at=dt.datetime(2026, 3, 1, 20, 0, tzinfo=SH))
    jacket, scarf, kettle = _line(order, "clothing", paid="199.00"), _line(order, "clothing", paid="59.00"), \
        _line(order, "home", paid="89.00")
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=SH), tick=False):
        no_reason = svc.case_create(shop=shop, order_line=scarf, reason="no_reason", actor=SYSTEM)
        defect = svc.case_create(shop=shop, order_line=kettle, reason="quality", kind="return_refund", actor=SYSTEM)
    # then each refunds its own line (消法25.3; 消法24), the buyer pays the no-reason postage, the merchant the defect's
    assert (no_reason.refund_amount, no_reason.shipping_payer) == (Decimal("59.00"), "buyer")
    assert (defect.refund_amount, defect.shipping_payer) == (Decimal("89.00"), "merchant")
    assert jacket.order_id == scarf.order_id == kettle.order_id
    # and the refund is due within 7 days of the goods arriving back (消法25.3, 办法)
    with time_machine.travel(dt.datetime(2026, 3, 4, 10, 0, tzinfo=SH), tick=False):
        defect = svc.case_approve(case=defect, actor=agent)
        svc.case_return_shipped(case=defect, actor=agent, carrier="SF", tracking_no="SF700000303")
    with time_machine.travel(dt.datetime(2026, 3, 6, 15, 0, tzinfo=SH), tick=False):
        defect = svc.case_mark_received(case=defect, actor=agent)
    assert defect.decision["deadlines"]["refund_by"] == "2026-03-13"
    assert defect.deadline_at == dt.datetime(2026, 3, 13, 23, 59, tzinfo=SH)
