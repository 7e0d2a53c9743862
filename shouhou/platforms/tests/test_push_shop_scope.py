"""A verified push is filed under the connection of the shop it names (QA rounds wxc_youzan and douyin_ks,
2026-12-08): one service-market app (抖店, 快手) or 工具型 app (有赞) serves many shops, and a message naming a shop that
is not connected here is kept without a connection, never applied with this shop's token, and says nothing of this
connection's push health. Pushes go through the real push URLs (test client); the platforms are the sandboxes."""

from __future__ import annotations

import json

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases.models import Case
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory
from shouhou.platforms import services
from shouhou.platforms.adapters.doudian import push_sign
from shouhou.platforms.adapters.kuaishou import encrypt_push
from shouhou.platforms.adapters.youzan import encode_msg
from shouhou.platforms.adapters.youzan import push_sign as youzan_sign
from shouhou.platforms.models import PlatformConnection, PlatformEvent
from shouhou.platforms.sandbox.kuaishou import KuaishouSandbox
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID
from shouhou.platforms.tests.test_youzan_sdk_examples import REFUND
from shouhou.platforms.tests.test_youzan_sdk_examples import ExampleSandbox as YouzanExampleSandbox

pytestmark = pytest.mark.django_db(transaction=True)


def _doudian_push(client, conn, secret: str, messages: list[dict]):
    body = json.dumps(messages, ensure_ascii=False).encode()
    return client.post("/platforms/doudian/push/", data=body, content_type="application/json",
                       headers={"app-id": conn.app_key, "event-sign": push_sign(conn.app_key, secret, body)})


@pytest.fixture
def ks_box():
    box = KuaishouSandbox().start()
    yield box
    box.stop()


def _ks_connect(shop, box, *, platform_shop_id: str | None = None) -> PlatformConnection:
    return services.connection_connect(
        shop=shop, actor=SYSTEM, platform="kuaishou", app_key=box.app_key, app_secret=box.app_secret,
        platform_shop_id=box.seller_id if platform_shop_id is None else platform_shop_id, code="sandbox-code",
        api_base=box.url, backfill=False, extra_secrets={"sign_secret": box.sign_secret, "msg_secret": box.msg_secret})


@pytest.fixture
def yz_box():
    box = YouzanExampleSandbox().start()
    yield box
    box.stop()


@pytest.fixture
def yz_conn(shop, yz_box):
    return services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=yz_box.client_id,
                                       app_secret=yz_box.client_secret, platform_shop_id=yz_box.kdt_id,
                                       api_base=yz_box.url, backfill=False)


@pytest.fixture
def yz_line(shop):
    order = OrderFactory(shop=shop, order_no=REFUND["tid"])
    return OrderLineFactory(order=order, line_key=REFUND["oid"])


def test_doudian_push_of_another_shop_is_stored_without_a_connection_and_not_applied(client, sandbox, connect,
                                                                                     order_line):
    """One service-market app, two shops that authorised it, one connected here: the other shop's message is kept
    without a connection (docs/platforms.md) — not read with this shop's token, not this shop's push health."""
    conn = connect()
    r = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)
    msg = sandbox.message("200", r)
    msg["data"] = json.dumps({**json.loads(msg["data"]), "shop_id": 99999999})
    msg["msg_id"] = "other-shop-1"
    response = _doudian_push(client, conn, sandbox.app_secret, [msg])
    assert response.status_code == 200 and response.json() == {"code": 0, "msg": "success"}
    event = PlatformEvent.objects.get(message_id="other-shop-1")
    assert event.connection_id is None and event.status == "received"
    assert not Case.objects.exists()
    conn.refresh_from_db()
    assert conn.last_push_at is None
    assert services.events_retry() == 0  # never picked up later either


def test_doudian_push_naming_no_shop_is_filed_under_the_apps_only_connection(client, sandbox, connect, order_line):
    conn = connect()
    r = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)
    msg = sandbox.message("200", r)
    msg["data"] = json.dumps({k: v for k, v in json.loads(msg["data"]).items() if k != "shop_id"})
    _doudian_push(client, conn, sandbox.app_secret, [msg])
    event = PlatformEvent.objects.get()
    assert event.connection_id == conn.pk and event.status == "applied"
    conn.refresh_from_db()
    assert conn.last_push_at is not None


def test_kuaishou_push_of_another_seller_is_not_filed_under_the_connection(client, shop, ks_box, order_line):
    conn = _ks_connect(shop, ks_box)
    r = ks_box.add_refund(order_id=ORDER_ID, handling_way=10, refund_fee=100, push=False)
    envelope = {**ks_box.envelope("kwaishop_aftersales_addRefund", r), "userId": 123456789, "msgId": "other-seller-1"}
    response = client.post(f"/platforms/kuaishou/push/{ks_box.app_key}/", content_type="text/plain",
                           data=encrypt_push(json.dumps(envelope).encode(), ks_box.msg_secret))
    assert response.json() == {"result": 1}
    event = PlatformEvent.objects.get(message_id="other-seller-1")
    assert event.connection_id is None and event.status == "received"
    conn.refresh_from_db()
    assert conn.last_push_at is None and not Case.objects.exists()


def test_a_connection_that_does_not_know_its_shop_id_still_takes_its_apps_pushes(client, shop, ks_box, order_line):
    """A 快手 connection authorised without the seller id keeps actback's "pending-…" placeholder: it cannot tell its
    own pushes from another seller's, so as the app's only connection it takes them (as before)."""
    conn = _ks_connect(shop, ks_box, platform_shop_id=f"{services.PENDING_SHOP_ID}abc123")
    r = ks_box.add_refund(order_id=ORDER_ID, handling_way=10, refund_fee=100, push=False)
    client.post(f"/platforms/kuaishou/push/{ks_box.app_key}/", content_type="text/plain",
                data=encrypt_push(json.dumps(ks_box.envelope("kwaishop_aftersales_addRefund", r)).encode(),
                                  ks_box.msg_secret))
    assert PlatformEvent.objects.get().connection_id == conn.pk


def test_youzan_push_of_another_kdt_id_is_not_applied_with_this_shops_token(client, yz_box, yz_conn, yz_line):
    """A 工具型 app's one client_id serves many kdt_ids: the message of a shop not connected here stays unfiled."""
    yz_box.refund = {**REFUND, "status": "WAIT_SELLER_AGREE"}
    msg = encode_msg({"refund_id": REFUND["refund_id"], "tid": REFUND["tid"], "oids": REFUND["oid"],
                      "version": REFUND["version"], "refund_type": "REFUND_ONLY", "refunded_fee": "2.00"})
    body = {"client_id": yz_box.client_id, "kdt_id": 77777777, "mode": 1, "id": REFUND["tid"],
            "type": "trade_refund_BuyerCreated", "msg": msg, "msg_id": "other-kdt-1", "version": 1, "test": False,
            "sign": youzan_sign(yz_box.client_id, yz_box.client_secret, msg.encode())}
    response = client.post("/platforms/youzan/push/", data=json.dumps(body), content_type="application/json")
    assert response.json() == {"code": 0, "msg": "success"}
    event = PlatformEvent.objects.get()
    assert event.connection_id is None and event.status == "received"
    assert not [name for name, _ in yz_box.asked if name == "youzan.trade.refund.get"]
    assert not Case.objects.exists()
