"""A customer's whole walk on a phone (390×844, touch), in Chinese and then in English: the lookup with wrong input,
every problem on the claim form, the photo's refusals, a too-long text, a double tap, Back after filing, a stale
page, the follow page, the parcel's tracking number and its correction, and the withdrawal. On every page: nothing
wider than the screen, main actions a finger high, no stack trace or internal code, no words of the other
language, money in yuan, the phone number never in full. One browser, one server."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from shouhou.cases.choices import CaseStatus
from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import CustomerFactory, OrderLineFactory, ProductFactory
from shouhou.portal.tests.test_customer_phone import TARGETS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13912345678"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
LATIN_OK = {"JPG", "PNG", "WebP", "GIF", "MB", "KB", "EMS"}  # file formats, sizes, a carrier: so in Chinese too
FAILED = {"zh": "暂时无法显示政策结果，请刷新页面后再试。",
          "en": "The policy result cannot be shown right now. Please reload the page and try again."}
LEAKS = ("Traceback", "Exception", "None", "null", "undefined", "NaN", "{{", "{%", "_", "Error")

# what the page shows of the page: overflow, small targets, the text a reader sees, elements cut off at the right
LOOK = """(targets) => {
  const small = [];
  for (const el of document.querySelectorAll(targets)) {
    const r = el.getBoundingClientRect();
    if (r.width && r.height < 44) small.push([el.tagName, (el.name || el.textContent).trim().slice(0, 20), r.height]);
  }
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > window.innerWidth + 0.5) wide.push([el.tagName, el.className, Math.round(r.right)]);
  }
  return {scroll: document.scrollingElement.scrollWidth, small, wide,
          text: (document.querySelector("main") || document.body).innerText, html: document.documentElement.outerHTML};
}"""


def _phone(browser, language: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN" if language == "zh" else "en-US", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # 确定撤销吗？
    return context, page


def _look(page, language: str, *data: str) -> str:
    """The page as the customer sees it, checked; returns the main text."""
    seen = page.evaluate(LOOK, TARGETS)
    where = page.url
    assert seen["scroll"] <= 390, (where, seen["scroll"], seen["wide"][:5])
    assert seen["wide"] == [], (where, seen["wide"][:5])
    assert seen["small"] == [], (where, seen["small"])
    assert PHONE not in seen["html"], where
    text = seen["text"]
    for leak in LEAKS:
        assert leak not in text, (where, leak, text)
    rest = re.sub(r"\bSH[0-9A-Z]{8,}\b", "", text)  # case numbers
    for value in data:
        rest = rest.replace(value, "")
    if language == "zh":
        latin = [w for w in LATIN_WORD.findall(rest) if w not in LATIN_OK]
        assert latin == [], (where, latin, rest)
    else:
        assert CJK.findall(rest) == [], (where, "".join(CJK.findall(rest)))
    # money: yuan with the fen, never a bare amount in fen or without its sign
    for amount in re.findall(r"\d+\.\d+", rest):
        assert re.search(r"¥" + re.escape(amount) + r"\b", rest) or amount.count(".") > 1, (where, amount, rest)
    return text


def _order(shop, order_no: str, *, name="法式碎花连衣裙", category=Category.CLOTHING, price="199.00", quantity=1,
           days=1):
    customer = CustomerFactory(shop=shop, phone=PHONE, phone_last4="5678")
    return OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no=order_no,
                            order__delivered_at=timezone.now() - dt.timedelta(days=days), quantity=quantity,
                            product=ProductFactory(shop=shop, name=name, category=category),
                            price_paid=Decimal(price))


def _look_up(page, base: str, order_no: str, last4: str = "5678", path: str = "/p/"):
    page.goto(base + path)
    page.fill("input[name=order_no]", order_no)
    page.fill("input[name=last4]", last4)
    with page.expect_navigation():
        page.tap("button[type=submit]")


def _choose(page, reason: str):
    """The problem chosen and the preview's answer for it on the page (not the previous problem's)."""
    if page.input_value("select[name=reason]") != reason:
        with page.expect_response("**/p/order/preview/"):
            page.select_option("select[name=reason]", reason)
    if reason in ("no_reason", "size_fit") and not page.input_value("select[name=condition]"):
        # the item's state is asked for a no-reason return, nothing pre-chosen: the customer says it
        with page.expect_response("**/p/order/preview/"):
            page.select_option("select[name=condition]", "unopened")
    expect(page.locator("[data-testid=decision]")).to_be_visible()
    page.wait_for_timeout(50)  # the answer written into the page


def _walk(browser, live_server, shop, language: str, tmp_path):
    base = live_server.url
    data_words = ("DY20261101001", "DY990", "法式碎花连衣裙", "蓝牙耳机", "陶瓷马克杯")
    context, page = _phone(browser, language)
    try:
        page.goto(base + "/p/")
        if language == "en":
            with page.expect_navigation():
                page.tap("[data-testid=language] button")
        _look(page, language)
        # a wrong phone tail: the neutral error, what was typed kept
        _look_up(page, base, "DY20261101001", "0000")
        expect(page.locator("[data-testid=error]")).to_be_visible()
        assert page.input_value("input[name=order_no]") == "DY20261101001"
        _look(page, language, *data_words)
        # an order of another shop, through this shop's link: not found, the same words
        _look_up(page, base, "DY990", path=f"/p/s/{shop.code}/")
        expect(page.locator("[data-testid=error]")).to_be_visible()
        _look(page, language, *data_words, shop.name)
        # the right pair
        _look_up(page, base, "DY20261101001")
        page.wait_for_url("**/p/order/")
        _look(page, language, *data_words)
        # every problem: the preview answers, on the screen, in the reader's language
        for reason in page.eval_on_selector_all("select[name=reason] option", "os => os.map(o => o.value)"):
            _choose(page, reason)
            _look(page, language, *data_words)
        # a file that is no image: refused by the server, in the reader's language, the form kept
        _choose(page, "quality")
        page.fill("textarea[name=description]", "线头" * 300)
        assert len(page.input_value("textarea[name=description]")) == 500
        page.set_input_files("input[name=photo]", files=[{"name": "a.jpg", "mimeType": "image/jpeg",
                                                          "buffer": b"not an image at all"}])
        with page.expect_navigation():
            page.tap("[data-testid=submit]")
        expect(page.locator("[data-testid=error]")).to_be_visible()
        assert page.input_value("select[name=reason]") == "quality"
        _look(page, language, *data_words, "线头")
        assert Case.objects.count() == 0
        # an oversized photo: said beside the field at once
        # (a file on disk: the browser reads it itself — 10 MB sent over Playwright's pipe took over 15 s under load)
        big = tmp_path / "IMG_0001.jpg"
        big.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * (10 * 1024 * 1024 + 1))
        page.set_input_files("input[name=photo]", str(big))
        expect(page.locator("[data-testid=photo-error]")).to_be_visible()
        _look(page, language, *data_words, "线头", "10.0", "MB")
        # a 7-day return with a photo, sent with a double tap
        _choose(page, "no_reason")
        page.set_input_files("input[name=photo]", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": JPEG}])
        page.evaluate("""() => new Promise((done) => {
            const b = document.querySelector('[data-testid=submit]');
            b.click(); setTimeout(() => { b.click(); done(); }, 0);
        })""")
        page.wait_for_selector("[data-testid=timeline]")
        case = Case.objects.get()
        follow_url = page.url
        text = _look(page, language, *data_words, case.number)
        # times in Beijing time
        filed = timezone.localtime(case.created_at, dt.timezone(dt.timedelta(hours=8))).strftime("%m-%d %H:%M")
        assert filed in page.inner_text("[data-testid=timeline]"), (filed, text)
        # Back after filing: the claim form again, fetched anew, naming the case
        # (the entry before it answered a refused form: Chrome showed 「确认重新提交表单」, ERR_CACHE_MISS)
        page.go_back()
        page.wait_for_load_state()
        assert page.url.endswith("/p/order/")
        expect(page.locator("main")).to_contain_text(case.number)
        _look(page, language, *data_words, case.number)
        page.goto(follow_url)
        # the return parcel: no tracking number, then the right one, then a correction
        assert Case.objects.get().status == CaseStatus.AWAITING_RETURN
        page.select_option("select[name=carrier]", index=1)
        with page.expect_navigation():
            page.tap("[data-testid=ship] button[type=submit]")
        expect(page.locator("[data-testid=error]")).to_be_visible()
        _look(page, language, *data_words, case.number)
        page.fill("[data-testid=ship] input[name=tracking_no]", "SF1234567890123")
        with page.expect_navigation():
            page.tap("[data-testid=ship] button[type=submit]")
        expect(page.locator("[data-testid=ship-fix]")).to_be_visible()
        _look(page, language, *data_words, case.number, "SF1234567890123")
        page.fill("[data-testid=ship-fix] input[name=tracking_no]", "SF1234567890124")
        with page.expect_navigation():
            page.tap("[data-testid=ship-fix] button[type=submit]")
        assert Case.objects.get().return_tracking_no == "SF1234567890124"
        _look(page, language, *data_words, case.number, "SF1234567890123", "SF1234567890124")
        # a photo added later
        page.set_input_files("[data-testid=add-photo] input[name=photo]",
                             files=[{"name": "b.jpg", "mimeType": "image/jpeg", "buffer": JPEG}])
        with page.expect_navigation():
            page.tap("[data-testid=add-photo] button[type=submit]")
        _look(page, language, *data_words, case.number, "SF1234567890123", "SF1234567890124")
        # the parcel on the same order that never came: lost, no photo needed, filed and then withdrawn
        page.goto(base + "/p/order/")
        page.get_by_text("陶瓷马克杯").tap()
        _choose(page, "lost_parcel")
        with page.expect_navigation():
            page.tap("[data-testid=submit]")
        assert page.locator("[data-testid=error]").count() == 0, page.inner_text("main")
        lost = Case.objects.exclude(pk=case.pk).get()
        assert lost.reason == "lost_parcel"
        _look(page, language, *data_words, lost.number)
        with page.expect_navigation():
            page.tap("[data-testid=cancel] button")
        assert Case.objects.get(pk=lost.pk).status == CaseStatus.CANCELLED
        _look(page, language, *data_words, lost.number)
        # a stale claim form: the lookup ended (its session gone) before it was sent
        page.goto(base + "/p/order/")
        kept = [c for c in context.cookies() if c["name"] != "sessionid"]
        context.clear_cookies()
        context.add_cookies(kept)
        _choose(page, "size_fit")
        expect(page.locator("#decision .refund-line")).to_be_hidden()  # the preview says the lookup has ended
        _look(page, language, *data_words)
        page.set_input_files("input[name=photo]", files=[{"name": "a.jpg", "mimeType": "image/jpeg", "buffer": JPEG}])
        with page.expect_navigation():
            page.tap("[data-testid=submit]")
        assert page.url.endswith("/p/?again=1")
        expect(page.locator("[data-testid=notice]")).to_be_visible()
        _look(page, language, *data_words)
        assert Case.objects.count() == 2
        # a form left open so long its cookies are gone: the preview says it cannot answer (it kept the last
        # claim's money under an empty 「请选择办理方式」), and sending it says the page expired, with a way back
        _look_up(page, base, "DY20261101001")
        context.clear_cookies()
        if language == "en":
            context.add_cookies([{"name": "django_language", "value": "en", "url": base}])
        page.select_option("select[name=reason]", "size_fit")
        page.select_option("select[name=condition]", "unopened")  # asked, nothing pre-chosen
        expect(page.locator("#decision .what")).to_have_text(FAILED[language])
        expect(page.locator("#decision .refund-line")).to_be_hidden()
        _look(page, language, *data_words)
        with page.expect_navigation():
            page.tap("[data-testid=submit]")
        _look(page, language, *data_words)
        with page.expect_navigation():
            page.get_by_role("link").first.tap()
        assert page.url == base + "/p/"
    finally:
        context.close()


@pytest.fixture
def walk_data(shop, other_shop):
    cache.clear()
    line = _order(shop, "DY20261101001")
    OrderLineFactory(order=line.order, product=ProductFactory(shop=shop, name="陶瓷马克杯", category=Category.HOME),
                     price_paid=Decimal("39.90"))
    _order(other_shop, "DY990", name="蓝牙耳机", category=Category.ELECTRONICS)


def test_a_customer_walks_every_flow_on_a_phone_in_chinese(browser, live_server, shop, walk_data, tmp_path):
    _walk(browser, live_server, shop, "zh", tmp_path)


def test_a_customer_walks_every_flow_on_a_phone_in_english(browser, live_server, shop, walk_data, tmp_path):
    _walk(browser, live_server, shop, "en", tmp_path)
