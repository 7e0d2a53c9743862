"""The staff case list (issue 15): search by order number, case number or the phone's last 4 digits,
each case's age, and pages past the first 200."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from shouhou.cases.models import Case
from shouhou.core.testing.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _cases(shop, count: int, *, start: int = 0) -> list[Case]:
    rows = []
    for n in range(start, start + count):
        customer = CustomerFactory(shop=shop, phone=f"139{n:08d}", phone_last4=f"{n:08d}"[-4:])
        order = OrderFactory(shop=shop, customer=customer, order_no=f"DY{n:06d}")
        rows.append(Case(shop=shop, number=f"SH{n:06d}", order=order, customer=customer, kind="return_refund",
                         reason="quality", status="requested"))
    return Case.objects.bulk_create(rows)


def _numbers(html: str) -> list[str]:
    return re.findall(r">(SH\d{6})</a>", html)


def test_the_list_pages_past_200(agent_client, shop):
    _cases(shop, 230)
    first = agent_client.get("/cases/").content.decode()
    seen = set(_numbers(first))
    assert "共 230 条" in first
    page = 2
    while f'href="?page={page}"' in first or f"page={page}" in first:
        first = agent_client.get("/cases/", {"page": page}).content.decode()
        seen |= set(_numbers(first))
        page += 1
    assert len(seen) == 230  # every case can be reached, none beyond the 200th was cut off
    assert agent_client.get("/cases/", {"page": "999"}).status_code == 200  # past the end: the last page
    assert agent_client.get("/cases/", {"page": "x"}).status_code == 200


@pytest.mark.parametrize("query, expected", [("DY000017", {"SH000017"}), ("SH000042", {"SH000042"}),
                                             ("sh000042", {"SH000042"}), ("0033", {"SH000033"}),
                                             (" DY000017 ", {"SH000017"})])
def test_search_by_order_number_case_number_or_phone_tail(agent_client, shop, query, expected):
    _cases(shop, 60)
    html = agent_client.get("/cases/", {"q": query}).content.decode()
    assert set(_numbers(html)) == expected
    assert 'name="q"' in html and f'value="{query.strip()}"' in html


def test_search_finds_the_receivers_phone_tail_too(agent_client, shop):
    customer = CustomerFactory(shop=shop, phone="", phone_last4="")
    order = OrderFactory(shop=shop, customer=customer, order_no="DY-R1", receiver_phone="13700007788")
    Case.objects.create(shop=shop, number="SH900001", order=order, customer=customer, kind="return_refund",
                        reason="quality")
    assert _numbers(agent_client.get("/cases/", {"q": "7788"}).content.decode()) == ["SH900001"]


def test_search_never_reaches_another_shop(agent_client, shop, other_shop):
    _cases(other_shop, 3)
    html = agent_client.get("/cases/", {"q": "DY000001"}).content.decode()
    assert _numbers(html) == []


def test_each_case_shows_its_age_and_the_oldest_open_ones_can_come_first(agent_client, shop):
    old, new = _cases(shop, 2)
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=3, hours=5))
    Case.objects.filter(pk=new.pk).update(created_at=timezone.now() - dt.timedelta(minutes=40))
    html = agent_client.get("/cases/").content.decode()
    assert "3天5小时" in html and "40分钟" in html
    assert html.index(new.number) < html.index(old.number)  # newest first by default
    html = agent_client.get("/cases/", {"sort": "oldest"}).content.decode()
    assert html.index(old.number) < html.index(new.number)


def test_the_api_searches_the_same_way(client, shop, agent):
    _cases(shop, 5)
    client.force_login(agent)
    r = client.get("/api/cases/", {"q": "SH000003"})
    assert r.status_code == 200, r.content
    assert [c["number"] for c in r.json()] == ["SH000003"]
    assert client.get("/api/cases/", {"q": "x" * 65}).status_code == 422


def test_the_list_says_when_the_shop_has_no_return_address(client, shop, agent, shop_admin):
    from shouhou.commerce.services import return_address_save

    client.force_login(agent)
    html = client.get("/cases/").content.decode()
    assert 'data-testid="no-return-address"' in html and "请店铺管理员添加" in html
    client.force_login(shop_admin)
    assert 'href="/commerce/return-addresses/"' in client.get("/cases/").content.decode()
    return_address_save(shop=shop, actor=shop_admin, data={
        "name": "杭州退货仓", "contact_name": "王仓管", "phone": "0571-88886666", "province": "浙江省",
        "city": "杭州市", "street": "文一西路 1 号", "is_active": True})
    assert 'data-testid="no-return-address"' not in client.get("/cases/").content.decode()
