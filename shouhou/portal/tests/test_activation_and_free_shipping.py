"""Two facts of a no-reason return the customer's page used to leave out: whether an electronic device was activated
(办法 art. 9 (2): then it is not intact), asked only where it matters; and the shipping fee a free-shipping offer
spared the order, deducted when the return takes the order below the shop's threshold — said before filing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG, photo
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import OrderLineFactory, ProductFactory
from shouhou.portal.tests.conftest import portal_line

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal_clock")]

DEDUCTION = "退货后订单不满包邮门槛，将扣除运费 ¥10.00"


def _login(client):
    r = client.post("/p/", {"order_no": "DY20261101001", "last4": "5678"}, REMOTE_ADDR="10.0.0.1")
    assert r.status_code == 302


def _file(client, line, reason="no_reason", **extra):
    return client.post("/p/order/", {"line": line.pk, "reason": reason, "condition": "unopened",
                                     "photo": photo(JPEG), **extra})


def _preview(client, line, reason="no_reason", **extra):
    r = client.post("/p/order/preview/", {"line": line.pk, "reason": reason, "condition": "unopened", **extra})
    return r.status_code, r.json()


# --- activation (办法 art. 9 (2)) ------------------------------------------------------------------------------

@pytest.fixture
def phone_line(shop):
    return portal_line(shop, name="智能手机 Pro", category=Category.MOBILE_PHONE, price_paid="2999.00")


def test_the_form_marks_electronic_lines_only_for_the_activation_question(client, shop, phone_line):
    dress = OrderLineFactory(order=phone_line.order, product=ProductFactory(shop=shop, name="连衣裙"),
                             category=Category.CLOTHING, price_paid=Decimal("199.00"))
    _login(client)
    page = client.get("/p/order/").content.decode()
    # shown (and required) from the first render: the first reason offered is 七天无理由, the phone is chosen
    assert '<fieldset data-testid="activated-field" class="activated-field">' in page and "商品激活过吗？" in page
    assert f'value="{phone_line.pk}" checked data-quantity="1" data-activation="1">' in page
    assert f'value="{dress.pk}" data-quantity="1">' in page  # no activation question for a dress


def test_an_electronic_no_reason_return_needs_the_activation_answer(client, phone_line):
    _login(client)
    refused = _file(client, phone_line)
    page = refused.content.decode()
    assert refused.status_code == 400 and Case.objects.count() == 0
    assert "请选择商品是否激活过。" in page
    # the question comes back shown and required, the rest of the form as typed
    field = page[page.index('<fieldset data-testid="activated-field"'):page.index('data-testid="activated-error"')]
    assert field.startswith('<fieldset data-testid="activated-field" class="activated-field">')
    assert field.count(" required") == 2
    # the preview does not refuse before the customer has had the chance to answer
    status, body = _preview(client, phone_line)
    assert status == 200 and body["text"]["options"]


def test_an_activated_phone_is_not_intact_for_a_no_reason_return(client, phone_line):
    _login(client)
    status, body = _preview(client, phone_line, activated="1")
    assert status == 200 and body["text"]["options"] == []
    assert "已激活" in body["text"]["explanation"]
    filed = _file(client, phone_line, activated="1")
    assert filed.status_code == 302
    case = Case.objects.get()
    assert case.claim["activated"] is True
    assert case.decision["allowed"] == [] and "categories.mobile_phone.intact" in case.decision["clauses"]


def test_a_phone_never_activated_may_be_returned_without_reason(client, phone_line):
    _login(client)
    assert _file(client, phone_line, activated="0").status_code == 302
    case = Case.objects.get()
    assert "activated" not in case.claim and "return_refund" in case.decision["allowed"]


def test_activation_is_not_asked_for_a_fault_nor_for_a_dress(client, shop, phone_line):
    # a quality claim does not depend on activation: no answer needed, and one sent is not recorded
    _login(client)
    assert _file(client, phone_line, reason="quality", activated="1").status_code == 302
    assert "activated" not in Case.objects.get().claim
    Case.objects.all().delete()
    dress = OrderLineFactory(order=phone_line.order, product=ProductFactory(shop=shop, name="连衣裙"),
                             category=Category.CLOTHING, price_paid=Decimal("199.00"))
    assert _file(client, dress, activated="1").status_code == 302
    case = Case.objects.get()
    assert "activated" not in case.claim and "return_refund" in case.decision["allowed"]


def test_the_activation_question_is_in_english_for_an_english_reader(client, phone_line):
    _login(client)
    client.post("/i18n/setlang/", {"language": "en", "next": "/p/order/"})
    page = client.get("/p/order/").content.decode()
    assert "Has the item been activated?" in page and "No, never activated" in page
    assert "Yes, it has been activated" in page
    refused = _file(client, phone_line).content.decode()
    assert "Please say whether the item has been activated." in refused


# --- the free-shipping threshold -----------------------------------------------------------------------------

@pytest.fixture
def two_lines(shop):
    """An order of ¥60 + ¥50 goods that shipped free under the shop's 满 99 包邮 (¥10 postage otherwise)."""
    shop.free_shipping_threshold, shop.shipping_fee = Decimal("99.00"), Decimal("10.00")
    shop.save()
    first = portal_line(shop, price_paid="60.00")
    second = OrderLineFactory(order=first.order, product=ProductFactory(shop=shop, name="针织开衫"),
                              category=Category.CLOTHING, price_paid=Decimal("50.00"))
    first.order.total_paid = Decimal("110.00")
    first.order.save()
    return first, second


def test_a_return_below_the_threshold_shows_the_deduction_before_filing_and_takes_it(client, two_lines):
    first, _second = two_lines
    _login(client)
    status, body = _preview(client, first, kind="return_refund")
    assert status == 200
    assert body["text"]["deduction"].startswith(DEDUCTION) and body["text"]["refund"] == "¥50.00"
    assert "包邮" not in body["text"]["explanation"]  # said once, beside the refund
    filed = _file(client, first, kind="return_refund")
    case = Case.objects.get()
    assert case.claim["free_shipping_lost"] == "10.00"
    assert case.refund_amount == Decimal("50.00") and case.decision["shipping_deduction"] == "10.00"
    follow = client.get(filed["Location"]).content.decode()
    assert 'data-testid="shipping-deduction"' in follow and DEDUCTION in follow


def test_no_deduction_is_said_for_an_exchange_or_a_quality_return(client, two_lines):
    first, _second = two_lines
    _login(client)
    assert _preview(client, first, kind="exchange")[1]["text"]["deduction"] == ""
    status, body = _preview(client, first, reason="quality", kind="return_refund")
    assert body["text"]["deduction"] == "" and body["text"]["refund"] == "¥60.00"
    _file(client, first, reason="quality", kind="return_refund")
    case = Case.objects.get()
    assert "free_shipping_lost" not in case.claim and case.refund_amount == Decimal("60.00")


@pytest.mark.parametrize(("threshold", "fee", "total_paid", "why"), [
    (None, None, "110.00", "the shop has no free-shipping offer"),
    ("99.00", None, "110.00", "no fee stated"),
    ("40.00", "10.00", "110.00", "what is kept (¥50) still reaches the threshold"),
    ("120.00", "10.00", "110.00", "the order never reached the threshold: no shipping was spared"),
    ("99.00", "10.00", "120.00", "the buyer paid the postage"),
])
def test_no_deduction_when_the_return_spared_no_shipping(client, two_lines, shop, threshold, fee, total_paid, why):
    first, _second = two_lines
    shop.free_shipping_threshold = Decimal(threshold) if threshold else None
    shop.shipping_fee = Decimal(fee) if fee else None
    shop.save()
    first.order.total_paid = Decimal(total_paid)
    first.order.save()
    _login(client)
    assert _preview(client, first, kind="return_refund")[1]["text"]["deduction"] == "", why
    _file(client, first, kind="return_refund")
    assert "free_shipping_lost" not in Case.objects.get().claim, why


def test_no_deduction_when_the_whole_order_comes_back(client, shop):
    # a one-line order of ¥110 under 满 99 包邮: returned whole, nothing kept shipped free, so no fee is due
    shop.free_shipping_threshold, shop.shipping_fee = Decimal("99.00"), Decimal("10.00")
    shop.save()
    line = portal_line(shop, price_paid="110.00")
    line.order.total_paid = Decimal("110.00")
    line.order.save()
    _login(client)
    text = _preview(client, line, kind="return_refund")[1]["text"]
    assert text["deduction"] == "" and text["refund"] == "¥110.00"


def test_the_fee_is_deducted_once_per_order(client, two_lines):
    # the first return takes the order below the threshold and pays the fee; the second finds it below already
    first, second = two_lines
    _login(client)
    _file(client, first, kind="return_refund")
    assert Case.objects.get().claim["free_shipping_lost"] == "10.00"
    assert _preview(client, second, kind="return_refund")[1]["text"]["deduction"] == ""
    _file(client, second, kind="return_refund")
    later = Case.objects.get(order_line=second)
    assert "free_shipping_lost" not in later.claim and later.refund_amount == Decimal("50.00")


def test_the_deduction_in_english(client, two_lines):
    first, _second = two_lines
    _login(client)
    with translation.override("en"):
        client.post("/i18n/setlang/", {"language": "en", "next": "/p/order/"})
        text = _preview(client, first, kind="return_refund")[1]["text"]
    assert text["deduction"].startswith("After this return the order no longer qualifies for free shipping: "
                                        "the ¥10.00 shipping fee is deducted")
    assert "free-shipping" not in text["explanation"]


# --- read as a customer on a phone --------------------------------------------------------------------------

def test_a_line_already_in_an_open_case_is_named_and_not_chosen_again(client, two_lines):
    # after filing for the first line the customer came back to the order: the form chose that line again, and its
    # preview answered 「…已全部退款或正在退款…不能再为它申请售后」 before they had touched anything
    first, second = two_lines
    _login(client)
    _file(client, first, kind="return_refund")
    case = Case.objects.get()
    page = client.get("/p/order/").content.decode()
    assert f'value="{first.pk}" data-quantity="0">' in page  # not checked
    assert f'value="{second.pk}" checked data-quantity="1">' in page
    assert f'<span class="muted" data-testid="line-taken">售后处理中（{case.number}）</span>' in page
    with translation.override("en"):
        client.post("/i18n/setlang/", {"language": "en", "next": "/p/order/"})
        page = client.get("/p/order/").content.decode()
    assert f"after-sales in progress ({case.number})" in page


def test_the_preview_of_a_line_in_an_open_case_says_so_instead_of_an_offer(client, two_lines):
    # a tester: the item showed 售后处理中, yet its preview offered a full refund and the submit then failed
    first, _second = two_lines
    _login(client)
    _file(client, first, kind="return_refund")
    r = client.post("/p/order/preview/", {"line": first.pk, "reason": "no_reason", "condition": "unopened"})
    assert r.status_code == 400 and r.json() == {"error": "该商品已有进行中的售后单，请在原售后单中跟进。"}
