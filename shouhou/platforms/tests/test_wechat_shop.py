"""微信小店 through its sandbox, real HTTP both ways: the console's URL check, safe-mode pushes (JSON and XML),
the stable token, the after-sale APIs, and the loop push → case → decision → accept → synced → resolved."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import httpx
import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.inbox.channels import crypto as wx_crypto
from shouhou.platforms import services
from shouhou.platforms.models import OutboundAction, PlatformAftersale, PlatformConnection, PlatformEvent
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/platforms/wechat_shop/push/"


@pytest.fixture
def wx_connect(shop, wx):
    def _connect(**kwargs):
        return services.connection_connect(
            shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=wx.app_id, app_secret=wx.app_secret,
            platform_shop_id=wx.username, api_base=wx.url,
            extra_secrets={"sign_secret": wx.push_token, "msg_secret": wx.aes_key}, **{"backfill": False, **kwargs})

    return _connect


def _post(client, params: dict, body: bytes, fmt: str = "json"):
    kind = "application/json" if fmt == "json" else "text/xml"
    return client.post(f"{URL}?{urlencode(params)}", data=body, content_type=kind)


def test_url_check_answers_echostr_only_when_signed_with_the_token(client, wx_connect, wx, claim_clock):
    wx_connect()
    timestamp, nonce = str(int(dt.datetime.now(dt.UTC).timestamp())), "n0nce"
    signed = {"signature": wx_crypto.sha1_signature(wx.push_token, timestamp, nonce), "timestamp": timestamp,
              "nonce": nonce, "echostr": "8391738207"}
    response = client.get(URL, signed)
    assert response.status_code == 200 and response.content == b"8391738207"
    forged = {**signed, "signature": wx_crypto.sha1_signature("another-token", timestamp, nonce)}
    assert client.get(URL, forged).status_code == 403


def test_push_not_ours_refused_and_nothing_stored(client, wx_connect, wx, order_line, claim_clock):
    wx_connect()
    record = wx.add_aftersale(order_id=ORDER_ID, push=False)
    params, body = wx.sealed(wx.message(record), token="not-the-token")
    assert _post(client, params, body).status_code == 403
    params, body = wx.sealed(wx.message(record), aes_key=wx_crypto.new_encoding_aes_key())  # signed, foreign key
    assert _post(client, params, body).status_code == 403
    params, body = wx.sealed(wx.message(record))
    plain = {k: v for k, v in params.items() if k not in ("encrypt_type", "msg_signature")}
    assert _post(client, plain, body).status_code == 403  # plaintext mode is refused: the body is not signed
    stale = {**params, "timestamp": str(int(params["timestamp"]) - 3600)}
    assert _post(client, stale, body).status_code == 403
    assert PlatformEvent.objects.count() == 0 and Case.objects.count() == 0


def test_loop_push_to_resolved(wx, wx_connect, live_server, order_line, claim_clock, agent):
    """JSON format; a return: the automatic approval goes back with the return address, the buyer ships, the
    warehouse confirms receipt, the refund is released on the platform and the case resolves."""
    wx.push_url = f"{live_server.url}{URL}"
    conn = wx_connect()
    services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=0,
                                 return_address_id="5566")
    record = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="RETURN", amount=19900, push=False)
    params, body = wx.sealed(wx.message(record))
    for _ in range(2):  # delivered, then delivered again (WeChat retries when it does not hear "success")
        answer = httpx.post(f"{wx.push_url}?{urlencode(params)}", content=body,
                            headers={"Content-Type": "application/json"}, timeout=30)
        assert answer.status_code == 200 and answer.text == "success"
    assert PlatformEvent.objects.count() == 1
    case = Case.objects.get(platform_link__aftersale_id=record.aftersale_id)
    assert case.kind == "return_refund" and case.channel == "wechat_shop" and case.auto_approved
    assert case.platform_link.order_id == ORDER_ID and case.platform_link.refund_amount == 199
    # accepted once, with the return address; the platform now waits for the buyer, and the case follows
    assert [(name, body["after_sale_order_id"], body.get("address_id")) for name, _, body in wx.operations] == [
        ("acceptapply", record.aftersale_id, "5566")]
    case.refresh_from_db()
    assert case.status == "awaiting_return" and case.platform_link.status == "USER_WAIT_RETURN"
    wx.buyer_returns(record.aftersale_id)  # pushed: 待商家收货
    case.refresh_from_db()
    assert case.status == "in_transit_back"
    case_services.case_mark_received(case=case, actor=agent)
    assert [op[0] for op in wx.operations] == ["acceptapply", "acceptapply"]
    assert "address_id" not in wx.operations[-1][2]
    case.refresh_from_db()
    assert case.status == "resolved" and case.platform_link.status == "MERCHANT_RETURN_SUCCESS"
    assert OutboundAction.objects.filter(status="done").count() == 2
    assert PlatformConnection.objects.get().last_push_at is not None


def test_xml_push_makes_the_case_and_unknown_events_are_acknowledged(wx, wx_connect, live_server, order_line,
                                                                     claim_clock):
    wx.push_url, wx.fmt = f"{live_server.url}{URL}", "xml"
    wx_connect()
    record = wx.add_aftersale(order_id=ORDER_ID, amount=5000)  # pushed in XML
    case = Case.objects.get(platform_link__aftersale_id=record.aftersale_id)
    assert case.kind == "refund_only" and case.status == "requested"
    assert case.deadline_at is not None  # the platform's time left to act became the case's deadline
    other = {"ToUserName": wx.username, "FromUserName": "o_platform_fixed_openid", "CreateTime": 1_790_000_000,
             "MsgType": "event", "Event": "product_spu_listing", "product_info": {"product_id": "1"}}
    answer = wx.push(other)
    assert answer.status_code == 200 and answer.text == "success"
    ignored = PlatformEvent.objects.get(tag="product_spu_listing")
    assert ignored.status == "ignored" and ignored.payload["product_info"] == {"product_id": "1"}


def test_agent_rejection_goes_back_with_reason(wx, wx_connect, order_line, claim_clock, agent):
    conn = wx_connect()
    conn.settings = {"reject_reason_type": 16}  # the shop's default reason code (商品未存在问题)
    conn.save(update_fields=["settings"])
    first = wx.add_aftersale(order_id=ORDER_ID, amount=5000, reason="其他", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    case_services.case_reject(case=case, actor=agent, reason="商品已使用，不支持无理由")
    name, aftersale_id, body = wx.operations[-1]
    assert (name, aftersale_id, body["reject_reason"], body["reject_reason_type"]) == (
        "rejectapply", first.aftersale_id, "商品已使用，不支持无理由", 16)
    assert PlatformAftersale.objects.get().status == "MERCHANT_REJECT_REFUND"


def test_already_handled_is_a_clear_refusal(wx, wx_connect, order_line, claim_clock, agent):
    conn = wx_connect()
    conn.settings = {"reject_reason_type": 16}
    conn.save(update_fields=["settings"])
    record = wx.add_aftersale(order_id=ORDER_ID, amount=5000, reason="其他", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    wx.aftersales[record.aftersale_id].status = "USER_CANCELD"  # the buyer withdrew meanwhile, no push yet
    case_services.case_reject(case=case, actor=agent, reason="已超过售后期")
    action = OutboundAction.objects.get()
    assert action.status == "refused" and wx.operations == []
    note = case.events.filter(kind="platform", note__contains="平台拒绝").get().note
    assert "售后单状态不合法" in note
    assert PlatformAftersale.objects.get().status == "USER_CANCELD"  # re-synced after the refusal


def test_backfill_pages_token_refresh_and_outage(wx, wx_connect, order_line, claim_clock, agent):
    found = wx.add_aftersale(order_id=ORDER_ID, amount=5000, reason="其他", push=False)
    for n in range(2):  # requests on orders shouhou does not have yet: kept, waiting for the order
        wx.add_aftersale(order_id=f"37990000000{n}", push=False)
    conn = wx_connect(backfill=True)  # back-fill reads 30 days, a day at a time, two ids a page
    assert Case.objects.filter(platform_link__aftersale_id=found.aftersale_id).count() == 1
    assert conn.aftersales.count() == 3 and wx.calls.count("channels/ec/aftersale/getaftersaleorder") == 3
    # the platform invalidates the token: the next call is refused, a new token is asked for, the call repeats
    wx.expire_access_token()
    case = Case.objects.get()
    conn.refresh_from_db()
    assert services.aftersale_refresh(case.platform_link)
    assert wx.calls[-3:] == ["channels/ec/aftersale/getaftersaleorder", "cgi-bin/stable_token",
                             "channels/ec/aftersale/getaftersaleorder"]
    # close to expiry (2-hour token, 20-minute margin): refreshed before the call
    conn.refresh_from_db()
    claim_clock.move_to(conn.token_expires_at - dt.timedelta(minutes=10))
    wx.calls.clear()
    assert services.aftersale_refresh(case.platform_link)
    assert wx.calls[:2] == ["cgi-bin/stable_token", "channels/ec/aftersale/getaftersaleorder"]
    # an outage: the approval waits in the outbox and goes out once after recovery
    wx.outage = True
    case_services.case_approve(case=case, actor=agent)
    assert OutboundAction.objects.get().status == "pending" and wx.operations == []
    wx.outage = False
    claim_clock.shift(dt.timedelta(seconds=31))
    assert services.outbox_send_due()["done"] == 1
    assert services.outbox_send_due()["done"] == 0
    assert [op[0] for op in wx.operations] == ["acceptapply"]
    case.refresh_from_db()
    assert case.status == "resolved" and case.platform_link.status == "MERCHANT_REFUND_SUCCESS"


def test_token_that_cannot_be_refreshed_marks_reauth(wx, wx_connect, order_line, claim_clock):
    conn = wx_connect()
    wx.app_secret = "rotated-in-the-console"  # noqa: S105 - the merchant reset the secret
    wx.expire_access_token()
    wx.add_aftersale(order_id=ORDER_ID, push=False)
    assert services.connection_sync(conn) == 0
    conn.refresh_from_db()
    assert conn.needs_reauth and "重新授权" in conn.last_error


def test_rejection_without_a_reason_code_is_refused_locally_with_the_manual_path(wx, wx_connect, order_line,
                                                                                 claim_clock, agent):
    conn = wx_connect()  # no default reason code configured
    wx.add_aftersale(order_id=ORDER_ID, amount=5000, reason="其他", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    case_services.case_reject(case=case, actor=agent, reason="已超过售后期")
    assert OutboundAction.objects.get().status == "refused" and wx.operations == []
    note = case.events.filter(kind="platform", note__contains="平台拒绝").get().note
    assert "reject_reason_type" in note and "store.weixin.qq.com" in note


def test_connect_through_the_page(client, shop_admin, wx, claim_clock):
    client.force_login(shop_admin)
    page = client.get("/platforms/").content.decode()
    assert "/platforms/wechat_shop/push/" in page and 'id="wechat-shop-hint"' in page
    response = client.post("/platforms/", {"platform": "wechat_shop", "app_key": wx.app_id, "app_secret": wx.app_secret,
                                           "platform_shop_id": wx.username, "sign_secret": wx.push_token,
                                           "msg_secret": wx.aes_key, "api_base": wx.url})
    conn = PlatformConnection.objects.get(platform="wechat_shop")
    assert response.status_code == 302 and response["Location"] == f"/platforms/{conn.pk}/"
    assert conn.platform_shop_id == wx.username and wx.push_token not in conn.secrets and wx.app_secret not in conn.secrets
    assert conn.token_expires_at is not None and "cgi-bin/stable_token" in wx.calls
