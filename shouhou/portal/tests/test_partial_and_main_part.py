"""Two questions of the claim form on /p/: how many units of a line of several the claim is about (the refund is
their share of what the line cost), and — for 三包 goods after the whole unit's warranty — whether the fault is in
a main part, whose warranty lasts longer (clause sanbao.main_part_repair)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from shouhou.cases.models import Case
from shouhou.commerce.choices import Category
from shouhou.portal.tests.conftest import portal_line
from shouhou.portal.tests.test_portal import _login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal_clock")]


@pytest.fixture
def three(shop):
    return portal_line(shop, price_paid="300.00", quantity=3)  # three dresses for 300.00 in all


@pytest.fixture
def tv(shop):
    """A television signed for 400 days ago: past the unit's year, within the main parts' 1095 days."""
    return portal_line(shop, price_paid="2999.00", name="55英寸液晶电视", category=Category.ELECTRONICS,
                       signed_days_before=400)


def _claim(line, reason="no_reason", **extra):
    return {"line": line.pk, "reason": reason, "condition": "unopened", **extra}


def test_a_line_of_several_asks_how_many_units_all_by_default(client, three):
    _login(client)
    page = client.get("/p/order/").content.decode()
    assert re.search(rf'name="line" value="{three.pk}"( checked)? data-quantity="3"', page)
    field = re.search(r'<div data-testid="quantity-field" class="quantity-field">(.*?)</div>', page, re.S)
    assert field is not None  # shown: the line has three units
    assert 'name="return_quantity" inputmode="numeric"' in field.group(1) and 'value="3"' in field.group(1)
    assert '<span class="quantity-max">3</span>' in field.group(1)


def test_a_single_unit_line_does_not_ask(client, shop):
    portal_line(shop)
    _login(client)
    assert '<div data-testid="quantity-field" class="quantity-field" hidden>' in client.get("/p/order/").content.decode()


def test_the_preview_shows_the_refund_for_the_units_claimed(client, three):
    _login(client)
    text = client.post("/p/order/preview/", _claim(three, return_quantity="２")).json()["text"]  # full-width
    assert (text["refund_label"], text["refund"], text["share"]) == ("退款金额", "¥200.00", "退 2/3 件")
    whole = client.post("/p/order/preview/", _claim(three)).json()["text"]  # blank: all three
    assert (whole["refund"], whole["share"]) == ("¥300.00", "")


@pytest.mark.parametrize("typed", ["4", "0", "两", "1.5", "-1"])
def test_a_number_of_units_outside_the_line_is_an_error_at_the_field(client, three, typed):
    _login(client)
    r = client.post("/p/order/preview/", _claim(three, return_quantity=typed))
    assert r.status_code == 400 and r.json()["field"] == "return_quantity"
    assert r.json()["error"] == "申请件数请填写 1 到 3 之间的整数（这件商品可申请 3 件）。"
    r = client.post("/p/order/", _claim(three, return_quantity=typed))
    assert r.status_code == 400 and not Case.objects.exists()  # nothing half-written
    page = r.content.decode()
    assert re.search(r'data-testid="quantity-error">申请件数请填写 1 到 3 之间的整数', page)
    assert f'value="{typed}"' in page  # what was typed stays, to be corrected


def test_the_case_refunds_the_share_and_records_the_units(client, three):
    _login(client)
    r = client.post("/p/order/", _claim(three, return_quantity="１"))
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.claim["return_quantity"] == 1 and case.refund_amount == Decimal("100.00")
    # the follow page says what the refund is for
    follow = client.get(r["Location"]).content.decode()
    assert re.search(r'<p data-testid="refund">退款金额：<strong>¥100.00</strong> <span data-testid="share">退 1/3 件</span>',
                     follow)


def test_price_protection_is_for_the_whole_line_and_asks_no_units(client, three):
    _login(client)
    page = client.post("/p/order/", _claim(three, reason="price_drop", current_price="abc",
                                           return_quantity="9")).content.decode()
    assert '<div data-testid="quantity-field" class="quantity-field" hidden>' in page
    assert "申请件数请填写" not in page  # the price is what is wrong, not the units


def test_after_the_units_warranty_the_preview_asks_about_a_main_part(client, tv):
    _login(client)
    page = client.get("/p/order/").content.decode()
    assert '<fieldset data-testid="main-part-field" class="main-part-field" hidden>' in page
    assert "主板、屏幕、压缩机" in page
    text = client.post("/p/order/preview/", _claim(tv, reason="quality")).json()["text"]
    assert text["ask_main_part"] is True and text["options"] == []  # paid repair only, unless a main part
    text = client.post("/p/order/preview/", _claim(tv, reason="quality", main_part="1")).json()["text"]
    assert text["ask_main_part"] is True and [o["value"] for o in text["options"]] == ["repair"]
    assert "主要部件" in text["explanation"]


@pytest.mark.parametrize(("name", "category", "days"), [("蓝牙耳机", Category.ELECTRONICS, 100),  # within the year
                                                      ("法式碎花连衣裙", Category.CLOTHING, 400)])  # not 三包 goods
def test_within_the_units_warranty_or_outside_sanbao_nothing_is_asked(client, shop, name, category, days):
    line = portal_line(shop, name=name, category=category, signed_days_before=days)
    _login(client)
    text = client.post("/p/order/preview/", _claim(line, reason="quality")).json()["text"]
    assert text["ask_main_part"] is False


def test_a_main_part_claim_is_filed_as_a_free_repair(client, tv):
    _login(client)
    r = client.post("/p/order/", _claim(tv, reason="quality", main_part="1", description="开机黑屏"))
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.claim["main_part"] is True and case.kind == "repair"
    assert "sanbao.main_part_repair" in case.decision["clauses"]
    assert "return_quantity" not in case.claim  # one unit: nothing to ask


def test_an_unreadable_main_part_answer_is_an_error_at_the_field(client, tv):
    _login(client)
    r = client.post("/p/order/", _claim(tv, reason="quality", main_part="yes"))
    assert r.status_code == 400 and not Case.objects.exists()
    page = r.content.decode()
    assert '<fieldset data-testid="main-part-field" class="main-part-field">' in page
    assert re.search(r'data-testid="main-part-error">请选择故障是否在主要部件上。', page)


def test_after_one_unit_is_claimed_the_form_offers_the_two_left(client, three):
    """An open refund case takes its units: the form offers only what is left, and asking for more is an error at
    the field (the case service refused it too, but only after the form had offered all three)."""
    _login(client)
    assert client.post("/p/order/", _claim(three, return_quantity="1")).status_code == 302
    # while that case is open the line takes no new claim (its preview says so); once it is done, the units left do
    assert "已有进行中的售后单" in client.post("/p/order/preview/", _claim(three, reason="quality")).json()["error"]
    from shouhou.cases.models import Case

    Case.objects.update(status="resolved", resolution="refund")
    page = client.get("/p/order/").content.decode()
    assert re.search(rf'name="line" value="{three.pk}"( checked)? data-quantity="2"', page)
    assert '<span class="quantity-max">2</span>' in page and 'value="2"' in page
    r = client.post("/p/order/preview/", _claim(three, reason="quality", return_quantity="3"))
    assert r.status_code == 400 and r.json()["field"] == "return_quantity"
    assert r.json()["error"] == "申请件数请填写 1 到 2 之间的整数（这件商品可申请 2 件）。"
    two = client.post("/p/order/preview/", _claim(three, reason="quality")).json()["text"]
    assert two["refund"] == "¥200.00"
