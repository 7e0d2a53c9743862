"""The shop's free-shipping offer (Shop.free_shipping_threshold, shipping_fee) turned into the claim fact
`free_shipping_lost` by the case services (cases.services.free_shipping_lost): staff no longer type the fee."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc
from shouhou.cases.selectors import case_claim_facts
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
SIGNED = dt.datetime(2026, 3, 1, 12, 0, tzinfo=SH)
DAY_2 = dt.datetime(2026, 3, 3, 10, 0, tzinfo=SH)


@pytest.fixture
def order_lines(shop):
    """Two units of ¥50 on one line (¥100, shipped free under 满 99 包邮, ¥10 postage otherwise)."""
    shop.free_shipping_threshold, shop.shipping_fee = Decimal("99.00"), Decimal("10.00")
    shop.save()
    order = OrderFactory(shop=shop, placed_at=SIGNED - dt.timedelta(days=3), paid_at=SIGNED - dt.timedelta(days=3),
                         shipped_at=SIGNED - dt.timedelta(days=2), delivered_at=SIGNED, total_paid=Decimal("100.00"))
    return OrderLineFactory(order=order, product=ProductFactory(shop=shop, name="香薰蜡烛", category="home"),
                            quantity=2, price_paid=Decimal("100.00"))


def test_the_fee_is_computed_for_a_partial_no_reason_return_and_recorded(shop, order_lines):
    with time_machine.travel(DAY_2, tick=False):
        preview = svc.case_preview(shop=shop, order_line=order_lines, reason="no_reason",
                                   claim_data={"return_quantity": 1})
        case = svc.case_create(shop=shop, order_line=order_lines, reason="no_reason", actor=SYSTEM,
                               claim_data={"return_quantity": 1})
    assert preview.shipping_deduction == Decimal("10.00") and preview.refund_amount == Decimal("40.00")
    assert case.claim["free_shipping_lost"] == "10.00" and case.refund_amount == Decimal("40.00")
    assert ("free-shipping", "退货后不再满足包邮条件，退款已扣运费 ¥10.00") in case_claim_facts(case)


def test_a_fee_staff_state_stands_as_stated(shop, order_lines):
    with time_machine.travel(DAY_2, tick=False):
        case = svc.case_create(shop=shop, order_line=order_lines, reason="no_reason", actor=SYSTEM,
                               claim_data={"return_quantity": 1, "free_shipping_lost": "6.00"})
    assert case.claim["free_shipping_lost"] == "6.00" and case.refund_amount == Decimal("44.00")


@pytest.mark.parametrize("reason", ["quality", "wrong_item", "damaged_in_transit"])
def test_no_fee_for_a_quality_or_merchant_fault_return(shop, order_lines, reason):
    with time_machine.travel(DAY_2, tick=False):
        d = svc.case_preview(shop=shop, order_line=order_lines, reason=reason, claim_data={"return_quantity": 1},
                             has_photo=True)
    assert d.shipping_deduction is None and d.refund_amount == Decimal("50.00")


def test_a_shop_platforms_own_request_is_recorded_without_a_computed_fee(shop, order_lines):
    with time_machine.travel(DAY_2, tick=False):
        case = svc.case_create(shop=shop, order_line=order_lines, reason="no_reason", actor=SYSTEM,
                               claim_data={"return_quantity": 1}, platform_request=True, auto_approve=False)
    assert "free_shipping_lost" not in case.claim and case.refund_amount == Decimal("50.00")
