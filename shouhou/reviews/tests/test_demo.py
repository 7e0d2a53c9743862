from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.reviews import demo
from shouhou.reviews.models import CommunityAlert, RecoveryTask, ReferralReward, Review

pytestmark = pytest.mark.usefixtures("demo_clock")  # the demo is built relative to now


def test_demo_seed_builds_reviews_tasks_in_every_state_and_is_shop_scoped(shop, other_shop, agent):
    recent = timezone.now() - dt.timedelta(days=2)
    for _ in range(30):  # delivered two days ago: a review of them can't be a week old
        OrderFactory(shop=shop, customer=CustomerFactory(shop=shop), placed_at=recent - dt.timedelta(days=2),
                     paid_at=recent - dt.timedelta(days=2), delivered_at=recent)
    demo.seed(shop=shop, rng=random.Random(7))
    assert Review.objects.filter(shop=shop, kind="review").count() == 300
    assert Review.objects.filter(shop=shop, order__isnull=False).count() > 200
    # reviewed after the parcel arrived, never before the order or in the future
    linked = Review.objects.filter(shop=shop, order__isnull=False).select_related("order")
    assert all(r.order.delivered_at < r.posted_at <= timezone.now() for r in linked)
    assert not Review.objects.filter(shop=shop, posted_at__gt=timezone.now()).exists()
    statuses = set(RecoveryTask.objects.filter(shop=shop).values_list("status", flat=True))
    assert statuses == {"open", "in_progress", "closed"}
    assert RecoveryTask.objects.filter(shop=shop, breached=True).exists()
    assert RecoveryTask.objects.filter(shop=shop, is_misunderstanding=True).exists()
    outcomes = set(RecoveryTask.objects.filter(shop=shop, status="closed").values_list("outcome", flat=True))
    assert {"resolved", "no_answer"} <= outcomes
    assert Review.objects.filter(shop=shop, is_showcased=True).count() == 12
    alerted = set(CommunityAlert.objects.filter(shop=shop).values_list("message__text", flat=True))
    assert {t for t, positive in demo.GROUP_MESSAGES if not positive} <= alerted
    assert "今天的福利好划算，已下单" not in alerted
    assert ReferralReward.objects.filter(shop=shop).count() == 8
    assert not Review.objects.filter(shop=other_shop).exists()
