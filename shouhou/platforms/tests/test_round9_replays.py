"""Round nine (2026-12-07): the platforms' published answers replayed where shouhou still read them differently.

- 快手: a refusal keeps the request's status (10 仅退款 / 11 退货退款, or 40 after the goods came back) with
  negotiateStatus 3 (商家驳回，等待买家修改); 快手's published refund status enum has no status of its own for it. The local
  sandbox answered 12 (a number in no published enum) and shouhou read 12 as 已拒绝, so no test ever met what the
  platform sends after shouhou's own refusal. The sandbox now answers as the platform does, and 12 closes nothing.
- 有赞: youzan.trade.get 4.0.0 answers the order status as a number (its responseDemo: 60 with status_str 已发货, payload
  in fixtures/youzan_trade_get_400.json); shouhou read only 4.0.2's text and took any number for 已付款.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.commerce.choices import OrderStatus
from shouhou.platforms import services
from shouhou.platforms.adapters.base import PlatformError
from shouhou.platforms.adapters.kuaishou import KuaishouAdapter
from shouhou.platforms.adapters.youzan import YouzanAdapter
from shouhou.platforms.sandbox.youzan import YouzanSandbox
from shouhou.platforms.tests.conftest import ORDER_ID

FIXTURES = Path(__file__).parent / "fixtures"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


# --- 快手: the sandbox refuses as 快手 does ------------------------------------------------------------------------

def _ks_adapter(ks) -> KuaishouAdapter:
    return KuaishouAdapter(app_key=ks.app_key, app_secret=ks.app_secret, sign_secret=ks.sign_secret,
                           msg_secret=ks.msg_secret, api_base=ks.url)


@pytest.mark.parametrize("handling_way, status", [(10, 10), (1, 11)])
def test_kuaishou_sandbox_refusal_keeps_the_status_with_negotiate_status_3(ks, handling_way, status):
    refund = ks.add_refund(order_id=ORDER_ID, handling_way=handling_way, push=False)
    adapter = _ks_adapter(ks)
    adapter.act(ks.access_token, _reject(refund))
    detail = adapter.call("open.seller.order.refund.detail", {"refundId": int(refund.refund_id)},
                          access_token=ks.access_token)["data"]
    assert (detail["status"], detail["negotiateStatus"]) == (status, 3)  # was status 12, negotiateStatus 3
    got = adapter.fetch_aftersale(ks.access_token, refund.refund_id)
    assert (got.platform_status, got.case_status, got.status_text) == (str(status), "rejected", "卖家已驳回，等待买家修改")


def _reject(refund):
    from shouhou.platforms.adapters.base import Action

    return Action(kind="reject", aftersale_id=refund.refund_id, platform_type=str(refund.handling_way),
                  updated=refund.update_time, reason="已超过售后期")


def test_kuaishou_a_refused_request_cannot_be_acted_on_until_the_buyer_modifies_it(ks):
    from shouhou.platforms.adapters.base import Action

    refund = ks.add_refund(order_id=ORDER_ID, handling_way=10, refund_fee=4990, push=False)
    adapter = _ks_adapter(ks)
    adapter.act(ks.access_token, _reject(refund))
    with pytest.raises(PlatformError) as again:  # refused twice: the request waits for the buyer
        adapter.act(ks.access_token, _reject(ks.refunds[refund.refund_id]))
    assert again.value.kind == "already_handled"
    ks.buyer_modifies(refund.refund_id, push=False)
    got = adapter.fetch_aftersale(ks.access_token, refund.refund_id)
    assert (got.platform_status, got.case_status) == ("10", "requested")
    adapter.act(ks.access_token, Action(kind="approve", aftersale_id=refund.refund_id, platform_type="10",
                                        amount_fen=4990, platform_status="10"))
    assert ks.refunds[refund.refund_id].status == 60


def test_kuaishou_status_12_is_read_as_the_refund_lists_published_refusal(ks):
    """Round nine called 12 unpublished and read it as unknown; the refund list's own status enum publishes it
    (ks_shop_api OpenSellerOrderRefundPcursorListSchema: [12 卖家已拒绝，等待买家处理]), so it is a refusal again."""
    refund = ks.add_refund(order_id=ORDER_ID, handling_way=10, status=12, push=False)
    got = _ks_adapter(ks).fetch_aftersale(ks.access_token, refund.refund_id)
    assert (got.case_status, got.status_text) == ("rejected", "卖家已拒绝，等待买家处理")


@pytest.mark.django_db(transaction=True)
def test_kuaishou_agents_refusal_goes_back_and_the_case_reads_the_platforms_answer(ks, shop, order_line, claim_clock,
                                                                                  agent):
    conn = services.connection_connect(
        shop=shop, actor=SYSTEM, platform="kuaishou", app_key=ks.app_key, app_secret=ks.app_secret,
        platform_shop_id=ks.seller_id, code="sandbox-code", api_base=ks.url, backfill=False,
        extra_secrets={"sign_secret": ks.sign_secret, "msg_secret": ks.msg_secret})
    refund = ks.add_refund(order_id=ORDER_ID, handling_way=1, refund_fee=19900, reason="其他", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    case_services.case_reject(case=case, actor=agent, reason="商品已影响二次销售")
    assert [path for path, _ in ks.operations] == ["open/refund/reject"]
    case.refresh_from_db()
    link = case.platform_link
    assert case.status == "rejected"
    assert (link.status, link.status_text) == ("11", "卖家已驳回，等待买家修改")
    assert link.platform_updated_at == ks.refunds[refund.refund_id].update_time
    assert case.events.filter(note__contains="平台已受理").exists()
    assert not case.events.filter(note__contains="无法从").exists()


# --- 有赞: youzan.trade.get 4.0.0's numeric order status ---------------------------------------------------------

TRADE_400 = json.loads((FIXTURES / "youzan_trade_get_400.json").read_text("utf-8"))["response"]


class TradeGet400Sandbox(YouzanSandbox):
    """Answers youzan.trade.get with the 4.0.0 responseDemo as published (order_info.status overridable)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.order_info: dict = {}

    def _api(self, name: str, params: dict) -> tuple[int, dict]:
        if name == "youzan.trade.get":
            answer = json.loads(json.dumps(TRADE_400))
            answer["full_order_info"]["order_info"].update(self.order_info)
            return 200, {"response": answer}
        return super()._api(name, params)


@pytest.fixture
def yz400():
    box = TradeGet400Sandbox().start()
    yield box
    box.stop()


def _yz_order(box):
    adapter = YouzanAdapter(app_key=box.client_id, app_secret=box.client_secret, api_base=box.url)
    token = adapter.create_token(shop_id=box.kdt_id).access_token
    return adapter.get_order(token, TRADE_400["full_order_info"]["order_info"]["tid"])


def test_youzan_the_published_4_0_0_trade_get_reads_as_shipped(yz400):
    order = _yz_order(yz400)
    assert (order.order_id, order.platform_status, order.status) == (
        "E20180308214644100400012", "WAIT_BUYER_CONFIRM_GOODS", OrderStatus.SHIPPED)  # was 已付款 (paid)
    assert order.shipped_at == dt.datetime(2018, 3, 9, 21, 0, 8, tzinfo=SHANGHAI)
    assert order.signed_at is None  # success_time "1970-01-01 08:00:00": not signed
    assert order.total == Decimal("320.60") and [i.paid for i in order.items] == [
        Decimal("75.65"), Decimal("135.80"), Decimal("49.85"), Decimal("59.30")]


@pytest.mark.parametrize("status, status_str, expected, platform_status", [
    (10, "待支付", "", "WAIT_BUYER_PAY"),
    (50, "待发货", OrderStatus.PAID, "WAIT_SELLER_SEND_GOODS"),
    (60, "已发货", OrderStatus.SHIPPED, "WAIT_BUYER_CONFIRM_GOODS"),
    (80, "已收货", OrderStatus.COMPLETED, "TRADE_SUCCESS"),
    (99, "已关闭", OrderStatus.CANCELLED, "TRADE_CLOSED"),
    (100, "已完成", OrderStatus.COMPLETED, "TRADE_SUCCESS"),
    ("60", "已发货", OrderStatus.SHIPPED, "WAIT_BUYER_CONFIRM_GOODS"),  # a number written as a string
    (None, "已发货", OrderStatus.SHIPPED, "WAIT_BUYER_CONFIRM_GOODS"),  # only the words
    ("TRADE_SUCCESS", "已完成", OrderStatus.COMPLETED, "TRADE_SUCCESS"),  # 4.0.2's text, unchanged
])
def test_youzan_numeric_statuses_as_youzan_numbers_them(yz400, status, status_str, expected, platform_status):
    yz400.order_info = {"status": status, "status_str": status_str, "success_time": "2018-03-12 10:00:00"}
    order = _yz_order(yz400)
    assert (order.status, order.platform_status) == (expected, platform_status)
    signed = dt.datetime(2018, 3, 12, 10, 0, tzinfo=SHANGHAI) if platform_status == "TRADE_SUCCESS" else None
    assert order.signed_at == signed


@pytest.mark.django_db(transaction=True)
def test_youzan_the_4_0_0_order_is_written_shipped_with_each_of_its_lines(shop, yz400):
    """The demo's four lines carry no oid: they were written as one line (all keyed ""), the last line's price."""
    from shouhou.commerce.models import Order
    from shouhou.platforms import orders as order_sync

    conn = services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=yz400.client_id,
                                       app_secret=yz400.client_secret, platform_shop_id=yz400.kdt_id,
                                       api_base=yz400.url, backfill=False)
    assert order_sync.order_fetch(conn, "E20180308214644100400012").error == ""
    order = Order.objects.get(shop=shop, order_no="E20180308214644100400012")
    assert order.status == OrderStatus.SHIPPED
    assert sorted(order.lines.values_list("line_key", "price_paid")) == [
        ("goods-409382504-36218994", Decimal("135.80")), ("goods-409545437-36196197", Decimal("49.85")),
        ("goods-409558156-36199433", Decimal("59.30")), ("goods-410405681-36203237", Decimal("75.65"))]
    assert order_sync.order_fetch(conn, "E20180308214644100400012").written == 0  # read again: nothing changes


# --- 有赞: a search window holding more rows than a search can reach ----------------------------------------------
# youzan.trade.refund.search reads at most page_no × page_size ≤ 3000 rows and youzan.trades.sold.get page_no ≤ 100 ×
# page_size ≤ 100 (docs/platforms.md, 有赞). The tests shrink both limits (page size 10, 3 pages) so that 45 rows
# overflow one window; the sandbox refuses to page past them as 有赞 does.

class ShallowSandbox(YouzanSandbox):
    DEPTH_PAGES = 3

    def _search(self, name: str, params: dict) -> tuple[int, dict]:
        if int(params.get("page_no") or 1) > self.DEPTH_PAGES:
            return self._fail(name, 5002, "超过ES搜索最大深度")
        return super()._search(name, params)

    def _trades_sold(self, name: str, params: dict) -> tuple[int, dict]:
        if int(params.get("page_no") or 1) > self.DEPTH_PAGES:
            return self._fail(name, 5000, "每页最多显示100条数据")
        return super()._trades_sold(name, params)


@pytest.fixture
def shallow(monkeypatch):
    from shouhou.platforms.adapters import youzan

    monkeypatch.setattr(youzan, "PAGE_SIZE", 10)
    monkeypatch.setattr(youzan, "MAX_DEPTH", 30)
    monkeypatch.setattr(youzan, "ORDER_PAGES", 3)
    box = ShallowSandbox().start()
    yield box
    box.stop()


def _walk(read, begin: int) -> tuple[list, int]:
    """Follow the cursor to the end, as a sync pass does; the items read and the calls it took."""
    cursor, items, calls = {"begin": begin, "page": 1}, [], 0
    while True:
        page = read(cursor)
        calls += 1
        items += page.items
        cursor = page.cursor
        if not page.has_more:
            return items, calls
        assert calls < 100  # never loops


def test_youzan_refund_search_past_3000_rows_in_a_window_reads_every_refund(shallow):
    import time

    start = int(time.time()) - 3600
    for n in range(45):  # one a minute over the last hour: more than the 30 one window's search can reach
        shallow.add_refund(tid=f"E2026120610000000{n:06d}", push=False).updated = start + 60 * n
    adapter = YouzanAdapter(app_key=shallow.client_id, app_secret=shallow.client_secret, api_base=shallow.url)
    token = adapter.create_token(shop_id=shallow.kdt_id).access_token
    items, _calls = _walk(lambda c: adapter.fetch_aftersales(token, c), start)
    assert {a.aftersale_id for a in items} == set(shallow.refunds)  # was the first 30: 15 never read


def test_youzan_order_list_past_its_depth_in_a_window_reads_every_order(shallow):
    import time

    start = int(time.time()) - 3600
    for n in range(45):
        tid = f"E2026120610000001{n:06d}"
        shallow.add_order(tid=tid, lines=[{"oid": f"{n}01", "title": "围巾", "payment": "10.00"}]).updated = start + 60 * n
    adapter = YouzanAdapter(app_key=shallow.client_id, app_secret=shallow.client_secret, api_base=shallow.url)
    token = adapter.create_token(shop_id=shallow.kdt_id).access_token
    items, _calls = _walk(lambda c: adapter.list_orders(token, start, c), start)
    assert {o.order_id for o in items} == set(shallow.trades)  # was the first 30


# --- 快手 pushes: no message id, info as an object, an after-sale message without its refund ----------------------

@pytest.fixture
def ks_conn(ks, shop):
    return services.connection_connect(
        shop=shop, actor=SYSTEM, platform="kuaishou", app_key=ks.app_key, app_secret=ks.app_secret,
        platform_shop_id=ks.seller_id, code="sandbox-code", api_base=ks.url, backfill=False,
        extra_secrets={"sign_secret": ks.sign_secret, "msg_secret": ks.msg_secret})


def _ks_post(client, ks, envelope: dict):
    from shouhou.platforms.adapters.kuaishou import encrypt_push

    body = encrypt_push(json.dumps(envelope, ensure_ascii=False).encode(), ks.msg_secret)
    return client.post(f"/platforms/kuaishou/push/{ks.app_key}/", data=body, content_type="text/plain")


@pytest.mark.django_db(transaction=True)
def test_kuaishou_two_messages_without_ids_are_both_kept_and_a_redelivery_once(client, ks, ks_conn, order_line,
                                                                               claim_clock):
    from shouhou.platforms.models import PlatformEvent

    first = ks.add_refund(order_id=ORDER_ID, handling_way=10, push=False)
    second = ks.add_refund(order_id=ORDER_ID, handling_way=10, push=False)
    bare = []
    for refund in (first, second):
        envelope = ks.envelope("kwaishop_aftersales_addRefund", refund)
        bare.append({k: v for k, v in envelope.items() if k not in ("msgId", "eventId")})
    for envelope in (bare[0], bare[1], bare[0]):  # the first one redelivered
        assert _ks_post(client, ks, envelope).json() == {"result": 1}
    events = PlatformEvent.objects.order_by("pk")
    assert [e.aftersale_id for e in events] == [first.refund_id, second.refund_id]  # the second was dropped as a duplicate
    assert all(e.message_id.startswith("sha256:") for e in events) and events[0].status == "applied"


@pytest.mark.django_db(transaction=True)
def test_kuaishou_info_sent_as_an_object_with_numbers_as_strings_is_read(client, ks, ks_conn, order_line, claim_clock):
    from shouhou.platforms.models import PlatformEvent

    refund = ks.add_refund(order_id=ORDER_ID, handling_way=10, refund_fee=4990, push=False)
    envelope = ks.envelope("kwaishop_aftersales_addRefund", refund)
    info = json.loads(envelope["info"])
    envelope["info"] = {k: str(v) for k, v in info.items()}  # an object, every number a string
    envelope["unknownFutureField"] = {"x": [1, 2]}
    assert _ks_post(client, ks, envelope).json() == {"result": 1}
    event = PlatformEvent.objects.get()
    assert (event.aftersale_id, event.order_id, event.status) == (refund.refund_id, ORDER_ID, "applied")
    assert Case.objects.get().platform_link.aftersale_id == refund.refund_id


@pytest.mark.django_db(transaction=True)
def test_kuaishou_an_aftersale_message_without_its_refund_id_is_acknowledged_not_applied(client, ks, ks_conn):
    from shouhou.platforms.models import PlatformEvent

    refund = ks.add_refund(order_id=ORDER_ID, handling_way=10, push=False)
    envelope = ks.envelope("kwaishop_aftersales_updateRefund", refund)
    envelope["info"] = json.dumps({"orderId": int(ORDER_ID), "status": 10})  # refundId missing
    assert _ks_post(client, ks, envelope).json() == {"result": 1}
    event = PlatformEvent.objects.get()
    assert event.status == "ignored" and event.aftersale_id == ""  # applying it read refund "" and failed each time
    assert services.events_retry() == 0


# --- 有赞: the older envelope's expired-token answer ------------------------------------------------------------

TOKEN_40010 = json.loads((FIXTURES / "youzan_error_token_40010.json").read_text("utf-8"))


class ExpiringSandbox(YouzanSandbox):
    """youzan.trade.get answers the published 40010 (token invalid or expired) while the token it gets is expired;
    `always`: whatever the token."""

    always = False

    def handle(self, path: str, query: dict, content_type: str, raw: bytes) -> tuple[int, dict]:
        if path.endswith("/youzan.trade.get/4.0.2"):
            with self.lock:
                if self.always or query.get("access_token") in self.expired_tokens:
                    self.calls.append("youzan.trade.get")
                    return 200, {"error_response": dict(TOKEN_40010["error_response"])}
        return super().handle(path, query, content_type, raw)


@pytest.fixture
def yz_expiring():
    box = ExpiringSandbox().start()
    yield box
    box.stop()


@pytest.mark.django_db(transaction=True)
def test_youzan_40010_in_the_older_envelope_refreshes_the_token_once_and_repeats_the_call(shop, yz_expiring):
    from shouhou.commerce.models import Order
    from shouhou.platforms import orders as order_sync

    box = yz_expiring
    box.add_order(tid="E20261207100000000000001", lines=[{"oid": "1001", "title": "围巾", "payment": "59.00"}])
    conn = services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=box.client_id,
                                       app_secret=box.client_secret, platform_shop_id=box.kdt_id, api_base=box.url,
                                       backfill=False)
    box.expire_access_token()
    box.calls.clear()
    order_sync.order_fetch(conn, "E20261207100000000000001")
    assert Order.objects.filter(order_no="E20261207100000000000001").exists()
    assert box.calls == ["youzan.trade.get", "auth/token", "youzan.trade.get"]  # was a refusal: no refresh, no order
    conn.refresh_from_db()
    assert not conn.needs_reauth


@pytest.mark.django_db(transaction=True)
def test_youzan_40010_that_persists_after_the_refresh_is_not_looped(shop, yz_expiring):
    from shouhou.platforms import orders as order_sync

    box = yz_expiring
    box.add_order(tid="E20261207100000000000002", lines=[{"oid": "1002", "title": "围巾", "payment": "59.00"}])
    conn = services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=box.client_id,
                                       app_secret=box.client_secret, platform_shop_id=box.kdt_id, api_base=box.url,
                                       backfill=False)
    box.always = True
    box.calls.clear()
    with pytest.raises(PlatformError) as refused:
        order_sync.order_fetch(conn, "E20261207100000000000002")
    assert refused.value.kind == "token_expired" and "40010" in refused.value.message  # retried later, with back-off
    assert box.calls == ["youzan.trade.get", "auth/token", "youzan.trade.get"]  # one refresh, one repeat, then stop


# --- 微信小店: a list that says "more" without a key to it ---------------------------------------------------------

class KeylessMoreSandbox:
    """A 微信小店 sandbox whose lists say has_more with no next_key (or the key just sent) on the window's last page."""

    @staticmethod
    def make(repeat_key: bool):
        from shouhou.platforms.sandbox.wechat_shop import WechatShopSandbox

        class Box(WechatShopSandbox):
            def _list(self, body: dict) -> tuple[int, dict]:
                status, answer = super()._list(body)
                if not answer.get("has_more"):
                    answer = {**answer, "has_more": True, "next_key": str(body.get("next_key") or "") if repeat_key
                              else ""}
                return status, answer

        return Box()


@pytest.mark.parametrize("repeat_key", [False, True])
def test_wechat_a_more_without_a_new_key_ends_the_window_instead_of_rereading_it(repeat_key):
    import time

    from shouhou.platforms.adapters.wechat_shop import WechatShopAdapter

    box = KeylessMoreSandbox.make(repeat_key).start()
    try:
        for n in range(3):
            box.add_aftersale(order_id=f"37000000000000{n}", push=False)
        adapter = WechatShopAdapter(app_key=box.app_id, app_secret=box.app_secret, api_base=box.url)
        token = adapter.create_token().access_token
        items, calls = _walk(lambda c: adapter.fetch_aftersales(token, c), int(time.time()) - 600)
        assert sorted({a.aftersale_id for a in items}) == sorted(box.aftersales)
        assert calls == 2  # two pages of two; was the first page again and again, the cursor never moving on
    finally:
        box.stop()


# --- two workers, one connection: the refresh token rotates ------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_kuaishou_a_second_worker_with_the_old_row_takes_the_renewed_token_not_reauthorisation(ks, ks_conn):
    """快手 rotates the refresh token (the old one is refused once used: refreshToken.discarded). Two workers (the outbox,
    the push task) each hold the connection as they read it; when the token expires both are refused. The first renews;
    the second renewed again with the spent refresh token, was refused, and marked the connection 需重新授权 while a valid
    token was stored."""
    from shouhou.platforms.models import PlatformConnection

    refund = ks.add_refund(order_id=ORDER_ID, handling_way=10, push=False)
    first, second = (PlatformConnection.objects.get(pk=ks_conn.pk) for _ in range(2))
    ks.expire_access_token()
    read = lambda a, token: a.fetch_aftersale(token, refund.refund_id)  # noqa: E731
    assert services._call(first, read).aftersale_id == refund.refund_id
    assert services._call(second, read).aftersale_id == refund.refund_id  # was: refused, 需重新授权
    ks_conn.refresh_from_db()
    assert not ks_conn.needs_reauth
    assert ks.calls.count("oauth2/refresh_token") == 1  # renewed once, by the first worker


@pytest.mark.django_db(transaction=True)
def test_kuaishou_a_refresh_refused_with_nothing_renewed_meanwhile_still_asks_for_reauthorisation(ks, ks_conn):
    from shouhou.platforms.models import PlatformConnection

    ks.expire_access_token()
    ks.refresh_token = "ks-rt-revoked"  # the merchant revoked the app: the stored refresh token is refused
    with pytest.raises(PlatformError) as refused:
        services._call(PlatformConnection.objects.get(pk=ks_conn.pk), lambda a, token: a.addresses(token))
    assert refused.value.kind == "token_expired"
    ks_conn.refresh_from_db()
    assert ks_conn.needs_reauth


# --- out of order: an older view after a newer one ---------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_kuaishou_an_older_view_or_a_late_push_after_the_refund_never_takes_the_case_back(client, ks, ks_conn, order_line,
                                                                                          claim_clock, agent):
    from shouhou.platforms.models import PlatformEvent

    refund = ks.add_refund(order_id=ORDER_ID, handling_way=10, refund_fee=4990, push=False)
    services.connection_sync(ks_conn)
    adapter = _ks_adapter(ks)
    waiting = adapter.fetch_aftersale(ks.access_token, refund.refund_id)  # the view a slow reconciliation holds
    late_push = ks.envelope("kwaishop_aftersales_addRefund", ks.refunds[refund.refund_id])
    case = Case.objects.get()
    case_services.case_approve(case=case, actor=agent)
    case.refresh_from_db()
    assert case.status == "resolved" and case.platform_link.status == "60"
    assert services.aftersale_apply(ks_conn, waiting) == "updated"  # the older view (updateTime before) changes nothing
    assert _ks_post(client, ks, late_push).json() == {"result": 1}  # the 申请 message delivered late
    assert PlatformEvent.objects.get().status == "applied"
    case.refresh_from_db()
    assert case.status == "resolved" and (case.platform_link.status, case.platform_link.status_text) == ("60", "退款成功")
    assert [path for path, _ in ks.operations] == ["open/seller/order/refund/approve"]  # approved once
    assert not case.events.filter(note__contains="无法从").exists()


# --- 抖店: times written as text --------------------------------------------------------------------------------

@pytest.mark.parametrize("update_time, deadline", [
    ("1762394460", "1762567200"),  # numbers in strings
    ("2025-11-06T10:01:00+08:00", "2025-11-08T10:00:00+08:00"),  # ISO 8601, as 抖店's after-sale messages write times
])
def test_doudian_detail_times_as_text_are_read_not_a_failure(update_time, deadline):
    import copy

    from shouhou.platforms.adapters.doudian import DoudianAdapter
    from shouhou.platforms.tests.test_doudian_detail_shape import FULL_DETAIL, FullShapeSandbox

    detail = copy.deepcopy(FULL_DETAIL)
    detail["process_info"]["after_sale_info"].update(update_time=update_time, status_deadline=deadline)

    class Box(FullShapeSandbox):
        def _detail(self, params: dict) -> tuple[int, dict]:
            return self._ok(detail)

    box = Box().start()
    try:
        adapter = DoudianAdapter(app_key=box.app_key, app_secret=box.app_secret, api_base=box.url)
        got = adapter.fetch_aftersale(box.access_token, "7300000000000777")  # the ISO text raised ValueError
    finally:
        box.stop()
    assert got.updated == 1762394460
    assert got.deadline == dt.datetime.fromtimestamp(1762567200, dt.UTC)
