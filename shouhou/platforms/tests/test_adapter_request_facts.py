"""What the adapters read from a platform request (QA rounds wxc_youzan and douyin_ks,
2026-12-08): the buyer's application time (抖店 apply_time, 快手 submitTime / createTime), 快手's published status 12,
a whole-order 抖店 request (店铺单) naming several lines, 抖店 types 4 / 5, 有赞's TRADE_ORDER_REFUND and
TRADE_ORDER_STATE pushes, and both keys of 微信小店's rejectreason/get (whose shop a push is: test_push_shop_scope.py).
Pushes go through the real push URLs (test client), the platforms are the sandboxes on a local port."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.cases.models import Case, CaseEvent
from shouhou.commerce.choices import OrderStatus
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory
from shouhou.platforms import services
from shouhou.platforms.adapters.base import Action, PlatformError
from shouhou.platforms.adapters.doudian import DoudianAdapter, push_sign
from shouhou.platforms.adapters.kuaishou import KuaishouAdapter
from shouhou.platforms.adapters.wechat_shop import WechatShopAdapter
from shouhou.platforms.adapters.youzan import encode_msg
from shouhou.platforms.adapters.youzan import push_sign as youzan_sign
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.sandbox.kuaishou import KuaishouSandbox
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID
from shouhou.platforms.tests.test_youzan_sdk_examples import REFUND
from shouhou.platforms.tests.test_youzan_sdk_examples import ExampleSandbox as YouzanExampleSandbox

pytestmark = pytest.mark.django_db(transaction=True)
SH = dt.timezone(dt.timedelta(hours=8))
SIGNED = dt.datetime(2026, 11, 4, 15, 0, tzinfo=SH)  # the factory order's sign-off
DAY5 = dt.datetime(2026, 11, 9, 12, 0, tzinfo=SH)


def _doudian_push(client, conn, secret: str, messages: list[dict]):
    body = json.dumps(messages, ensure_ascii=False).encode()
    return client.post("/platforms/doudian/push/", data=body, content_type="application/json",
                       headers={"app-id": conn.app_key, "event-sign": push_sign(conn.app_key, secret, body)})


def _doudian_adapter(sandbox) -> DoudianAdapter:
    return DoudianAdapter(app_key=sandbox.app_key, app_secret=sandbox.app_secret, api_base=sandbox.url)


class KsBox(KuaishouSandbox):
    """The 快手 sandbox with a refund's detail overlaid (`overlay[refund_id]`)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.overlay: dict[str, dict] = {}

    def _row(self, r) -> dict:
        return {**super()._row(r), **self.overlay.get(r.refund_id, {})}


@pytest.fixture
def ks_box():
    box = KsBox().start()
    yield box
    box.stop()


def _ks_adapter(box) -> KuaishouAdapter:
    return KuaishouAdapter(app_key=box.app_key, app_secret=box.app_secret, sign_secret=box.sign_secret,
                           api_base=box.url)


# --- the buyer's application time -----------------------------------------------------------------------------------

def test_doudian_apply_time_is_when_the_buyer_asked_in_the_detail_and_the_list(sandbox, connect, order_line):
    connect()
    r = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=0, push=False)
    r.apply_time = int(DAY5.timestamp())
    adapter = _doudian_adapter(sandbox)
    detail = adapter.fetch_aftersale(sandbox.access_token, r.aftersale_id)
    assert detail.applied_at == DAY5 and detail.applied_at.utcoffset() == dt.timedelta(hours=8)
    listed = adapter.fetch_aftersales(sandbox.access_token, {"update_start_time": 0, "page": 0}).items
    assert [a.applied_at for a in listed if a.aftersale_id == r.aftersale_id] == [DAY5]


def test_doudian_no_reason_return_asked_on_day_5_and_read_on_day_10_is_judged_as_of_day_5(client, sandbox, connect,
                                                                                          order_line):
    """The order reached shouhou late (or the shop connected later): the push is applied on day 10, the buyer asked
    on day 5 of the seven. Until 2026-12-08 the 抖店 request had no applied_at and was refused as out of time."""
    conn = connect()
    r = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=0, push=False)
    r.apply_time = int(DAY5.timestamp())
    with time_machine.travel(SIGNED + dt.timedelta(days=10), tick=True):
        assert _doudian_push(client, conn, sandbox.app_secret, [sandbox.message("200", r)]).status_code == 200
    case = Case.objects.get(platform_link__aftersale_id=r.aftersale_id)
    # 签收次日起第5天, inside the seven: a return is allowed (read as of day 10 it was refused, allowed [])
    assert case.decision["day"] == 5 and "return_refund" in case.decision["allowed"], case.decision


def test_kuaishou_submit_time_else_create_time_is_when_the_buyer_asked(ks_box):
    r = ks_box.add_refund(order_id=ORDER_ID, handling_way=10, refund_fee=100, push=False)
    submitted, created = DAY5, DAY5 - dt.timedelta(minutes=3)
    ks_box.overlay[r.refund_id] = {"submitTime": int(submitted.timestamp() * 1000),
                                   "createTime": int(created.timestamp() * 1000)}
    got = _ks_adapter(ks_box).fetch_aftersale(ks_box.access_token, r.refund_id)
    assert got.applied_at == submitted and got.applied_at.utcoffset() == dt.timedelta(hours=8)
    for unset in (None, 0, "0"):  # no submit time written: the request's creation
        ks_box.overlay[r.refund_id] = {"submitTime": unset, "createTime": int(created.timestamp() * 1000)}
        assert _ks_adapter(ks_box).fetch_aftersale(ks_box.access_token, r.refund_id).applied_at == created


# --- 快手 status 12 -------------------------------------------------------------------------------------------------

def test_kuaishou_status_12_is_the_published_seller_refused_state(ks_box):
    """open.seller.order.refund.pcursor.list's status enum (ks_shop_api schema; a public Go SDK's AfterSalesStatus12):
    [12 卖家已拒绝，等待买家处理]. Until 2026-12-08 it was "未知状态 12" and the refused request stayed open."""
    r = ks_box.add_refund(order_id=ORDER_ID, handling_way=10, refund_fee=100, push=False)
    ks_box.overlay[r.refund_id] = {"status": 12}
    got = _ks_adapter(ks_box).fetch_aftersale(ks_box.access_token, r.refund_id)
    assert (got.platform_status, got.case_status, got.status_text) == ("12", "rejected", "卖家已拒绝，等待买家处理")


# --- 有赞 TRADE_ORDER_REFUND / TRADE_ORDER_STATE ----------------------------------------------------------------------

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
    return OrderLineFactory(order=order, line_key=REFUND["oid"], price_paid=Decimal("199.00"))


def _youzan_push(client, box, *, kind: str, msg: dict, kdt_id: str | None = None, **fields):
    """The 有赞云 envelope (guide 3401/3448 as hesi726/youzan_CSharp's PushMessageRequest has it): msg URL-encoded,
    sign = md5(client_id + msg + client_secret)."""
    encoded = encode_msg(msg)
    body = {"client_id": box.client_id, "kdt_id": int(kdt_id or box.kdt_id), "mode": 1, "id": msg.get("tid", ""),
            "type": kind, "msg": encoded, "sign": youzan_sign(box.client_id, box.client_secret, encoded.encode()),
            "version": 1530687971, "test": False, "send_count": 0, **fields}
    return client.post("/platforms/youzan/push/", data=json.dumps(body), content_type="application/json")


def _trade_order_refund_msg(state: str = "SAFE_NEW") -> dict:
    # PushMessage_TradeOrderRefund's fields: oid a number, refunded_fee yuan
    return {"tid": REFUND["tid"], "oid": int(REFUND["oid"]), "refund_id": REFUND["refund_id"], "refund_state": state,
            "update_time": "2018-07-04 15:06:11", "refunded_fee": 2.00, "refund_type": "REFUND_ONLY",
            "refund_reason": "RETURNSNOT_BUYWRONG"}


def test_youzan_trade_order_refund_push_reads_the_request_and_opens_its_case(client, yz_box, yz_conn, yz_line,
                                                                            claim_clock):
    """Until 2026-12-08 TRADE_ORDER_REFUND was answered and stored as ignored: the request waited for the 15-minute
    reconciliation."""
    yz_box.refund = {**REFUND, "status": "WAIT_SELLER_AGREE"}
    response = _youzan_push(client, yz_box, kind="TRADE_ORDER_REFUND", msg=_trade_order_refund_msg(),
                            status="SAFE_NEW")
    assert response.json() == {"code": 0, "msg": "success"}
    event = PlatformEvent.objects.get()
    assert (event.tag, event.aftersale_id, event.order_id, event.status) == (
        "TRADE_ORDER_REFUND", REFUND["refund_id"], REFUND["tid"], "applied")
    assert ("youzan.trade.refund.get", {"refund_id": REFUND["refund_id"]}) in yz_box.asked
    case = Case.objects.get()
    assert case.order_line == yz_line and case.platform_link.status == "WAIT_SELLER_AGREE"


def test_youzan_trade_order_state_push_names_its_order():
    from shouhou.platforms.adapters.youzan import ORDER_EVENTS, YouzanAdapter

    adapter = YouzanAdapter(app_key="cid", app_secret="sec")
    msg = encode_msg({"tid": "E20180701125857069300003", "status": "WAIT_SELLER_SEND_GOODS", "payment": 2.0,
                      "update_time": "2018-07-04 15:06:11"})
    body = json.dumps({"client_id": "cid", "kdt_id": 41042176, "id": "E20180701125857069300003", "mode": 1,
                       "type": "TRADE_ORDER_STATE", "status": "WAIT_SELLER_SEND_GOODS", "msg": msg,
                       "sign": youzan_sign("cid", "sec", msg.encode()), "version": 1}).encode()
    adapter.verify_push({}, body)
    [message] = adapter.parse_push(body)
    assert message.known and message.tag in ORDER_EVENTS
    assert (message.order_id, message.aftersale_id, message.platform_shop_id) == (
        "E20180701125857069300003", "", "41042176")


# --- 微信小店 rejectreason/get ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["reason_list", "reject_reason_list"])
def test_wechat_reject_reasons_are_read_under_either_published_key(monkeypatch, key):
    """SKIT and the Mud DTO read reason_list, WxJava's AfterSaleRejectReasonResponse reject_reason_list."""
    adapter = WechatShopAdapter(app_key="wx1", app_secret="s")
    reasons = {"errcode": 0, "errmsg": "ok", key: [
        {"reject_reason_type": 1, "reject_reason_type_text": "商品已发货", "reject_reason": "请上传物流凭证",
         "reject_scene": 1},
        {"reject_reason_type": 20, "reject_reason_type_text": "买家寄回商品影响二次销售", "reject_scene": 4}]}
    order = {"errcode": 0, "after_sale_order": {"type": "REFUND", "status": "MERCHANT_PROCESSING"}}
    monkeypatch.setattr(adapter, "_post", lambda path, payload, **kw: reasons if "rejectreason" in path else order)
    assert [(r.code, r.text) for r in adapter.reject_reasons("t", "1")] == [(1, "商品已发货")]
    assert [(r["code"], r["scene"]) for r in adapter.reject_reason_list("t")] == [(1, "1"), (20, "4")]
    # the connection's one default of another scene is refused here, under either key
    action = Action(kind="reject", aftersale_id="1", platform_type="REFUND", platform_status="MERCHANT_PROCESSING",
                    reject_reason_code=20)
    with pytest.raises(PlatformError):
        adapter._reject_code("t", action)


# --- 抖店 whole-order requests (店铺单) ----------------------------------------------------------------

def test_doudian_whole_order_request_is_one_case_that_names_every_line_and_the_whole_amount(client, shop, sandbox,
                                                                                           connect, claim_clock):
    """afterSale/Detail's order_info.sku_order_infos is a list; after_sale_order_type 2 (店铺单) names every line of
    the order. The request stays one case (acted on once on the platform), on its first line; the case says which
    lines it covers and the platform's amount for all of them. Until 2026-12-08 the second line went unmentioned."""
    conn = connect()
    order = OrderFactory(shop=shop, order_no="6930000000000001", status=OrderStatus.PAID, shipped_at=None,
                         delivered_at=None)
    first = OrderLineFactory(order=order, line_key="6930000000000002", price_paid=Decimal("89.00"))
    second = OrderLineFactory(order=order, line_key="6930000000000003", price_paid=Decimal("110.00"))
    r = sandbox.add_aftersale(order_id=order.order_no, sku_order_id=first.line_key, aftersale_type=2,
                              refund_amount=19900, reason="不想要了", push=False)
    detail = sandbox._detail

    def whole_order(params):
        code, answer = detail(params)
        answer["data"]["process_info"]["after_sale_info"]["after_sale_order_type"] = 2
        answer["data"]["order_info"]["sku_order_infos"] = [{"sku_order_id": int(first.line_key)},
                                                           {"sku_order_id": int(second.line_key)}]
        return code, answer

    sandbox._detail = whole_order
    got = _doudian_adapter(sandbox).fetch_aftersale(sandbox.access_token, r.aftersale_id)
    assert (got.sub_order_id, got.sub_order_ids) == (first.line_key, [first.line_key, second.line_key])
    _doudian_push(client, conn, sandbox.app_secret, [sandbox.message("200", r)])
    case = Case.objects.get()
    assert case.order_line == first and not Case.objects.filter(order_line=second).exists()
    note = CaseEvent.objects.get(case=case, data__sub_order_ids__isnull=False)
    assert note.data == {"sub_order_ids": [first.line_key, second.line_key], "refund_amount": "199.00"}
    assert first.line_key in note.note and second.line_key in note.note and "¥199.00" in note.note
    assert "2 个商品行" in note.note and not note.visible_to_customer


def test_doudian_one_line_request_gets_no_whole_order_note(client, sandbox, connect, order_line, claim_clock):
    conn = connect()
    r = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)
    assert _doudian_adapter(sandbox).fetch_aftersale(sandbox.access_token, r.aftersale_id).sub_order_ids == []
    _doudian_push(client, conn, sandbox.app_secret, [sandbox.message("200", r)])
    assert not CaseEvent.objects.filter(data__sub_order_ids__isnull=False).exists()


# --- 抖店 after-sale types 4 / 5 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("ptype", ["4", "5"])
def test_doudian_cancellation_types_are_refunds_never_approved_as_refund_only(sandbox, ptype):
    """after_sale_type 4 系统取消 / 5 用户取消 (the SDKs' afterSale/Detail comment): the order was cancelled, its money
    goes back; no operate type is published for them, so 201/202 (仅退款) are never sent (until 2026-12-08 they fell
    into the refund-only family)."""
    adapter = _doudian_adapter(sandbox)
    got = adapter._aftersale(aftersale_id="1", order_id="2", sub_order_id="3", ptype=ptype, pstatus="51",
                             reason_text="", refund=100, deadline=None, updated=1, raw={})
    assert (got.kind, got.case_status, got.resolution) == ("refund_only", "resolved", "refund")
    for kind in ("approve", "reject"):
        with pytest.raises(PlatformError) as refused:
            adapter.act(sandbox.access_token, Action(kind=kind, aftersale_id="1", platform_type=ptype,
                                                     platform_status="6"))
        assert refused.value.kind == "refused" and "抖店后台" in refused.value.message
    assert not [op for op in sandbox.operations if op]
