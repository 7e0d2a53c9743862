"""Fifth published-shapes round (docs/platforms.md, "Checked against the published SDKs, fifth round"): what the
platforms' public SDK types say and shouhou read or sent otherwise, each through the real HTTP path (a sandbox on
a local port answering in the published shape, shouhou's push URL for pushes).

- 快手 `open.refund.reject`: `refundVersion` is optional in every published request type (the SDKs leave it out when
  unknown); shouhou sent 0 for an unknown version — a version no request has, refused as stale.
- 微信小店 `getaftersaleorder`: the current page's `deadline` is the instant (秒级时间戳), the older one's the seconds
  left; `type` RESHIP (补寄) and `sub_type` REFUND_PRICE_DIFF (退差价) exist; the status list has seven more values
  (an exchange's 待用户收货 / 换货完成 / 商家拒绝换货 among them) which shouhou showed as 未知状态 and never followed.
The payloads are written from the published field lists; the values are made up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.choices import CaseKind
from shouhou.cases.models import Case
from shouhou.platforms import actback, services
from shouhou.platforms.adapters.base import Action, PlatformError
from shouhou.platforms.adapters.kuaishou import KuaishouAdapter
from shouhou.platforms.adapters.wechat_shop import WechatShopAdapter
from shouhou.platforms.models import OutboundAction
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID
from shouhou.platforms.tests.test_wechat_shop_published_shapes import PUBLISHED_AFTERSALE, PublishedSandbox


@pytest.fixture
def wx_published():
    box = PublishedSandbox().start()
    yield box
    box.stop()


# --- 快手: refundVersion only when known ------------------------------------------------------------------------

def test_kuaishou_reject_leaves_refund_version_out_when_unknown_and_sends_the_known_one(ks):
    adapter = KuaishouAdapter(app_key=ks.app_key, app_secret=ks.app_secret, sign_secret=ks.sign_secret,
                              msg_secret=ks.msg_secret, api_base=ks.url)
    unknown = ks.add_refund(order_id=ORDER_ID, handling_way=10, push=False)
    adapter.act(ks.access_token, Action(kind="reject", aftersale_id=unknown.refund_id, platform_type="10",
                                        updated=0, reason="已超过售后期"))
    path, param = ks.params_log[-1]
    assert path == "open/refund/reject" and "refundVersion" not in param  # was refundVersion 0: refused as stale
    assert (ks.refunds[unknown.refund_id].status, ks.refunds[unknown.refund_id].negotiate_status) == (10, 3)  # refused
    known = ks.add_refund(order_id=ORDER_ID, handling_way=10, push=False)
    adapter.act(ks.access_token, Action(kind="reject", aftersale_id=known.refund_id, platform_type="10",
                                        updated=known.update_time, reason="已超过售后期"))
    assert ks.params_log[-1][1]["refundVersion"] == ks.refunds[known.refund_id].update_time - 1
    stale = ks.add_refund(order_id=ORDER_ID, handling_way=10, push=False)
    with pytest.raises(PlatformError) as refused:  # a version sent is checked: an older one is refused
        adapter.act(ks.access_token, Action(kind="reject", aftersale_id=stale.refund_id, platform_type="10",
                                            updated=stale.update_time - 1, reason="已超过售后期"))
    assert refused.value.kind == "already_handled"


# --- 微信小店: the current getaftersaleorder ---------------------------------------------------------------------

def _wx_adapter(box) -> WechatShopAdapter:
    return WechatShopAdapter(app_key=box.app_id, app_secret=box.app_secret, api_base=box.url)


def test_wechat_deadline_as_the_published_instant_or_the_older_seconds_left(wx_published):
    adapter = _wx_adapter(wx_published)
    token = adapter.create_token().access_token
    instant = int((dt.datetime.now(dt.UTC) + dt.timedelta(hours=36)).timestamp())
    wx_published.aftersale_answer = {**PUBLISHED_AFTERSALE, "deadline": instant, "sub_type": "DEFAULT"}
    got = adapter.fetch_aftersale(token, "1934164653012121")
    assert got.deadline == dt.datetime.fromtimestamp(instant, dt.UTC)  # was now + 1.7e9 s: 56 years away
    wx_published.aftersale_answer = {**PUBLISHED_AFTERSALE, "deadline": 7200}
    left = adapter.fetch_aftersale(token, "1934164653012121").deadline - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=119) < left <= dt.timedelta(hours=2)


@pytest.mark.parametrize(("status", "case_status", "words"), [
    ("USER_WAIT_RECEIPT", "fulfilling", "待用户收货"),
    ("MERCHANT_EXCHANGE_SUCCESS", "resolved", "换货完成"),
    ("MERCHANT_REJECT_EXCHANGE", "rejected", "商家拒绝换货"),
    ("MERCHANT_REJECT_RESHIP", "rejected", "商家拒绝发货"),
    ("USER_WAIT_CONFIRM_UPDATE", "", "待用户处理商家协商"),
    ("USER_WAIT_HANDLE_MERCHANT_AFTER_SALE", "", "待用户处理商家代发起的售后申请"),
    ("WAIT_PACKAGE_INTERCEPT", "", "物流线上拦截中"),
    ("PLATFORM_PROCESSING", "", "平台审核中"),
    ("SOMETHING_NEW", "", "未知状态 SOMETHING_NEW"),  # an unknown one is kept and shown, the case stays put
])
def test_wechat_statuses_of_the_current_list(wx_published, status, case_status, words):
    adapter = _wx_adapter(wx_published)
    wx_published.aftersale_answer = {**PUBLISHED_AFTERSALE, "type": "EXCHANGE", "status": status}
    got = adapter.fetch_aftersale(adapter.create_token().access_token, "1934164653012121")
    assert (got.platform_status, got.case_status, got.status_text) == (status, case_status, words)


def test_wechat_reship_and_price_difference_requests_get_their_own_kind(wx_published):
    adapter = _wx_adapter(wx_published)
    token = adapter.create_token().access_token
    wx_published.aftersale_answer = {**PUBLISHED_AFTERSALE, "type": "RESHIP", "refund_info": {"amount": 0}}
    got = adapter.fetch_aftersale(token, "1934164653012121")
    assert (got.platform_type, got.kind) == ("RESHIP", CaseKind.RESEND)  # was refund_only
    wx_published.aftersale_answer = {**PUBLISHED_AFTERSALE, "type": "REFUND", "sub_type": "REFUND_PRICE_DIFF",
                                     "refund_info": {"amount": 1500}}
    got = adapter.fetch_aftersale(token, "1934164653012121")
    assert (got.kind, got.refund_amount) == (CaseKind.PRICE_PROTECT, Decimal("15.00"))


def test_wechat_reship_is_never_approved_or_refused_through_the_refund_api(wx_published):
    adapter = _wx_adapter(wx_published)
    token = adapter.create_token().access_token
    for kind in ("approve", "reject"):
        with pytest.raises(PlatformError, match="补寄") as refused:
            adapter.act(token, Action(kind=kind, aftersale_id="1934164653012121", platform_type="RESHIP",
                                      reject_reason_code=1))
        assert refused.value.kind == "refused"
    assert not [p for p, _b in wx_published.bodies if p.endswith(("acceptapply", "rejectapply"))]


@pytest.mark.django_db(transaction=True)
def test_wechat_exchange_follows_the_new_parcel_to_done(wx, shop, order_line, claim_clock, agent):
    """An exchange through the sandbox, shouhou's outbox and the platform's answers: after the new parcel goes out
    the request is 待用户收货 (the case is fulfilling), then 换货完成 (resolved as a replacement); both statuses were
    未知状态 before, the case stayed where the return had left it."""
    conn = services.connection_connect(
        shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=wx.app_id, app_secret=wx.app_secret,
        platform_shop_id=wx.username, api_base=wx.url, backfill=False,
        extra_secrets={"sign_secret": wx.push_token, "msg_secret": wx.aes_key})
    record = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="EXCHANGE", reason="其他", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    case_services.case_approve(case=case, actor=agent)
    wx.buyer_returns(record.aftersale_id, push=False)
    services.aftersale_refresh(case.platform_link)
    actback.exchange_ship(case=Case.objects.get(pk=case.pk), actor=agent, carrier="ZTO", tracking_no="7300000000009")
    assert wx.aftersales[record.aftersale_id].status == "USER_WAIT_RECEIPT"
    case.refresh_from_db()
    assert case.status == "fulfilling" and case.platform_link.status_text == "待用户收货"
    wx.buyer_confirms_exchange(record.aftersale_id, push=False)
    services.aftersale_refresh(case.platform_link)
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolution == "replacement"
    assert OutboundAction.objects.filter(status="done").count() == 2  # the approval and the new parcel


@pytest.mark.django_db(transaction=True)
def test_wechat_refused_exchange_is_a_rejected_case(wx, shop, order_line, claim_clock, agent):
    conn = services.connection_connect(
        shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=wx.app_id, app_secret=wx.app_secret,
        platform_shop_id=wx.username, api_base=wx.url, backfill=False,
        extra_secrets={"sign_secret": wx.push_token, "msg_secret": wx.aes_key})
    services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=False, auto_refund_limit=0,
                                 return_address_id="")
    conn.refresh_from_db()
    conn.settings = {**(conn.settings or {}), "reject_reason_type": 1}
    conn.save(update_fields=["settings"])
    record = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="EXCHANGE", reason="其他", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    case_services.case_reject(case=case, actor=agent, reason="商品已穿着，不支持换货")
    assert wx.aftersales[record.aftersale_id].status == "MERCHANT_REJECT_EXCHANGE"
    link = Case.objects.get(pk=case.pk).platform_link
    assert link.status == "MERCHANT_REJECT_EXCHANGE" and link.status_text == "商家拒绝换货"


def test_wechat_exchange_refused_once_its_goods_are_back_is_the_reship_refusal(wx):
    """换货拒绝发货: an exchange refused at 待商家收货 goes as rejectexchangereship (rejectapply is the first review's
    refusal, which the platform takes while the request waits for the merchant's first answer only)."""
    adapter = _wx_adapter(wx)
    token = adapter.create_token().access_token
    record = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="EXCHANGE", push=False)
    adapter.act(token, Action(kind="approve", aftersale_id=record.aftersale_id, platform_type="EXCHANGE",
                              return_address_id="addr-hz-01"))
    wx.buyer_returns(record.aftersale_id, push=False)
    adapter.act(token, Action(kind="reject", aftersale_id=record.aftersale_id, platform_type="EXCHANGE",
                              platform_status="MERCHANT_WAIT_RECEIPT", reason="寄回商品已使用", reject_reason_code=2))
    assert wx.operations[-1] == ("rejectexchangereship", record.aftersale_id, {
        "after_sale_order_id": record.aftersale_id, "reject_reason": "寄回商品已使用", "reject_reason_type": 2})
    got = adapter.fetch_aftersale(token, record.aftersale_id)
    assert (got.platform_status, got.case_status, got.status_text) == ("MERCHANT_REJECT_RESHIP", "rejected",
                                                                       "商家拒绝发货")
    first = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="EXCHANGE", push=False)
    adapter.act(token, Action(kind="reject", aftersale_id=first.aftersale_id, platform_type="EXCHANGE",
                              platform_status="MERCHANT_PROCESSING", reason="不支持换货", reject_reason_code=2))
    assert wx.operations[-1][0] == "rejectapply"
