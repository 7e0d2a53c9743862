"""有赞 through its sandbox, real HTTP both ways: signed pushes (Event-Sign header, body sign), the token flows of
自用型 and 工具型 apps, the refund APIs, and the loop push → case → decision → action → synced → resolved."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import httpx
import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.platforms import services
from shouhou.platforms.adapters.base import Action, PlatformError, PushRefused
from shouhou.platforms.adapters.youzan import (
    YouzanAdapter,
    decode_msg,
    encode_msg,
    push_sign,
    return_address,
    token_expiry,
)
from shouhou.platforms.crypto import unseal
from shouhou.platforms.models import OutboundAction, PlatformAftersale, PlatformConnection, PlatformEvent
from shouhou.platforms.sandbox.youzan import YouzanSandbox
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/platforms/youzan/push/"
ADDRESS = "王仓管|13800000000|浙江省杭州市西湖区文三路 1 号"


@pytest.fixture
def yz():
    box = YouzanSandbox().start()
    yield box
    box.stop()


@pytest.fixture
def yz_connect(shop, yz):
    def _connect(**kwargs):
        params = {"platform_shop_id": yz.kdt_id, "backfill": False, **kwargs}
        return services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=yz.client_id,
                                           app_secret=yz.client_secret, api_base=yz.url, **params)

    return _connect


def _post(client, raw: bytes, headers: dict):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post(URL, data=raw, content_type="application/json", **extra)


def test_formulas_msg_encoding_expiry_and_address():
    assert push_sign("cid", "sec", b'{"a":1}') == hashlib.md5(b'cid{"a":1}sec').hexdigest()
    msg = {"refund_id": "2026", "update_time": "2026-11-06 10:00:00", "refund_reason_desc": "其他"}
    encoded = encode_msg(msg)
    assert "+" in encoded and " " not in encoded and "%E5%85%B6" in encoded  # space → "+", UTF-8 escaped
    assert decode_msg(encoded) == msg and decode_msg({"refund_id": "1"}) == {"refund_id": "1"}  # newer: an object
    assert decode_msg("%7Bnot json") == {"unparsed": "%7Bnot json"}
    instant = dt.datetime(2026, 11, 13, 2, 0, tzinfo=dt.UTC)
    assert token_expiry(int(instant.timestamp() * 1000)) == instant  # the documented milliseconds
    assert token_expiry(int(instant.timestamp())) == instant
    assert return_address(ADDRESS) == {"name": "王仓管", "mobile": "13800000000", "address": "浙江省杭州市西湖区文三路 1 号"}
    assert return_address("5566") is None and return_address("a||c") is None


def test_pushes_not_signed_by_our_app_are_refused_and_nothing_is_stored(client, yz_connect, yz, order_line, claim_clock):
    yz_connect()
    refund = yz.add_refund(tid=ORDER_ID, push=False)
    body = yz.message("trade_refund_BuyerCreated", refund)
    raw, headers = yz.signed(body, client_secret="someone-else")
    response = _post(client, raw, headers)
    assert response.status_code == 401 and "success" not in response.content.decode()  # 有赞 retries, we log it
    forged = dict(yz.message("trade_refund_BuyerCreated", refund, client_secret="someone-else"))
    assert _post(client, json.dumps(forged).encode(), {}).status_code == 401  # no header, wrong body sign
    tampered, headers = yz.signed(body)
    assert _post(client, tampered.replace(b"WAIT_SELLER_AGREE", b"SUCCESS"), headers).status_code == 401
    assert _post(client, b"not json", {"Event-Sign": "x"}).status_code == 401
    other_app = {**body, "client_id": "another-client"}
    raw, headers = yz.signed(other_app)
    assert _post(client, raw, {**headers, "Client-Id": "another-client"}).status_code == 401
    raw, headers = yz.signed(yz.message("trade_refund_BuyerCreated", refund, test=True))
    response = _post(client, raw, headers)  # the console's test push: answered, not stored
    assert response.status_code == 200 and response.json() == {"code": 0, "msg": "success"}
    assert PlatformEvent.objects.count() == 0 and Case.objects.count() == 0


def test_loop_push_to_resolved(yz, yz_connect, live_server, order_line, claim_clock, agent):
    """A return: pushed twice (有赞 redelivers), the automatic approval goes back as 同意退货 with the shop's
    address and the request's version, the buyer ships (pushed), the warehouse confirms receipt, 同意退款
    releases the refund, the case resolves."""
    yz.push_url = f"{live_server.url}{URL}"
    conn = yz_connect()
    services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=0,
                                 return_address_id=ADDRESS)
    refund = yz.add_refund(tid=ORDER_ID, oid=SKU_ORDER_ID, demand=2, refund_fee="199.00", reason=104, push=False)
    version = refund.version
    raw, headers = yz.signed(yz.message("trade_refund_BuyerCreated", refund))
    for _ in range(2):
        answer = httpx.post(yz.push_url, content=raw, headers=headers, timeout=30)
        assert answer.status_code == 200 and answer.json() == {"code": 0, "msg": "success"}
    assert PlatformEvent.objects.count() == 1
    case = Case.objects.get(platform_link__aftersale_id=refund.refund_id)
    assert case.kind == "return_refund" and case.channel == "youzan" and case.auto_approved
    link = case.platform_link
    assert (link.order_id, link.sub_order_id, link.refund_amount) == (ORDER_ID, SKU_ORDER_ID, 199)
    assert [(name, params["refund_id"], params["version"], params["name"], params["mobile"])
            for name, _, params in yz.operations] == [
        ("youzan.trade.returngoods.agree", refund.refund_id, version, "王仓管", "13800000000")]
    case.refresh_from_db()
    assert case.status == "awaiting_return" and case.platform_link.status == "WAIT_BUYER_RETURN_GOODS"
    yz.buyer_returns(refund.refund_id)  # pushed as trade_refund_RefundBuyerReturnGoods
    returned_version = yz.refunds[refund.refund_id].version
    case.refresh_from_db()
    assert case.status == "in_transit_back"
    case_services.case_mark_received(case=case, actor=agent)
    assert [op[0] for op in yz.operations] == ["youzan.trade.returngoods.agree", "youzan.trade.refund.agree"]
    assert yz.operations[-1][2]["version"] == returned_version  # the version the platform last showed
    case.refresh_from_db()
    assert case.status == "resolved" and case.platform_link.status == "SUCCESS"
    assert OutboundAction.objects.filter(status="done").count() == 2
    assert PlatformConnection.objects.get().last_push_at is not None


def test_body_signed_push_and_unknown_types_are_acknowledged(client, yz_connect, yz, order_line, claim_clock):
    yz_connect()
    refund = yz.add_refund(tid=ORDER_ID, refund_fee="50.00", push=False)
    body = yz.message("trade_refund_BuyerCreated", refund)
    response = _post(client, json.dumps(body).encode(), {})  # no Event-Sign header: the body's sign is checked
    assert response.json() == {"code": 0, "msg": "success"}
    case = Case.objects.get(platform_link__aftersale_id=refund.refund_id)
    assert case.kind == "refund_only" and case.status in ("requested", "approved", "resolved")
    for kind in ("item_SkuUpdate", "trade_refund_SysRefund"):  # trade_Trade* are order messages (order sync)
        raw, headers = yz.signed({**yz.message(kind, refund), "msg_id": f"m-{kind}"})
        assert _post(client, raw, headers).json() == {"code": 0, "msg": "success"}
    assert set(PlatformEvent.objects.filter(status="ignored").values_list("tag", flat=True)) == {
        "item_SkuUpdate", "trade_refund_SysRefund"}
    assert Case.objects.count() == 1


def test_newer_refund_messages_carry_msg_as_an_object(yz):
    """youzan_trade_Refund*: `msg` is an object, so only the Event-Sign header can sign it."""
    adapter = YouzanAdapter(app_key=yz.client_id, app_secret=yz.client_secret)
    body = {"client_id": yz.client_id, "kdt_id": 91000001, "type": "youzan_trade_RefundCreated", "id": "E1",
            "msg": {"refund_id": "R1", "tid": "E1", "version": 7, "refund_type": "REFUND_ONLY", "refunded_fee": "9.90"},
            "msg_id": "m-1", "test": False, "mode": 1}
    raw = json.dumps(body).encode()
    adapter.verify_push({"event-sign": push_sign(yz.client_id, yz.client_secret, raw)}, raw)
    [message] = adapter.parse_push(raw)
    assert (message.message_id, message.aftersale_id, message.order_id, message.platform_shop_id, message.known) == (
        "m-1", "R1", "E1", "91000001", True)
    with pytest.raises(PushRefused):  # without the header there is nothing that signs an object msg
        adapter.verify_push({}, raw)


def test_agent_rejection_goes_back_with_the_reason(yz, yz_connect, order_line, claim_clock, agent):
    conn = yz_connect()
    refund = yz.add_refund(tid=ORDER_ID, refund_fee="50.00", reason=17, desc="不想要了", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    assert case.platform_link.status_text == "仅退款 · 买家已申请退款，等待卖家同意"
    assert "其他：不想要了" in case.description
    case_services.case_reject(case=case, actor=agent, reason="商品已使用，不支持无理由")
    name, refund_id, params = yz.operations[-1]
    assert (name, refund_id, params["remark"]) == ("youzan.trade.refund.refuse", refund.refund_id, "商品已使用，不支持无理由")
    assert PlatformAftersale.objects.get().status == "SELLER_REFUSE_BUYER"  # 3.0.0's older envelope read too


def test_already_handled_is_a_clear_refusal_and_resyncs(yz, yz_connect, order_line, claim_clock, agent):
    conn = yz_connect()
    refund = yz.add_refund(tid=ORDER_ID, refund_fee="50.00", reason=17, push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    yz.refunds[refund.refund_id].status = "CLOSED"  # the buyer withdrew meanwhile, no push yet
    case_services.case_reject(case=case, actor=agent, reason="已超过售后期")
    action = OutboundAction.objects.get()
    assert action.status == "refused" and yz.operations == []
    note = case.events.filter(kind="platform", note__contains="平台拒绝").get().note
    assert "操作过期" in note and "已重新同步" in note
    assert PlatformAftersale.objects.get().status == "CLOSED"


def test_backfill_reconciliation_token_refresh_and_outage(yz, yz_connect, order_line, claim_clock, agent):
    found = yz.add_refund(tid=ORDER_ID, refund_fee="50.00", reason=17, push=False)
    yz.add_refund(tid="E20261101000000000001", push=False)  # an order shouhou does not have yet: kept
    conn = yz_connect(backfill=True)  # 30 days, a day per search window
    assert Case.objects.filter(platform_link__aftersale_id=found.refund_id).count() == 1
    assert conn.aftersales.count() == 2 and yz.calls.count("youzan.trade.refund.search") >= 30
    conn.refresh_from_db()
    assert conn.last_sync_at is not None and conn.sync_cursor["page"] == 1
    # pushes that never arrived (the buyer withdrew, then asked again): the next reconciliation (from the
    # cursor, minus an overlap) finds both
    claim_clock.shift(dt.timedelta(minutes=15))
    with yz.lock:
        yz._move(yz.refunds[found.refund_id], "CLOSED")
    lost = yz.add_refund(tid=ORDER_ID, refund_fee="50.00", reason=17, push=False)
    assert services.connection_sync(conn) == 3  # those two, and the one waiting for its order (in the overlap)
    assert Case.objects.get(platform_link__aftersale_id=found.refund_id).status == "cancelled"
    case = Case.objects.get(platform_link__aftersale_id=lost.refund_id)
    # the token is no longer valid: refreshed (自用型: with the refresh token silent gave) and the call repeated
    yz.expire_access_token()
    yz.calls.clear()
    assert services.aftersale_refresh(case.platform_link)
    assert yz.calls == ["youzan.trade.refund.get", "auth/token", "youzan.trade.refund.get"]
    assert unseal(PlatformConnection.objects.get().secrets)["access_token"] == yz.access_token
    # an outage: the approval waits in the outbox and goes out once after recovery
    yz.outage = True
    case_services.case_approve(case=case, actor=agent)
    assert OutboundAction.objects.get().status == "pending" and yz.operations == []
    yz.outage = False
    claim_clock.shift(dt.timedelta(seconds=31))
    assert services.outbox_send_due()["done"] == 1
    assert services.outbox_send_due()["done"] == 0
    assert [op[0] for op in yz.operations] == ["youzan.trade.refund.agree"]
    case.refresh_from_db()
    assert case.status == "resolved" and case.platform_link.status == "SUCCESS"


def test_rate_limit_waits_and_retries(yz, yz_connect, order_line, claim_clock, agent):
    conn = yz_connect()
    yz.add_refund(tid=ORDER_ID, refund_fee="50.00", reason=17, push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    yz.fail_next("youzan.trade.refund.agree", "rate_limit")
    case_services.case_approve(case=case, actor=agent)
    action = OutboundAction.objects.get()
    assert action.status == "pending" and "请求太频繁" in action.last_error and action.next_attempt_at is not None
    claim_clock.shift(dt.timedelta(seconds=31))
    assert services.outbox_send_due()["done"] == 1
    assert len(yz.operations) == 1


def test_tool_app_code_and_refresh_token_and_reauthorisation(shop, yz, yz_connect, order_line, claim_clock):
    conn = yz_connect(platform_shop_id="", code="sandbox-code")  # 工具型: the shop comes from authority_id
    assert conn.platform_shop_id == yz.kdt_id
    first_refresh = unseal(conn.secrets)["refresh_token"]
    assert first_refresh == yz.refresh_token
    yz.expire_access_token()
    yz.add_refund(tid=ORDER_ID, push=False)
    assert services.connection_sync(conn) == 1
    stored = unseal(PlatformConnection.objects.get().secrets)
    assert stored["refresh_token"] == yz.refresh_token != first_refresh  # the new refresh token is kept
    # the merchant's order of the app ran out: the token cannot be refreshed, nothing is lost
    yz.refuse_refresh = True
    yz.expire_access_token()
    conn.refresh_from_db()
    assert services.connection_sync(conn) == 0
    conn.refresh_from_db()
    assert conn.needs_reauth and "重新授权" in conn.last_error
    assert PlatformAftersale.objects.count() == 1  # what was synced stays


def test_wrong_credentials_fail_the_connection_clearly(shop, yz):
    with pytest.raises(services.ConnectionError_, match="授权关系不存在"):
        services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=yz.client_id,
                                    app_secret=yz.client_secret, platform_shop_id="123", api_base=yz.url,
                                    backfill=False)
    assert PlatformConnection.objects.count() == 0


def test_exchange_and_missing_address_are_refused_locally_with_the_manual_path(yz):
    adapter = YouzanAdapter(app_key=yz.client_id, app_secret=yz.client_secret, api_base=yz.url)
    for action, words in ((Action(kind="approve", aftersale_id="1", platform_type="3"), "换货"),
                          (Action(kind="approve", aftersale_id="1", platform_type="2", return_address_id="5566"),
                           "收货人|手机号|地址")):
        with pytest.raises(PlatformError) as caught:
            adapter.act("token", action)
        assert caught.value.kind == "refused" and words in caught.value.message
    assert yz.calls == []


def test_connect_through_the_page(client, shop_admin, yz, claim_clock):
    client.force_login(shop_admin)
    page = client.get("/platforms/").content.decode()
    assert "/platforms/youzan/push/" in page and 'id="youzan-hint"' in page
    response = client.post("/platforms/", {"platform": "youzan", "app_key": yz.client_id,
                                           "app_secret": yz.client_secret, "platform_shop_id": yz.kdt_id,
                                           "api_base": yz.url})
    conn = PlatformConnection.objects.get(platform="youzan")
    assert response.status_code == 302 and response["Location"] == f"/platforms/{conn.pk}/"
    assert yz.client_secret not in conn.secrets and conn.token_expires_at is not None
    # 自用型: silent with refresh=true gives a refresh token too; the kdt_id is kept beside it (silent is the way back)
    assert unseal(conn.secrets)["refresh_token"] == f"silent:{yz.kdt_id}:{yz.refresh_token}"


def test_sandbox_command_connects_and_files_a_return(live_server, shop, order_line, claim_clock):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("platforms", "sandbox", "--platform", "youzan", "--port", "0",
                 "--push-url", f"{live_server.url}/platforms/youzan/push/", "--connect", "--auto-push", "--request",
                 "--seconds", "0.2", stdout=out)
    text = out.getvalue()
    assert "有赞沙箱" in text and '{"code": 0, "msg": "success"}' in text.replace('"code":0', '"code": 0')
    case = Case.objects.get(channel="youzan")
    assert case.order_line == order_line and case.kind == "return_refund" and case.auto_approved
    action = OutboundAction.objects.get()
    assert action.status == "done" and action.aftersale.status == "WAIT_BUYER_RETURN_GOODS"


def test_rejecting_after_the_buyer_shipped_is_returngoods_refuse(yz):
    """Once the goods are on their way back (WAIT_SELLER_CONFIRM_GOODS), 拒绝 is 拒绝退货 (未收到货)."""
    adapter = YouzanAdapter(app_key=yz.client_id, app_secret=yz.client_secret, api_base=yz.url)
    token = adapter.create_token(shop_id=yz.kdt_id).access_token
    refund = yz.add_refund(tid=ORDER_ID, demand=2, push=False)
    with yz.lock:
        yz._move(refund, "WAIT_SELLER_CONFIRM_GOODS")
    current = adapter.fetch_aftersale(token, refund.refund_id)
    assert current.case_status == "in_transit_back" and current.kind == "return_refund"
    adapter.act(token, Action(kind="reject", aftersale_id=refund.refund_id, platform_type=current.platform_type,
                              updated=current.updated, reason="包裹未收到", platform_status=current.platform_status))
    assert yz.operations[-1][0] == "youzan.trade.returngoods.refuse"
    assert adapter.fetch_aftersale(token, refund.refund_id).platform_status == "SELLER_REFUSE_BUYER_RETURN_GOODS"
    with pytest.raises(PlatformError) as stale:  # the same version again: refused, never applied twice
        adapter.act(token, Action(kind="reject", aftersale_id=refund.refund_id, platform_type="2",
                                  updated=current.updated, reason="包裹未收到",
                                  platform_status="WAIT_SELLER_CONFIRM_GOODS"))
    assert stale.value.kind == "already_handled" and "103010039" in stale.value.message


def test_token_is_renewed_before_it_expires(yz, yz_connect, order_line, claim_clock):
    conn = yz_connect()
    yz.add_refund(tid=ORDER_ID, push=False)
    services.connection_sync(conn)
    link = PlatformAftersale.objects.get()
    old_token = yz.access_token
    claim_clock.move_to(conn.token_expires_at - dt.timedelta(hours=1))  # inside the 12-hour margin
    yz.calls.clear()
    assert services.tokens_refresh_due() == 1
    assert yz.calls == ["auth/token"] and yz.access_token != old_token
    conn.refresh_from_db()
    assert conn.token_expires_at - dt.datetime.now(dt.UTC) > dt.timedelta(days=6)  # a fresh 7-day token
    assert services.aftersale_refresh(link) and yz.calls[-1] == "youzan.trade.refund.get"


def test_a_refund_the_merchant_made_opens_no_case_whatever_its_message(client, yz_connect, yz, order_line,
                                                                       claim_clock):
    # given a refund the shop itself made on 有赞 (refund_type SELLER_REFUND), announced by a refund message of the
    # published trade_refund_* family — e.g. the buyer-side name, or trade_refund_RefundSellerCreated
    yz_connect()
    refund = yz.add_refund(tid=ORDER_ID, refund_fee="50.00", push=False)
    refund.refund_type = "SELLER_REFUND"
    for n, kind in enumerate(("trade_refund_BuyerCreated", "trade_refund_RefundSellerCreated")):
        raw, headers = yz.signed({**yz.message(kind, refund), "msg_id": f"seller-{n}"})
        assert _post(client, raw, headers).json() == {"code": 0, "msg": "success"}
    # then nothing asks the shop to decide: no case (the buyer's own request opens one, test above)
    assert Case.objects.count() == 0
    assert not PlatformEvent.objects.filter(status="failed").exists()
