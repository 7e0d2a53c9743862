from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import CustomerFactory, OrderLineFactory, ProductFactory


def _phone_at_the_claim_form(browser, live_server, order_no: str):
    """A phone (390×844) that looked its order up with the last four digits 5678 and is on the claim form."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/p/")
    page.fill("input[name=order_no]", order_no)
    page.fill("input[name=last4]", "5678")
    page.click("button[type=submit]")
    page.wait_for_url("**/p/order/")
    return context, page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_customer_chooses_a_remedy_and_the_follow_page_agrees(browser, live_server, shop, tmp_path):
    # given a parcel that arrived damaged yesterday: resend is recommended, return and refund allowed
    cache.clear()
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no="DY780",
                     order__delivered_at=timezone.now() - dt.timedelta(days=1),
                     product=ProductFactory(shop=shop, name="陶瓷马克杯", category=Category.HOME),
                     price_paid=Decimal("99.00"))
    img = tmp_path / "photo.jpg"
    img.write_bytes(JPEG)
    context, page = _phone_at_the_claim_form(browser, live_server, "DY780")
    try:
        page.select_option("select[name=reason]", "damaged_in_transit")
        page.set_input_files("input[name=photo]", str(img))
        # when the preview offers the remedies, the recommended one chosen, and nothing about postage or money
        decision = page.locator("[data-testid=decision]")
        expect(decision).to_have_attribute("data-kind", "resend")
        remedies = page.locator("[data-testid=remedies] input[name=kind]")
        expect(remedies).to_have_count(3)
        expect(page.locator("input[name=kind][value=resend]")).to_be_checked()
        expect(page.locator("[data-testid=remedies]")).not_to_contain_text("补偿")
        expect(page.locator("[data-testid=refund]")).to_be_hidden()
        expect(decision.locator(".ship-line")).to_be_hidden()
        # and the customer taps 退货退款 instead
        page.get_by_label("退货退款").check()
        # then the preview follows: the refund, who pays the postage, when the money comes
        expect(decision).to_have_attribute("data-kind", "return_refund")
        expect(page.locator("[data-testid=refund]")).to_have_text("退款金额：¥99.00")
        expect(decision.locator(".ship")).to_have_text("商家承担")
        expect(decision.locator(".refund-when")).to_have_text("商家收到退回商品后7日内退款。")
        # the radios sit beside their text on the phone
        box = page.locator("input[name=kind][value=return_refund]").bounding_box()
        label = page.locator("input[name=kind][value=return_refund]").locator("xpath=..").bounding_box()
        # (at the start of its label and level with its text; the label is a finger high, 44 px: test_customer_phone)
        assert box["x"] - label["x"] < 24
        assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 8
        page.click("#claim-form [data-testid=submit]")
        page.wait_for_url("**/p/c/*/")
        # and the follow page says the same: the remedy chosen, its refund, the merchant's postage
        expect(page.locator("[data-testid=status]")).to_contain_text("退货退款")
        card = page.locator("section[data-testid=decision]")
        expect(card.locator("[data-testid=refund]")).to_have_text("退款金额：¥99.00")
        expect(card).to_contain_text("运费：商家承担")
        expect(card).not_to_contain_text("无需寄回")
        case = Case.objects.get()
        assert (case.kind, case.refund_amount, case.shipping_payer) == ("return_refund", Decimal("99.00"), "merchant")
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_customer_claims_price_protection_and_a_person_checks_it(browser, live_server, shop,
                                                                                tmp_path):
    # given two dresses bought yesterday for 398.00 in all, sold at 179.00 each today
    cache.clear()
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    yesterday = timezone.now() - dt.timedelta(days=1)
    OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no="DY781",
                     order__placed_at=yesterday, order__paid_at=yesterday, order__shipped_at=yesterday,
                     order__delivered_at=timezone.now(),
                     product=ProductFactory(shop=shop, name="法式碎花连衣裙", category=Category.CLOTHING),
                     price_paid=Decimal("398.00"), quantity=2)
    img = tmp_path / "screenshot.png"
    img.write_bytes(JPEG)
    context, page = _phone_at_the_claim_form(browser, live_server, "DY781")
    try:
        price = page.get_by_label("现在的价格（元）")
        expect(price).to_be_hidden()
        # when the customer picks 降价（价保）: the price is asked for, and the photo is the screenshot
        page.select_option("select[name=reason]", "price_drop")
        expect(price).to_be_visible()
        expect(page.locator("[data-testid=photo-need]")).to_have_text("（请上传降价页面的截图，能看到现在的价格）")
        decision = page.locator("[data-testid=decision]")
        expect(decision.locator(".what")).to_have_text("请填写现在的价格（元），即可算出可退的差价。")
        # a price that is not an amount is said beside the field, no refund shown
        price.fill("17.999")
        expect(page.locator("[data-testid=price-error]")).to_have_text("现在的价格（元）最多两位小数（精确到分）。")
        expect(decision).to_be_hidden()
        # the same price as paid: no difference, said plainly
        price.fill("199")
        expect(page.locator("[data-testid=price-error]")).to_be_hidden()
        expect(decision.locator(".what")).to_have_text("按您填写的现价 ¥199.00，没有差价可退：现价不低于您的购买价。")
        expect(page.locator("[data-testid=refund]")).to_be_hidden()
        # the lower price: the difference × 2 is the refund, and a person checks the screenshot
        price.fill("179")
        expect(page.locator("[data-testid=refund]")).to_have_text("退差价：¥40.00")
        expect(page.locator("[data-testid=price-sum]")).to_have_text(
            "您实付 ¥398.00，现价 ¥179.00 × 2 件 = ¥358.00，差价 ¥40.00")
        expect(decision.locator(".review")).to_have_text("提交后客服会核对您上传的降价截图，确认后退还差价。")
        expect(decision).to_have_attribute("data-kind", "price_protect")
        # the field fits the phone's width
        box = price.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        page.set_input_files("input[name=photo]", str(img))
        page.click("#claim-form [data-testid=submit]")
        page.wait_for_url("**/p/c/*/")
        # then the follow page shows the price stated and the difference claimed, waiting for a person
        expect(page.locator("[data-testid=price-stated]")).to_have_text("您填写的现价：¥179.00")
        expect(page.locator("[data-testid=price-difference]")).to_contain_text("申请退还的差价：¥40.00")
        expect(page.locator("[data-testid=status]")).to_contain_text("待审核")
        case = Case.objects.get()
        assert (case.status, case.auto_approved, case.refund_amount) == ("requested", False, Decimal("40.00"))
        assert case.tickets.count() == 1
    finally:
        context.close()
