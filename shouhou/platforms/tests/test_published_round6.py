"""Sixth published-shapes round (docs/platforms.md, "Checked against the published SDKs, sixth round"): what the
platforms' public SDK types and pages say and shouhou sent or read otherwise, each through the real HTTP path (a
sandbox on a local port answering in the published shape; the outbox and the case service where a case is involved).

- 微信小店 refusals: rejectreason/get gives one list for every request, each reason with its `reject_scene` (1 仅退款,
  4 退货退款, 5 换货, 6 换货发出新商品); shouhou offered every scene's reasons to every request (a refund-only
  request could be refused with 买家寄回商品影响二次销售) and cached the list per type alone (an exchange kept its
  first review's list once its goods were back). A return refused after its goods came back is still rejectapply
  (no other refusal is published for it; its scene's reasons include the after-receipt ones).
- 快手 `open.seller.order.refund.approve`: every published form of the request carries `negotiateStatus` (协商状态);
  shouhou never sent it. `open.seller.order.refund.confirm.receipt`: with returnFreightInfo on the detail the
  merchant must agree to or refuse the return freight; shouhou sent the plain confirmation, which the page says fails.
The payloads are written from the published field lists; the values are made up."""

from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.platforms import actback, services
from shouhou.platforms.adapters.base import Action, PlatformError
from shouhou.platforms.adapters.kuaishou import KuaishouAdapter
from shouhou.platforms.adapters.wechat_shop import WechatShopAdapter
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID


def _wx_adapter(box) -> WechatShopAdapter:
    return WechatShopAdapter(app_key=box.app_id, app_secret=box.app_secret, api_base=box.url)


def _ks_adapter(box) -> KuaishouAdapter:
    return KuaishouAdapter(app_key=box.app_key, app_secret=box.app_secret, sign_secret=box.sign_secret,
                           msg_secret=box.msg_secret, api_base=box.url)


# --- 微信小店: reasons of the request's own scene; a return refused after receipt -----------------------------

def test_wechat_reject_reasons_are_the_requests_own_scene(wx):
    adapter = _wx_adapter(wx)
    token = adapter.create_token().access_token
    refund = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="REFUND", push=False)
    ret = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="RETURN", push=False)
    exchange = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="EXCHANGE", push=False)

    def codes(record) -> set[int]:
        return {r.code for r in adapter.reject_reasons(token, record.aftersale_id)}

    # the sandbox lists 16 (scene 1 仅退款), 20 (4 退货退款), 33 (6 换货发出新商品): each request gets its own only
    assert codes(refund) == {16}  # was {16, 20, 33}: a return's and an exchange's reasons on a refund
    assert codes(ret) == {20}
    assert codes(exchange) == set()  # scene 5 (拒绝换货申请): none listed
    adapter.act(token, Action(kind="approve", aftersale_id=exchange.aftersale_id, platform_type="EXCHANGE",
                              return_address_id="addr-hz-01"))
    wx.buyer_returns(exchange.aftersale_id, push=False)
    assert codes(exchange) == {33}  # its goods are back: 换货拒绝发货's scene 6


def test_wechat_return_refused_after_its_goods_came_back_is_rejectapply_with_an_after_receipt_reason(wx):
    adapter = _wx_adapter(wx)
    token = adapter.create_token().access_token
    ret = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="RETURN", push=False)
    adapter.act(token, Action(kind="approve", aftersale_id=ret.aftersale_id, platform_type="RETURN",
                              return_address_id="addr-hz-01"))
    wx.buyer_returns(ret.aftersale_id, push=False)
    offered = adapter.reject_reasons(token, ret.aftersale_id)
    assert [(r.code, r.text) for r in offered] == [(20, "买家寄回商品影响二次销售")]
    adapter.act(token, Action(kind="reject", aftersale_id=ret.aftersale_id, platform_type="RETURN",
                              platform_status="MERCHANT_WAIT_RECEIPT", reason="寄回商品已使用",
                              reject_reason_code=offered[0].code))
    assert wx.operations[-1] == ("rejectapply", ret.aftersale_id, {
        "after_sale_order_id": ret.aftersale_id, "reject_reason": "寄回商品已使用", "reject_reason_type": 20})
    got = adapter.fetch_aftersale(token, ret.aftersale_id)
    assert (got.platform_status, got.case_status, got.status_text) == ("MERCHANT_REJECT_REFUND", "rejected",
                                                                       "商家拒绝退款")


@pytest.mark.django_db(transaction=True)
def test_wechat_reasons_on_the_case_page_follow_the_requests_step(wx, shop, order_line, claim_clock, agent):
    """The connection caches the platform's reasons; an exchange's first review and its refusal once the goods are
    back have different lists (scene 5 / 6). The cache was keyed by the type alone: the first list was served
    again after the buyer had sent the item back."""
    conn = services.connection_connect(
        shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=wx.app_id, app_secret=wx.app_secret,
        platform_shop_id=wx.username, api_base=wx.url, backfill=False,
        extra_secrets={"sign_secret": wx.push_token, "msg_secret": wx.aes_key})
    record = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="EXCHANGE", reason="其他", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    assert actback.reject_reasons_for(case.platform_link) == []
    case_services.case_approve(case=case, actor=agent)
    wx.buyer_returns(record.aftersale_id, push=False)
    services.aftersale_refresh(case.platform_link)
    link = Case.objects.get(pk=case.pk).platform_link
    assert link.status == "MERCHANT_WAIT_RECEIPT"
    assert [r["code"] for r in actback.reject_reasons_for(link)] == [33]


# --- 快手: negotiateStatus on refund.approve; the return freight on confirm.receipt ------------------------------

def test_kuaishou_refund_approve_sends_the_requests_negotiate_status(ks):
    adapter = _ks_adapter(ks)
    refund = ks.add_refund(order_id=ORDER_ID, handling_way=10, refund_fee=4990, push=False)
    adapter.act(ks.access_token, Action(kind="approve", aftersale_id=refund.refund_id, platform_type="10",
                                        amount_fen=4990, platform_status="10"))
    path, param = ks.params_log[-1]
    assert path == "open/seller/order/refund/approve"
    # 协商状态 1 待商家处理, as the request's detail gives it (never sent before)
    assert param == {"refundId": int(refund.refund_id), "refundAmount": 4990, "status": 10, "negotiateStatus": 1,
                     "refundHandingWay": 10}
    assert ks.refunds[refund.refund_id].status == 60


def test_kuaishou_confirm_receipt_with_a_return_freight_is_left_to_the_back_office(ks):
    adapter = _ks_adapter(ks)
    plain = ks.add_refund(order_id=ORDER_ID, handling_way=1, refund_fee=4990, push=False)
    adapter.act(ks.access_token, Action(kind="approve", aftersale_id=plain.refund_id, platform_type="1",
                                        amount_fen=4990, return_address_id="5500001"))
    ks.buyer_returns(plain.refund_id, push=False)
    adapter.act(ks.access_token, Action(kind="confirm_receipt", aftersale_id=plain.refund_id, platform_type="1",
                                        platform_status="40"))
    # no returnFreightInfo: refundId and status only, no returnFreight* field ("否则会报错")
    assert ks.params_log[-1] == ("open/seller/order/refund/confirm/receipt",
                                 {"refundId": int(plain.refund_id), "status": 40})
    freight = ks.add_refund(order_id=ORDER_ID, handling_way=1, refund_fee=4990, push=False)
    freight.return_freight = 1200
    adapter.act(ks.access_token, Action(kind="approve", aftersale_id=freight.refund_id, platform_type="1",
                                        amount_fen=4990, return_address_id="5500001"))
    ks.buyer_returns(freight.refund_id, push=False)
    sent = len(ks.params_log)
    with pytest.raises(PlatformError) as refused:
        adapter.act(ks.access_token, Action(kind="confirm_receipt", aftersale_id=freight.refund_id,
                                            platform_type="1", platform_status="40"))
    # the freight is the merchant's decision (agree: amount; refuse: reason and images): nothing sent, the agent
    # is told why and where (was: the plain confirmation, refused by the platform)
    assert refused.value.kind == "refused"
    assert "12.00 元" in refused.value.message and "快手小店后台" in refused.value.message
    assert len(ks.params_log) == sent and ks.refunds[freight.refund_id].status == 40


# --- 微信小店: the dispute push ----------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_wechat_dispute_push_reads_the_request_again(wx, shop, order_line, claim_clock, live_server):
    """纠纷更新通知 (channels_ec_complaint_update, finder_shop_complaint {complaint_id, after_sale_order_id, order_id,
    complaint_status}) names the request: it is read again (the dispute's complaint_id is what 商家举证 needs). It
    was stored as an unknown message and nothing was read."""
    from urllib.parse import urlencode

    import httpx

    from shouhou.platforms.models import PlatformAftersale, PlatformEvent

    services.connection_connect(
        shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=wx.app_id, app_secret=wx.app_secret,
        platform_shop_id=wx.username, api_base=wx.url, backfill=False,
        extra_secrets={"sign_secret": wx.push_token, "msg_secret": wx.aes_key})
    record = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="REFUND", push=False)
    params, body = wx.sealed(wx.message(record))
    url = f"{live_server.url}/platforms/wechat_shop/push/"
    assert httpx.post(f"{url}?{urlencode(params)}", content=body, headers={"Content-Type": "application/json"},
                      timeout=30).text == "success"
    link = PlatformAftersale.objects.get(aftersale_id=record.aftersale_id)
    before = link.platform_updated_at
    wx.open_complaint(record.aftersale_id)  # the buyer asks the platform to step in: the request changes
    params, body = wx.sealed(wx.complaint_message(record, complaint_status=106))  # 待商家补充凭证
    answer = httpx.post(f"{url}?{urlencode(params)}", content=body, headers={"Content-Type": "application/json"},
                        timeout=30)
    assert answer.status_code == 200 and answer.text == "success"
    event = PlatformEvent.objects.get(tag="channels_ec_complaint_update")
    assert event.aftersale_id == record.aftersale_id and event.status == "applied"  # was ignored, no id
    link.refresh_from_db()
    assert link.platform_updated_at == wx.aftersales[record.aftersale_id].update_time > before
