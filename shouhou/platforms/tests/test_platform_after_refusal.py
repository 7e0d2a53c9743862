"""The platform has the last word on a request the merchant refused, and the case carries the platform's amount.

- Refunded after the refusal (有赞 SELLER_REFUSE_BUYER → 客满介入 → SUCCESS; 微信小店 MERCHANT_REJECT_REFUND →
  MERCHANT_REFUND_SUCCESS; 抖店 27 → 12 after 仲裁): the refused case ends resolved as a refund of what the platform
  refunded, with an event that says the platform refunded after the refusal.
- Filed again after the refusal (有赞 SAFE_HANDLED「被拒绝后再次发起」: WAIT_SELLER_AGREE again on the same refund_id;
  微信小店 the same after_sale_order_id back at MERCHANT_PROCESSING; 快手 negotiateStatus 3 → 1): the case waits for the
  merchant again, with its event and a ticket in the agents' queue — unless the merchant's refusal is still on its way.
- The amount: 有赞 refund_fee "2.00" (yuan), 微信小店 refund_info.amount 11 (fen) on a line paid 199.00: the case's refund
  is the platform's, the decision keeps the policy's."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.inbox.choices import OPEN_TICKET_STATUSES
from shouhou.inbox.models import Ticket
from shouhou.platforms import services
from shouhou.platforms.adapters.base import Aftersale
from shouhou.platforms.adapters.youzan import encode_msg, push_sign
from shouhou.platforms.choices import ActionKind, ActionStatus
from shouhou.platforms.models import OutboundAction, PlatformAftersale
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID
from shouhou.platforms.tests.test_wechat_shop_sdk_examples import DETAIL, _fixture, _post, _seal
from shouhou.platforms.tests.test_wechat_shop_sdk_examples import ExampleSandbox as WechatBox
from shouhou.platforms.tests.test_youzan_sdk_examples import REFUND
from shouhou.platforms.tests.test_youzan_sdk_examples import ExampleSandbox as YouzanBox

YZ_URL = "/platforms/youzan/push/"


@pytest.fixture
def yz():
    box = YouzanBox().start()
    yield box
    box.stop()


@pytest.fixture
def yz_conn(shop, yz):
    from shouhou.accounts.actors import SYSTEM

    return services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=yz.client_id,
                                       app_secret=yz.client_secret, platform_shop_id=yz.kdt_id, api_base=yz.url,
                                       backfill=False)


@pytest.fixture
def yz_line(shop):
    from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory

    order = OrderFactory(shop=shop, order_no=REFUND["tid"])
    return OrderLineFactory(order=order, product=ProductFactory(shop=shop, name="羊毛开衫", category="clothing"),
                            line_key=REFUND["oid"], price_paid=Decimal("199.00"))


def _yz_push(client, yz, message: str, n: int, **refund) -> None:
    """refund.get answers `refund` from now on; a signed trade_refund_* push announces it (有赞云 envelope)."""
    yz.refund = {**REFUND, **refund}
    msg = encode_msg({"refund_id": REFUND["refund_id"], "tid": REFUND["tid"], "oids": REFUND["oid"],
                      "version": yz.refund["version"], "update_time": "2018-07-04 15:06:11",
                      "refund_type": "REFUND_ONLY", "refunded_fee": "2.00"})
    body = {"client_id": yz.client_id, "kdt_id": int(yz.kdt_id), "kdt_name": "店", "mode": 1, "sendCount": 0,
            "test": False, "version": 1530687971, "id": REFUND["tid"], "type": message, "status": refund["status"],
            "msg": msg, "msg_id": f"m-{n}", "sign": push_sign(yz.client_id, yz.client_secret, msg.encode())}
    answer = client.post(YZ_URL, data=json.dumps(body), content_type="application/json")
    assert answer.json() == {"code": 0, "msg": "success"}


def _steps(case: Case) -> list[str]:
    return [(e.data or {}).get("step", "") for e in case.events.order_by("pk")]


@pytest.mark.django_db(transaction=True)
def test_youzan_refund_by_customer_service_after_the_refusal_resolves_the_case(client, yz, yz_conn, yz_line,
                                                                              claim_clock):
    v = REFUND["version"]
    _yz_push(client, yz, "trade_refund_BuyerCreated", 1, status="WAIT_SELLER_AGREE", version=v)
    _yz_push(client, yz, "trade_refund_SellerRefuse", 2, status="SELLER_REFUSE_BUYER", version=v + 1)
    case = Case.objects.get()
    assert case.status == "rejected"
    _yz_push(client, yz, "trade_refund_Success", 3, status="SUCCESS", cs_status=2, version=v + 2)
    case.refresh_from_db()
    assert (case.status, case.resolution, case.refund_amount) == ("resolved", "refund", Decimal("2.00"))
    assert case.resolved_at is not None
    event = case.events.filter(data__step="platform_after_refusal").get()
    assert (event.from_status, event.to_status, event.visible_to_customer) == ("rejected", "resolved", True)
    assert event.note.startswith("商家拒绝后，平台（客服介入/仲裁）已退款 ¥2.00")


@pytest.mark.django_db(transaction=True)
def test_youzan_request_filed_again_after_the_refusal_reaches_the_merchant(client, yz, yz_conn, yz_line, claim_clock,
                                                                          agent):
    v = REFUND["version"]
    _yz_push(client, yz, "trade_refund_BuyerCreated", 1, status="WAIT_SELLER_AGREE", version=v)
    _yz_push(client, yz, "trade_refund_SellerRefuse", 2, status="SELLER_REFUSE_BUYER", version=v + 1)
    case = Case.objects.get()
    Ticket.objects.filter(case=case).update(status="resolved")  # the refusal settled the first request
    # SAFE_HANDLED「被拒绝后再次发起」: the same refund_id waits for the seller again, at a newer version, asking 5.00
    _yz_push(client, yz, "trade_refund_BuyerModified", 3, status="WAIT_SELLER_AGREE", version=v + 2,
             refund_fee="5.00")
    case.refresh_from_db()
    assert Case.objects.count() == 1
    assert (case.status, case.resolved_at, case.refund_amount) == ("requested", None, Decimal("5.00"))
    event = case.events.filter(data__step="refiled_after_refusal").get()
    assert (event.from_status, event.to_status) == ("rejected", "requested")
    assert event.note.startswith("买家被拒后再次申请")
    assert Ticket.objects.filter(case=case, status__in=OPEN_TICKET_STATUSES).exists()  # in the queue, SLA running
    # the agent can decide it again
    assert {"approve", "reject"} <= case_services.case_operations_allowed(case=case, actor=agent)


@pytest.mark.django_db(transaction=True)
def test_youzan_case_carries_the_refund_fee_not_the_line_price(client, yz, yz_conn, yz_line, claim_clock):
    v = REFUND["version"]
    _yz_push(client, yz, "trade_refund_BuyerCreated", 1, status="WAIT_SELLER_AGREE", version=v)
    case = Case.objects.get()
    assert case.refund_amount == Decimal("2.00")  # refund.get refund_fee "2.00" (yuan)
    assert Decimal(case.decision["refund_amount"]) == Decimal("199.00")  # the policy's view is kept
    assert case.events.filter(data__step="platform_amount", visible_to_customer=False).exists()
    _yz_push(client, yz, "trade_refund_Success", 2, status="SUCCESS", version=v + 1)
    case.refresh_from_db()
    assert (case.status, case.resolution, case.refund_amount) == ("resolved", "refund", Decimal("2.00"))


@pytest.mark.django_db(transaction=True)
def test_the_case_page_shows_the_platform_amount_beside_the_policy_amount(client, yz, yz_conn, yz_line, claim_clock,
                                                                         agent_client):
    _yz_push(client, yz, "trade_refund_BuyerCreated", 1, status="WAIT_SELLER_AGREE", version=REFUND["version"])
    case = Case.objects.get()
    page = agent_client.get(f"/cases/{case.pk}/").content.decode()
    assert "退款 ¥2.00" in page
    assert "退款金额按平台申请 ¥2.00；政策核定 ¥199.00（相差 ¥197.00）" in page


# --- 微信小店: the published push and detail examples -------------------------------------------------------------

@pytest.fixture
def wx():
    box = WechatBox().start()
    yield box
    box.stop()


@pytest.fixture
def wx_conn(shop, wx):
    from shouhou.accounts.actors import SYSTEM

    return services.connection_connect(
        shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=wx.app_id, app_secret=wx.app_secret,
        platform_shop_id=wx.username, api_base=wx.url, backfill=False,
        extra_secrets={"sign_secret": wx.push_token, "msg_secret": wx.aes_key})


@pytest.fixture
def wx_line(shop):
    from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory

    order = OrderFactory(shop=shop, order_no=DETAIL["order_id"])
    return OrderLineFactory(order=order, product=ProductFactory(shop=shop, name="羊毛开衫", category="clothing"),
                            line_key=DETAIL["product_info"]["sku_id"], price_paid=Decimal("199.00"))


def _wx_push(client, wx, status: str, at: int) -> None:
    """getaftersaleorder answers `status` at update_time `at`; the channels_ec_aftersale_update example announces it."""
    wx.detail = {**DETAIL, "status": status, "create_time": at - 100, "update_time": at}
    plain = json.loads(_fixture("wechat_aftersale_update.json"))
    plain["CreateTime"] = at
    plain["finder_shop_aftersale_status_update"]["status"] = status
    params, body = _seal(json.dumps(plain), wx, "json")
    assert _post(client, params, body, "json").content == b"success"


@pytest.mark.django_db(transaction=True)
def test_wechat_refused_refiled_then_refunded_follows_the_platform_with_its_amount(client, wx, wx_conn, wx_line,
                                                                                  claim_clock):
    now = int(dt.datetime.now(dt.UTC).timestamp())
    _wx_push(client, wx, "MERCHANT_PROCESSING", now - 30)
    case = Case.objects.get()
    assert (case.status, case.refund_amount) == ("requested", Decimal("0.11"))  # refund_info.amount 11 is fen
    _wx_push(client, wx, "MERCHANT_REJECT_REFUND", now - 20)
    case.refresh_from_db()
    assert case.status == "rejected"
    _wx_push(client, wx, "MERCHANT_PROCESSING", now - 10)
    case.refresh_from_db()
    assert case.status == "requested"
    _wx_push(client, wx, "MERCHANT_REFUND_SUCCESS", now - 5)
    case.refresh_from_db()
    assert (case.status, case.resolution, case.refund_amount) == ("resolved", "refund", Decimal("0.11"))
    assert "refiled_after_refusal" in _steps(case)


# --- the shared path (抖店, 快手): aftersale_apply with the platform's view ------------------------------------------

def _view(status: str, case_status: str, updated: int, *, amount: str = "50.00", platform: str = "doudian") -> Aftersale:
    return Aftersale(aftersale_id="7000000000000001", order_id=ORDER_ID, sub_order_id=SKU_ORDER_ID, platform_type="1",
                     platform_status=status, kind="refund_only", case_status=case_status, reason="quality",
                     status_text=status, refund_amount=Decimal(amount), updated=updated)


@pytest.mark.django_db(transaction=True)
def test_doudian_arbitration_refund_after_a_second_refusal_resolves_with_the_platform_amount(connect, order_line,
                                                                                          claim_clock):
    conn = connect()
    services.aftersale_apply(conn, _view("6", "requested", 100))
    services.aftersale_apply(conn, _view("27", "rejected", 110))
    services.aftersale_apply(conn, _view("12", "resolved", 120, amount="48.50"))  # 客服仲裁 ruled for the buyer
    case = Case.objects.get()
    assert (case.status, case.resolution, case.refund_amount) == ("resolved", "refund", Decimal("48.50"))
    assert "platform_after_refusal" in _steps(case)


@pytest.mark.django_db(transaction=True)
def test_a_refusal_still_on_its_way_is_not_undone_by_the_platform_view_before_it(connect, order_line, claim_clock,
                                                                                 agent):
    """The agent refused; the outbox has not delivered it yet: the platform still (rightly) shows the request waiting,
    even at a newer version (the buyer added a photo). The case stays refused until the refusal lands."""
    conn = connect()
    services.aftersale_apply(conn, _view("6", "requested", 100))
    case = Case.objects.get()
    case_services.case_reject(case=case, actor=agent, reason="已超过售后期限")
    link = PlatformAftersale.objects.get()
    reject = OutboundAction.objects.get(aftersale=link, kind=ActionKind.REJECT)
    OutboundAction.objects.filter(pk=reject.pk).update(status=ActionStatus.PENDING)
    services.aftersale_apply(conn, _view("6", "requested", 105))
    case.refresh_from_db()
    assert case.status == "rejected"
    # delivered; the platform recorded it (27), then the buyer filed again (6, newer): back to the merchant
    OutboundAction.objects.filter(pk=reject.pk).update(status=ActionStatus.DONE)
    services.aftersale_apply(conn, _view("27", "rejected", 110))
    services.aftersale_apply(conn, _view("6", "requested", 110))  # the same version again: nothing new
    case.refresh_from_db()
    assert case.status == "rejected"
    services.aftersale_apply(conn, _view("6", "requested", 130))
    case.refresh_from_db()
    assert case.status == "requested"


@pytest.mark.django_db(transaction=True)
def test_kuaishou_request_modified_after_the_refusal_is_reopened(connect, order_line, claim_clock):
    """快手: a refusal keeps status 10 with negotiateStatus 3; the buyer's modified request is 10 with negotiateStatus 1
    at a newer updateTime (the adapter maps both; the shared path is what is checked here)."""
    conn = connect()
    services.aftersale_apply(conn, _view("10", "requested", 1000))
    services.aftersale_apply(conn, _view("10", "rejected", 2000))
    services.aftersale_apply(conn, _view("10", "requested", 3000, amount="30.00"))
    case = Case.objects.get()
    assert (case.status, case.refund_amount) == ("requested", Decimal("30.00"))


@pytest.mark.django_db(transaction=True)
def test_a_closed_request_after_the_refusal_leaves_the_case_refused(connect, order_line, claim_clock):
    conn = connect()
    services.aftersale_apply(conn, _view("6", "requested", 100))
    services.aftersale_apply(conn, _view("27", "rejected", 110))
    services.aftersale_apply(conn, _view("28", "cancelled", 120))  # the buyer gave up: the refusal stands
    assert Case.objects.get().status == "rejected"
