"""快手小店 through its sandbox, real HTTP both ways: encrypted pushes, signed refund APIs, the loop."""

from __future__ import annotations

import base64
import json

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.platforms import services
from shouhou.platforms.adapters.base import PushRefused
from shouhou.platforms.adapters.kuaishou import KuaishouAdapter, api_sign, decrypt_push, encrypt_push
from shouhou.platforms.models import OutboundAction, PlatformEvent
from shouhou.platforms.tests.conftest import ORDER_ID

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/platforms/kuaishou/push/"


@pytest.fixture
def ks_connect(shop, ks):
    def _connect(**kwargs):
        return services.connection_connect(
            shop=shop, actor=SYSTEM, platform="kuaishou", app_key=ks.app_key, app_secret=ks.app_secret,
            platform_shop_id=ks.seller_id, code="sandbox-code", api_base=ks.url,
            extra_secrets={"sign_secret": ks.sign_secret, "msg_secret": ks.msg_secret}, **{"backfill": False, **kwargs})

    return _connect


def test_sign_and_push_encryption_formulas():
    import hashlib
    import hmac

    params = {"method": "open.x", "appkey": "a", "version": "1"}
    expected = base64.b64encode(hmac.new(b"s", b"appkey=a&method=open.x&version=1&signSecret=s",
                                         hashlib.sha256).digest()).decode()
    assert api_sign(params, "s") == expected
    secret = base64.b64encode(b"0123456789abcdef").decode()
    assert decrypt_push(encrypt_push(b'{"a":1}', secret), secret) == b'{"a":1}'
    with pytest.raises(PushRefused):
        decrypt_push(encrypt_push(b'{"a":1}', secret), base64.b64encode(b"fedcba9876543210").decode())
    adapter = KuaishouAdapter(app_key="a", app_secret="x", msg_secret=secret)
    with pytest.raises(PushRefused):  # decrypts, but names another app
        adapter.verify_push({}, encrypt_push(json.dumps({"appKey": "b"}).encode(), secret))


def test_push_refused_when_not_ours_and_test_push_answered(client, ks_connect, ks):
    ks_connect()
    refund = ks.add_refund(order_id=ORDER_ID, push=False)
    wrong = ks.encrypted(ks.envelope("kwaishop_aftersales_addRefund", refund),
                         msg_secret=base64.b64encode(b"z" * 16).decode())
    response = client.post(URL, data=wrong, content_type="text/plain")
    assert response.status_code == 401 and response.json()["result"] == 0
    assert client.post(URL, data=b"plain text", content_type="text/plain").status_code == 401
    test_push = ks.encrypted(ks.envelope("kwaishop_aftersales_addRefund", refund, test=True))
    response = client.post(URL, data=test_push, content_type="text/plain")
    assert response.status_code == 200 and response.json() == {"result": 1}
    assert PlatformEvent.objects.count() == 0


def test_loop_push_to_resolved(ks, ks_connect, live_server, order_line, claim_clock, agent):
    ks.push_url = f"{live_server.url}{URL}"
    conn = ks_connect()
    services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=0)
    import httpx

    refund = ks.add_refund(order_id=ORDER_ID, handling_way=1, refund_fee=19900, push=False)
    body = ks.encrypted(ks.envelope("kwaishop_aftersales_addRefund", refund))
    for _ in range(2):  # delivered, then delivered again
        answer = httpx.post(ks.push_url, content=body, headers={"Content-Type": "text/plain"}, timeout=30)
        assert answer.json() == {"result": 1}
    case = Case.objects.get(platform_link__aftersale_id=refund.refund_id)
    assert case.kind == "return_refund" and case.auto_approved and case.channel == "kuaishou"
    assert ks.operations == [("open/seller/order/refund/returngoods/approve", refund.refund_id)]
    case.refresh_from_db()
    assert case.status == "awaiting_return" and case.platform_link.status == "30"
    ks.buyer_returns(refund.refund_id)
    case.refresh_from_db()
    assert case.status == "in_transit_back"
    case_services.case_mark_received(case=case, actor=agent)
    assert ks.operations[-1] == ("open/seller/order/refund/confirm/receipt", refund.refund_id)
    case.refresh_from_db()
    assert case.status == "resolved" and PlatformEvent.objects.count() == 2


def test_reconciliation_token_refresh_and_outage(ks, ks_connect, order_line, claim_clock, agent):
    conn = ks_connect()
    refund = ks.add_refund(order_id=ORDER_ID, handling_way=10, reason="其他", push=False)
    ks.expire_access_token()
    assert services.connection_sync(conn) == 1  # found without a push, after refreshing the token
    assert "oauth2/refresh_token" in ks.calls
    case = Case.objects.get(platform_link__aftersale_id=refund.refund_id)
    ks.outage = True
    case_services.case_approve(case=case, actor=agent)
    assert OutboundAction.objects.get().status == "pending"
    ks.outage = False
    import datetime as dt

    claim_clock.shift(dt.timedelta(seconds=31))
    assert services.outbox_send_due()["done"] == 1
    assert ks.operations == [("open/seller/order/refund/approve", refund.refund_id)]
    case.refresh_from_db()
    assert case.status == "resolved"


def test_rejection_and_already_handled(ks, ks_connect, order_line, claim_clock, agent):
    conn = ks_connect()
    refund = ks.add_refund(order_id=ORDER_ID, handling_way=10, reason="其他", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    ks.refunds[refund.refund_id].status = 70  # the buyer withdrew meanwhile
    case_services.case_reject(case=case, actor=agent, reason="已超过售后期")
    action = OutboundAction.objects.get()
    assert action.status == "refused" and ks.operations == []
    note = case.events.filter(kind="platform", note__contains="平台拒绝").get().note
    assert "状态已更新" in note
