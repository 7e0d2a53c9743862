"""Walk, round nine, in a real browser at 1366×768: a supervisor opens the staff pages of reviews, SLA calendars,
the message timeline, the order import and the return addresses, switches to English with the language menu
and opens them again. On every page: no horizontal scroll at 1366 px, and in English no Chinese in the page's
own words (headings, column heads, labels, buttons, menu options); the shop's data (review texts, names) may
stay Chinese. The pages' fixes are each tested on their own (test_walk_round9.py and its neighbours)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.models import ImportJob, ReturnAddress
from shouhou.core.testing.browser import log_in
from shouhou.core.testing.factories import CustomerFactory
from shouhou.notifications.models import OptOutRequest, OutboundMessage
from shouhou.reviews.services import ReviewInput, reviews_ingest
from shouhou.sla.models import BusinessCalendar
from shouhou.sla.services import sla_defaults_install

CJK = re.compile(r"[\u4e00-\u9fff\u3001\u3002\uff08\uff09\uff1a]")  # Chinese, and its 、。（）：
# the page's own words: what a translation covers (the shop's data sits in table cells and paragraphs)
CHROME = "h2, th, label, button, option, .label, nav a, [data-testid=pages]"
# cells that hold our words, not the shop's: the festivals (named by the holidays package), an opt-out's
# source, the fields an import lacked — all Chinese on the English pages before this round
OURS = "#days tbody td:nth-child(4), #opt-outs td[data-source], [data-testid=missing-columns]"


def _seed(shop, supervisor) -> list[str]:
    ingested = reviews_ingest(shop=shop, actor=SYSTEM, items=[
        ReviewInput(text="穿了一次就开线了，质量太差", order_no="DY1"),
        ReviewInput(text="面料很舒服，颜色也正，好评", author_name="小***鹿")]).created
    task = next(r.recovery for r in ingested if r.recovery)
    sla_defaults_install(shop=shop)
    office = BusinessCalendar.objects.get(shop=shop, name="职能部门工作日")
    customer = CustomerFactory(shop=shop, name="Lina", phone="13900001111")
    OptOutRequest.objects.create(shop=shop, customer=customer, source="sms_reply", contact_handle=customer.phone,
                                 text="退订", outcome=OptOutRequest.Outcome.OPTED_OUT, scope="care",
                                 source_key="walk9:1", received_at=timezone.now())
    OutboundMessage.objects.create(shop=shop, customer=customer, channel="sms", trigger="order_placed",
                                   recipient=customer.phone, body="订单已收到", idempotency_key="walk9:m1",
                                   status="failed", last_error="isv.MOBILE_NUMBER_ILLEGAL: 号码无效")
    job = ImportJob.objects.create(shop=shop, filename="o.csv", digest="e" * 64, status="done",
                                   summary={"written": True, "missing_columns": ["签收时间"]})
    ReturnAddress.objects.create(shop=shop, name="杭州退货仓", contact_name="王仓管", phone="0571-88886666",
                                 province="浙江省", city="杭州市", street="文一西路 1 号", is_default=True)
    return ["/reviews/", f"/reviews/tasks/{task.pk}/", "/reviews/good/", "/reviews/qa/", "/sla/calendars/",
            f"/sla/calendars/{office.pk}/2027/", f"/notifications/customers/{customer.pk}/timeline/",
            "/commerce/import/", f"/commerce/import/{job.pk}/", "/commerce/return-addresses/"]


def _look(page, base: str, url: str) -> tuple[int, int, list[str]]:
    response = page.goto(base + url)
    width = page.evaluate("document.documentElement.scrollWidth")
    words = page.eval_on_selector_all(f"{CHROME}, {OURS}", "els => els.map(e => e.innerText.trim()).filter(Boolean)")
    return response.status, width, words


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_supervisor_walks_the_pages_in_chinese_then_in_english(browser, live_server, shop, supervisor):
    urls = _seed(shop, supervisor)
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        log_in(page, live_server.url, "supervisor")
        for url in urls:
            status, width, words = _look(page, live_server.url, url)
            assert (url, status) == (url, 200)
            assert width <= 1366, (url, width)
            assert any(CJK.search(w) for w in words), url  # the Chinese page is Chinese
        # the language menu in the top bar switches the whole session
        with page.expect_navigation():
            page.select_option("select[name=language]", "en")
        assert page.locator("html").get_attribute("lang") == "en"
        for url in urls:
            status, width, words = _look(page, live_server.url, url)
            assert (url, status) == (url, 200)
            assert width <= 1366, (url, width)
            chinese = [w for w in words if CJK.search(w) and w != "简体中文"]
            assert chinese == [], url
    finally:
        context.close()
