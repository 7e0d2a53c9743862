"""Platform connections over the API: health as the page shows it, a sync on demand, never a credential; the
shop's admins may sync (the check is in the service, so the page and the API refuse alike), tokens by scope."""

from __future__ import annotations

import json

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.cases.models import Case
from shouhou.core.testing.factories import MembershipFactory, UserFactory
from shouhou.platforms import services
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID

pytestmark = pytest.mark.django_db


def _bearer(shop, *, role=Role.ADMIN, scopes=("*",)) -> dict:
    issued = token_issue(actor=SYSTEM, shop=shop, name="集成", scopes=list(scopes), role=role)
    return {"Authorization": f"Bearer {issued.secret}"}


def _sync(client, conn, headers, what="aftersales"):
    return client.post(f"/api/platforms/connections/{conn.pk}/sync", data=json.dumps({"what": what}),
                       content_type="application/json", headers=headers)


def test_connections_list_their_health_and_never_a_credential(client, shop, connect, sandbox):
    conn = connect()
    body = client.get("/api/platforms/connections", headers=_bearer(shop, role=Role.ANALYST)).json()
    assert [c["id"] for c in body] == [conn.pk]
    row = body[0]
    assert (row["platform"], row["platform_label"], row["platform_shop_id"]) == ("doudian", "抖店", sandbox.shop_id)
    assert row["state"] == "ok" and row["needs_reauth"] is False and row["token_expires_at"] is not None
    # the URL to save in 抖店's console for this app, and the decrypt switch (off by default)
    assert row["push_path"] == f"/platforms/doudian/push/{conn.app_key}/" and row["decrypt_buyer"] is False
    text = json.dumps(body, ensure_ascii=False)
    for secret in (sandbox.app_secret, sandbox.access_token, sandbox.refresh_token):
        assert secret not in text
    assert "secret" not in text and "token\"" not in text


def test_another_shops_connection_is_not_found(client, shop, other_shop, connect):
    conn = connect()
    outsider = _bearer(other_shop)
    assert client.get("/api/platforms/connections", headers=outsider).json() == []
    assert client.get(f"/api/platforms/connections/{conn.pk}", headers=outsider).status_code == 404
    assert _sync(client, conn, outsider).status_code == 404


def test_an_admin_syncs_now_and_a_request_the_push_missed_becomes_a_case(client, shop, connect, sandbox,
                                                                        order_line, claim_clock):
    conn = connect()
    sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=1, reason="其他", push=False)
    response = _sync(client, conn, _bearer(shop))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["what"], body["read"], body["error"]) == ("aftersales", 1, "")
    assert body["connection"]["last_sync_at"] is not None
    assert Case.objects.get().platform_link.aftersale_id in sandbox.aftersales


def test_an_order_sync_on_demand_says_what_it_read(client, shop, connect, sandbox):
    from shouhou.commerce.models import Order

    conn = connect()
    sandbox.add_order(order_id="6940000000000100", lines=[
        {"sku_order_id": "6940000000000101", "product_name": "羊毛开衫", "item_num": 1, "pay_amount": 19900,
         "sku_id": 501, "code": "KS-1", "spec": [{"name": "颜色", "value": "米白"}]}])
    body = _sync(client, conn, _bearer(shop), what="orders").json()
    assert (body["what"], body["read"], body["written"], body["error"]) == ("orders", 1, 1, "")
    assert body["connection"]["last_order_sync_at"] is not None and body["connection"]["synced_orders"] == 1
    assert Order.objects.get(shop=shop).order_no == "6940000000000100"


def test_only_admins_and_write_scoped_tokens_may_sync(client, shop, agent, connect):
    from django.core.exceptions import PermissionDenied

    conn = connect()
    assert _sync(client, conn, _bearer(shop, role=Role.AGENT)).status_code == 403
    assert _sync(client, conn, _bearer(shop, role=Role.ANALYST)).status_code == 403
    read_only = _bearer(shop, scopes=("platforms:read",))
    assert client.get("/api/platforms/connections", headers=read_only).status_code == 200
    assert _sync(client, conn, read_only).status_code == 403
    assert _sync(client, conn, _bearer(shop, scopes=("cases",))).status_code == 403
    # the rule is in the service: a page, a task or a shell asking as an agent is refused the same way
    with pytest.raises(PermissionDenied):
        services.connection_sync_now(conn=conn, actor=agent, what="aftersales")
    admin = MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="pf-admin")).user
    assert services.connection_sync_now(conn=conn, actor=admin, what="aftersales").read == 0


def test_an_unknown_sync_kind_is_refused_with_the_field(client, shop, connect):
    conn = connect()
    response = _sync(client, conn, _bearer(shop), what="everything")
    assert response.status_code == 422 and "what" in response.content.decode()
    with pytest.raises(services.ConnectionError_, match="未知的同步内容：everything"):
        services.connection_sync_now(conn=conn, actor=SYSTEM, what="everything")
