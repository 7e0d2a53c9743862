"""Buyer data decrypted on reveal through the 抖店 sandbox over real HTTP (platforms/decrypt.py): with the
switch off a reveal shows the stored masked value and calls nothing; with it on a supervisor's reveal asks
order/batchDecrypt, shows the clear value, audits the reveal, and no table holds the clear value; a platform
"no permission" answer is a clear message and turns the switch off."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.models import Order
from shouhou.core.testing.audit import assert_audited, assert_not_audited
from shouhou.platforms import services
from shouhou.platforms.decrypt import SETTING
from shouhou.platforms.models import PlatformConnection
from shouhou.platforms.tests.reveal import everything, reveal, switch_on_from_the_page

pytestmark = pytest.mark.django_db(transaction=True)

OID = "6930000000000500"
PLAIN_PHONE, PLAIN_NAME, PLAIN_DETAIL = "13912340000", "李明亮", "文一西路969号3幢"


@pytest.fixture
def synced(shop, sandbox, connect):
    record = sandbox.add_order(order_id=OID, lines=[{"sku_order_id": "6930000000000501", "product_name": "羊毛开衫",
                                                     "item_num": 1, "pay_amount": 19900, "sku_id": 501, "code": "KS-1"}])
    record.plain_tel, record.plain_receiver, record.plain_detail = PLAIN_PHONE, PLAIN_NAME, PLAIN_DETAIL
    conn = connect(backfill=True)
    return conn, Order.objects.get(shop=shop, order_no=OID)


def _switch(conn, on: bool):
    return services.connection_settings(conn=PlatformConnection.objects.get(pk=conn.pk), actor=SYSTEM,
                                        push_auto_decisions=False, auto_refund_limit=Decimal(0), decrypt_buyer=on)


def test_switch_off_reveal_shows_the_masked_value_and_calls_nothing(client, supervisor, sandbox, synced):
    conn, order = synced
    assert not (conn.settings or {}).get(SETTING)  # off by default
    client.force_login(supervisor)
    calls = len(sandbox.calls)

    response = reveal(client, order, "phone")

    assert response.status_code == 200 and response.json()["value"] == "138****5678"
    assert sandbox.calls[calls:] == []  # no platform call at all
    event = assert_audited("pii.reveal", order, actor=supervisor, after={"field": "receiver_phone"})
    assert "source" not in event.after


def test_switch_on_reveal_decrypts_audits_and_stores_no_clear_value(client, shop_admin, supervisor, agent, sandbox,
                                                                    synced):
    conn, order = synced
    switch_on_from_the_page(client, shop_admin, agent, conn, order, sandbox.calls)
    calls = len(sandbox.calls)

    client.force_login(supervisor)
    phone = reveal(client, order, "phone")
    address = reveal(client, order, "address")
    name = reveal(client, order, "name")

    assert phone.status_code == 200 and phone.json()["value"] == PLAIN_PHONE
    assert address.json()["value"] == "浙江省杭州市西湖区文新街道" + PLAIN_DETAIL
    assert name.json()["value"] == PLAIN_NAME
    # each reveal read the order's current ciphertexts and sent them with auth_id = the order id
    assert sandbox.calls[calls:].count("order/orderDetail") == 3
    assert sandbox.calls[calls:].count("order/batchDecrypt") == 3
    assert [i["auth_id"] for d in sandbox.decrypted for i in d["cipher_infos"]] == [OID] * 3
    assert sandbox.decrypted[0]["cipher_infos"][0]["cipher_text"].startswith("$")  # the phone's ciphertext
    assert_audited("pii.reveal", order, actor=supervisor, count=3,
                   after={"field": "receiver_name", "source": "platform_decrypt"})
    # the order keeps the masked receiver; no table holds a clear value (nor the audit log)
    order.refresh_from_db()
    assert (order.receiver_phone, order.receiver_name) == ("138****5678", "张**")
    stored = everything()
    assert PLAIN_PHONE not in stored and PLAIN_NAME not in stored and PLAIN_DETAIL not in stored
    assert "138****5678" in stored  # the scan does see the order's columns


def test_no_permission_is_a_clear_message_and_turns_the_switch_off(client, shop_admin, supervisor, sandbox, synced):
    conn, order = synced
    _switch(conn, True)
    sandbox.decrypt_allowed = False  # the app was never granted the 数据安全 decrypt permission
    client.force_login(supervisor)

    response = reveal(client, order, "phone")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("此应用没有解密权限")
    assert "order/batchDecrypt" in sandbox.calls
    conn.refresh_from_db()
    assert conn.settings[SETTING] is False and "此应用没有解密权限" in conn.last_error
    assert_audited("platforms.decrypt_off", conn, before={SETTING: True}, after={SETTING: False})
    assert_not_audited("pii.reveal", order)  # nothing was shown
    # the switch stays off: the next reveal shows the masked value and calls nothing
    calls = len(sandbox.calls)
    again = reveal(client, order, "phone")
    assert again.status_code == 200 and again.json()["value"] == "138****5678"
    assert sandbox.calls[calls:] == []
    client.force_login(shop_admin)
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    assert 'name="decrypt_buyer" checked' not in page and "此应用没有解密权限" in page


def test_a_platform_without_a_decrypt_api_cannot_switch_it_on(shop):
    conn = PlatformConnection.objects.create(shop=shop, platform="wechat_shop", platform_shop_id="wx-1", app_key="wx")
    with pytest.raises(services.ConnectionError_, match="没有可用的买家信息解密接口"):
        _switch(conn, True)
    conn.refresh_from_db()
    assert not (conn.settings or {}).get(SETTING)


def test_case_page_offers_the_reveal_only_with_the_switch_on_and_to_revealing_roles(client, supervisor, agent,
                                                                                    sandbox, synced, live_server):
    from django.urls import reverse

    from shouhou.platforms.models import PlatformAftersale

    conn, order = synced
    sandbox.push_url = f"{live_server.url}/platforms/doudian/push/"
    record = sandbox.add_aftersale(order_id=OID, sku_order_id="6930000000000501", aftersale_type=1,
                                   refund_amount=19900)
    case = PlatformAftersale.objects.get(aftersale_id=record.aftersale_id).case
    assert case is not None and case.order_id == order.pk
    url = reverse("cases:detail", args=[case.pk])
    client.force_login(supervisor)
    assert 'id="platform-receiver"' not in client.get(url).content.decode()  # switch off: nothing offered

    _switch(conn, True)
    calls = len(sandbox.calls)
    page = client.get(url).content.decode()
    line = page.split('id="platform-receiver"')[1].split("</p>")[0]
    assert "138****5678" in line and "张**" in line
    assert 'data-reveal-kind="order"' in line and f'data-reveal-id="{order.pk}"' in line
    assert 'data-reveal-field="phone"' in line and "accounts/reveal.js" in page
    assert sandbox.calls[calls:] == []  # showing the page decrypts nothing
    client.force_login(agent)
    page = client.get(url).content.decode()
    assert "data-reveal-kind" not in page.split('id="platform-receiver"')[1].split("</p>")[0]
    assert PLAIN_PHONE not in page


@pytest.mark.browser
def test_supervisor_clicks_reveal_on_the_case_page_in_a_browser(login_page, live_server, supervisor, sandbox, synced):
    from shouhou.platforms.models import PlatformAftersale

    conn, order = synced
    _switch(conn, True)
    sandbox.push_url = f"{live_server.url}/platforms/doudian/push/"
    record = sandbox.add_aftersale(order_id=OID, sku_order_id="6930000000000501", aftersale_type=1,
                                   refund_amount=19900)
    case = PlatformAftersale.objects.get(aftersale_id=record.aftersale_id).case
    page = login_page("supervisor")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert page.inner_text("#rcv-phone") == "138****5678"
    page.click("#platform-receiver [data-reveal-field=phone]")
    page.wait_for_function("document.getElementById('rcv-phone').textContent !== '138****5678'")
    assert page.inner_text("#rcv-phone") == PLAIN_PHONE
    assert_audited("pii.reveal", order, actor=supervisor, after={"field": "receiver_phone",
                                                                 "source": "platform_decrypt"})
    order.refresh_from_db()
    assert order.receiver_phone == "138****5678"
    # the platform withdraws the permission: the next click says so on the button
    sandbox.decrypt_allowed = False
    page.click("#platform-receiver [data-reveal-field=address]")
    page.wait_for_function("document.querySelector('#platform-receiver [data-reveal-field=address]')"
                           ".textContent.indexOf('此应用没有解密权限') === 0")
    assert page.inner_text("#rcv-address").endswith("***号")


def test_decrypts_are_limited_per_person_to_spare_the_shops_quota(client, supervisor, shop_admin, sandbox, synced,
                                                                  monkeypatch):
    from shouhou.platforms import decrypt

    conn, order = synced
    _switch(conn, True)
    monkeypatch.setattr(decrypt, "DECRYPT_RATE", "2/h")
    client.force_login(supervisor)
    assert [reveal(client, order, "phone").status_code for _ in range(2)] == [200, 200]

    third = reveal(client, order, "phone")

    assert third.status_code == 400 and third.json()["detail"].startswith("向平台解密过于频繁")
    assert sandbox.calls.count("order/batchDecrypt") == 2  # the third never reached the platform
    assert_audited("pii.reveal", order, count=2)
    client.force_login(shop_admin)  # another person has a budget of their own
    assert reveal(client, order, "phone").json()["value"] == PLAIN_PHONE
