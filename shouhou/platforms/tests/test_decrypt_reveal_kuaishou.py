"""快手小店 buyer data decrypted on reveal through the 快手 sandbox over real HTTP (platforms/decrypt.py, the adapter's
decrypt_receiver): the order sync keeps the masked desensitise* receiver and no ciphertext; with the switch off a
reveal shows what is stored and calls nothing; with it on a supervisor's reveal reads the order's current
ciphertexts (open.order.detail orderAddress.encrypted*) and asks open.order.decrypt.batch (POST, batchDecryptList
[{bizId, encryptedData}]), shows the clear value, audits the reveal, and no table holds the clear value; an answer
naming the missing permission turns the switch off; a per-item errorCode and the platform's rate limit are clear
refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.models import Order
from shouhou.core.testing.audit import assert_audited, assert_not_audited
from shouhou.platforms import services
from shouhou.platforms.decrypt import SETTING
from shouhou.platforms.models import PlatformConnection
from shouhou.platforms.sandbox.kuaishou import cipher
from shouhou.platforms.tests.reveal import everything, reveal, switch_on_from_the_page
from shouhou.platforms.tests.test_kuaishou import ks_connect  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

OID = "2300000000007701"
DETAIL, DECRYPT = "open/order/detail", "open/order/decrypt/batch"
PLAIN_MOBILE, PLAIN_NAME, PLAIN_ADDRESS = "13987650000", "赵晓雯", "体育西路191号中石化大厦B座"
REGION = "广东省广州市天河区"
MASKED = ("李**", "159****0000", REGION + "天河路***号")


@pytest.fixture
def synced(shop, ks, ks_connect):  # noqa: F811
    order = ks.add_order(oid=OID, title="加绒卫衣", total_fee=12900)
    order.plain_name, order.plain_mobile, order.plain_address = PLAIN_NAME, PLAIN_MOBILE, PLAIN_ADDRESS
    conn = ks_connect(backfill=True)
    return conn, Order.objects.get(shop=shop, order_no=OID)


def _switch(conn, on: bool):
    return services.connection_settings(conn=PlatformConnection.objects.get(pk=conn.pk), actor=SYSTEM,
                                        push_auto_decisions=False, auto_refund_limit=Decimal(0), decrypt_buyer=on)


def test_the_sync_keeps_no_ciphertext_and_the_switch_off_reveal_calls_nothing(client, supervisor, ks, synced):  # noqa: F811
    conn, order = synced
    # the sync stores the masked desensitise* receiver; the encrypted* ciphertexts it read are stored nowhere
    assert (order.receiver_name, order.receiver_phone, order.address) == MASKED
    stored = everything()
    assert cipher(ks.seller_id, OID, PLAIN_MOBILE) not in stored and cipher(ks.seller_id, OID, PLAIN_NAME) not in stored
    assert PLAIN_MOBILE not in stored and OID in stored  # the scan does see the order's columns
    assert not (conn.settings or {}).get(SETTING)  # off by default
    client.force_login(supervisor)
    calls = len(ks.calls)

    response = reveal(client, order, "phone")

    assert response.status_code == 200 and response.json()["value"] == "159****0000"
    assert ks.calls[calls:] == []  # no platform call at all
    event = assert_audited("pii.reveal", order, actor=supervisor, after={"field": "receiver_phone"})
    assert "source" not in event.after


def test_switch_on_reveal_decrypts_audits_and_stores_no_clear_value(client, shop_admin, supervisor, agent, ks,  # noqa: F811
                                                                    synced):
    conn, order = synced
    switch_on_from_the_page(client, shop_admin, agent, conn, order, ks.calls)
    calls = len(ks.calls)

    client.force_login(supervisor)
    phone = reveal(client, order, "phone")
    address = reveal(client, order, "address")
    name = reveal(client, order, "name")

    assert phone.status_code == 200 and phone.json()["value"] == PLAIN_MOBILE
    assert address.json()["value"] == REGION + PLAIN_ADDRESS  # the plain region, then the decrypted detail
    assert name.json()["value"] == PLAIN_NAME
    # each reveal read the order's current ciphertexts (GET) and POSTed only the one it needed, the order id as bizId
    assert ks.calls[calls:] == [DETAIL, DECRYPT] * 3
    assert [m for m, p in ks.methods if p == DECRYPT] == ["POST"] * 3
    assert ks.decrypted == [[{"bizId": OID, "encryptedData": cipher(ks.seller_id, OID, value)}]
                            for value in (PLAIN_MOBILE, PLAIN_ADDRESS, PLAIN_NAME)]
    assert_audited("pii.reveal", order, actor=supervisor, count=3,
                   after={"field": "receiver_name", "source": "platform_decrypt"})
    # the order keeps what the sync stored; no table holds a clear value (nor the audit log), nor a ciphertext
    order.refresh_from_db()
    assert (order.receiver_name, order.receiver_phone, order.address) == MASKED
    stored = everything()
    assert PLAIN_MOBILE not in stored and PLAIN_NAME not in stored and PLAIN_ADDRESS not in stored
    assert cipher(ks.seller_id, OID, PLAIN_MOBILE) not in stored
    assert OID in stored


def test_a_receiver_changed_on_the_platform_is_decrypted_as_it_is_now(client, supervisor, ks, synced):  # noqa: F811
    conn, order = synced
    _switch(conn, True)
    ks.orders[OID].plain_mobile = "13600001111"  # the buyer changed the phone in 快手; no sync since
    client.force_login(supervisor)

    assert reveal(client, order, "phone").json()["value"] == "13600001111"


def test_no_permission_is_a_clear_message_and_turns_the_switch_off(client, shop_admin, supervisor, ks, synced):  # noqa: F811
    conn, order = synced
    _switch(conn, True)
    ks.decrypt_allowed = False  # the app was never granted the decrypt API
    client.force_login(supervisor)

    response = reveal(client, order, "phone")

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("此应用没有解密权限") and "应用无此接口权限" in detail
    assert DECRYPT in ks.calls
    conn.refresh_from_db()
    assert conn.settings[SETTING] is False and "此应用没有解密权限" in conn.last_error
    assert not conn.needs_reauth  # a missing permission is not a dead token
    assert_audited("platforms.decrypt_off", conn, before={SETTING: True}, after={SETTING: False})
    assert_not_audited("pii.reveal", order)  # nothing was shown
    # the switch stays off: the next reveal shows what is stored and calls nothing
    calls = len(ks.calls)
    again = reveal(client, order, "address")
    assert again.status_code == 200 and again.json()["value"] == MASKED[2]
    assert ks.calls[calls:] == []
    client.force_login(shop_admin)
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    assert 'name="decrypt_buyer" checked' not in page and "此应用没有解密权限" in page


def test_a_per_item_error_or_no_ciphertext_is_a_failure_and_the_switch_stays_on(client, supervisor, ks, synced):  # noqa: F811
    conn, order = synced
    _switch(conn, True)
    ks.orders[OID].plain_mobile = ""  # the platform now gives no encryptedMobile for this order
    client.force_login(supervisor)

    not_encrypted = reveal(client, order, "phone")

    assert not_encrypted.status_code == 400
    assert not_encrypted.json()["detail"] == f"平台解密失败：快手：订单 {OID} 没有可解密的收货信息（手机号）"
    assert DECRYPT not in ks.calls

    ks.orders[OID].cipher_seller = "88000999"  # the address is encrypted under another seller's key

    refused = reveal(client, order, "address")

    assert ks.decrypted == [[{"bizId": OID, "encryptedData": cipher("88000999", OID, PLAIN_ADDRESS)}]]
    assert refused.status_code == 400
    assert refused.json()["detail"] == f"平台解密失败：快手：未能解密订单 {OID} 的详细地址：密文不属于当前商家（3001）"
    assert PLAIN_ADDRESS not in refused.content.decode()
    conn.refresh_from_db()
    assert conn.settings[SETTING] is True and "未能解密" in conn.last_error  # recorded; the switch stays on
    assert_not_audited("pii.reveal", order)


def test_the_platforms_rate_limit_and_shouhous_own_limit(client, supervisor, shop_admin, ks, synced, monkeypatch):  # noqa: F811
    from shouhou.platforms import decrypt

    conn, order = synced
    _switch(conn, True)
    client.force_login(supervisor)
    ks.fail_next(DECRYPT, "rate_limit")  # "Exceed qps limit …"

    limited = reveal(client, order, "phone")

    assert limited.status_code == 400 and limited.json()["detail"].startswith("平台解密被限流，请稍后再试")
    conn.refresh_from_db()
    assert conn.settings[SETTING] is True
    assert_not_audited("pii.reveal", order)

    monkeypatch.setattr(decrypt, "DECRYPT_RATE", "2/h")  # the limited reveal counted too: one left
    assert reveal(client, order, "phone").json()["value"] == PLAIN_MOBILE
    third = reveal(client, order, "phone")
    assert third.status_code == 400 and third.json()["detail"].startswith("向平台解密过于频繁")
    assert ks.calls.count(DECRYPT) == 2  # the third never reached the platform
    assert_audited("pii.reveal", order, count=1)
    client.force_login(shop_admin)  # another person has a budget of their own
    assert reveal(client, order, "phone").json()["value"] == PLAIN_MOBILE
