"""On a phone: the customer says how many units of a line the claim is about and sees the refund for them; for a
television past its unit warranty, says the fault is in a main part and is offered the free repair."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from shouhou.cases.models import Case
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import CustomerFactory, OrderLineFactory, ProductFactory
from shouhou.portal.tests.test_remedy_browser import _phone_at_the_claim_form


def _order(shop, order_no: str, *, signed_days_ago: int, **line):
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    signed = timezone.now() - dt.timedelta(days=signed_days_ago)
    before = signed - dt.timedelta(days=2)
    return OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no=order_no,
                            order__placed_at=before, order__paid_at=before, order__shipped_at=before,
                            order__delivered_at=signed, **line)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_customer_returns_two_of_three_units_and_sees_their_refund(browser, live_server, shop):
    # given three mugs signed for yesterday, 297.00 in all
    cache.clear()
    _order(shop, "DY790", signed_days_ago=1, price_paid=Decimal("297.00"), quantity=3,
           product=ProductFactory(shop=shop, name="陶瓷马克杯", category=Category.HOME))
    context, page = _phone_at_the_claim_form(browser, live_server, "DY790")
    try:
        units = page.get_by_label("申请件数")
        expect(units).to_be_visible()
        expect(units).to_have_value("3")  # all of them unless the customer says otherwise
        page.select_option("select[name=reason]", "no_reason")
        page.select_option("select[name=condition]", "unopened")  # asked, nothing pre-chosen
        refund = page.locator("[data-testid=refund]")
        expect(refund).to_have_text("退款金额：¥297.00")
        # more units than the line has: said beside the field, no refund shown
        units.fill("4")
        expect(page.locator("[data-testid=quantity-error]")).to_have_text(
            "申请件数请填写 1 到 3 之间的整数（这件商品可申请 3 件）。")
        expect(page.locator("[data-testid=decision]")).to_be_hidden()
        # two, typed with a Chinese keyboard's full-width digit: the refund for two of the three
        units.fill("２")
        expect(page.locator("[data-testid=quantity-error]")).to_be_hidden()
        expect(refund).to_have_text("退款金额：¥198.00 退 2/3 件")
        box = units.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # fits the phone
        expect(page.locator("[data-testid=main-part-field]")).to_be_hidden()
        page.click("#claim-form [data-testid=submit]")
        page.wait_for_url("**/p/c/*/")
        case = Case.objects.get()
        assert (case.claim["return_quantity"], case.refund_amount) == (2, Decimal("198.00"))
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_a_fault_in_a_main_part_after_the_unit_warranty_is_repaired_free(browser, live_server, shop):
    # given a television signed for 400 days ago: the unit's year is over, the main parts' 1095 days are not
    cache.clear()
    _order(shop, "DY791", signed_days_ago=400, price_paid=Decimal("2999.00"),
           product=ProductFactory(shop=shop, name="55英寸液晶电视", category=Category.ELECTRONICS))
    context, page = _phone_at_the_claim_form(browser, live_server, "DY791")
    try:
        main_part = page.locator("[data-testid=main-part-field]")
        expect(main_part).to_be_hidden()
        expect(page.locator("[data-testid=quantity-field]")).to_be_hidden()  # one unit
        page.select_option("select[name=reason]", "quality")
        # the form asks, saying plainly what a main part is; until then: paid repair only
        expect(main_part).to_be_visible()
        expect(main_part).to_contain_text("主板、屏幕、压缩机")
        expect(page.locator("[data-testid=remedies]")).to_be_hidden()
        page.get_by_label("是，故障在主要部件上").check()
        expect(page.locator("input[name=kind][value=repair]")).to_be_checked()
        expect(page.locator("[data-testid=decision]")).to_have_attribute("data-kind", "repair")
        page.fill("textarea[name=description]", "开机黑屏")
        page.click("#claim-form [data-testid=submit]")
        page.wait_for_url("**/p/c/*/")
        case = Case.objects.get()
        assert case.claim["main_part"] is True and case.kind == "repair"
        assert "sanbao.main_part_repair" in case.decision["clauses"]
    finally:
        context.close()
