"""抖店 time extension and refund instead, through the sandbox over real HTTP: afterSale/timeExtend (延长售后收货时限)
once the buyer's return is back, through the outbox, the new platform deadline becoming the case's, a second one
refused by the platform in its words; operate 121 退货转退款 / 321 换货转退款 / 621 维修转退款 from the case page, the
case resolved as a refund when the platform refunds; the statuses, types, roles and platforms where neither is
offered are refused before anything is sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from shouhou.accounts.choices import Role
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.core.testing.factories import MembershipFactory, UserFactory
from shouhou.platforms import actback, services
from shouhou.platforms.models import OutboundAction, PlatformEvent
from shouhou.platforms.sandbox.doudian import TIME_EXTEND_SECONDS
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID
from shouhou.platforms.tests.test_actback import _ks_connect, _messages

pytestmark = pytest.mark.django_db(transaction=True)


def _case_from(sandbox, connect, *, aftersale_type: int, reason: str = "其他"):
    conn = connect()
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=aftersale_type,
                                   reason=reason, refund_amount=19900, push=False)
    services.connection_sync(conn)
    return conn, record, Case.objects.get()


def _analyst(shop):
    return MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="analyst")).user


# --- afterSale/timeExtend ----------------------------------------------------------------------------------------
def test_doudian_time_extension_moves_the_platform_deadline_onto_the_case(pushing, connect, shop, order_line,
                                                                          claim_clock, agent, client):
    connect()
    record = pushing.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=0, reason="其他",
                                   refund_amount=19900)  # pushed (tag 200), signed, over HTTP
    case = Case.objects.get()
    aid = record.aftersale_id
    client.force_login(agent)
    # not while the platform waits for the merchant's first answer: nothing offered, the service says when
    assert 'id="time-extend"' not in client.get(f"/cases/{case.pk}/").content.decode()
    with pytest.raises(actback.ActbackError, match="等待商家收货时才能延长收货时限"):
        actback.time_extend(case=case, actor=agent)
    case_services.case_approve(case=case, actor=agent)  # 101 → 7 待买家退货
    pushing.buyer_returns(aid)  # tag 203 pushed → 11: the return is with the merchant, whose clock now runs
    case.refresh_from_db()
    assert case.status == "in_transit_back" and case.platform_link.status == "11"
    before = pushing.aftersales[aid].status_deadline
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="time-extend"' in page and "延长平台收货时限" in page
    with pytest.raises(PermissionDenied):  # a read-only role, whatever the page shows it
        actback.time_extend(case=case, actor=_analyst(shop))
    response = client.post(f"/platforms/cases/{case.pk}/time-extend/", {"note": "仓库盘点，晚两天验货"}, follow=True)
    assert "延长收货时限的申请已排队回传平台" in _messages(response)
    assert pushing.time_extensions == [aid]
    action = OutboundAction.objects.get(kind="time_extend")
    assert action.status == "done" and action.answer["code"] == 10000 and action.attempts == 1
    # read again after the action: the platform's new deadline is the request's and the case's
    after = pushing.aftersales[aid].status_deadline
    assert after == before + TIME_EXTEND_SECONDS
    case.refresh_from_db()
    deadline = dt.datetime.fromtimestamp(after, dt.UTC)
    assert case.platform_link.status_deadline == deadline and case.deadline_at == deadline
    assert case.status == "in_transit_back"
    notes = list(case.events.filter(kind="platform").values_list("note", flat=True))
    assert "申请延长平台收货时限：仓库盘点，晚两天验货" in notes and "平台已受理：延长收货时限" in notes
    # the platform's tag 209 (售后超时时长变更, status_deadline) is taken like any after-sale message
    assert pushing.push([pushing.deadline_message(pushing.aftersales[aid])]).json() == {"code": 0, "msg": "success"}
    assert PlatformEvent.objects.get(tag="209").status == "applied"
    case.refresh_from_db()
    assert case.deadline_at == deadline
    # a second extension: a new request version, so it goes out; this platform grants one, and says so
    client.post(f"/platforms/cases/{case.pk}/time-extend/", {"note": ""})
    second = OutboundAction.objects.filter(kind="time_extend").order_by("pk").last()
    assert second.pk != action.pk and second.status == "refused" and "已延长过收货时限" in second.last_error
    assert case.events.filter(note__contains="平台拒绝「延长收货时限」").exists()
    # asked again at the same version: answered in words, nothing queued or sent
    response = client.post(f"/platforms/cases/{case.pk}/time-extend/", {}, follow=True)
    assert "平台未受理此前的「申请延长收货时限」" in _messages(response)
    assert OutboundAction.objects.filter(kind="time_extend").count() == 2 and pushing.time_extensions == [aid]


def test_doudian_time_extension_waits_out_an_outage_and_is_queued_once(sandbox, connect, order_line, claim_clock,
                                                                       agent):
    conn, record, case = _case_from(sandbox, connect, aftersale_type=0)
    case_services.case_approve(case=case, actor=agent)
    sandbox.buyer_returns(record.aftersale_id, push=False)
    services.connection_sync(conn)
    case.refresh_from_db()
    sandbox.fail_next("afterSale/timeExtend", "outage")
    action = actback.time_extend(case=case, actor=agent)
    action.refresh_from_db()
    assert action.status == "pending" and action.next_attempt_at is not None and not sandbox.time_extensions
    # clicked again while it waits: not queued twice
    with pytest.raises(actback.ActbackError, match="平台状态变化前不会重复发送"):
        actback.time_extend(case=case, actor=agent)
    claim_clock.shift(dt.timedelta(minutes=2))
    services.outbox_send_due()
    action.refresh_from_db()
    assert action.status == "done" and action.attempts == 2 and sandbox.time_extensions == [record.aftersale_id]


# --- operate 121 / 321 / 621 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("aftersale_type", "kind", "approve_first", "op", "words"), [
    (0, "return_refund", False, 121, "退货转退款"),  # at 6: the merchant refunds without asking for the goods
    (3, "exchange", True, 321, "换货转退款"),  # at 7 (out of stock after agreeing to the exchange)
    (8, "repair", False, 621, "维修转退款"),
])
def test_doudian_request_turned_into_a_refund_resolves_as_a_refund(sandbox, connect, order_line, claim_clock, agent,
                                                                   client, aftersale_type, kind, approve_first, op,
                                                                   words):
    conn, record, case = _case_from(sandbox, connect, aftersale_type=aftersale_type)
    assert case.kind == kind
    if approve_first:
        case_services.case_approve(case=case, actor=agent)
        case.refresh_from_db()
        assert case.platform_link.status == "7"
    client.force_login(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="refund-instead"' in page and words in page
    response = client.post(f"/platforms/cases/{case.pk}/refund-instead/", {"note": " "}, follow=True)
    assert "请填写转为退款的原因" in _messages(response) and not OutboundAction.objects.filter(kind="refund_instead")
    response = client.post(f"/platforms/cases/{case.pk}/refund-instead/", {"note": "缺货，买家同意改为退款"}, follow=True)
    assert "转为退款的申请已排队回传平台" in _messages(response)
    assert sandbox.operations[-1] == (op, record.aftersale_id)
    sent = sandbox.operate_items[-1]
    assert sent["type"] == op and str(sent["aftersale_id"]) == record.aftersale_id and sent["update_time"]
    assert OutboundAction.objects.get(kind="refund_instead").status == "done"
    # the platform refunded (12 售后成功): the case is resolved, and as a refund whatever its kind was
    case.refresh_from_db()
    assert case.platform_link.status == "12"
    assert case.status == "resolved" and case.resolution == "refund" and case.kind == kind
    assert case.events.filter(kind="platform", note=f"向平台申请{words}：缺货，买家同意改为退款").exists()
    assert case.events.filter(kind="platform", note="平台已受理：转为退款").exists()
    # nothing more to offer on a resolved case
    assert 'id="refund-instead"' not in client.get(f"/cases/{case.pk}/").content.decode()
    with pytest.raises(actback.ActbackError, match="不能"):
        actback.refund_instead(case=case, actor=agent, note="再转一次")


def test_doudian_refund_instead_refused_where_it_does_not_apply(sandbox, connect, shop, order_line, claim_clock,
                                                                agent, client):
    conn, record, case = _case_from(sandbox, connect, aftersale_type=0)
    with pytest.raises(PermissionDenied):
        actback.refund_instead(case=case, actor=_analyst(shop), note="转退款")
    # 退货转退款 is offered before the return is agreed (6), not once the buyer is sending the goods back (7)
    case_services.case_approve(case=case, actor=agent)
    case.refresh_from_db()
    client.force_login(agent)
    assert 'id="refund-instead"' not in client.get(f"/cases/{case.pk}/").content.decode()
    with pytest.raises(actback.ActbackError, match="不能退货转退款"):
        actback.refund_instead(case=case, actor=agent, note="转退款")
    assert not OutboundAction.objects.filter(kind="refund_instead").exists()
    assert [op for op, _ in sandbox.operations] == [101]


def test_doudian_refund_instead_refused_by_the_platform_is_said_on_the_case(sandbox, connect, order_line,
                                                                            claim_clock, agent):
    conn, record, case = _case_from(sandbox, connect, aftersale_type=3)
    sandbox.fail_next("afterSale/operate", "status_error")  # 售后状态错误: handled meanwhile in the back office
    actback.refund_instead(case=case, actor=agent, note="缺货")
    action = OutboundAction.objects.get(kind="refund_instead")
    assert action.status == "refused" and "售后状态错误" in action.last_error
    assert case.events.filter(note__contains="平台拒绝「转为退款」", note__icontains="已重新同步").exists()
    with pytest.raises(actback.ActbackError, match="平台未受理此前的「申请换货转退款」"):
        actback.refund_instead(case=case, actor=agent, note="缺货")
    assert sandbox.operations == [] and OutboundAction.objects.filter(kind="refund_instead").count() == 1


def test_refund_only_requests_offer_neither(sandbox, connect, order_line, claim_clock, agent, client):
    conn, record, case = _case_from(sandbox, connect, aftersale_type=1)  # 已发货仅退款: nothing to convert
    with pytest.raises(actback.ActbackError, match="只有退货退款、换货或维修"):
        actback.refund_instead(case=case, actor=agent, note="转退款")
    client.force_login(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="refund-instead"' not in page and 'id="time-extend"' not in page


def test_other_platforms_offer_neither_and_give_the_back_office_link(ks, shop, order_line, claim_clock,  # noqa: F811
                                                                     agent, client):
    # 快手: its published refund API group has neither; the service gives the back-office link
    ks_conn = _ks_connect(shop, ks)
    ks.add_refund(order_id=ORDER_ID, handling_way=1, reason="其他", push=False)
    services.connection_sync(ks_conn)
    ks_case = Case.objects.get()
    client.force_login(agent)
    link = ks_case.platform_link
    with pytest.raises(actback.ActbackError, match="没有公开的延长售后时限接口") as exc:
        actback.time_extend(case=ks_case, actor=agent)
    assert link.manual_url in str(exc.value)
    with pytest.raises(actback.ActbackError, match="没有公开的转退款接口"):
        actback.refund_instead(case=ks_case, actor=agent, note="转退款")
    page = client.get(f"/cases/{ks_case.pk}/").content.decode()
    assert 'id="refund-instead"' not in page and 'id="time-extend"' not in page
    assert not OutboundAction.objects.filter(kind__in=["time_extend", "refund_instead"]).exists()
