"""Return addresses (issue 15): a shop's desk and warehouses say where goods go back; the selector
picks one per case; shop admins manage them on a page, others read them; one shop never sees another's."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from shouhou.accounts.choices import Role
from shouhou.cases.models import Case
from shouhou.commerce.choices import Category
from shouhou.commerce.models import ReturnAddress
from shouhou.commerce.selectors import return_address_for_case, return_address_text
from shouhou.commerce.services import ReturnAddressError, return_address_save
from shouhou.core.testing.factories import MembershipFactory, OrderLineFactory, UserFactory

pytestmark = pytest.mark.django_db

HANGZHOU = {"name": "杭州退货仓", "kind": "warehouse", "contact_name": "王仓管", "phone": "0571-88886666",
            "province": "浙江省", "city": "杭州市", "district": "余杭区", "street": "仓前街道文一西路 1 号 3 号库",
            "postal_code": "311121", "note": "请勿到付", "is_active": True}


def _case(shop, category=Category.CLOTHING):
    line = OrderLineFactory(order__shop=shop, category=category)
    return Case(shop=shop, order=line.order, order_line=line, number="SH1", kind="return_refund")


def test_no_address_gives_none(shop):
    assert return_address_for_case(_case(shop)) is None


def test_the_default_serves_every_category_and_a_category_address_takes_its_own(shop, shop_admin):
    general = return_address_save(shop=shop, actor=shop_admin, data=HANGZHOU)
    repair = return_address_save(shop=shop, actor=shop_admin, data={
        **HANGZHOU, "name": "深圳维修中心", "city": "深圳市", "category": Category.ELECTRONICS})
    assert general.is_default  # the first general address becomes the default
    assert not repair.is_default
    assert return_address_for_case(_case(shop, Category.CLOTHING)) == general
    assert return_address_for_case(_case(shop, Category.ELECTRONICS)) == repair
    # a case without a line still gets the default
    assert return_address_for_case(Case(shop=shop, number="SH2", kind="return_refund")) == general


def test_making_another_the_default_moves_the_default_and_inactive_ones_are_never_given(shop, shop_admin):
    first = return_address_save(shop=shop, actor=shop_admin, data=HANGZHOU)
    second = return_address_save(shop=shop, actor=shop_admin, data={**HANGZHOU, "name": "上海仓", "is_default": "1"})
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    assert return_address_for_case(_case(shop)) == second
    return_address_save(shop=shop, actor=shop_admin, address_id=second.pk,
                        data={**HANGZHOU, "name": "上海仓", "is_active": ""})
    assert return_address_for_case(_case(shop)) == first


def test_another_shops_address_is_never_given(shop, other_shop):
    admin = MembershipFactory(shop=other_shop, role=Role.ADMIN, user=UserFactory(username="other-admin")).user
    return_address_save(shop=other_shop, actor=admin, data=HANGZHOU)
    assert return_address_for_case(_case(shop)) is None


def test_bad_input_names_each_field(shop, shop_admin):
    with pytest.raises(ReturnAddressError) as caught:
        return_address_save(shop=shop, actor=shop_admin, data={**HANGZHOU, "street": " ", "postal_code": "31112",
                                                               "phone": "call me", "category": "cars"})
    assert set(caught.value.errors) == {"street", "postal_code", "phone", "category"}
    assert caught.value.errors["postal_code"] == "邮编应为 6 位数字"
    assert ReturnAddress.objects.count() == 0


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.ANALYST])
def test_only_shop_admins_change_addresses(shop, role):
    user = MembershipFactory(shop=shop, role=role, user=UserFactory(username=f"u-{role}")).user
    with pytest.raises(PermissionDenied):
        return_address_save(shop=shop, actor=user, data=HANGZHOU)
    assert ReturnAddress.objects.count() == 0


def test_the_text_for_messages_and_platforms(shop, shop_admin):
    address = return_address_save(shop=shop, actor=shop_admin, data=HANGZHOU)
    assert return_address_text(address) == ("王仓管 0571-88886666，浙江省杭州市余杭区仓前街道文一西路 1 号 3 号库"
                                            "（邮编 311121）。请勿到付")
    assert return_address_text(None) == ""


# --- the staff page ---------------------------------------------------------------------------------

def test_an_admin_adds_and_edits_an_address_on_the_page(client, shop, shop_admin):
    client.force_login(shop_admin)
    page = client.get("/commerce/return-addresses/")
    assert page.status_code == 200
    assert 'data-testid="no-address"' in page.content.decode()
    r = client.post("/commerce/return-addresses/", {**HANGZHOU, "is_active": "1"})
    assert r.status_code == 302
    address = ReturnAddress.objects.get(shop=shop)
    html = client.get("/commerce/return-addresses/").content.decode()
    assert "杭州退货仓" in html and "浙江省杭州市余杭区" in html and "默认" in html
    r = client.post(f"/commerce/return-addresses/{address.pk}/", {**HANGZHOU, "street": "", "is_active": "1"})
    assert r.status_code == 400 and "请填写详细地址" in r.content.decode()
    r = client.post(f"/commerce/return-addresses/{address.pk}/", {**HANGZHOU, "street": "新地址 8 号", "is_active": "1"})
    assert r.status_code == 302
    address.refresh_from_db()
    assert address.street == "新地址 8 号"


def test_an_agent_reads_the_addresses_but_gets_no_form_and_cannot_post(client, shop, shop_admin, agent):
    return_address_save(shop=shop, actor=shop_admin, data=HANGZHOU)
    client.force_login(agent)
    html = client.get("/commerce/return-addresses/").content.decode()
    assert "杭州退货仓" in html and 'data-testid="return-address-form"' not in html
    assert client.post("/commerce/return-addresses/", HANGZHOU).status_code == 403


def test_one_shop_cannot_open_anothers_address(client, shop, other_shop, agent):
    admin = MembershipFactory(shop=other_shop, role=Role.ADMIN, user=UserFactory(username="other-admin")).user
    theirs = return_address_save(shop=other_shop, actor=admin, data=HANGZHOU)
    client.force_login(agent)
    assert client.get(f"/commerce/return-addresses/{theirs.pk}/").status_code == 404
    assert "杭州退货仓" not in client.get("/commerce/return-addresses/").content.decode()


def test_the_api_lists_the_shops_addresses_default_first(client, shop, other_shop, shop_admin, agent):
    admin = MembershipFactory(shop=other_shop, role=Role.ADMIN, user=UserFactory(username="other-admin")).user
    return_address_save(shop=other_shop, actor=admin, data={**HANGZHOU, "name": "别家仓"})
    return_address_save(shop=shop, actor=shop_admin, data={**HANGZHOU, "name": "旧仓", "is_active": ""})
    return_address_save(shop=shop, actor=shop_admin, data=HANGZHOU)
    client.force_login(agent)
    rows = client.get("/api/commerce/return-addresses").json()
    assert [(r["name"], r["is_default"], r["is_active"]) for r in rows] == [("杭州退货仓", True, True),
                                                                            ("旧仓", False, False)]
    assert rows[0]["full_address"] == "浙江省杭州市余杭区仓前街道文一西路 1 号 3 号库"
    assert [r["name"] for r in client.get("/api/commerce/return-addresses", {"active": "true"}).json()] == ["杭州退货仓"]


def test_an_approved_case_keeps_the_address_it_was_given_while_that_address_is_in_use(shop, shop_admin, agent):
    import datetime as dt
    from decimal import Decimal

    import time_machine

    from shouhou.cases.services import case_approve, case_create

    first = return_address_save(shop=shop, actor=shop_admin, data=HANGZHOU)
    with time_machine.travel(dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.UTC), tick=False):
        line = OrderLineFactory(order__shop=shop, category=Category.CLOTHING, price_paid=Decimal("899.00"),
                                order__delivered_at=dt.datetime(2026, 11, 5, 10, 0, tzinfo=dt.UTC))
        case = case_create(shop=shop, order_line=line, reason="no_reason", actor=agent)
        case_approve(case=case, actor=agent)
    case.refresh_from_db()
    assert case.decision["return_address_id"] == first.pk
    # when the shop makes another address the default, the customer keeps the one they were given
    second = return_address_save(shop=shop, actor=shop_admin, data={**HANGZHOU, "name": "上海仓", "is_default": "1"})
    assert return_address_for_case(case) == first
    # and when that one is switched off, they get the current one
    return_address_save(shop=shop, actor=shop_admin, address_id=first.pk, data={**HANGZHOU, "is_active": ""})
    assert return_address_for_case(case) == second


def test_no_actor_is_refused_and_the_system_may(shop):
    from shouhou.accounts.actors import SYSTEM

    with pytest.raises(PermissionDenied):
        return_address_save(shop=shop, actor=None, data=HANGZHOU)
    assert return_address_save(shop=shop, actor=SYSTEM, data=HANGZHOU).is_default
