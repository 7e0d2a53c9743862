"""Connection pages (health per shop), shop isolation, credentials encrypted at rest, the case's platform block."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.cases.models import Case
from shouhou.core.testing.factories import MembershipFactory, UserFactory
from shouhou.platforms import services
from shouhou.platforms.crypto import CredentialsUnreadable, seal, unseal
from shouhou.platforms.models import PlatformConnection
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID

pytestmark = pytest.mark.django_db


def test_credentials_are_encrypted_at_rest(connect, sandbox):
    conn = connect()
    with db_connection.cursor() as cur:
        cur.execute("SELECT secrets FROM platforms_platformconnection WHERE id = %s", [conn.pk])
        stored = cur.fetchone()[0]
    assert sandbox.app_secret not in stored and sandbox.access_token not in stored
    assert unseal(stored)["access_token"] == sandbox.access_token


def test_credentials_unreadable_after_key_change(settings):
    token = seal({"a": 1})
    settings.SECRET_KEY = "another-install-key-" + "x" * 40
    with pytest.raises(CredentialsUnreadable):
        unseal(token)


def test_connect_through_the_page_and_see_health(client, shop, shop_admin, sandbox, order_line, claim_clock):
    sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)
    client.force_login(shop_admin)
    response = client.post("/platforms/", {"platform": "doudian", "app_key": sandbox.app_key,
                                           "app_secret": sandbox.app_secret, "platform_shop_id": sandbox.shop_id,
                                           "api_base": sandbox.url})
    conn = PlatformConnection.objects.get(shop=shop)
    assert response.status_code == 302 and response.url == f"/platforms/{conn.pk}/"
    assert Case.objects.filter(platform_link__connection=conn).count() == 1  # back-filled on connect
    listing = client.get("/platforms/").content.decode()
    assert sandbox.shop_id in listing and "/platforms/doudian/push/" in listing and "/platforms/kuaishou/push/" in listing and "正常" in listing
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    assert "最近同步" in page and "—" not in page.split("最近同步")[1].split("</tr>")[0]
    response = client.post(f"/platforms/{conn.pk}/", {"do": "settings", "push_auto_decisions": "on",
                                                      "auto_refund_limit": "100", "return_address_id": "42"})
    conn.refresh_from_db()
    assert conn.push_auto_decisions and str(conn.auto_refund_limit) == "100.00" and conn.settings["return_address_id"] == "42"
    case = Case.objects.get()
    detail = client.get(f"/cases/{case.pk}/").content.decode()
    assert case.platform_link.aftersale_id in detail and "detail-v3?aftersale_id=" in detail


def test_wrong_credentials_give_a_clear_message(client, shop, shop_admin, sandbox):
    client.force_login(shop_admin)
    response = client.post("/platforms/", {"platform": "doudian", "app_key": sandbox.app_key, "app_secret": "wrong",
                                           "platform_shop_id": sandbox.shop_id, "api_base": sandbox.url}, follow=True)
    assert "授权失败" in response.content.decode() and "签名校验失败" in response.content.decode()
    assert not PlatformConnection.objects.exists()


def test_agent_reads_but_cannot_connect_or_change(client, shop, agent, connect):
    conn = connect()
    client.force_login(agent)
    assert client.get(f"/platforms/{conn.pk}/").status_code == 200
    assert client.post("/platforms/", {"app_key": "x"}).status_code == 403
    assert client.post(f"/platforms/{conn.pk}/", {"do": "settings", "push_auto_decisions": "on"}).status_code == 403
    conn.refresh_from_db()
    assert not conn.push_auto_decisions


def test_other_shop_never_sees_the_connection(client, other_shop, connect):
    conn = connect()
    outsider = MembershipFactory(shop=other_shop, role=Role.ADMIN, user=UserFactory(username="outsider")).user
    client.force_login(outsider)
    assert client.get(f"/platforms/{conn.pk}/").status_code == 404
    assert conn.platform_shop_id not in client.get("/platforms/").content.decode()


def test_settings_refuse_negative_limit(connect):
    conn = connect()
    with pytest.raises(services.ConnectionError_):
        services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=-1)


def test_case_resyncs_from_the_platform_on_demand(client, agent, other_shop, connect, sandbox, order_line, claim_clock):
    conn = connect()
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=1, reason="其他",
                                   push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    sandbox.aftersales[record.aftersale_id].status = 27  # rejected in the back office meanwhile
    sandbox.aftersales[record.aftersale_id].update_time += 1
    client.force_login(agent)
    response = client.post(f"/platforms/cases/{case.pk}/sync/")
    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.status == "rejected" and case.platform_link.status == "27"
    outsider = MembershipFactory(shop=other_shop, role=Role.ADMIN, user=UserFactory(username="outsider2")).user
    client.force_login(outsider)
    assert client.post(f"/platforms/cases/{case.pk}/sync/").status_code == 404


def test_connecting_needs_an_actor_who_may_change_settings(shop, agent, sandbox):
    from django.core.exceptions import PermissionDenied

    for actor in (None, agent):
        with pytest.raises(PermissionDenied):
            services.connection_connect(shop=shop, actor=actor, platform="doudian", app_key=sandbox.app_key,
                                        app_secret=sandbox.app_secret, platform_shop_id=sandbox.shop_id,
                                        api_base=sandbox.url, backfill=False)
    assert not PlatformConnection.objects.exists()
