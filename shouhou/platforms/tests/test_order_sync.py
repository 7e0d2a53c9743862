"""Order and shipment sync through the 抖店 sandbox over real HTTP: connect → back-fill → the merchant ships
→ the incremental sync updates the order and creates the shipment (subscribed at Kuaidi100) → an
after-sale push finds the order; a re-sync writes nothing; an order push fetches that order; an expired
token is refreshed; an outage resumes from the cursor."""

from __future__ import annotations

import time

import pytest

from shouhou.commerce.models import SKU, Order, OrderLine, Shipment
from shouhou.core.testing.waiting import wait_until as _wait
from shouhou.logistics.models import TrackingSubscription
from shouhou.platforms import orders as order_sync
from shouhou.platforms.models import PlatformAftersale, PlatformConnection, PlatformEvent, SyncedOrder

pytestmark = pytest.mark.django_db(transaction=True)

OID = "6930000000000100"
SKU_A, SKU_B = "6930000000000101", "6930000000000102"


def _lines(*keys_and_amounts):
    return [{"sku_order_id": key, "product_name": f"羊毛开衫 {n}", "item_num": 1, "pay_amount": fen, "sku_id": 500 + n,
             "code": f"KS-{n}", "spec": [{"name": "颜色", "value": "米白"}]}
            for n, (key, fen) in enumerate(keys_and_amounts)]


def _snapshot():
    return (sorted(Order.objects.values_list("order_no", "status", "updated_at", "receiver_phone")),
            sorted(OrderLine.objects.values_list("line_key", "price_paid", "updated_at")),
            sorted(Shipment.objects.values_list("tracking_no", "status", "updated_at")),
            sorted(SyncedOrder.objects.values_list("platform_order_id", "platform_updated_at", "updated_at")))


def test_backfill_ship_incremental_aftersale_and_idempotent_resync(shop, sandbox, connect, live_server):
    shop.settings = {**(shop.settings or {}), "kuaidi100_key": "k100-key", "kuaidi100_salt": "k100-salt"}
    shop.save()
    sandbox.add_order(order_id=OID, lines=_lines((SKU_A, 19900), (SKU_B, 5900)))
    sandbox.add_order(order_id="6930000000000200", lines=_lines(("6930000000000201", 100)), status=1)  # unpaid
    conn = connect(backfill=True)  # connect back-fills after-sales and the last 30 days of orders
    order = Order.objects.get(shop=shop, order_no=OID)
    assert order.status == "paid" and order.total_paid == 258
    # the platform's masked buyer data as given; the ciphertexts (encrypt_post_*) are never stored
    assert (order.receiver_name, order.receiver_phone) == ("张**", "138****5678")
    assert order.address == "浙江省杭州市西湖区文新街道文一西路***号"
    lines = {ln.line_key: ln for ln in order.lines.all()}
    assert set(lines) == {SKU_A, SKU_B} and lines[SKU_A].price_paid == 199
    assert lines[SKU_A].sku.code == "KS-0" and lines[SKU_A].spec == "颜色:米白"
    assert SKU.objects.filter(shop=shop).count() == 2
    assert not Order.objects.filter(order_no="6930000000000200").exists()  # unpaid: not an order yet
    assert not Shipment.objects.exists()
    conn.refresh_from_db()
    assert conn.last_order_sync_at is not None and conn.order_cursor["cursor"]["page"] == 0
    assert SyncedOrder.objects.get(platform_order_id=OID).order_id == order.pk

    # the merchant ships in the 抖店 back office (no push arrives): the incremental sync finds it
    sandbox.ship_order(OID, tracking_no="ZT8800001234", push=False)
    result = order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk))
    assert result.error == "" and result.written == 1
    order.refresh_from_db()
    assert order.status == "shipped" and order.shipped_at is not None
    ship = Shipment.objects.get(order=order)
    assert (ship.carrier, ship.tracking_no, ship.status) == ("ZTO", "ZT8800001234", "in_transit")
    sub = TrackingSubscription.objects.get(shipment=ship)  # subscribed like an imported shipment
    assert sub.tracking_no == "ZT8800001234" and sub.company == "zhongtong"

    # a re-sync (incremental, and the reconciliation over the last days) changes nothing
    before = _snapshot()
    again = order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk))
    recon = order_sync.orders_reconcile(PlatformConnection.objects.get(pk=conn.pk))
    assert again.written == 0 and recon.written == 0 and recon.unchanged == 1
    assert _snapshot() == before
    assert TrackingSubscription.objects.count() == 1

    # an after-sale push for the synced order finds its line
    sandbox.push_url = f"{live_server.url}/platforms/doudian/push/"
    record = sandbox.add_aftersale(order_id=OID, sku_order_id=SKU_B, aftersale_type=1, refund_amount=5900)
    link = PlatformAftersale.objects.get(aftersale_id=record.aftersale_id)
    assert link.case is not None and link.case.order_line.line_key == SKU_B


def test_order_push_fetches_that_order_and_applies_a_waiting_aftersale(shop, sandbox, connect, live_server):
    conn = connect()
    sandbox.push_url = f"{live_server.url}/platforms/doudian/push/"
    # an after-sale request arrives before its order: kept, waiting
    record = sandbox.add_aftersale(order_id=OID, sku_order_id=SKU_A, aftersale_type=2, refund_amount=19900)
    assert PlatformEvent.objects.get(aftersale_id=record.aftersale_id).status == "waiting_order"
    # the order's push (tag 101, 订单支付) makes shouhou read that order; the waiting request is applied
    sandbox.add_order(order_id=OID, lines=_lines((SKU_A, 19900)), push=True)
    event = PlatformEvent.objects.get(tag="101")
    assert event.order_id == OID and event.status == "applied"
    assert "order/orderDetail" in sandbox.calls
    assert Order.objects.filter(shop=shop, order_no=OID).exists()
    assert _wait(lambda: PlatformAftersale.objects.get(aftersale_id=record.aftersale_id).case_id is not None)
    # the same push again: one message, nothing new
    sandbox.ship_order(OID, tracking_no="SF1234567890", company="shunfeng", company_name="顺丰速运")
    assert Shipment.objects.get().carrier == "SF"
    assert PlatformEvent.objects.filter(tag="102").get().status == "applied"
    conn.refresh_from_db()
    assert conn.last_error == ""


def test_expired_token_is_refreshed_and_outage_resumes_from_the_cursor(shop, sandbox, connect):
    base = int(time.time()) - 3600
    for i in range(230):
        sandbox.add_order(order_id=str(6_940_000_000_000_000 + i * 10), update_time=base + i,
                          lines=_lines((str(6_940_000_000_000_001 + i * 10), 1000)))
    conn = connect()
    sandbox.expire_access_token()  # the platform expired the token early: refreshed once, the sync goes on
    # calls: page 0 refused (expired token) → refresh → page 0 → page 1 fails (outage)
    sandbox.fail_next("order/searchList", "outage", after=2)
    first = order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk), backfill=True)
    assert first.error.startswith("订单同步失败") and first.written == 100
    conn.refresh_from_db()
    assert conn.order_cursor["cursor"]["page"] == 1 and "订单同步失败" in conn.last_error
    assert "token/refresh" in sandbox.calls and not conn.needs_reauth
    assert Order.objects.count() == 100
    calls = len(sandbox.calls)
    second = order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk))
    assert second.error == "" and second.written == 130 and second.pages == 2  # pages 1 and 2, not 0 again
    assert sandbox.calls[calls:] == ["order/searchList", "order/searchList"]
    assert Order.objects.count() == 230 and OrderLine.objects.count() == 230
    assert SyncedOrder.objects.count() == 230


def test_health_page_shows_the_last_order_sync_and_syncs_on_demand(client, shop, shop_admin, agent, sandbox, connect):
    conn = connect()
    client.force_login(shop_admin)
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    row = page.split('id="order-sync"')[1].split("</tr>")[0]
    assert "最近订单同步" in row and "—" in row and "已同步 0 单" in row
    sandbox.add_order(order_id=OID, lines=_lines((SKU_A, 19900)))
    response = client.post(f"/platforms/{conn.pk}/", {"do": "sync_orders"}, follow=True)
    assert "订单同步完成：读取 1 单，新增或变化 1 单" in response.content.decode()
    row = client.get(f"/platforms/{conn.pk}/").content.decode().split('id="order-sync"')[1].split("</tr>")[0]
    assert "—" not in row and "已同步 1 单" in row
    assert "最近订单同步" in client.get("/platforms/").content.decode()
    client.force_login(agent)  # an agent reads the page but cannot start a sync
    assert client.post(f"/platforms/{conn.pk}/", {"do": "sync_orders"}).status_code == 403
    assert Order.objects.count() == 1


def test_one_pass_per_connection_at_a_time(shop, sandbox, connect):
    from django.core.cache import cache

    conn = connect()
    sandbox.add_order(order_id=OID, lines=_lines((SKU_A, 19900)))
    cache.add(f"platforms:orders_sync:{conn.pk}", 1)  # a long back-fill is running
    busy = order_sync.orders_sync(conn)
    assert "正在进行" in busy.error and "order/searchList" not in sandbox.calls and not Order.objects.exists()
    cache.delete(f"platforms:orders_sync:{conn.pk}")
    assert order_sync.orders_sync(conn).written == 1
    assert cache.add(f"platforms:orders_sync:{conn.pk}", 1)  # released after the pass
