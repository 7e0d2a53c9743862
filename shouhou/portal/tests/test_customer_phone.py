"""The self-service pages as a customer on a phone uses them (found on the demo data at 390×844 and 360×640):
what the page prints, a double tap on 提交申请, a shared phone's cache, and targets a finger can hit."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG, photo
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import CustomerFactory, OrderLineFactory, ProductFactory
from shouhou.portal.tests.conftest import portal_line

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def line(shop):
    return portal_line(shop)


def _login(client, order_no="DY20261101001", last4="5678"):
    return client.post("/p/", {"order_no": order_no, "last4": last4}, REMOTE_ADDR="10.0.0.1")


def _submit_key(page: str) -> str:
    return re.search(r'name="submit_key" value="([^"]+)"', page).group(1)


@pytest.mark.usefixtures("portal_clock")
def test_the_claim_form_prints_no_template_comment(client, line):
    # a {# … #} comment written over two lines is printed: the customer read 「{# 三包 goods after the whole unit's
    # warranty: is the fault in a main part …」 in English, in the middle of the Chinese form
    _login(client)
    page = client.get("/p/order/").content.decode()
    assert "法式碎花连衣裙" in page
    for syntax in ("{#", "#}", "{%", "%}", "{{", "}}"):
        assert syntax not in page, syntax


@pytest.mark.usefixtures("portal_clock")
def test_no_portal_page_is_kept_by_a_shared_phone_or_a_proxy(client, line):
    # the order and the case (refund amount, return address, the link that acts on the case) are not stored by
    # the browser's cache or an intermediate proxy: on a family's or a shop's shared phone, back after leaving
    # fetched them again instead of showing them
    responses = {"start": client.get("/p/"), "lookup": _login(client, last4="0000")}
    _login(client)
    responses["order"] = client.get("/p/order/")
    responses["refused"] = client.post("/p/order/", {"line": line.pk, "reason": "quality",
                                                     "photo": photo(b"not an image")})
    filed = client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                      "photo": photo(JPEG)})
    responses["filed"] = filed
    responses["follow"] = client.get(filed["Location"])
    responses["ship refused"] = client.post(filed["Location"] + "ship/", {"carrier": "nope", "tracking_no": "1"})
    for name, r in responses.items():
        assert "no-store" in r.get("Cache-Control", ""), (name, r.status_code, r.get("Cache-Control"))


@pytest.mark.usefixtures("portal_clock")
def test_the_same_form_sent_twice_files_one_claim_and_shows_it_both_times(client, line):
    # a double tap sends the form twice; the second used to answer 400 「该商品已有进行中的售后单」 in place of the
    # case the first had just filed (its page load was replaced by the second's)
    _login(client)
    form = {"line": line.pk, "reason": "no_reason", "condition": "unopened",
            "submit_key": _submit_key(client.get("/p/order/").content.decode())}
    first = client.post("/p/order/", {**form, "photo": photo(JPEG)})
    second = client.post("/p/order/", {**form, "photo": photo(JPEG)})
    assert first.status_code == second.status_code == 302
    case = Case.objects.get()
    assert first["Location"].startswith("/p/c/") and case.evidence.count() == 1
    assert case.number in client.get(second["Location"]).content.decode()
    # a new form (a new key) on the same line is a new claim, refused while this one is open, as before
    again = client.post("/p/order/", {**form, "submit_key": _submit_key(client.get("/p/order/").content.decode())})
    assert again.status_code == 400 and "已有进行中的售后单" in again.content.decode()


@pytest.mark.usefixtures("portal_clock")
def test_a_refused_form_corrected_and_sent_with_its_key_is_filed(client, line):
    # the key of a form that filed nothing is free again: the corrected form (shown with the same key) goes through
    _login(client)
    key = _submit_key(client.get("/p/order/").content.decode())
    refused = client.post("/p/order/", {"line": line.pk, "reason": "wrong_item", "condition": "unopened",
                                        "submit_key": key})
    assert refused.status_code == 400 and _submit_key(refused.content.decode()) == key
    filed = client.post("/p/order/", {"line": line.pk, "reason": "wrong_item", "condition": "unopened",
                                      "submit_key": key, "photo": photo(JPEG)})
    assert filed.status_code == 302 and Case.objects.get().reason == "wrong_item"


@pytest.mark.usefixtures("portal_clock")
def test_a_page_without_a_looked_up_order_leads_back_to_the_lookup_and_says_why(client, line):
    # the session ended (a day later, another browser, WeChat's in-app browser) and the customer opens the claim
    # form or sends it: the staff site's 404 「页面不存在 · 返回首页」 led to the staff login, a dead end
    for r in (client.get("/p/order/"), client.post("/p/order/", {"line": line.pk, "reason": "no_reason"}),
              client.post("/p/order/submit/", {"line": line.pk, "reason": "no_reason"})):
        assert r.status_code == 302 and r["Location"] == "/p/?again=1"
    page = client.get("/p/?again=1").content.decode()
    assert 'data-testid="notice"' in page and "请先输入订单号和手机尾号查询订单" in page
    assert "法式碎花连衣裙" not in page and Case.objects.count() == 0
    # the form's live preview says so too, instead of keeping the last answer's remedies and money
    r = client.post("/p/order/preview/", {"line": line.pk, "reason": "no_reason"})
    assert r.status_code == 400 and "请先输入订单号和手机尾号查询订单" in r.json()["error"]


@pytest.mark.usefixtures("portal_clock")
def test_a_mistyped_shop_link_still_offers_the_lookup(client, line):
    r = client.get("/p/s/no-such-shop/")
    page = r.content.decode()
    assert r.status_code == 404 and "这个店铺链接无效" in page and 'action="/p/"' in page
    assert 'name="order_no"' in page and "返回首页" not in page
    assert _login(client).status_code == 302  # the form it shows looks the order up


@pytest.mark.usefixtures("portal_clock")
def test_each_page_has_one_main_landmark(client, line):
    # the portal's own <main> sat inside the site's: two main landmarks, and the site's phone padding on top of
    # the portal's (content 304 px wide on a 360 px phone)
    pages = {"start": client.get("/p/").content.decode()}
    _login(client)
    pages["order"] = client.get("/p/order/").content.decode()
    filed = client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                      "photo": photo(JPEG)})
    pages["follow"] = client.get(filed["Location"]).content.decode()
    for name, page in pages.items():
        assert page.count("<main") == 1, name


@pytest.mark.usefixtures("portal_clock")
def test_a_claim_the_policy_grants_nothing_is_named_by_its_problem_not_as_compensation(client, shop):
    # a 7-day return asked for on day 30: the policy grants nothing and the case waits for a person, filed as 补偿
    # (cases.case_create's placeholder); the customer read 「补偿 · 待审核」, as if compensation had been offered
    late = portal_line(shop, signed_days_before=30)
    _login(client)
    filed = client.post("/p/order/", {"line": late.pk, "reason": "size_fit", "condition": "unopened",
                                      "photo": photo(JPEG)})
    case = Case.objects.get()
    assert case.kind == "compensation" and "compensation" not in case.decision["allowed"]
    follow = client.get(filed["Location"]).content.decode()
    status = re.search(r'data-testid="status">([^<]*)<', follow).group(1)
    assert status == "尺码不合适 · 待审核"
    assert f"{case.number} · 尺码不合适 · 待审核" in client.get("/p/order/").content.decode()
    assert "补偿" not in follow


# --- in a phone's browser -------------------------------------------------------------------------------------

SMALL_TARGETS = """(selector) => {
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    if (r.width && r.height < 44) small.push([el.tagName, (el.name || el.textContent).trim().slice(0, 20), r.height]);
  }
  return small;
}"""
# what a finger taps: choices by their label, the rest themselves
TARGETS = ("main a, main button, main select, main input:not([type=radio]):not([type=checkbox]):not([type=hidden]), "
           "main label.h5-choice")


def _delivered_yesterday(shop, quantity=1):
    """A dress signed for yesterday (the real clock: the live server's), order DY20261101001, phone …5678."""
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    return OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no="DY20261101001",
                            order__delivered_at=timezone.now() - dt.timedelta(days=1), quantity=quantity,
                            product=ProductFactory(shop=shop, name="法式碎花连衣裙", category=Category.CLOTHING),
                            price_paid=Decimal("199.00"))


def _phone(browser, width=360, height=640):
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15000)
    return context


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_small_phone_every_target_is_a_finger_high_and_nothing_overflows(browser, live_server, shop):
    cache.clear()
    _delivered_yesterday(shop, quantity=2)  # a line of two: the quantity field too
    context = _phone(browser)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/p/")
        assert page.evaluate(SMALL_TARGETS, TARGETS) == []
        page.fill("input[name=order_no]", "DY20261101001")
        page.fill("input[name=last4]", "5678")
        page.click("button[type=submit]")
        page.wait_for_selector("#claim-form")
        page.select_option("select[name=reason]", "no_reason")
        page.select_option("select[name=condition]", "unopened")  # asked, nothing pre-chosen
        page.wait_for_selector("[data-testid=remedies]:not([hidden]) input[name=kind]")
        assert page.evaluate(SMALL_TARGETS, TARGETS) == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.set_input_files("input[name=photo]", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": JPEG}])
        page.click("[data-testid=submit]")
        page.wait_for_selector("[data-testid=timeline]")
        assert page.evaluate(SMALL_TARGETS, TARGETS) == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_double_tap_on_submit_files_one_claim_and_shows_it(browser, live_server, shop):
    cache.clear()
    _delivered_yesterday(shop)
    context = _phone(browser, 390, 844)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/p/")
        page.fill("input[name=order_no]", "DY20261101001")
        page.fill("input[name=last4]", "5678")
        page.click("button[type=submit]")
        page.wait_for_selector("#claim-form")
        page.select_option("select[name=reason]", "no_reason")
        page.select_option("select[name=condition]", "unopened")  # asked, nothing pre-chosen
        page.wait_for_selector("[data-testid=remedies]:not([hidden]) input[name=kind]")
        page.set_input_files("input[name=photo]", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": JPEG}])
        # two taps, each its own event (not one task, where the browser itself would keep only the last)
        page.evaluate("""() => new Promise((done) => {
            const b = document.querySelector('[data-testid=submit]');
            b.click();
            setTimeout(() => { b.click(); done(); }, 0);
        })""")
        page.wait_for_selector("[data-testid=timeline]")
        assert page.locator("[data-testid=error]").count() == 0
        case = Case.objects.get()
        assert case.number in page.inner_text("h1")
    finally:
        context.close()


@pytest.mark.usefixtures("portal_clock")
def test_in_english_the_pages_speak_english(client, line):
    # the pages' own words were Chinese whatever the language chosen (Django's language cookie): an English page
    # read 「申请退换货 · 订单号 · 手机尾号（4位）· 查询订单」 and, on the case page, 「售后单 … 处理进度 … 撤销申请」
    client.cookies["django_language"] = "en"
    cjk = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")

    def chinese_left(html: str, *data: str) -> list[str]:
        # (the switch back to Chinese says 「中文」 in Chinese, for the reader who wants it)
        html = html.replace('lang="zh-Hans">中文<', "")
        for text in ("０-９", *data):  # (the phone tail's pattern takes full-width digits)  # the shop's own data (product names) and the engine's grounds stay as written
            html = html.replace(text, "")
        return cjk.findall(html)

    page = client.get("/p/").content.decode()
    assert chinese_left(page) == [] and "Find my order" in page
    wrong = _login(client, last4="0000").content.decode()
    assert chinese_left(wrong) == [] and "Please check them and try again" in wrong
    _login(client)
    page = client.get("/p/order/").content.decode()
    assert chinese_left(page, "法式碎花连衣裙", line.spec, f"（¥{line.price_paid}）") == []
    assert "What went wrong" in page and "Submitting…" in page
    filed = client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                      "photo": photo(JPEG)})
    case = Case.objects.get()
    follow = client.get(filed["Location"]).content.decode()
    # the grounds and the timeline too: the engine's English grounds, the cases app's own steps said from their
    # codes (they read 「符合七日无理由退货…」 and 「符合售后政策，系统自动通过 · 请按约定方式寄回商品」)
    assert chinese_left(follow, "法式碎花连衣裙") == []
    assert "Eligible for the 7-day no-reason return (day 2)." in follow
    assert "Meets the shop&#x27;s after-sales policy: approved automatically" in follow
    assert "Please send the item back as agreed" in follow
    assert f"After-sales case {case.number}" in follow and "Withdraw request" in follow
    assert "Please send it back by 2026-11-13 23:59 (Beijing time)" in follow
    # and a claim refused for want of a photo says why in English
    client.post(filed["Location"] + "cancel/")
    refused = client.post("/p/order/", {"line": line.pk, "reason": "wrong_item", "condition": "unopened"})
    assert "needs a photo as evidence" in refused.content.decode()


@pytest.mark.usefixtures("portal_clock")
def test_a_page_answering_a_sent_form_names_its_own_address_for_back(client, line):
    # Back after filing, from the case page, reached the entry of the refused form before it: an answer to a POST
    # kept by no cache (no-store), which Chrome shows as 「确认重新提交表单」 (ERR_CACHE_MISS). Each such page names the
    # address portal.js puts in its place in history, fetched by GET (test_phone_walk.py walks it in the browser).
    def page_url(response):
        found = re.search(r'data-page-url="([^"]*)"', response.content.decode())
        return found and found.group(1)

    wrong = _login(client, last4="0000")
    assert wrong.status_code == 200 and page_url(wrong) == "/p/"
    assert page_url(client.post("/p/s/xiaolu/", {"order_no": "DY1", "last4": "0000"})) == "/p/s/xiaolu/"
    _login(client)
    assert page_url(client.get("/p/order/")) is None  # a page fetched by GET is its own address already
    refused = client.post("/p/order/", {"line": line.pk, "reason": "quality", "photo": photo(b"not an image")})
    assert refused.status_code == 400 and page_url(refused) == "/p/order/"
    # the old address of the form's target answers only POST: its page names the form's own address
    old = client.post("/p/order/submit/", {"line": line.pk, "reason": "quality", "photo": photo(b"not an image")})
    assert old.status_code == 400 and page_url(old) == "/p/order/"
    filed = client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                      "photo": photo(JPEG)})
    follow = filed["Location"]
    assert page_url(client.get(follow)) is None
    for action, form in (("ship/", {"carrier": "nope", "tracking_no": ""}), ("evidence/", {"photo": photo(b"x")})):
        r = client.post(follow + action, form)
        assert r.status_code == 400 and page_url(r) == follow, action
    assert 'src="/static/portal/portal.js"' in client.get("/p/").content.decode()
