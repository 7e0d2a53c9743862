"""Compensation adds up per purchase, not per case. An agent could open any number of compensation cases on one
order line (case_create lets a compensation case sit beside others) and pay up to their limit on each: eleven
20-yuan red packets on a 199-yuan line, no supervisor asked. Every case about the same line (or, for a case about
the whole order, every case of the order) now counts toward the agent's approval limit and the price-paid cap."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.models import Case
from shouhou.core.testing.factories import OrderLineFactory
from shouhou.core.testing.waiting import wait_until
from shouhou.policies.document import default_source
from shouhou.policies.services import policy_publish

pytestmark = pytest.mark.django_db


def _comp_case(shop, line):
    return svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", kind="compensation")


@pytest.fixture
def published(shop):
    policy_publish(actor=SYSTEM, shop=shop, source=default_source())  # agents may grant 20 yuan alone


def test_an_agent_splitting_a_payout_over_cases_needs_the_supervisor(shop, line, agent, published):
    # given an agent (own limit 50, the policy's 20) who paid a 20-yuan red packet on one case of the line
    c = Client()
    c.force_login(agent)
    statuses = []
    for _ in range(3):
        r = c.post("/api/cases/", json.dumps({"order_no": line.order.order_no, "line_id": line.pk, "reason": "quality",
                                              "kind": "compensation"}), content_type="application/json")
        assert r.status_code == 201
        r = c.post(f"/api/cases/{r.json()['id']}/compensate", json.dumps({"kind": "red_packet", "amount": "20"}),
                   content_type="application/json")
        statuses.append(r.json()["status"])
    # then a second case's payout on the same line counts with the first: it waits for a supervisor, as one
    # 40-yuan payout would (was: fulfilling, three times, 60 yuan paid without a supervisor)
    assert statuses == [S.FULFILLING, S.AWAITING_SUPERVISOR, S.AWAITING_SUPERVISOR]
    assert sum(Case.objects.filter(order_line=line).values_list("compensation_amount", flat=True)) == Decimal("20")
    note = Case.objects.filter(order_line=line, status=S.AWAITING_SUPERVISOR).first() \
        .events.get(kind="compensation_requested").note
    assert note == "补偿 20.00 元（连同同一商品其他售后单合计 40.00 元）超出客服审批额度 20 元，待主管审批"


def test_a_payout_waiting_for_the_supervisor_on_another_case_counts(shop, line, agent, published):
    # given 45 yuan asked on one case and waiting for the supervisor
    first = _comp_case(shop, line)
    svc.case_issue_compensation(case=first, actor=agent, kind="coupon", amount=Decimal("45"))
    # when the agent grants 5 more on another case of the line, then it waits too (the first is not refused yet)
    second = svc.case_issue_compensation(case=_comp_case(shop, line), actor=agent, kind="coupon", amount=Decimal("5"))
    assert second.status == S.AWAITING_SUPERVISOR


def test_points_on_another_case_count_at_their_value(shop, line, agent, published):
    # 1,500 points (15 yuan) on one case and a 6-yuan coupon on another make 21 yuan: above the 20-yuan limit
    svc.case_issue_compensation(case=_comp_case(shop, line), actor=agent, kind="points", amount=Decimal("1500"))
    second = svc.case_issue_compensation(case=_comp_case(shop, line), actor=agent, kind="coupon", amount=Decimal("6"))
    assert second.status == S.AWAITING_SUPERVISOR
    third = svc.case_issue_compensation(case=_comp_case(shop, line), actor=agent, kind="coupon", amount=Decimal("5"))
    assert third.status == S.AWAITING_SUPERVISOR  # the 6 still waits: counted as asked


def test_the_price_paid_caps_every_case_of_the_line_together(shop, line, supervisor, published):
    # given 150 yuan already paid on one case of a 199-yuan line
    svc.case_issue_compensation(case=_comp_case(shop, line), actor=supervisor, kind="red_packet", amount=Decimal("150"))
    second = _comp_case(shop, line)
    # then 60 more on another case is refused, even for a supervisor, and nothing is paid
    with pytest.raises(svc.CaseError, match="含同一商品其他售后单已发放的 150.00 元）不能超过顾客为本单实付的 199.00 元"):
        svc.case_issue_compensation(case=second, actor=supervisor, kind="red_packet", amount=Decimal("60"))
    second.refresh_from_db()
    assert second.compensation_amount == Decimal("0")
    # while what is left (49) is still possible
    svc.case_issue_compensation(case=second, actor=supervisor, kind="red_packet", amount=Decimal("49"))


def test_the_supervisor_approving_later_sees_what_other_cases_paid(shop, line, agent, supervisor, published):
    # given 150 asked by an agent on one case, waiting, and meanwhile 100 paid by a supervisor on another
    waiting = svc.case_issue_compensation(case=_comp_case(shop, line), actor=agent, kind="coupon", amount=Decimal("150"))
    svc.case_issue_compensation(case=_comp_case(shop, line), actor=supervisor, kind="coupon", amount=Decimal("100"))
    # then approving the 150 would pay 250 on a 199-yuan line: refused
    with pytest.raises(svc.CaseError, match="不能超过顾客为本单实付的 199.00 元"):
        svc.case_supervisor_approve(case=waiting, actor=supervisor)


def test_other_lines_of_the_order_do_not_count_for_a_line(shop, line, agent, published):
    # a payout on another line of the same order is another purchase
    other = OrderLineFactory(order=line.order, price_paid=Decimal("99.00"))
    svc.case_issue_compensation(case=_comp_case(shop, other), actor=agent, kind="coupon", amount=Decimal("20"))
    case = svc.case_issue_compensation(case=_comp_case(shop, line), actor=agent, kind="coupon", amount=Decimal("20"))
    assert case.status == S.FULFILLING


def test_a_case_about_the_whole_order_counts_every_case_of_the_order(shop, line, supervisor, published):
    # given 150 paid on a line, and a case about the whole order (no line; capped by the order's 199)
    svc.case_issue_compensation(case=_comp_case(shop, line), actor=supervisor, kind="coupon", amount=Decimal("150"))
    whole = _comp_case(shop, OrderLineFactory(order=line.order, price_paid=Decimal("99.00")))
    Case.objects.filter(pk=whole.pk).update(order_line=None)
    whole.refresh_from_db()
    # then the whole-order case may add only what the order has left
    with pytest.raises(svc.CaseError, match="已发放的 150.00 元"):
        svc.case_issue_compensation(case=whole, actor=supervisor, kind="coupon", amount=Decimal("50"))
    svc.case_issue_compensation(case=whole, actor=supervisor, kind="coupon", amount=Decimal("49"))


@pytest.mark.django_db(transaction=True)
def test_two_payouts_on_one_line_at_once_are_counted_one_after_the_other(shop, line, agent, monkeypatch):
    # given two compensation cases on one line, and two agents' 20-yuan payouts arriving at the same moment
    policy_publish(actor=SYSTEM, shop=shop, source=default_source())
    cases = [_comp_case(shop, line), _comp_case(shop, line)]
    first_wrote, release = threading.Event(), threading.Event()
    audit = svc.audit_record

    def held_audit(**kwargs):  # the first payout is written but not committed when the second starts
        audit(**kwargs)
        if threading.current_thread().name == "first" and kwargs["action"] == "case.compensate":
            first_wrote.set()
            release.wait(30)

    monkeypatch.setattr(svc, "audit_record", held_audit)
    errors = []

    def pay(case):
        try:
            svc.case_issue_compensation(case=case, actor=agent, kind="red_packet", amount=Decimal("20"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(c,), name=n) for c, n in zip(cases, ("first", "second"), strict=True)]
    threads[0].start()
    try:
        assert first_wrote.wait(30)
        threads[1].start()
        if connection.vendor == "postgresql":  # the second waits for the first's lock on the order
            assert wait_until(_someone_waits_for_a_lock, seconds=30)
        else:  # SQLite: transactions are BEGIN IMMEDIATE; the second queues on the database lock
            time.sleep(1)
    finally:
        release.set()
        for thread in threads:
            thread.join(60)
    assert errors == []
    # then one is paid and the other, counted with it, waits for a supervisor (was: both paid)
    assert sorted(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("status", flat=True)) == [
        S.AWAITING_SUPERVISOR, S.FULFILLING]


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")
        return cur.fetchone()[0] > 0
