"""On a 390×844 phone, in Chinese and in English: the activation question appears for an electronic device returned
without a reason (and only then), and a return that breaks the shop's free-shipping threshold shows the deduction
before the customer files, and after."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from shouhou.cases.models import Case
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory
from shouhou.portal.tests.test_customer_phone import _phone

CJK = re.compile(r"[\u4e00-\u9fff]")


def _order(shop, *lines):
    """Order DY20261101001 (phone …5678) signed for yesterday (the live server's real clock), with `lines`:
    (name, category, price)."""
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    order = OrderFactory(shop=shop, customer=customer, order_no="DY20261101001",
                         placed_at=timezone.now() - dt.timedelta(days=3), paid_at=timezone.now() - dt.timedelta(days=3),
                         shipped_at=timezone.now() - dt.timedelta(days=2),
                         delivered_at=timezone.now() - dt.timedelta(days=1),
                         total_paid=sum((Decimal(price) for _n, _c, price in lines), Decimal("0")))
    return [OrderLineFactory(order=order, product=ProductFactory(shop=shop, name=name, category=category),
                             price_paid=Decimal(price)) for name, category, price in lines]


def _look_up(page, url, english=False):
    page.goto(f"{url}/p/")
    if english:
        with page.expect_navigation():
            page.tap("[data-testid=language] button")
    page.fill("input[name=order_no]", "DY20261101001")
    page.fill("input[name=last4]", "5678")
    with page.expect_navigation():
        page.tap("button[type=submit]")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_electronic_no_reason_return_asks_about_activation_on_a_phone(browser, live_server, shop):
    cache.clear()
    _order(shop, ("智能手机 Pro", Category.MOBILE_PHONE, "2999.00"))
    context = _phone(browser, 390, 844)
    page = context.new_page()
    try:
        _look_up(page, live_server.url)
        field = page.locator("[data-testid=activated-field]")
        page.select_option("select[name=reason]", "quality")
        assert not field.is_visible()
        page.select_option("select[name=reason]", "no_reason")
        page.select_option("select[name=condition]", "unopened")  # asked, nothing pre-chosen
        assert field.is_visible() and "商品激活过吗？" in field.inner_text()
        page.wait_for_selector("[data-testid=remedies]:not([hidden]) input[name=kind]")
        # not answered: the phone's own check stops the form, nothing is filed
        page.tap("[data-testid=submit]")
        page.wait_for_timeout(500)
        assert page.url.endswith("/p/order/") and Case.objects.count() == 0
        assert page.evaluate("document.querySelector('input[name=activated]').validity.valueMissing")
        # activated: the preview says no at once, and why
        page.locator("label.h5-choice", has_text="已经激活了").tap()
        page.wait_for_selector("[data-testid=remedies][hidden]", state="attached")
        page.wait_for_function("document.querySelector('#decision .why').textContent.includes('已激活')")
        assert "很抱歉" in page.inner_text("#decision .what")
        # never activated: the return is offered again
        page.locator("label.h5-choice", has_text="没有激活过").tap()
        page.wait_for_selector("[data-testid=remedies]:not([hidden]) input[name=kind]")
        # a fault does not depend on it: the question goes, and nothing about it is posted
        page.select_option("select[name=reason]", "quality")
        assert not field.is_visible()
        assert page.evaluate("[...document.querySelectorAll('input[name=activated]')].every(i => !i.checked"
                             " && !i.required)")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_free_shipping_deduction_is_shown_before_filing_in_english(browser, live_server, shop):
    cache.clear()
    shop.free_shipping_threshold, shop.shipping_fee = Decimal("99.00"), Decimal("10.00")
    shop.save()
    first, _second = _order(shop, ("法式碎花连衣裙", Category.CLOTHING, "60.00"),
                            ("针织开衫", Category.CLOTHING, "50.00"))
    context = _phone(browser, 390, 844)
    page = context.new_page()
    try:
        _look_up(page, live_server.url, english=True)
        page.locator(f"input[name=line][value='{first.pk}']").check()
        page.select_option("select[name=reason]", "no_reason")
        page.select_option("select[name=condition]", "unopened")  # asked, nothing pre-chosen
        page.wait_for_selector("[data-testid=remedies]:not([hidden]) input[name=kind]")
        deduction = page.locator("#decision [data-testid=shipping-deduction]")
        deduction.wait_for(state="visible")
        assert deduction.inner_text().startswith("After this return the order no longer qualifies for free "
                                                 "shipping: the ¥10.00 shipping fee is deducted")
        assert page.inner_text("#decision .refund") == "¥50.00"
        assert not CJK.search(page.inner_text("#decision"))
        # an exchange refunds nothing: no deduction said
        page.locator("[data-testid=remedies] label.h5-choice", has_text="Exchange").tap()
        deduction.wait_for(state="hidden")
        page.locator("[data-testid=remedies] label.h5-choice", has_text="Return").tap()
        deduction.wait_for(state="visible")
        with page.expect_navigation():
            page.tap("[data-testid=submit]")
        case = Case.objects.get()
        assert case.refund_amount == Decimal("50.00") and case.claim["free_shipping_lost"] == "10.00"
        shown = page.locator("[data-testid=shipping-deduction]")
        assert shown.is_visible() and "¥10.00 shipping fee is deducted" in shown.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
