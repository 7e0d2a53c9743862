from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache

from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG, photo
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import CustomerFactory, OrderLineFactory, ProductFactory

NOW = dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


@pytest.fixture
def line(shop):
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    product = ProductFactory(shop=shop, name="法式碎花连衣裙", category=Category.CLOTHING)
    return OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no="DY20261101001",
                            product=product, price_paid=Decimal("199.00"))


def _login(client, order_no="DY20261101001", last4="5678", ip="10.0.0.1"):
    return client.post("/p/", {"order_no": order_no, "last4": last4}, REMOTE_ADDR=ip)


def test_wrong_pairs_get_the_same_neutral_error(client, line, other_shop):
    OrderLineFactory(order__shop=other_shop, order__order_no="DY999", order__customer__phone_last4="1111")
    a = _login(client, last4="0000").content.decode()
    b = _login(client, order_no="NOPE").content.decode()
    c = _login(client, order_no="DY999", last4="5678").content.decode()
    for body in (a, b, c):
        assert "订单号或手机尾号不正确" in body and "法式碎花连衣裙" not in body


def test_guessing_is_rate_limited_per_order_number_across_ips(client, line):
    for i in range(5):
        assert _login(client, last4=f"000{i}", ip=f"10.0.1.{i}").status_code == 200
    r = _login(client, ip="10.0.9.9")  # even the right pair is refused now
    assert r.status_code == 429 and "尝试次数过多" in r.content.decode()


def test_guessing_is_rate_limited_per_ip_across_orders(client, line):
    for i in range(5):
        _login(client, order_no=f"X{i}", ip="10.0.2.2")
    r = _login(client, ip="10.0.2.2")
    assert r.status_code == 429
    assert _login(client, ip="10.0.2.3").status_code == 302


def test_flow_creates_case_and_follow_link_is_signed(client, line):
    assert _login(client).status_code == 302
    page = client.get("/p/order/").content.decode()
    assert "法式碎花连衣裙" in page
    r = client.post("/p/order/preview/", {"line": line.pk, "reason": "no_reason", "condition": "unopened"})
    assert r.json()["text"]["shipping"] == "买家承担" and r.json()["text"]["by"] == "2026-11-13"
    r = client.post("/p/order/submit/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                         "photo": photo(JPEG)})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.status == "awaiting_return" and case.evidence.count() == 1 and case.channel == "portal"
    token = re.search(r"/p/c/([^/]+)/", r["Location"]).group(1)
    follow = client.get(r["Location"]).content.decode()
    assert case.number in follow and "买家承担" in follow and "2026-11-13" in follow
    assert client.get(f"/p/c/{token[:-2]}xx/").status_code == 404
    assert client.get(f"/p/c/{case.pk}/").status_code == 404


def test_submit_refuses_a_non_image(client, line):
    _login(client)
    r = client.post("/p/order/submit/", {"line": line.pk, "reason": "quality", "photo": photo(b"not an image")})
    assert r.status_code == 400 and "不是支持的图片格式" in r.content.decode()
    assert Case.objects.count() == 0


def test_order_page_needs_a_lookup_first(client, line):
    assert client.get("/p/order/").status_code == 404
