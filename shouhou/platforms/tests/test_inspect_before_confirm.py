"""A return the shop inspects before it refunds: on 抖店 (and 快手, 微信小店) the platform's 确认收货 refunds the buyer, so
with the connection's 「退货先检测」 on, 确认收货 in shouhou holds the platform confirmation until the merchant's real
decision: inspection passed (or no inspection: resolved, fulfilling) → confirmed once; inspection refused → no
confirmation, the platform's refusal of the returned goods (抖店 112) with the inspection note and photos. With the
switch off (the demo's flow), 确认收货 still goes back at once. Real HTTP both ways (the 抖店 sandbox)."""

from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.cases.tests.factories import photo
from shouhou.platforms import services
from shouhou.platforms.models import OutboundAction
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def public_base(settings, live_server):
    settings.SHOUHOU = {**settings.SHOUHOU, "PUBLIC_BASE_URL": live_server.url}
    return live_server.url


def _returned(pushing, connect, *, inspect: bool):
    """A return-and-refund request, approved back, the goods sent back by the buyer: the case waits for the warehouse."""
    conn = connect()
    services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=0,
                                 return_address_id="123456", inspect_returns=inspect)
    record = pushing.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=0,
                                   reason="七天无理由退货", refund_amount=19900)
    pushing.buyer_returns(record.aftersale_id)
    case = Case.objects.get(platform_link__isnull=False)
    assert case.status == "in_transit_back" and pushing.operations == [(101, record.aftersale_id)]
    return conn, record, case


def _kinds(record) -> list[tuple[str, str]]:
    return list(OutboundAction.objects.filter(aftersale__aftersale_id=record.aftersale_id).order_by("pk")
                .values_list("kind", "status"))


def test_inspection_refused_sends_no_confirmation_but_the_platform_refusal_with_note_and_photo(
        pushing, connect, order_line, claim_clock, agent, public_base):
    conn, record, case = _returned(pushing, connect, inspect=True)
    case_services.case_mark_received(case=case, actor=agent)
    assert pushing.operations == [(101, record.aftersale_id)]  # held: nothing refunds the buyer yet
    assert _kinds(record) == [("approve", "done"), ("confirm_receipt", "held")]
    case.refresh_from_db()
    assert case.events.filter(kind="platform", note__contains="检测结论").exists()
    case_services.case_start_inspection(case=case, actor=agent)
    ev = case_services.case_add_evidence(case=case, upload=photo(), actor=agent, note="外包装破损，吊牌已剪")
    services.outbox_send_due()  # the minute's pass: still inspecting, still held
    assert pushing.operations == [(101, record.aftersale_id)]
    case_services.case_record_inspection(case=case, actor=agent, result="none", note="吊牌已剪，影响二次销售")
    services.outbox_send_due()
    assert [op for op, _aid in pushing.operations] == [101, 112]  # 拒绝退货（二次审核）, never 111
    item = pushing.operate_items[-1]
    assert item["reason"] == "吊牌已剪，影响二次销售"
    assert len(item["evidence"]) == 1 and len(pushing.uploads) == 1
    assert _kinds(record) == [("approve", "done"), ("confirm_receipt", "cancelled"), ("reject", "done")]
    assert OutboundAction.objects.get(kind="reject").payload["evidence_ids"] == [ev.pk]
    assert pushing.aftersales[record.aftersale_id].status == 29
    case.refresh_from_db()
    assert case.status == "rejected"
    services.outbox_send_due()  # again: nothing more goes out
    assert len(pushing.operations) == 2


def test_inspection_passed_confirms_receipt_once(pushing, connect, order_line, claim_clock, agent):
    conn, record, case = _returned(pushing, connect, inspect=True)
    case_services.case_mark_received(case=case, actor=agent)
    case_services.case_start_inspection(case=case, actor=agent)
    case_services.case_record_inspection(case=case, actor=agent, result="refund", note="商品完好")
    services.outbox_send_due()
    services.outbox_send_due()
    assert [op for op, _aid in pushing.operations] == [101, 111]
    assert _kinds(record) == [("approve", "done"), ("confirm_receipt", "done")]
    assert pushing.aftersales[record.aftersale_id].status == 12
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolution == "refund"


def test_received_then_resolved_without_inspection_confirms_once(pushing, connect, order_line, claim_clock, agent):
    conn, record, case = _returned(pushing, connect, inspect=True)
    case_services.case_mark_received(case=case, actor=agent)
    case_services.case_resolve(case=case, actor=agent)
    services.outbox_send_due()
    services.outbox_send_due()
    assert [op for op, _aid in pushing.operations] == [101, 111]
    assert _kinds(record) == [("approve", "done"), ("confirm_receipt", "done")]
    assert pushing.aftersales[record.aftersale_id].status == 12


def test_without_an_inspection_step_received_confirms_at_once_and_only_once(pushing, connect, order_line, claim_clock,
                                                                            agent):
    conn, record, case = _returned(pushing, connect, inspect=False)
    case_services.case_mark_received(case=case, actor=agent)
    services.outbox_send_due()
    assert [op for op, _aid in pushing.operations] == [101, 111]
    case.refresh_from_db()
    assert case.status == "resolved" and pushing.aftersales[record.aftersale_id].status == 12
    assert _kinds(record) == [("approve", "done"), ("confirm_receipt", "done")]


def test_held_confirmation_dropped_when_the_platform_settles_it_itself(pushing, connect, order_line, claim_clock, agent):
    """The platform refunded on its own (the buyer's timeout): the held confirmation is not sent afterwards."""
    conn, record, case = _returned(pushing, connect, inspect=True)
    case_services.case_mark_received(case=case, actor=agent)
    pushing.aftersales[record.aftersale_id].status = 12
    pushing.aftersales[record.aftersale_id].update_time += 5
    services.aftersale_refresh(case.platform_link)
    case.refresh_from_db()
    assert case.status == "resolved"
    services.outbox_send_due()
    assert [op for op, _aid in pushing.operations] == [101]
    assert _kinds(record) == [("approve", "done"), ("confirm_receipt", "cancelled")]


def test_the_switch_is_a_connection_setting_kept_across_saves(connect, sandbox, claim_clock):
    conn = connect()
    services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=False, auto_refund_limit=0,
                                 inspect_returns=True)
    services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=0)
    conn.refresh_from_db()
    assert conn.settings["inspect_returns"] is True and services.inspects_returns(conn)


def test_the_connection_page_turns_the_switch_on_and_off(connect, sandbox, claim_clock, shop_admin, client):
    conn = connect()
    client.force_login(shop_admin)
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    assert 'name="inspect_returns"' in page and "退货先检测" in page
    client.post(f"/platforms/{conn.pk}/", {"do": "settings", "auto_refund_limit": "0", "inspect_returns": "on"})
    conn.refresh_from_db()
    assert services.inspects_returns(conn)
    assert 'name="inspect_returns" checked' in client.get(f"/platforms/{conn.pk}/").content.decode()
    client.post(f"/platforms/{conn.pk}/", {"do": "settings", "auto_refund_limit": "0"})
    conn.refresh_from_db()
    assert not services.inspects_returns(conn)


def test_kuaishou_inspection_refused_is_open_refund_reject_at_awaiting_receipt_never_confirm(ks, shop, order_line,
                                                                                           claim_clock, agent):
    """快手's open.refund.reject is also 商家拒绝收货 (its page, as ks_shop_api carries it: "2.商家拒绝收货")."""
    conn = services.connection_connect(
        shop=shop, actor=SYSTEM, platform="kuaishou", app_key=ks.app_key, app_secret=ks.app_secret,
        platform_shop_id=ks.seller_id, code="sandbox-code", api_base=ks.url, backfill=False,
        extra_secrets={"sign_secret": ks.sign_secret, "msg_secret": ks.msg_secret})
    services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=0,
                                 inspect_returns=True)
    refund = ks.add_refund(order_id=ORDER_ID, handling_way=1, refund_fee=19900, reason="其他", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    case_services.case_approve(case=case, actor=agent)
    ks.buyer_returns(refund.refund_id, push=False)
    services.aftersale_refresh(case.platform_link)
    case.refresh_from_db()
    case_services.case_mark_received(case=case, actor=agent)
    case_services.case_start_inspection(case=case, actor=agent)
    case_services.case_record_inspection(case=case, actor=agent, result="none", note="寄回商品有使用痕迹")
    services.outbox_send_due()
    assert [path for path, _rid in ks.operations] == ["open/seller/order/refund/returngoods/approve",
                                                      "open/refund/reject"]
    assert (ks.refunds[refund.refund_id].status, ks.refunds[refund.refund_id].negotiate_status) == (40, 3)
    assert OutboundAction.objects.get(kind="reject").status == "done"
    # read back as 快手 answers it (40 kept, negotiateStatus 3): refused, not goods still waiting for the check
    case.refresh_from_db()
    assert case.status == "rejected" and case.platform_link.status_text == "卖家拒绝收货，等待买家处理"
    assert not case.events.filter(note__contains="无法从").exists()


def test_inspection_ending_in_a_replacement_does_not_refund_on_the_platform(pushing, connect, order_line,
                                                                            claim_clock, agent):
    conn, record, case = _returned(pushing, connect, inspect=True)
    case_services.case_mark_received(case=case, actor=agent)
    case_services.case_start_inspection(case=case, actor=agent)
    case_services.case_record_inspection(case=case, actor=agent, result="replacement", note="换新")
    services.outbox_send_due()
    assert [op for op, _aid in pushing.operations] == [101]
    assert _kinds(record) == [("approve", "done"), ("confirm_receipt", "cancelled")]
    note = case.events.filter(kind="platform", note__contains="检测结论为").get().note
    assert "换新/补发" in note
    assert "fxg.jinritemai.com" in note


@pytest.mark.parametrize(("result", "operations", "kinds"), [
    ("refund", [101, 111], [("approve", "done"), ("confirm_receipt", "done")]),
    ("none", [101, 112], [("approve", "done"), ("confirm_receipt", "cancelled"), ("reject", "done")]),
])
def test_the_inspection_itself_settles_the_held_confirmation_without_waiting_for_the_pass(
        pushing, connect, order_line, claim_clock, agent, result, operations, kinds):
    """cases reports the steps after 已收货 to the decision hooks: the platform hears the outcome at once (the minute's
    pass is only the fallback)."""
    conn, record, case = _returned(pushing, connect, inspect=True)
    case_services.case_mark_received(case=case, actor=agent)
    case_services.case_start_inspection(case=case, actor=agent)
    assert [op for op, _aid in pushing.operations] == [101]
    case_services.case_record_inspection(case=case, actor=agent, result=result, note="检测结论")
    assert [op for op, _aid in pushing.operations] == operations  # no outbox_send_due() called
    assert _kinds(record) == kinds
