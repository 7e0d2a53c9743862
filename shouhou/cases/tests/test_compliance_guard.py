"""Text the customer reads on a case (progress notes, rejection reasons, compensation notes …) passes the
compliance guard: nothing may be offered for a good review or for deleting/changing a bad one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.models import CaseEvent
from shouhou.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def case(shop, line):
    return svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")


@pytest.mark.parametrize(("note", "words"), [
    ("亲，给五星好评返现5元，检测马上安排", "好评"),
    ("您把差评删了，我们再返您20元红包", "删除或修改差评"),
    ("追评一下送您一个小礼品哦", "追评"),
])
def test_progress_note_offering_something_for_a_review_is_refused(case, agent, note, words):
    events, messages = CaseEvent.objects.count(), OutboundMessage.objects.count()
    with pytest.raises(svc.CaseError) as info:
        svc.case_add_progress(case=case, actor=agent, note=note)
    assert str(info.value).startswith("「进度说明」未通过合规检查：") and words in str(info.value)
    assert (CaseEvent.objects.count(), OutboundMessage.objects.count()) == (events, messages)


def test_plain_progress_note_is_shown_and_sent(case, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ev = svc.case_add_progress(case=case, actor=agent, note="收到货有问题请联系我们，给您换新")
    assert ev.visible_to_customer is True
    assert "给您换新" in OutboundMessage.objects.get(idempotency_key=f"case:{case.pk}:progress:{ev.pk}").body


def test_internal_note_is_not_an_outgoing_message(case, agent):
    # an agent may record what a customer asked for, for colleagues only
    ev = svc.case_add_progress(case=case, actor=agent, note="顾客说好评返现才肯撤诉，已拒绝", visible_to_customer=False)
    assert ev.visible_to_customer is False and ev.note.startswith("顾客说好评返现")


def test_rejection_reason_with_a_bribe_is_refused_and_the_case_stays_open(case, agent):
    with pytest.raises(svc.CaseError, match="「拒绝原因」未通过合规检查：.*删除或修改差评"):
        svc.case_reject(case=case, actor=agent, reason="不符合退货条件，删差评可以返现10元")
    case.refresh_from_db()
    assert case.status == S.REQUESTED
    assert svc.case_reject(case=case, actor=agent, reason="商品已超过三包期限").status == S.REJECTED


def test_compensation_note_tied_to_a_review_is_refused(case, agent):
    with pytest.raises(svc.CaseError, match="「补偿说明」"):
        svc.case_issue_compensation(case=case, actor=agent, kind="red_packet", amount=Decimal("5"),
                                    note="5元红包，麻烦改成好评哈")
    case.refresh_from_db()
    assert case.compensation_amount == Decimal("0") and case.status == S.REQUESTED
    done = svc.case_issue_compensation(case=case, actor=agent, kind="red_packet", amount=Decimal("5"),
                                       note="5元红包表示歉意，与您的评价无关")
    assert done.compensation_amount == Decimal("5")


@pytest.mark.parametrize(("call", "field"), [
    (lambda c, a: svc.case_approve(case=c, actor=a, note="同意退款，记得给个好评返现3元"), "审核说明"),
    (lambda c, a: svc.case_resolve(case=c, actor=a, note="已完成，晒图好评领红包"), "完结说明"),
    (lambda c, a: svc.case_cancel(case=c, actor=a, reason="删除差评后返现"), "撤销原因"),
])
def test_other_customer_visible_case_texts_are_guarded(case, agent, call, field):
    with pytest.raises(svc.CaseError, match=f"「{field}」未通过合规检查"):
        call(case, agent)
    case.refresh_from_db()
    assert case.status == S.REQUESTED


def test_recall_reason_is_guarded_before_any_case_opens(shop, line, supervisor):
    with pytest.raises(svc.CaseError, match="「召回原因」"):
        svc.recall_launch(shop=shop, actor=supervisor, reason="电池过热，好评的顾客额外返现50元",
                          product=line.product)
    assert not line.cases.exists()
