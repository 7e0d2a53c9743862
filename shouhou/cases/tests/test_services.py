from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.models import Case, CaseEvent, CaseEvidence
from shouhou.cases.tests.factories import GIF, PNG, WEBP, photo
from shouhou.core.models import AuditEvent
from shouhou.core.testing.factories import OrderLineFactory
from shouhou.notifications.models import OutboundMessage
from shouhou.policies.document import default_source
from shouhou.policies.services import policy_publish

pytestmark = pytest.mark.django_db(transaction=False)


def _statuses(case):
    return list(case.events.order_by("at", "id").values_list("from_status", "to_status"))


def test_no_reason_claim_is_auto_approved_under_the_active_policy_version(shop, line, django_capture_on_commit_callbacks):
    # given a published policy
    v = policy_publish(actor=SYSTEM, shop=shop, source=default_source(), note="首版")
    # when a customer files a no-reason return with a photo
    with django_capture_on_commit_callbacks(execute=True):
        case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="no_reason", photos=[photo()], from_customer=True)
    case.refresh_from_db()
    # then
    assert case.status == S.AWAITING_RETURN
    assert case.auto_approved is True
    assert case.policy_version == v
    assert case.kind == "return_refund" and case.shipping_payer == "buyer" and case.refund_amount == Decimal("199.00")
    assert _statuses(case) == [("", "requested"), ("requested", "approved"), ("approved", "awaiting_return")]
    assert case.evidence.count() == 1
    keys = set(OutboundMessage.objects.values_list("idempotency_key", flat=True))
    assert {f"case:{case.pk}:created", f"case:{case.pk}:approved"} <= keys
    # a new version later does not change the case's version
    policy_publish(actor=SYSTEM, shop=shop, source=default_source(), note="第二版")
    case.refresh_from_db()
    assert case.policy_version == v


def test_quality_claim_waits_for_an_agent_then_full_return_path(shop, line, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
        assert case.status == S.REQUESTED and case.shipping_payer == "merchant"
        svc.case_approve(case=case, actor=agent, note="同意退货")
        svc.case_return_shipped(actor=SYSTEM, case=case, method="self_ship", carrier="SF", tracking_no="SF1234567890")
        svc.case_mark_received(case=case, actor=agent)
        svc.case_start_inspection(case=case, actor=agent, site="lab")
        svc.case_add_progress(case=case, actor=agent, note="检测机构已收到，预计3天出结果")
        svc.case_record_inspection(case=case, actor=agent, result="refund", note="确认面料起球，属质量问题")
        svc.case_resolve(case=case, actor=agent)
    case.refresh_from_db()
    assert case.status == S.RESOLVED and case.resolution == "refund" and case.resolved_at is not None
    assert case.return_tracking_no == "SF1234567890" and case.inspection_site == "lab"
    assert _statuses(case) == [("", "requested"), ("requested", "approved"), ("approved", "awaiting_return"),
                               ("awaiting_return", "in_transit_back"), ("in_transit_back", "received"),
                               ("received", "inspecting"), ("inspecting", "inspecting"), ("inspecting", "inspecting"),
                               ("inspecting", "fulfilling"), ("fulfilling", "resolved")]
    keys = set(OutboundMessage.objects.filter(customer=case.customer).values_list("idempotency_key", flat=True))
    assert {f"case:{case.pk}:received", f"case:{case.pk}:resolved", f"case:{case.pk}:inspection"} <= keys
    assert AuditEvent.objects.filter(object_id=str(case.pk), action="case.resolved").count() == 1


@pytest.mark.parametrize(("setup", "action", "wanted"), [
    ([], lambda c, a: svc.case_mark_received(case=c, actor=a), "已收货"),
    ([], lambda c, a: svc.case_resolve(case=c, actor=a), "已完结"),
    (["reject"], lambda c, a: svc.case_approve(case=c, actor=a), "已同意"),
    (["cancel"], lambda c, a: svc.case_reject(case=c, actor=a, reason="x"), "已拒绝"),
    (["approve"], lambda c, a: svc.case_start_inspection(case=c, actor=a), "检测中"),
    (["approve"], lambda c, a: svc.case_approve(case=c, actor=a), "已同意"),
])
def test_invalid_transitions_are_refused_naming_both_states(shop, line, agent, setup, action, wanted):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    for step in setup:
        {"reject": lambda: svc.case_reject(case=case, actor=agent, reason="照片无法看出问题"),
         "cancel": lambda: svc.case_cancel(actor=SYSTEM, case=case, reason="不退了"),
         "approve": lambda: svc.case_approve(case=case, actor=agent)}[step]()
    before = case.events.count()
    with pytest.raises(svc.CaseError) as exc:
        action(case, agent)
    assert f"不能变更为「{wanted}」" in str(exc.value) and "当前状态为「" in str(exc.value)
    assert case.events.count() == before


def test_reject_requires_a_reason_and_is_recorded(shop, line, agent):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    with pytest.raises(svc.CaseError, match="必须填写原因"):
        svc.case_reject(case=case, actor=agent, reason=" ")
    svc.case_reject(case=case, actor=agent, reason="超出售后期")
    ev = case.events.last()
    assert (ev.from_status, ev.to_status, ev.note, ev.actor) == ("requested", "rejected", "超出售后期", agent)


def test_a_second_open_case_on_the_same_line_is_refused(shop, line):
    svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    with pytest.raises(svc.CaseError, match="已有进行中的售后单"):
        svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="no_reason")


def test_case_for_another_shops_line_is_refused(shop, other_shop):
    foreign = OrderLineFactory(order__shop=other_shop)
    with pytest.raises(svc.CaseError, match="不属于本店铺"):
        svc.case_create(actor=SYSTEM, shop=shop, order_line=foreign, reason="quality")


def test_compensation_within_limit_is_issued(shop, line, agent):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", kind="compensation")
    svc.case_issue_compensation(case=case, actor=agent, kind="coupon", amount=Decimal("10"))
    case.refresh_from_db()
    assert case.status == S.FULFILLING and case.compensation_amount == Decimal("10.00")
    assert case.events.filter(kind="compensation_issued").count() == 1


def test_compensation_above_limit_waits_for_a_supervisor(shop, line, agent, supervisor):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", kind="compensation")
    svc.case_issue_compensation(case=case, actor=agent, kind="red_packet", amount=Decimal("80"))
    case.refresh_from_db()
    assert case.status == S.AWAITING_SUPERVISOR and case.compensation_amount == Decimal("0")
    with pytest.raises(PermissionDenied):
        svc.case_supervisor_approve(case=case, actor=agent)
    svc.case_supervisor_approve(case=case, actor=supervisor, note="老客户，同意")
    case.refresh_from_db()
    assert case.status == S.FULFILLING and case.compensation_amount == Decimal("80.00")
    assert case.compensation_kind == "red_packet" and case.pending_compensation == {}
    svc.case_resolve(case=case, actor=supervisor)
    case.refresh_from_db()
    assert case.resolution == "compensation"


def test_inspection_none_rejects_and_progress_after_end_is_refused(shop, line, agent):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    svc.case_approve(case=case, actor=agent)
    svc.case_return_shipped(actor=SYSTEM, case=case, method="pickup")
    svc.case_mark_received(case=case, actor=agent)
    with pytest.raises(svc.CaseError, match="只有「检测中」"):
        svc.case_record_inspection(case=case, actor=agent, result="refund")
    svc.case_start_inspection(case=case, actor=agent)
    svc.case_record_inspection(case=case, actor=agent, result="none", note="人为损坏")
    case.refresh_from_db()
    assert case.status == S.REJECTED
    with pytest.raises(svc.CaseError, match="已结束"):
        svc.case_add_progress(case=case, actor=agent, note="x")


def test_self_ship_needs_tracking_and_cancel_from_awaiting_return(shop, line, agent):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    svc.case_approve(case=case, actor=agent)
    with pytest.raises(svc.CaseError, match="快递单号"):
        svc.case_return_shipped(actor=SYSTEM, case=case, method="self_ship", tracking_no="")
    svc.case_cancel(actor=SYSTEM, case=case, reason="买家不退了")
    case.refresh_from_db()
    assert case.status == S.CANCELLED


def test_stale_object_cannot_move_twice(shop, line, agent):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    stale = Case.objects.get(pk=case.pk)
    svc.case_approve(case=case, actor=agent)
    with pytest.raises(svc.CaseError):
        svc.case_approve(case=stale, actor=agent)
    assert CaseEvent.objects.filter(case=case, to_status="approved").count() == 1


@pytest.mark.parametrize(("data", "error"), [
    (b"", "空文件"),
    (b"%PDF-1.4 not an image", "不是支持的图片格式"),
    (GIF, None),
    (PNG, None),
    (WEBP, None),
    (b"\x00\x00\x00\x18ftypheic" + b"\x00" * 20, "HEIC"),
    (b"GIF89a" + b"\x00" * 20, "不是真正的图片"),
])
def test_evidence_is_checked_by_content(shop, line, data, error):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    upload = photo(data, name="x.jpg")
    if error:
        from shouhou.core.uploads import UploadError

        with pytest.raises(UploadError, match=error):
            svc.case_add_evidence(actor=SYSTEM, case=case, upload=upload)
        assert CaseEvidence.objects.count() == 0
    else:
        ev = svc.case_add_evidence(actor=SYSTEM, case=case, upload=upload)
        assert ev.file.read()[:3] == data[:3]


def test_evidence_size_limit(shop, line):
    from shouhou.core.uploads import UploadError, check_image

    with pytest.raises(UploadError, match="照片太大"):
        check_image(photo(b"\xff\xd8\xff" + b"\x00" * 2000), max_bytes=1000)


def test_recall_opens_a_case_per_affected_line_and_queues_messages(shop, other_shop, supervisor,
                                                                 django_capture_on_commit_callbacks):
    from shouhou.core.testing.factories import ProductFactory

    product = ProductFactory(shop=shop, name="暖手宝")
    hit = [OrderLineFactory(order__shop=shop, product=product, batch_no="B2026-10") for _ in range(3)]
    OrderLineFactory(order__shop=shop, product=product, batch_no="B2026-09")
    OrderLineFactory(order__shop=other_shop, batch_no="B2026-10")
    with django_capture_on_commit_callbacks(execute=True):
        recall = svc.recall_launch(shop=shop, actor=supervisor, reason="电池存在过热风险", product=product,
                                   batch_no="B2026-10")
    cases = Case.objects.filter(recall=recall)
    assert sorted(cases.values_list("order_line_id", flat=True)) == sorted(ln.pk for ln in hit)
    # approved and awaiting the goods (a recall takes them back at the merchant's cost)
    assert set(cases.values_list("status", "reason", "shipping_payer")) == {("awaiting_return", "recall", "merchant")}
    assert CaseEvent.objects.filter(case__recall=recall, kind="recall").count() == 3
    assert OutboundMessage.objects.filter(trigger="recall").count() == 3
    # launching again does not duplicate
    with django_capture_on_commit_callbacks(execute=True):
        again = svc.recall_launch(shop=shop, actor=supervisor, reason="再次通知", product=product, batch_no="B2026-10")
    assert again.cases.count() == 0


def test_recall_needs_a_target():
    with pytest.raises(svc.CaseError, match="至少选择"):
        svc.recall_launch(shop=None, actor=SYSTEM, reason="x")


def test_refusals_a_customer_can_meet_are_said_in_the_readers_language(shop, line):
    from django.utils import translation

    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    svc.case_cancel(actor=SYSTEM, case=case, reason="不退了")
    with translation.override("en"):
        with pytest.raises(svc.CaseError) as twice:
            svc.case_cancel(actor=SYSTEM, case=case, reason="again")
        svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
        with pytest.raises(svc.CaseError) as second:
            svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="no_reason")
    assert "cannot become" in str(twice.value) and case.number in str(twice.value)
    assert "already has an open after-sales request" in str(second.value)
