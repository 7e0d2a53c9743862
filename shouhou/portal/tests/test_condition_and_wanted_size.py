"""The claim form asks the item's state only where it decides (a no-reason return) and pre-chooses none — 「未拆封」
chosen for every customer approved used items as intact — and an exchange for another size says which size."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG, photo
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import CustomerFactory, OrderLineFactory, ProductFactory
from shouhou.portal.tests.conftest import portal_line
from shouhou.portal.tests.test_portal import _login


@pytest.fixture
def line(shop):
    return portal_line(shop)  # a dress signed for two days before the portal clock's NOW


def _form(client) -> str:
    return client.get("/p/order/").content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("portal_clock")
class TestTheItemsState:
    def test_nothing_is_pre_chosen_and_a_no_reason_return_without_it_is_sent_back_naming_the_field(self, client, line):
        _login(client)
        page = _form(client)
        assert '<option value="" selected>请选择</option>' in page  # the placeholder, which `required` refuses
        assert '<option value="unopened" selected>' not in page
        assert '<select name="condition" required' in page  # the first reason (七天无理由) asks it
        r = client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "photo": photo(JPEG)})
        assert r.status_code == 400 and Case.objects.count() == 0
        body = r.content.decode()
        assert 'data-testid="condition-error">请选择商品状态（未拆封、已拆封未使用、已使用……）。</p>' in body
        # an answer that is not one of the states is refused too, not read as 「未拆封」
        r = client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "condition": "like new"})
        assert r.status_code == 400 and "请选择商品状态。" in r.content.decode() and Case.objects.count() == 0

    def test_the_state_the_customer_states_decides_and_the_agent_reads_it(self, client, agent_client, line):
        _login(client)
        # the preview before a choice reads an intact item; the state chosen then decides
        before = client.post("/p/order/preview/", {"line": line.pk, "reason": "no_reason"}).json()["text"]
        assert "符合七日无理由退货" in before["what"] + before["explanation"]
        client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "condition": "tags_removed"})
        case = Case.objects.get()
        assert case.claim["condition"] == "tags_removed" and case.decision["allowed"] == []
        page = agent_client.get(f"/cases/{case.pk}/").content.decode()
        assert 'data-testid="claim-condition">顾客所述商品状态：吊牌已剪</span>' in page

    def test_a_defect_is_not_asked_the_state(self, client, agent_client, line):
        _login(client)
        r = client.post("/p/order/", {"line": line.pk, "reason": "quality", "photo": photo(JPEG)})
        assert r.status_code == 302
        case = Case.objects.get()
        assert "condition" not in case.claim
        assert "claim-condition" not in agent_client.get(f"/cases/{case.pk}/").content.decode()
        # and a form sent back for a defect shows the field hidden, not required
        r = client.post("/p/order/", {"line": line.pk, "reason": "quality", "kind": "refund_only"})
        body = r.content.decode()
        assert 'data-testid="condition-field" class="condition-field" hidden' in body
        assert '<select name="condition" required' not in body


@pytest.mark.django_db
@pytest.mark.usefixtures("portal_clock")
class TestTheWantedSize:
    def test_a_wrong_sizes_exchange_says_which_size(self, client, line):
        _login(client)
        r = client.post("/p/order/", {"line": line.pk, "reason": "size_fit", "condition": "unopened",
                                      "kind": "exchange", "photo": photo(JPEG)})
        assert r.status_code == 400 and Case.objects.count() == 0
        body = r.content.decode()
        assert 'data-testid="wanted-error">请填写想换的尺码或颜色。</p>' in body
        assert 'data-testid="wanted-field" class="wanted-field">' in body  # shown again with the exchange chosen
        r = client.post("/p/order/", {"line": line.pk, "reason": "size_fit", "condition": "unopened",
                                      "kind": "exchange", "wanted_spec": "码" * 61})
        assert r.status_code == 400 and "想换的尺码或颜色最多 60 个字。" in r.content.decode()
        r = client.post("/p/order/", {"line": line.pk, "reason": "size_fit", "condition": "unopened",
                                      "kind": "exchange", "wanted_spec": "M 码"})
        assert r.status_code == 302 and Case.objects.get().claim["wanted_spec"] == "M 码"

    def test_a_return_keeps_no_wanted_size_and_a_defects_exchange_needs_none(self, client, line):
        _login(client)
        client.post("/p/order/", {"line": line.pk, "reason": "size_fit", "condition": "unopened",
                                  "kind": "return_refund", "wanted_spec": "M 码"})
        assert "wanted_spec" not in Case.objects.get().claim
        Case.objects.all().delete()
        r = client.post("/p/order/", {"line": line.pk, "reason": "quality", "kind": "exchange", "photo": photo(JPEG)})
        assert r.status_code == 302 and Case.objects.get().kind == "exchange"


@pytest.mark.django_db
def test_the_case_api_and_the_staff_page_carry_the_wanted_size(agent_client, shop, line):
    case = case_services.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="size_fit",
                                     kind="exchange", claim_data={"condition": "opened_unused", "wanted_spec": "XL"})
    page = agent_client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="claim-wanted-spec">顾客想换：XL</span>' in page
    assert 'data-testid="claim-condition">顾客所述商品状态：已拆封未使用</span>' in page
    # strictly typed, like every claim fact
    with pytest.raises(case_services.CaseError, match="wanted_spec"):
        case_services.case_create(actor=SYSTEM, shop=shop, order_line=OrderLineFactory(order__shop=shop),
                                  reason="size_fit", kind="exchange", claim_data={"wanted_spec": 42})


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_an_exchange_for_another_size_asks_which(browser, live_server, shop):
    cache.clear()
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no="DY790",
                     order__delivered_at=timezone.now() - dt.timedelta(days=1),
                     product=ProductFactory(shop=shop, name="法式碎花连衣裙", category=Category.CLOTHING),
                     price_paid=Decimal("199.00"))
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(f"{live_server.url}/p/")
        page.fill("input[name=order_no]", "DY790")
        page.fill("input[name=last4]", "5678")
        page.click("button[type=submit]")
        page.wait_for_url("**/p/order/")
        condition = page.locator("[data-testid=condition-field]")
        # a defect: the state is not asked
        page.select_option("select[name=reason]", "quality")
        expect(condition).to_be_hidden()
        # a wrong size: asked, nothing chosen, and the form is not sent without it
        page.select_option("select[name=reason]", "size_fit")
        expect(condition).to_be_visible()
        assert page.input_value("select[name=condition]") == ""
        page.get_by_label("换货").check()
        wanted = page.locator("[data-testid=wanted-field]")
        expect(wanted).to_be_visible()
        page.click("#claim-form [data-testid=submit]")
        page.wait_for_timeout(300)
        assert page.url.endswith("/p/order/") and Case.objects.count() == 0  # the browser asked for the fields
        page.select_option("select[name=condition]", "opened_unused")
        page.fill("input[name=wanted_spec]", "L 码")
        # a return instead hides the size again
        page.get_by_label("退货退款").check()
        expect(wanted).to_be_hidden()
        page.get_by_label("换货").check()
        expect(wanted).to_be_visible()
        page.click("#claim-form [data-testid=submit]")
        page.wait_for_url("**/p/c/*/")
        expect(page.locator("[data-testid=wanted-spec]")).to_have_text("想换的尺码或颜色：L 码")
        case = Case.objects.get()
        assert (case.kind, case.claim["condition"], case.claim["wanted_spec"]) == ("exchange", "opened_unused", "L 码")
    finally:
        context.close()
