from __future__ import annotations

import random

import pytest

from shouhou.cases.choices import CaseStatus
from shouhou.cases.demo import seed
from shouhou.cases.models import Case
from shouhou.core.testing.factories import OrderLineFactory
from shouhou.policies.models import PolicyVersion

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_clock")]


def test_demo_seed_publishes_policy_and_fills_every_state(shop):
    for _ in range(30):
        OrderLineFactory(order__shop=shop)
    seed(shop=shop, rng=random.Random(7))
    assert PolicyVersion.objects.filter(shop=shop, is_active=True).count() == 1
    assert set(Case.objects.filter(shop=shop).values_list("status", flat=True)) == set(CaseStatus.values)
    case = Case.objects.filter(status=CaseStatus.RESOLVED).first()
    assert list(case.events.values_list("to_status", flat=True))[-1] == "resolved"


def test_demo_histories_only_use_moves_the_state_machine_allows(shop):
    from shouhou.cases.models import CaseEvent
    from shouhou.cases.services import TRANSITIONS

    for _ in range(30):
        OrderLineFactory(order__shop=shop)
    seed(shop=shop, rng=random.Random(7))
    moves = set(CaseEvent.objects.filter(case__shop=shop).exclude(from_status="")
                .values_list("from_status", "to_status"))
    assert moves and all(dst in TRANSITIONS[src] for src, dst in moves), moves


def test_demo_cases_are_spread_after_delivery_and_histories_run_forward(shop):
    from shouhou.core import clock

    for _ in range(30):
        OrderLineFactory(order__shop=shop)
    seed(shop=shop, rng=random.Random(7))
    now = clock.now()
    for case in Case.objects.filter(shop=shop).select_related("order").prefetch_related("events"):
        assert case.order.delivered_at < case.created_at < now
        times = [e.at for e in case.events.all()]
        assert times[0] == case.created_at and times == sorted(times)
        if case.resolved_at is not None:
            assert case.created_at < case.resolved_at <= now and times[-1] == case.resolved_at


def test_demo_cases_read_as_their_state_says(shop):
    # an approved demo case said "客服将尽快审核" (the approval's rewrite was skipped); an exchange showed a refund
    for _ in range(30):
        OrderLineFactory(order__shop=shop)
    seed(shop=shop, rng=random.Random(7))
    waiting = (CaseStatus.REQUESTED, CaseStatus.REJECTED, CaseStatus.CANCELLED)
    cases = list(Case.objects.filter(shop=shop))
    approved = [c for c in cases if c.status not in waiting and c.decision.get("recommended")]
    assert approved
    for case in approved:
        assert "客服将尽快审核" not in case.decision["explanation_zh"], case.number
    for case in cases:
        if case.kind not in ("return_refund", "refund_only", "price_protect"):
            assert case.refund_amount == 0, case.number


def test_a_demo_case_waiting_for_review_was_not_auto_approved(shop):
    # the case panel read 「待审核」 beside 「已自动通过，无需等待审核」 (a tester's round, 2026-12-07)
    for _ in range(30):
        OrderLineFactory(order__shop=shop)
    seed(shop=shop, rng=random.Random(7))
    waiting = list(Case.objects.filter(shop=shop, status=CaseStatus.REQUESTED))
    assert waiting
    for case in waiting:
        assert not case.auto_approved, case.number
        assert "已自动通过" not in case.decision.get("explanation_zh", ""), case.number
