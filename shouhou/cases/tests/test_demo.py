from __future__ import annotations

import random

import pytest

from shouhou.cases.choices import CaseStatus
from shouhou.cases.demo import seed
from shouhou.cases.models import Case
from shouhou.core.testing.factories import OrderLineFactory
from shouhou.policies.models import PolicyVersion

pytestmark = pytest.mark.django_db


def test_demo_seed_publishes_policy_and_fills_every_state(shop):
    for _ in range(30):
        OrderLineFactory(order__shop=shop)
    seed(shop=shop, rng=random.Random(7))
    assert PolicyVersion.objects.filter(shop=shop, is_active=True).count() == 1
    assert set(Case.objects.filter(shop=shop).values_list("status", flat=True)) == set(CaseStatus.values)
    case = Case.objects.filter(status=CaseStatus.RESOLVED).first()
    assert list(case.events.values_list("to_status", flat=True))[-1] == "resolved"
