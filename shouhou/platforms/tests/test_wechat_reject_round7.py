"""微信小店 refusals, round 7: the merchant's evidence photos go with rejectapply as `reject_certificates` (media ids from
basics/img/upload, as WxJava's AfterSaleRejectParam says: "拒绝凭证图片列表，可使用图片上传接口获取media_id"), and the
connection's default refusal reason is chosen per reject_scene — a default of another scene is refused here in words,
never sent. The inspection refusal of a returned item (退货先检测) goes out as rejectapply with the scene-4 default."""

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


def _connect(shop, wx, **settings):
    conn = services.connection_connect(
        shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=wx.app_id, app_secret=wx.app_secret,
        platform_shop_id=wx.username, api_base=wx.url, backfill=False,
        extra_secrets={"sign_secret": wx.push_token, "msg_secret": wx.aes_key})
    conn.settings = {**(conn.settings or {}), **settings}
    conn.save(update_fields=["settings"])
    return conn


def _returned_case(wx, conn, agent):
    """A return approved back and sent back by the buyer: 待商家收货 on 微信小店, 退货运输中 on the case."""
    record = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, kind="RETURN", reason="其他", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    case_services.case_approve(case=case, actor=agent)
    wx.buyer_returns(record.aftersale_id, push=False)
    services.aftersale_refresh(case.platform_link)
    case.refresh_from_db()
    assert case.status == "in_transit_back" and case.platform_link.status == "MERCHANT_WAIT_RECEIPT"
    return record, case


def test_reject_sends_the_evidence_as_reject_certificates(wx, shop, order_line, claim_clock, agent, client,
                                                          public_base):
    conn = _connect(shop, wx)
    record = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, reason="不想要了", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    ev = case_services.case_add_evidence(case=case, upload=photo(), actor=agent)
    client.force_login(agent)
    client.post(f"/platforms/cases/{case.pk}/reject/", {"reason": "商品完好无问题", "reject_reason_code": "16",
                                                         "evidence_ids": [str(ev.pk)]})
    name, _aid, body = wx.operations[-1]
    assert name == "rejectapply" and body["reject_reason_type"] == 16
    assert len(body["reject_certificates"]) == 1 and body["reject_certificates"][0] in wx.uploads
    assert wx.uploads[body["reject_certificates"][0]].startswith(f"{public_base}/platforms/evidence/")
    assert wx.aftersales[record.aftersale_id].status == "MERCHANT_REJECT_REFUND"
    assert not Case.objects.get().events.filter(note__contains="不接收图片凭证").exists()


def test_inspection_refusal_uses_the_return_scenes_default_and_the_inspection_photo(wx, shop, order_line, claim_clock,
                                                                                    agent, public_base):
    conn = _connect(shop, wx, reject_reason_types={"1": 16, "4": 20}, inspect_returns=True)
    record, case = _returned_case(wx, conn, agent)
    case_services.case_mark_received(case=case, actor=agent)
    assert [op[0] for op in wx.operations] == ["acceptapply"]  # the refund (同意 again) is held
    case_services.case_start_inspection(case=case, actor=agent)
    case_services.case_add_evidence(case=case, upload=photo(), actor=agent, note="寄回商品已使用")
    case_services.case_record_inspection(case=case, actor=agent, result="none", note="寄回商品有使用痕迹")
    services.outbox_send_due()
    name, _aid, body = wx.operations[-1]
    assert [op[0] for op in wx.operations] == ["acceptapply", "rejectapply"]
    assert (body["reject_reason_type"], body["reject_reason"]) == (20, "寄回商品有使用痕迹")
    assert len(body["reject_certificates"]) == 1 and body["reject_certificates"][0] in wx.uploads
    assert wx.aftersales[record.aftersale_id].status == "MERCHANT_REJECT_REFUND"


def test_a_default_reason_of_another_scene_is_refused_here_in_words(wx, shop, order_line, claim_clock, agent):
    conn = _connect(shop, wx, reject_reason_type=16, inspect_returns=True)  # 16: scene 1 (仅退款) only
    record, case = _returned_case(wx, conn, agent)
    case_services.case_mark_received(case=case, actor=agent)
    case_services.case_start_inspection(case=case, actor=agent)
    case_services.case_record_inspection(case=case, actor=agent, result="none", note="寄回商品有使用痕迹")
    services.outbox_send_due()
    assert [op[0] for op in wx.operations] == ["acceptapply"]  # nothing of the wrong scene went out
    action = OutboundAction.objects.get(kind="reject")
    assert action.status == "refused" and "reject_scene" in action.last_error and "16" in action.last_error
    note = case.events.filter(kind="platform", note__contains="平台拒绝").order_by("-pk").first().note
    assert "默认拒绝原因" in note and "退货退款" in note
    assert wx.aftersales[record.aftersale_id].status == "MERCHANT_WAIT_RECEIPT"  # not refunded either
