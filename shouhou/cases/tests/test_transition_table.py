from __future__ import annotations

from decimal import Decimal

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db


def test_every_pair_of_states_follows_the_table(shop, line, agent):
    # given one case, put in each state in turn
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    allowed = refused = 0
    for src in S.values:
        for dst in S.values:
            Case.objects.filter(pk=case.pk).update(status=src)
            case.refresh_from_db()
            before = CaseEvent.objects.filter(case=case).count()
            if dst in svc.TRANSITIONS[src]:
                # when an allowed move is made, then it is recorded with who and from/to
                svc._move(case, dst, actor=agent, note=f"{src}->{dst}")
                ev = CaseEvent.objects.filter(case=case).last()
                assert (ev.from_status, ev.to_status, ev.actor, ev.note) == (src, dst, agent, f"{src}->{dst}")
                allowed += 1
            else:
                # when a move outside the table is tried, then it is refused and nothing is written
                with pytest.raises(svc.CaseError) as exc:
                    svc._move(case, dst, actor=agent)
                assert f"当前状态为「{S(src).label}」" in str(exc.value)
                assert f"不能变更为「{S(dst).label}」" in str(exc.value)
                assert CaseEvent.objects.filter(case=case).count() == before
                assert Case.objects.get(pk=case.pk).status == src
                refused += 1
    assert allowed == sum(len(v) for v in svc.TRANSITIONS.values()) == 24
    assert refused == 121 - 24


# Every edge of the table, produced through the public service an agent, customer or supervisor uses.
# (src, dst, kind, call): the case is put in `src`, `call(case, agent, supervisor)` must leave it in `dst`.
def _comp(amount):
    return lambda c, a, s: svc.case_issue_compensation(case=c, actor=a, kind="coupon", amount=Decimal(amount))


EDGES = [
    (S.REQUESTED, S.APPROVED, "refund_only", lambda c, a, s: svc.case_approve(case=c, actor=a)),
    (S.REQUESTED, S.REJECTED, "return_refund", lambda c, a, s: svc.case_reject(case=c, actor=a, reason="不符合")),
    (S.REQUESTED, S.CANCELLED, "return_refund", lambda c, a, s: svc.case_cancel(actor=SYSTEM, case=c, reason="不要了")),
    (S.APPROVED, S.AWAITING_RETURN, "return_refund", None),  # part of case_approve for return kinds (below)
    (S.APPROVED, S.FULFILLING, "compensation", _comp("10")),
    (S.APPROVED, S.RESOLVED, "refund_only", lambda c, a, s: svc.case_resolve(case=c, actor=a)),
    (S.APPROVED, S.CANCELLED, "refund_only", lambda c, a, s: svc.case_cancel(actor=SYSTEM, case=c)),
    (S.APPROVED, S.AWAITING_SUPERVISOR, "compensation", _comp("99")),
    (S.AWAITING_RETURN, S.IN_TRANSIT_BACK, "return_refund",
     lambda c, a, s: svc.case_return_shipped(actor=SYSTEM, case=c, carrier="SF", tracking_no="SF1000000001")),
    (S.AWAITING_RETURN, S.RECEIVED, "return_refund", lambda c, a, s: svc.case_mark_received(case=c, actor=a)),
    (S.AWAITING_RETURN, S.CANCELLED, "return_refund", lambda c, a, s: svc.case_cancel(actor=SYSTEM, case=c)),
    (S.IN_TRANSIT_BACK, S.RECEIVED, "return_refund", lambda c, a, s: svc.case_mark_received(case=c, actor=a)),
    (S.RECEIVED, S.INSPECTING, "return_refund", lambda c, a, s: svc.case_start_inspection(case=c, actor=a)),
    (S.RECEIVED, S.FULFILLING, "return_refund", _comp("10")),
    (S.RECEIVED, S.RESOLVED, "return_refund", lambda c, a, s: svc.case_resolve(case=c, actor=a)),
    (S.RECEIVED, S.AWAITING_SUPERVISOR, "return_refund", _comp("99")),
    (S.INSPECTING, S.FULFILLING, "return_refund",
     lambda c, a, s: svc.case_record_inspection(case=c, actor=a, result="replacement")),
    (S.INSPECTING, S.RESOLVED, "return_refund", lambda c, a, s: svc.case_resolve(case=c, actor=a)),
    (S.INSPECTING, S.AWAITING_SUPERVISOR, "return_refund",
     lambda c, a, s: svc.case_record_inspection(case=c, actor=a, result="compensation",
                                                compensation_amount=Decimal("99"))),
    (S.INSPECTING, S.REJECTED, "return_refund",
     lambda c, a, s: svc.case_record_inspection(case=c, actor=a, result="none", note="人为损坏")),
    (S.AWAITING_SUPERVISOR, S.FULFILLING, "compensation", lambda c, a, s: svc.case_supervisor_approve(case=c, actor=s)),
    (S.AWAITING_SUPERVISOR, S.REJECTED, "compensation",
     lambda c, a, s: svc.case_reject(case=c, actor=s, reason="不予补偿")),
    (S.FULFILLING, S.RESOLVED, "compensation", lambda c, a, s: svc.case_resolve(case=c, actor=a)),
    (S.FULFILLING, S.AWAITING_SUPERVISOR, "compensation", _comp("99")),
]


def test_the_edge_list_is_the_table():
    assert {(src, dst) for src, dst, _k, _c in EDGES} == {(s, d) for s, ds in svc.TRANSITIONS.items() for d in ds}


@pytest.mark.parametrize(("src", "dst", "kind", "call"), EDGES, ids=[f"{e[0]}->{e[1]}" for e in EDGES])
def test_each_edge_through_its_service(shop, line, agent, supervisor, src, dst, kind, call):
    # given a case of `kind` in state `src` (pending compensation where a supervisor must decide)
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", kind=kind)
    pending = {"kind": "coupon", "amount": "99", "note": ""} if src == S.AWAITING_SUPERVISOR else {}
    Case.objects.filter(pk=case.pk).update(status=S.APPROVED if call is None else src, pending_compensation=pending)
    case.refresh_from_db()
    # when the service is called
    if call is None:
        Case.objects.filter(pk=case.pk).update(status=S.REQUESTED)
        case.refresh_from_db()
        svc.case_approve(case=case, actor=agent)
    else:
        call(case, agent, supervisor)
    # then the case is in `dst` and the move is recorded with who made it
    case.refresh_from_db()
    assert case.status == dst
    ev = CaseEvent.objects.filter(case=case, from_status=src, to_status=dst).get()
    assert ev.actor in (agent, supervisor, None)
