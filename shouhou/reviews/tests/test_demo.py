from __future__ import annotations

import random

from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.reviews import demo
from shouhou.reviews.models import CommunityAlert, RecoveryTask, ReferralReward, Review


def test_demo_seed_builds_reviews_tasks_in_every_state_and_is_shop_scoped(shop, other_shop, agent):
    for _ in range(30):
        OrderFactory(shop=shop, customer=CustomerFactory(shop=shop))
    demo.seed(shop=shop, rng=random.Random(7))
    assert Review.objects.filter(shop=shop, kind="review").count() == 300
    assert Review.objects.filter(shop=shop, order__isnull=False).count() > 200
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
