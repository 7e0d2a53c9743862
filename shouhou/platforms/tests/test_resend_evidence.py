"""补寄 and arbitration evidence through the 抖店 sandbox over real HTTP: a 补寄 request (aftersale_type 7) is a
resend case, agreed with operate 501 or refused with 502, its parcel sent back with afterSale/fillLogistics
send_type=1 and tracked; arbitration evidence (words + case photos uploaded to the platform's image API) goes
through the outbox to afterSale/submitEvidence, once per submission, refused clearly when no arbitration is open;
platforms without such APIs show the back-office link instead."""

from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.cases.tests.factories import photo
from shouhou.commerce.models import Shipment
from shouhou.logistics.models import TrackingSubscription
from shouhou.platforms import actback, services
from shouhou.platforms.models import OutboundAction, PlatformAftersale
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID
from shouhou.platforms.tests.test_actback import (  # noqa: F401 (fixtures)
    _ks_connect,
    _messages,
    _wx_connect,
    public_base,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _case_from(sandbox, connect, *, aftersale_type: int, reason: str = "其他"):
    conn = connect()
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=aftersale_type,
                                   reason=reason, push=False)
    services.connection_sync(conn)
    return conn, record, Case.objects.get()


def test_doudian_resend_agreed_shipped_tracked_and_resolved(sandbox, connect, shop, order_line, claim_clock, agent,
                                                            client):
    shop.settings = {**(shop.settings or {}), "kuaidi100_key": "key-123"}
    shop.save(update_fields=["settings"])
    conn, record, case = _case_from(sandbox, connect, aftersale_type=7)
    assert case.kind == "resend" and case.status == "requested"
    client.force_login(agent)
    assert 'id="resend-ship"' not in client.get(f"/cases/{case.pk}/").content.decode()  # not agreed yet
    case_services.case_approve(case=case, actor=agent)
    assert sandbox.operations == [(501, record.aftersale_id)]  # 同意补寄
    case.refresh_from_db()
    assert case.status == "fulfilling" and case.platform_link.status == "8"  # 待商家发货
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="resend-ship"' in page and "登记补寄发货" in page
    response = client.post(f"/platforms/cases/{case.pk}/resend-ship/", {"carrier": "SF", "tracking_no": "SF 12"},
                           follow=True)
    assert "运单号" in _messages(response) and not sandbox.resend_parcels
    client.post(f"/platforms/cases/{case.pk}/resend-ship/", {"carrier": "SF", "tracking_no": "SF9876543210"})
    assert sandbox.resend_parcels == [{"aftersale_id": record.aftersale_id, "company_code": "shunfeng",
                                       "tracking_no": "SF9876543210"}]
    action = OutboundAction.objects.get(kind="resend_ship")
    assert action.status == "done"
    case.refresh_from_db()
    assert case.platform_link.status == "13" and case.status == "fulfilling"
    shipment = Shipment.objects.get(tracking_no="SF9876543210")
    assert shipment.order_id == case.order_id and not shipment.is_return
    assert TrackingSubscription.objects.filter(shipment=shipment, company="shunfeng").exists()
    assert case.events.filter(note__contains="补寄商品已寄出", visible_to_customer=True).exists()
    # the same parcel posted again is not sent twice (one action per request version and kind)
    client.post(f"/platforms/cases/{case.pk}/resend-ship/", {"carrier": "SF", "tracking_no": "SF9876543210"})
    assert len(sandbox.resend_parcels) == 1
    sandbox.buyer_confirms_exchange(record.aftersale_id, push=False)  # the buyer signs: 14 换货/补寄/维修成功
    services.connection_sync(conn)
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolution == "replacement"


def test_doudian_resend_refused_and_other_operate_types(sandbox, connect, order_line, claim_clock, agent):
    conn, record, case = _case_from(sandbox, connect, aftersale_type=7)
    case_services.case_reject(case=case, actor=agent, reason="已核实包裹完整")
    assert sandbox.operations == [(502, record.aftersale_id)]  # 拒绝补寄
    assert sandbox.operate_items[-1]["reason"] == "已核实包裹完整"
    case.refresh_from_db()
    assert case.platform_link.status == "27"
    with pytest.raises(actback.ActbackError, match="只有换货"):
        actback.exchange_ship(case=case, actor=agent, carrier="SF", tracking_no="SF1")
    with pytest.raises(actback.ActbackError, match="平台同意补寄后"):
        actback.resend_ship(case=case, actor=agent, carrier="SF", tracking_no="SF1")


def test_doudian_presale_refund_is_agreed_with_401(sandbox, connect, order_line, claim_clock, agent):
    conn, record, case = _case_from(sandbox, connect, aftersale_type=2)
    case_services.case_approve(case=case, actor=agent)
    assert sandbox.operations == [(401, record.aftersale_id)]  # 同意售前退 (未发货仅退款)
    case.refresh_from_db()
    assert case.platform_link.status == "12"


def test_doudian_request_for_evidence_is_noted_on_the_case(sandbox, connect, order_line, claim_clock, live_server):
    conn, record, case = _case_from(sandbox, connect, aftersale_type=0)
    sandbox.push_url = f"{live_server.url}/platforms/doudian/push/"
    sandbox.open_arbitration(record.aftersale_id)  # tag 213 客服要求商家上传凭证, signed, over HTTP
    note = case.events.get(kind="platform", note__contains="客服要求商家上传仲裁凭证")
    assert "提交仲裁凭证" in note.note and note.data["tag"] == "213"
    again = sandbox.message("213", sandbox.aftersales[record.aftersale_id])  # a later request for evidence…
    for _ in range(2):  # …delivered twice (the platform retries): one message, one more note
        assert sandbox.push([again]).json() == {"code": 0, "msg": "success"}
    assert case.events.filter(note__contains="客服要求商家上传仲裁凭证").count() == 2
    assert conn.pk == case.platform_link.connection_id


def test_doudian_arbitration_evidence_goes_through_the_outbox(sandbox, connect, order_line, claim_clock, agent,
                                                              client, public_base):  # noqa: F811
    conn, record, case = _case_from(sandbox, connect, aftersale_type=0)
    evidence = [case_services.case_add_evidence(case=case, upload=photo(), actor=agent, note=f"签收照片{n}")
                for n in range(5)]
    client.force_login(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="arbitration-evidence"' in page and "最多 4 张" in page
    # five photos: more than afterSale/submitEvidence takes
    response = client.post(f"/platforms/cases/{case.pk}/evidence/",
                           {"comment": "买家已签收，附签收照片", "evidence_ids": [e.pk for e in evidence]}, follow=True)
    assert "最多提交 4 张" in _messages(response) and not OutboundAction.objects.exists()
    # no arbitration open yet: the platform refuses, the case says so in its words
    client.post(f"/platforms/cases/{case.pk}/evidence/", {"comment": "买家已签收", "evidence_ids": [evidence[0].pk]})
    refused = OutboundAction.objects.get(kind="submit_evidence")
    assert refused.status == "refused" and "不在仲裁中" in refused.last_error
    assert case.events.filter(note__contains="平台拒绝「提交仲裁凭证」").exists()
    # the platform's staff ask for evidence (tag 213): words + two photos, uploaded to the image API first
    sandbox.open_arbitration(record.aftersale_id, push=False)
    services.connection_sync(conn)
    ids = [evidence[1].pk, evidence[2].pk]
    client.post(f"/platforms/cases/{case.pk}/evidence/", {"comment": "快递签收记录与开箱照片", "evidence_ids": ids})
    assert len(sandbox.evidence_submissions) == 1
    sent = sandbox.evidence_submissions[0]
    assert sent["comment"] == "快递签收记录与开箱照片" and len(sent["evidence"]) == 2
    assert all(url.startswith("https://p3-sandbox.example/") for url in sent["evidence"])
    assert len(sandbox.uploads) == 3  # the refused submission's photo, then these two, fetched by signed link
    # the same submission again is sent once; different words are a new submission
    client.post(f"/platforms/cases/{case.pk}/evidence/", {"comment": "快递签收记录与开箱照片", "evidence_ids": ids})
    assert len(sandbox.evidence_submissions) == 1 and OutboundAction.objects.count() == 2
    actback.evidence_submit(case=case, actor=agent, comment="补充：买家聊天记录承认已收到")
    assert [s["comment"] for s in sandbox.evidence_submissions][-1] == "补充：买家聊天记录承认已收到"
    assert "evidence" not in sandbox.evidence_submissions[-1] or sandbox.evidence_submissions[-1]["evidence"] == []


def test_wechat_shop_proof_goes_to_the_dispute_with_media_ids(wx, shop, order_line, claim_clock, agent,  # noqa: F811
                                                             public_base):  # noqa: F811
    conn = _wx_connect(shop, wx)
    record = wx.add_aftersale(order_id=ORDER_ID, sku_id=SKU_ORDER_ID, reason="不想要了", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    ev = case_services.case_add_evidence(case=case, upload=photo(), actor=agent)
    # no dispute yet: refused in plain words, nothing sent to addcomplaintproof
    actback.evidence_submit(case=case, actor=agent, comment="商品完好", evidence_ids=[ev.pk])
    first = OutboundAction.objects.get(kind="submit_evidence")
    assert first.status == "refused" and "没有纠纷单" in first.last_error and not wx.complaint_proofs
    # the buyer asks the platform to step in: the proof goes to that dispute with the image's media id
    complaint_id = wx.open_complaint(record.aftersale_id)
    services.connection_sync(conn)
    actback.evidence_submit(case=case, actor=agent, comment="签收记录与开箱视频截图", evidence_ids=[ev.pk])
    assert len(wx.complaint_proofs) == 1
    proof = wx.complaint_proofs[0]
    assert proof["complaint_id"] == complaint_id and proof["content"] == "签收记录与开箱视频截图"
    assert len(proof["media_id_list"]) == 1 and wx.uploads[proof["media_id_list"][0]].startswith(public_base)


def test_platforms_without_evidence_or_resend_api_show_the_back_office_link(ks, shop, order_line, claim_clock,  # noqa: F811
                                                                            agent, client):
    conn = _ks_connect(shop, ks)
    ks.add_refund(order_id=ORDER_ID, handling_way=10, reason="其他", push=False)
    services.connection_sync(conn)
    case = Case.objects.get()
    link = PlatformAftersale.objects.get(case=case)
    client.force_login(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="arbitration-manual"' in page and 'id="arbitration-evidence"' not in page
    assert link.manual_url in page
    with pytest.raises(actback.ActbackError, match="没有公开的仲裁凭证接口"):
        actback.evidence_submit(case=case, actor=agent, comment="签收记录")
    assert not OutboundAction.objects.filter(kind="submit_evidence").exists()


def test_kuaishou_resend_has_no_shipping_api(ks, shop, order_line, claim_clock, agent):  # noqa: F811
    # 快手 补寄 (handlingWay 4): its refund API group publishes no 补寄 shipping, the agent is sent to the back office
    conn = _ks_connect(shop, ks)
    ks.add_refund(order_id=ORDER_ID, handling_way=4, reason="其他", push=False)
    services.connection_sync(conn)
    resend = Case.objects.get(kind="resend")
    with pytest.raises(actback.ActbackError, match="没有公开的补寄发货接口"):
        actback.resend_ship(case=resend, actor=agent, carrier="SF", tracking_no="SF1234567890")


def test_youzan_exchange_is_refused_locally_with_the_back_office_link_and_has_no_platform_deadline(
        shop, order_line, claim_clock, agent):
    from shouhou.platforms.sandbox.youzan import YouzanSandbox

    yz = YouzanSandbox().start()
    try:
        conn = services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=yz.client_id,
                                           app_secret=yz.client_secret, api_base=yz.url, platform_shop_id=yz.kdt_id,
                                           backfill=False)
        refund = yz.add_refund(tid=ORDER_ID, oid=SKU_ORDER_ID, demand=3, refund_fee="0.00", reason=17, push=False)
        services.connection_sync(conn)
        case = Case.objects.get()
        link = case.platform_link
        assert case.kind == "exchange" and link.status_deadline is None  # 有赞's refund detail gives no deadline
        calls = len(yz.calls)
        case_services.case_approve(case=case, actor=agent)
        action = OutboundAction.objects.get(kind="approve")
        assert action.status == "refused" and "有赞换货请在有赞后台处理" in action.last_error
        assert not [c for c in yz.calls[calls:] if "agree" in c or "exchange" in c]  # nothing sent to 有赞
        note = case.events.filter(kind="platform", note__contains="平台拒绝「同意申请」").get().note
        assert "https://www.youzan.com/v4/trade/refunds" in note
        assert link.aftersale_id == refund.refund_id
    finally:
        yz.stop()
