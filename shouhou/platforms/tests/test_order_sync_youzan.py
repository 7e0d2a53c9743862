"""有赞 order sync through its sandbox, real HTTP both ways: connect → back-fill (youzan.trades.sold.get pages)
→ the merchant ships (no push) → the incremental sync reads the order's waybill (youzan.trade.get
delivery_order) and creates the shipment with its Kuaidi100 subscription → a re-sync writes nothing → an
after-sale push finds the synced line; an order push (trade_TradeSellerShip) fetches that order; a failed page
is retried from the cursor; 工具型 authorisation through the callback page."""

from __future__ import annotations

import time
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from shouhou.commerce.models import Order, OrderLine, Shipment
from shouhou.logistics.models import TrackingSubscription
from shouhou.platforms import orders as order_sync
from shouhou.platforms.adapters.base import PlatformError
from shouhou.platforms.adapters.youzan import YouzanAdapter
from shouhou.platforms.models import PlatformAftersale, PlatformConnection, PlatformEvent, SyncedOrder
from shouhou.platforms.tests.test_actback import _follow_to_platform, _messages
from shouhou.platforms.tests.test_youzan import yz, yz_connect  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

TID = "E20261201100000000100001"


def _lines(tid: str, *payments: str) -> list[dict]:
    return [{"oid": f"{tid[-6:]}{n:03d}", "title": f"羊绒围巾 {n}", "num": 1, "payment": pay, "item_id": 700 + n,
             "outer_sku_id": f"YZ-SKU-{n}", "sku_properties_name": '[{"k":"颜色","v":"燕麦"}]'}
            for n, pay in enumerate(payments)]


def _snapshot():
    return (sorted(Order.objects.values_list("order_no", "status", "updated_at", "receiver_phone")),
            sorted(OrderLine.objects.values_list("line_key", "price_paid", "updated_at")),
            sorted(Shipment.objects.values_list("tracking_no", "status", "updated_at")),
            sorted(SyncedOrder.objects.values_list("platform_order_id", "platform_updated_at", "updated_at")))


def _after_cursor(conn: PlatformConnection) -> None:
    """The sandbox stamps changes with the current second: step past the second the last pass read up to."""
    begin = int((conn.order_cursor.get("cursor") or {}).get("begin") or 0)
    while int(time.time()) < begin:
        time.sleep(0.05)


def test_backfill_ship_incremental_resync_and_aftersale(shop, yz, yz_connect, live_server):  # noqa: F811
    shop.settings = {**(shop.settings or {}), "kuaidi100_key": "k100-key", "kuaidi100_salt": "k100-salt"}
    shop.save()
    yz.add_order(tid=TID, lines=_lines(TID, "199.00", "59.00"))
    for n in range(2, 5):
        tid = f"E2026120110000000010000{n}"
        yz.add_order(tid=tid, lines=_lines(tid, "10.00"))
    yz.add_order(tid="E20261201100000000100009", lines=_lines("E20261201100000000100009", "1.00"),
                 status="WAIT_BUYER_PAY")  # unpaid: not an order yet
    conn = yz_connect(backfill=True)
    assert sorted(Order.objects.values_list("order_no", flat=True)) == [TID] + [
        f"E2026120110000000010000{n}" for n in range(2, 5)]
    order = Order.objects.get(order_no=TID)
    assert order.status == "paid" and order.total_paid == Decimal("258.00")
    # masked as 有赞 gives them; the ciphertext ($…$1$) of the street address is never stored
    assert (order.receiver_name, order.receiver_phone, order.address) == ("王*", "139****8888", "浙江省杭州市余杭区")
    lines = {ln.line_key: ln for ln in order.lines.select_related("sku")}
    assert set(lines) == {"100001000", "100001001"}
    assert lines["100001000"].price_paid == Decimal("199.00") and lines["100001000"].sku.code == "YZ-SKU-0"
    assert lines["100001000"].spec == "颜色:燕麦"
    assert not Shipment.objects.exists() and "youzan.trade.get" not in yz.calls  # nothing shipped: no detail read
    conn.refresh_from_db()
    assert conn.last_order_sync_at is not None and conn.order_cursor["cursor"]["page"] == 1

    # the merchant ships in the 有赞 back office, no push: the incremental sync reads the waybill from trade.get
    _after_cursor(conn)
    yz.ship_order(TID, express_no="ZT7700001234", express_id=3, push=False)
    result = order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk))
    assert result.error == "" and result.written == 1
    order.refresh_from_db()
    assert order.status == "shipped" and order.shipped_at is not None
    ship = Shipment.objects.get(order=order)
    assert (ship.carrier, ship.tracking_no) == ("ZTO", "ZT7700001234")  # express_id 3 → 中通快递 (express.get)
    sub = TrackingSubscription.objects.get(shipment=ship)
    assert sub.tracking_no == "ZT7700001234" and sub.company == "zhongtong"

    # a re-sync (incremental and the reconciliation) writes nothing
    before = _snapshot()
    again = order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk))
    recon = order_sync.orders_reconcile(PlatformConnection.objects.get(pk=conn.pk))
    assert again.written == 0 and recon.written == 0 and recon.unchanged == 4
    assert _snapshot() == before and TrackingSubscription.objects.count() == 1

    # an after-sale push for the synced order finds its line
    yz.push_url = f"{live_server.url}/platforms/youzan/push/"
    refund = yz.add_refund(tid=TID, oid="100001001", refund_fee="59.00")
    link = PlatformAftersale.objects.get(aftersale_id=refund.refund_id)
    assert link.case is not None and link.case.order_line.line_key == "100001001"


def test_order_push_fetches_that_order_and_a_failed_page_resumes(shop, yz, yz_connect, live_server):  # noqa: F811
    for n in range(1, 4):
        tid = f"E2026120210000000020000{n}"
        yz.add_order(tid=tid, lines=_lines(tid, "30.00"))
    conn = yz_connect(backfill=False)
    # the first page fails (rate limited): nothing written, the error is on the connection; the next pass reads it
    yz.fail_next("youzan.trades.sold.get", "rate_limit")
    failed = order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk))
    assert "请求太频繁" in failed.error and not Order.objects.exists()
    assert "请求太频繁" in PlatformConnection.objects.get(pk=conn.pk).last_error
    assert order_sync.orders_sync(PlatformConnection.objects.get(pk=conn.pk)).written == 3
    # 有赞 pushes trade_TradeSellerShip: shouhou reads that order (youzan.trade.get) and records the parcel
    yz.push_url = f"{live_server.url}/platforms/youzan/push/"
    tid = "E20261202100000000200002"
    yz.ship_order(tid, express_no="SF1300000001", express_id=7)
    event = PlatformEvent.objects.get(tag="trade_TradeSellerShip")
    assert event.status == "applied" and event.order_id == tid
    order = Order.objects.get(order_no=tid)
    assert order.status == "shipped"
    assert Shipment.objects.filter(order=order, carrier="SF", tracking_no="SF1300000001").exists()
    # an order 有赞 does not know: a clear refusal, not an empty order
    adapter = YouzanAdapter(app_key=yz.client_id, app_secret=yz.client_secret, api_base=yz.url)
    with pytest.raises(PlatformError, match="trade not found") as refused:
        adapter.get_order(yz.access_token, "E00000000000000000000000")
    assert refused.value.kind == "refused"


def test_youzan_connect_by_authorisation(yz, shop, shop_admin, client, claim_clock):  # noqa: F811
    client.force_login(shop_admin)
    assert "/platforms/youzan/auth/callback" in client.get("/platforms/").content.decode()
    response = client.post("/platforms/authorize/", {
        "platform": "youzan", "app_key": yz.client_id, "app_secret": yz.client_secret, "api_base": yz.url,
        "authorize_base": f"{yz.url}/oauth/authorize"})
    query = parse_qs(urlparse(response.url).query)
    assert query["client_id"] == [yz.client_id] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/platforms/youzan/auth/callback"]
    pending = PlatformConnection.objects.get(shop=shop)
    assert not pending.enabled and pending.platform_shop_id.startswith("pending-")
    callback = _follow_to_platform(client, response)
    assert callback.startswith("/platforms/youzan/auth/callback?code=sandbox-code&state=")
    assert "state 无效" in _messages(client.get("/platforms/youzan/auth/callback?code=sandbox-code&state=forged",
                                              follow=True))
    done = client.get(callback, follow=True)
    assert "授权成功" in _messages(done)
    conn = PlatformConnection.objects.get(shop=shop)
    # the code exchanged with authorize_type=authorization_code: 有赞's kdt_id (authority_id) names the shop
    assert conn.enabled and not conn.needs_reauth and conn.platform_shop_id == yz.kdt_id
    assert "auth/token" in yz.calls and conn.token_expires_at is not None
    assert "已处理过" in _messages(client.get(callback, follow=True))
