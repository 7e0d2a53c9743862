"""The platform's own moves out of 已拒绝 (PLATFORM_TRANSITIONS) and the platform's amount on a case (cases side).

Only case_follow_platform leaves a refusal: an agent cannot. The platform refunds after the refusal (客服介入/仲裁) →
已完结 as a refund of the platform's amount; the buyer files again → 待审核, in the agents' queue again; a request the
platform closes after the refusal leaves the case refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.models import Case
from shouhou.inbox.choices import OPEN_TICKET_STATUSES
from shouhou.inbox.models import Ticket

pytestmark = pytest.mark.django_db


def _refused(shop, line, agent, **create) -> Case:
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="other", kind="refund_only",
                           auto_approve=False, platform_request=True, from_customer=True, **create)
    return svc.case_reject(case=case, actor=agent, reason="不符合售后条件")


def test_an_agent_cannot_leave_a_refusal_the_platform_can(shop, line, agent):
    case = _refused(shop, line, agent)
    assert not {"approve", "resolve", "reject", "cancel"} & svc.case_operations_allowed(case=case, actor=agent)
    for move in (S.REQUESTED, S.FULFILLING, S.RESOLVED):
        with pytest.raises(svc.CaseError):
            svc._move(case, move, actor=agent)
    with pytest.raises(svc.CaseError):
        svc.case_resolve(case=case, actor=agent)


def test_the_platform_refunding_after_the_refusal_resolves_with_its_amount(shop, line, agent):
    case = _refused(shop, line, agent, refund_amount=Decimal("60.00"))
    case = svc.case_follow_platform(case=case, status=S.RESOLVED, note="平台状态：退款成功", actor=SYSTEM,
                                    refund_amount=Decimal("58.00"))
    assert (case.status, case.resolution, case.refund_amount) == (S.RESOLVED, "refund", Decimal("58.00"))
    event = case.events.order_by("-pk").first()
    assert (event.from_status, event.to_status, event.kind) == (S.REJECTED, S.RESOLVED, "platform")
    assert event.note == "商家拒绝后，平台（客服介入/仲裁）已退款 ¥58.00（平台状态：退款成功）"
    assert event.data["step"] == "platform_after_refusal"


def test_a_request_filed_again_after_the_refusal_waits_for_the_merchant_in_the_queue(shop, line, agent):
    case = _refused(shop, line, agent)
    Ticket.objects.filter(case=case).update(status="resolved")
    case = svc.case_follow_platform(case=case, status=S.REQUESTED, note="平台状态：待商家处理", actor=SYSTEM)
    case.refresh_from_db()
    assert (case.status, case.resolved_at) == (S.REQUESTED, None)
    event = case.events.order_by("-pk").filter(to_status=S.REQUESTED).first()
    assert event.note == "买家被拒后再次申请（平台状态：待商家处理）" and event.visible_to_customer
    assert Ticket.objects.filter(case=case, status__in=OPEN_TICKET_STATUSES).exists()
    assert {"approve", "reject"} <= svc.case_operations_allowed(case=case, actor=agent)


def test_a_request_closed_after_the_refusal_leaves_the_case_refused(shop, line, agent):
    case = _refused(shop, line, agent)
    case = svc.case_follow_platform(case=case, status=S.CANCELLED, note="平台状态：售后关闭", actor=SYSTEM)
    assert case.status == S.REJECTED


def test_the_case_carries_the_platform_amount_and_the_decision_the_policy_amount(shop, line):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", kind="refund_only",
                           platform_request=True, from_customer=True, refund_amount=Decimal("50.00"))
    assert case.refund_amount == Decimal("50.00")
    assert Decimal(case.decision["refund_amount"]) == Decimal("199.00")
    note = case.events.get(data__step="platform_amount")
    assert note.note == "平台申请退款金额 ¥50.00，政策核定 ¥199.00" and not note.visible_to_customer


def test_a_platform_amount_beyond_the_policy_is_not_approved_automatically(shop, line):
    """The policy grants 199.00 at most; the platform could not ask more of one line, but a line partly refunded before
    (or a policy deduction) makes the policy's amount the lower one: a person decides, nothing is capped silently."""
    baseline = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="no_reason", kind="return_refund",
                               platform_request=True, from_customer=True)
    assert baseline.auto_approved  # the policy alone approves this request…
    Case.objects.filter(pk=baseline.pk).delete()
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="no_reason", kind="return_refund",
                           platform_request=True, from_customer=True, refund_amount=Decimal("250.00"))
    assert (case.status, case.refund_amount, case.auto_approved) == (S.REQUESTED, Decimal("250.00"), False)
    assert case.decision["auto_approved"] is False


def test_an_open_case_follows_the_amount_the_buyer_changes_on_the_platform(shop, line):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="other", kind="refund_only",
                           auto_approve=False, platform_request=True, from_customer=True,
                           refund_amount=Decimal("50.00"))
    case = svc.case_follow_platform(case=case, status=S.REQUESTED, note="平台状态：买家修改申请", actor=SYSTEM,
                                    refund_amount=Decimal("80.00"))
    assert case.refund_amount == Decimal("80.00")
    assert Case.objects.get(pk=case.pk).refund_amount == Decimal("80.00")
    event = case.events.order_by("-pk").first()
    assert event.data["step"] == "platform_amount" and event.data["before"] == "50.00"


def test_a_request_filed_again_on_a_line_with_another_open_case_goes_to_the_queue_unmoved(shop, line, agent):
    """One open case per line (case_create): the refused case is not reopened beside the other one; the note names it,
    and the request still reaches a person."""
    case = _refused(shop, line, agent)
    other = svc.case_create(actor=agent, shop=shop, order_line=line, reason="quality", kind="repair")
    Ticket.objects.filter(case=case).update(status="resolved")
    case = svc.case_follow_platform(case=case, status=S.REQUESTED, note="平台状态：待商家处理", actor=SYSTEM)
    assert case.status == S.REJECTED
    assert case.events.order_by("-pk").first().note == (
        f"平台状态：待商家处理：买家被拒后再次申请，该商品已有进行中的售后单 {other.number}，请在该单或平台后台跟进")
    assert Ticket.objects.filter(case=case, status__in=OPEN_TICKET_STATUSES).exists()
