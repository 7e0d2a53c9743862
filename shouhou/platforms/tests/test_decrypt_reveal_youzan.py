"""有赞 buyer data decrypted on reveal through the 有赞 sandbox over real HTTP (platforms/decrypt.py, the adapter's
decrypt_receiver): the order sync keeps no ciphertext (the encrypted name and phone stay empty, the address keeps
its plain region); with the switch off a reveal shows what is stored and calls nothing; with it on a supervisor's
reveal reads the order's current ciphertexts (youzan.trade.get) and asks youzan.cloud.secret.decrypt.batch,
shows the clear value, audits the reveal, and no table holds the clear value; 4204 (no permission) turns the
switch off; a ciphertext the platform leaves out and the gateway's rate limit are clear refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.models import Order
from shouhou.core.testing.audit import assert_audited, assert_not_audited
from shouhou.platforms import services
from shouhou.platforms.decrypt import SETTING
from shouhou.platforms.models import PlatformConnection
from shouhou.platforms.sandbox.youzan import cipher
from shouhou.platforms.tests.reveal import everything, reveal, switch_on_from_the_page
from shouhou.platforms.tests.test_youzan import yz, yz_connect  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

TID = "E20261202100000000200001"
DECRYPT = "youzan.cloud.secret.decrypt.batch"
PLAIN_TEL, PLAIN_NAME, PLAIN_DETAIL = "13987650000", "赵晓雯", "五常大道181号2幢"
REGION = "浙江省杭州市余杭区"


@pytest.fixture
def synced(shop, yz, yz_connect):  # noqa: F811
    trade = yz.add_order(tid=TID, lines=[{"oid": "200001000", "title": "羊绒围巾", "num": 1, "payment": "199.00",
                                          "item_id": 701, "outer_sku_id": "YZ-SKU-1"}])
    trade.plain_name, trade.plain_tel, trade.plain_detail = PLAIN_NAME, PLAIN_TEL, PLAIN_DETAIL
    conn = yz_connect(backfill=True)
    return conn, Order.objects.get(shop=shop, order_no=TID)


def _switch(conn, on: bool):
    return services.connection_settings(conn=PlatformConnection.objects.get(pk=conn.pk), actor=SYSTEM,
                                        push_auto_decisions=False, auto_refund_limit=Decimal(0), decrypt_buyer=on)


def test_the_sync_keeps_no_ciphertext_and_the_switch_off_reveal_calls_nothing(client, supervisor, yz, synced):  # noqa: F811
    conn, order = synced
    # 有赞 gives the receiver as ciphertexts only: nothing of them is stored, the address keeps its plain region
    assert (order.receiver_name, order.receiver_phone, order.address) == ("", "", REGION)
    assert cipher(yz.kdt_id, PLAIN_TEL) not in everything() and "$1$" not in order.address
    assert not (conn.settings or {}).get(SETTING)  # off by default
    client.force_login(supervisor)
    calls = len(yz.calls)

    response = reveal(client, order, "address")

    assert response.status_code == 200 and response.json()["value"] == REGION
    assert yz.calls[calls:] == []  # no platform call at all
    event = assert_audited("pii.reveal", order, actor=supervisor, after={"field": "address"})
    assert "source" not in event.after


def test_switch_on_reveal_decrypts_audits_and_stores_no_clear_value(client, shop_admin, supervisor, agent, yz,  # noqa: F811
                                                                    synced):
    conn, order = synced
    switch_on_from_the_page(client, shop_admin, agent, conn, order, yz.calls)
    calls = len(yz.calls)

    client.force_login(supervisor)
    phone = reveal(client, order, "phone")
    address = reveal(client, order, "address")
    name = reveal(client, order, "name")

    assert phone.status_code == 200 and phone.json()["value"] == PLAIN_TEL
    assert address.json()["value"] == REGION + PLAIN_DETAIL
    assert name.json()["value"] == PLAIN_NAME
    # each reveal read the order's current ciphertexts and sent only the one it needed, as `sources`
    assert yz.calls[calls:] == ["youzan.trade.get", DECRYPT] * 3
    assert yz.decrypted == [[cipher(yz.kdt_id, PLAIN_TEL)], [cipher(yz.kdt_id, PLAIN_DETAIL)],
                            [cipher(yz.kdt_id, PLAIN_NAME)]]
    assert_audited("pii.reveal", order, actor=supervisor, count=3,
                   after={"field": "receiver_name", "source": "platform_decrypt"})
    # the order keeps what the sync stored; no table holds a clear value (nor the audit log), nor a ciphertext
    order.refresh_from_db()
    assert (order.receiver_phone, order.receiver_name, order.address) == ("", "", REGION)
    stored = everything()
    assert PLAIN_TEL not in stored and PLAIN_NAME not in stored and PLAIN_DETAIL not in stored
    assert cipher(yz.kdt_id, PLAIN_TEL) not in stored
    assert TID in stored  # the scan does see the order's columns


def test_a_receiver_changed_on_the_platform_is_decrypted_as_it_is_now(client, supervisor, yz, synced):  # noqa: F811
    conn, order = synced
    _switch(conn, True)
    yz.trades[TID].plain_tel = "13600001111"  # the buyer changed the phone in 有赞; no sync since
    client.force_login(supervisor)

    assert reveal(client, order, "phone").json()["value"] == "13600001111"


def test_no_permission_is_a_clear_message_and_turns_the_switch_off(client, shop_admin, supervisor, yz, synced):  # noqa: F811
    conn, order = synced
    _switch(conn, True)
    yz.decrypt_allowed = False  # the app was never granted the decrypt API
    client.force_login(supervisor)

    response = reveal(client, order, "phone")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("此应用没有解密权限") and "4204" in response.json()["detail"]
    assert DECRYPT in yz.calls
    conn.refresh_from_db()
    assert conn.settings[SETTING] is False and "此应用没有解密权限" in conn.last_error
    assert_audited("platforms.decrypt_off", conn, before={SETTING: True}, after={SETTING: False})
    assert_not_audited("pii.reveal", order)  # nothing was shown
    # the switch stays off: the next reveal shows what is stored and calls nothing
    calls = len(yz.calls)
    again = reveal(client, order, "address")
    assert again.status_code == 200 and again.json()["value"] == REGION
    assert yz.calls[calls:] == []
    client.force_login(shop_admin)
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    assert 'name="decrypt_buyer" checked' not in page and "此应用没有解密权限" in page


def test_a_ciphertext_the_platform_leaves_out_is_a_failure_and_the_switch_stays_on(client, supervisor, yz, synced):  # noqa: F811
    conn, order = synced
    _switch(conn, True)
    yz.trades[TID].plain_tel = ""  # the platform now gives the phone masked, not encrypted
    client.force_login(supervisor)

    not_encrypted = reveal(client, order, "phone")  # the trade now gives a masked phone: nothing to decrypt

    assert not_encrypted.status_code == 400
    assert not_encrypted.json()["detail"] == f"平台解密失败：有赞：订单 {TID} 没有可解密的收货信息（手机号）"
    assert DECRYPT not in yz.calls

    yz.trades[TID].cipher_kdt = "91000999"  # the address is encrypted under another shop's key

    left_out = reveal(client, order, "address")

    assert yz.decrypted == [[cipher("91000999", PLAIN_DETAIL)]]
    assert left_out.status_code == 400
    assert left_out.json()["detail"] == f"平台解密失败：有赞：未能解密订单 {TID} 的详细地址"
    conn.refresh_from_db()
    assert conn.settings[SETTING] is True and "未能解密" in conn.last_error  # recorded; the switch stays on
    assert_not_audited("pii.reveal", order)


def test_the_platforms_rate_limit_and_shouhous_own_limit(client, supervisor, shop_admin, yz, synced, monkeypatch):  # noqa: F811
    from shouhou.platforms import decrypt

    conn, order = synced
    _switch(conn, True)
    client.force_login(supervisor)
    yz.fail_next(DECRYPT, "rate_limit")  # the gateway's 4101

    limited = reveal(client, order, "phone")

    assert limited.status_code == 400 and limited.json()["detail"].startswith("平台解密被限流，请稍后再试")
    conn.refresh_from_db()
    assert conn.settings[SETTING] is True
    assert_not_audited("pii.reveal", order)

    monkeypatch.setattr(decrypt, "DECRYPT_RATE", "2/h")  # the limited reveal counted too: one left
    assert reveal(client, order, "phone").json()["value"] == PLAIN_TEL
    third = reveal(client, order, "phone")
    assert third.status_code == 400 and third.json()["detail"].startswith("向平台解密过于频繁")
    assert yz.calls.count(DECRYPT) == 2  # the third never reached the platform
    assert_audited("pii.reveal", order, count=1)
    client.force_login(shop_admin)  # another person has a budget of their own
    assert reveal(client, order, "phone").json()["value"] == PLAIN_TEL
