from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from shouhou.cases import services as svc
from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import CustomerFactory, OrderLineFactory, ProductFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_consumer_files_a_return_and_follows_it(page, live_server, shop, agent, tmp_path):
    # given an order signed for two days ago
    cache.clear()
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    signed = timezone.now() - dt.timedelta(days=2)
    product = ProductFactory(shop=shop, name="法式碎花连衣裙", category=Category.CLOTHING)
    OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no="DY777", order__delivered_at=signed,
                     product=product, price_paid=Decimal("199.00"))
    img = tmp_path / "photo.jpg"
    img.write_bytes(JPEG)
    # when the customer looks up the order, picks the problem and adds a photo
    page.goto(f"{live_server.url}/p/")
    page.fill("input[name=order_no]", "DY777")
    page.fill("input[name=last4]", "0000")
    page.click("button[type=submit]")
    assert "订单号或手机尾号不正确" in page.inner_text("[data-testid=error]")
    page.fill("input[name=order_no]", "DY777")
    page.fill("input[name=last4]", "5678")
    page.click("button[type=submit]")
    page.select_option("select[name=reason]", "no_reason")
    page.select_option("select[name=condition]", "unopened")  # asked, nothing pre-chosen
    page.set_input_files("input[name=photo]", str(img))
    # then the decision shows at once
    page.wait_for_selector("[data-testid=decision]:not([hidden]) .what")
    page.wait_for_function("document.querySelector('#decision .ship').textContent.length > 0")
    # (the first answer's texts stay while the reason's own answer is on its way: wait for its remedies, or the
    # texts were read under an empty 「请选择办理方式」 when the machine was slow)
    page.wait_for_selector("[data-testid=remedies]:not([hidden]) input[name=kind]")
    assert "退货退款" in page.inner_text("#decision")
    assert "买家承担" in page.inner_text("#decision")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=timeline]")
    assert "待买家寄回" in page.inner_text("[data-testid=status]")
    # and a progress note from the agent appears on the follow page
    case = Case.objects.get()
    svc.case_add_progress(case=case, actor=agent, note="仓库已为您预留退货位")
    page.reload()
    assert "仓库已为您预留退货位" in page.inner_text("[data-testid=timeline]")
    # and the customer registers the return parcel on the same page
    page.select_option("[data-testid=ship] select[name=carrier]", "SF")
    page.fill("[data-testid=ship] input[name=tracking_no]", "SF1234567890")
    page.click("[data-testid=ship] button[type=submit]")
    page.wait_for_selector("[data-testid=status]:has-text('退货运输中')")
    assert "买家已寄回：顺丰速运 SF1234567890" in page.inner_text("[data-testid=timeline]")
    case.refresh_from_db()
    assert (case.status, case.return_tracking_no) == ("in_transit_back", "SF1234567890")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_lost_parcel_is_filed_in_the_browser_without_a_photo(page, live_server, shop):
    # given an order whose parcel never arrived
    cache.clear()
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no="DY778",
                     product=ProductFactory(shop=shop, name="保温杯", category=Category.HOME),
                     price_paid=Decimal("59.00"))
    page.goto(f"{live_server.url}/p/")
    page.fill("input[name=order_no]", "DY778")
    page.fill("input[name=last4]", "5678")
    page.click("button[type=submit]")
    # when they pick a reason the policy wants a photo for, the page says so and the field is required
    # (the page's script reacts to the change event: wait for its effect rather than race it on a busy machine)
    page.wait_for_load_state("load")
    page.select_option("select[name=reason]", "wrong_item")
    page.wait_for_function("document.querySelector('input[name=photo]').required === true", timeout=5000)
    assert "需要上传照片" in page.inner_text("[data-testid=photo-need]")
    # when they pick a lost parcel, no photo is asked for and the claim goes through without one
    page.select_option("select[name=reason]", "lost_parcel")
    page.wait_for_function("document.querySelector('input[name=photo]').required === false", timeout=5000)
    assert "无需照片" in page.inner_text("[data-testid=photo-need]")
    page.click("#claim-form button[type=submit]")
    page.wait_for_selector("[data-testid=timeline]")
    assert Case.objects.get().reason == "lost_parcel"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_each_choice_sits_beside_its_text(browser, live_server, shop):
    # the form-wide rules put every radio and checkbox alone on a line, centred, far from its text
    cache.clear()
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no="DY779",
                     product=ProductFactory(shop=shop, name="法式碎花连衣裙", category=Category.CLOTHING))
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/p/")
        page.fill("input[name=order_no]", "DY779")
        page.fill("input[name=last4]", "5678")
        page.click("button[type=submit]")
        for selector in ("input[name=line]", "input[name=washed]"):
            box = page.locator(selector).first.bounding_box()
            label = page.locator(selector).first.locator("xpath=..").bounding_box()
            assert box["x"] - label["x"] < 24, (selector, box, label)  # at the start of its label
            # level with its text, not stacked above it (the label itself is a finger high: test_customer_phone)
            assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 8, (selector, box, label)
    finally:
        context.close()
