"""Which request each published action may be sent for, held over real HTTP (sandboxes on local ports; the case
services and the outbox for the end-to-end checks). docs/platforms.md, "Actions checked against the published
scope (2026-12-06)".

- 微信小店 acceptapply: the current page gives `accept_type` 1 "用于退货退款或者换货场景表示同意退货" — an exchange's
  approval is its return step and carries 1 and the return address; a refund-only approval carries neither.
- 快手: open.seller.order.refund.approve is "售后单类型为仅退款时,调用该API完成退款操作"; 补寄 (4) and 维修 (5) have no
  published approval: refused here, nothing sent (refund.approve was sent, asking 快手 to pay for a request that
  wants goods).
- 抖店: 价保 (aftersale_type 6) has no afterSale/operate type in any published list: refused here, nothing sent
  (201/202, the refund-only types, were sent).
- 抖店 afterSale/operate 101 / 301: `logistics` "当前type=101，301，311是该集合需要传值" — an agreement to take goods back
  names the address book's default return address when nothing is mapped, and is refused here (nothing sent) when the
  book has none (it went without, and the platform refused it).
- A refusal names the action as the case page does (「同意申请」), never its internal code ("approve")."""

from __future__ import annotations

import pytest

from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.platforms import services
from shouhou.platforms.adapters.base import Action, PlatformError
from shouhou.platforms.adapters.doudian import DoudianAdapter
from shouhou.platforms.adapters.kuaishou import KuaishouAdapter
from shouhou.platforms.adapters.wechat_shop import WechatShopAdapter
from shouhou.platforms.models import OutboundAction
from shouhou.platforms.sandbox.doudian import DoudianSandbox
from shouhou.platforms.sandbox.kuaishou import KuaishouSandbox
from shouhou.platforms.sandbox.wechat_shop import WechatShopSandbox
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID


def test_wechat_an_exchange_is_agreed_as_a_return_step_and_a_refund_without_accept_type():
    box = WechatShopSandbox().start()
    try:
        adapter = WechatShopAdapter(app_key=box.app_id, app_secret=box.app_secret, api_base=box.url)
        token = adapter.create_token().access_token
        swap = box.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="EXCHANGE", push=False)
        adapter.act(token, Action(kind="approve", aftersale_id=swap.aftersale_id, platform_type="EXCHANGE"))
        refund = box.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, push=False)
        adapter.act(token, Action(kind="approve", aftersale_id=refund.aftersale_id, platform_type="REFUND"))
        sent = [body for name, _, body in box.operations if name == "acceptapply"]
        assert sent == [{"after_sale_order_id": swap.aftersale_id, "address_id": "addr-hz-01", "accept_type": 1},
                        {"after_sale_order_id": refund.aftersale_id}]
        assert (swap.status, refund.status) == ("USER_WAIT_RETURN", "MERCHANT_REFUND_SUCCESS")
    finally:
        box.stop()


@pytest.mark.parametrize(("handling_way", "words"), [(4, "补寄"), (5, "维修")])
def test_kuaishou_a_resend_or_repair_is_not_approved_through_the_refund_api(handling_way, words):
    box = KuaishouSandbox().start()
    try:
        adapter = KuaishouAdapter(app_key=box.app_key, app_secret=box.app_secret, sign_secret=box.sign_secret,
                                  api_base=box.url)
        record = box.add_refund(order_id=ORDER_ID, handling_way=handling_way, refund_fee=12900, push=False)
        calls = len(box.params_log)
        with pytest.raises(PlatformError) as caught:
            adapter.act(box.access_token, Action(kind="approve", aftersale_id=record.refund_id,
                                                 platform_type=str(handling_way), amount_fen=12900,
                                                 platform_status="10"))
        assert caught.value.kind == "refused" and words in caught.value.message and "后台" in caught.value.message
        assert box.params_log[calls:] == [] and record.status == 10  # nothing sent, nothing paid
        # a refund-only request still goes through refund.approve
        refund = box.add_refund(order_id=ORDER_ID, handling_way=10, refund_fee=12900, push=False)
        adapter.act(box.access_token, Action(kind="approve", aftersale_id=refund.refund_id, platform_type="10",
                                             amount_fen=12900, platform_status="10"))
        assert box.params_log[-1][0] == "open/seller/order/refund/approve"
    finally:
        box.stop()


@pytest.mark.django_db(transaction=True)
def test_doudian_a_price_protection_approval_is_refused_here_in_words(sandbox, connect, order_line, claim_clock,
                                                                      agent):
    conn = connect()
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=6,
                                   reason="商品降价", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    assert case.kind == "price_protect" and case.status == "requested"
    case_services.case_approve(case=case, actor=agent)
    action = OutboundAction.objects.get(kind="approve")
    assert action.status == "refused"
    assert "「同意申请」" in action.last_error and "approve" not in action.last_error
    assert "抖店后台" in action.last_error
    assert sandbox.operations == []  # no 201 went out for it
    assert record.status == 6


class EmptyAddressBook(DoudianSandbox):
    def _addresses(self, params: dict) -> tuple[int, dict]:
        return self._ok({"total": 0, "page_no": 1, "page_size": 50, "address_list": []})


@pytest.mark.parametrize(("aftersale_type", "op"), [(0, 101), (3, 301)])
def test_doudian_agreeing_to_take_goods_back_always_names_a_return_address(aftersale_type, op):
    box = DoudianSandbox().start()
    try:
        adapter = DoudianAdapter(app_key=box.app_key, app_secret=box.app_secret, api_base=box.url)
        mapped = box.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=aftersale_type,
                                   push=False)
        adapter.act(box.access_token, Action(kind="approve", aftersale_id=mapped.aftersale_id,
                                             platform_type=str(aftersale_type), return_address_id="880002"))
        unmapped = box.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=aftersale_type,
                                     push=False)
        adapter.act(box.access_token, Action(kind="approve", aftersale_id=unmapped.aftersale_id,
                                             platform_type=str(aftersale_type)))
        assert [(i["type"], i["logistics"]) for i in box.operate_items] == [
            (op, {"receiver_address_id": 880002}),  # the connection's (or the case's) own choice
            (op, {"receiver_address_id": 880001}),  # none mapped: the book's default return address (is_default 1)
        ]
        assert (mapped.status, unmapped.status) == (7, 7)  # 待买家退货
    finally:
        box.stop()
    empty = EmptyAddressBook().start()
    try:
        adapter = DoudianAdapter(app_key=empty.app_key, app_secret=empty.app_secret, api_base=empty.url)
        record = empty.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=aftersale_type,
                                     push=False)
        with pytest.raises(PlatformError) as caught:
            adapter.act(empty.access_token, Action(kind="approve", aftersale_id=record.aftersale_id,
                                                   platform_type=str(aftersale_type)))
        assert caught.value.kind == "refused" and "退货地址" in caught.value.message
        assert empty.operate_items == [] and record.status == 6
    finally:
        empty.stop()
