"""Money granted from the reviews app follows the one rule of what an actor may grant alone
(policies.selectors.approval_limit), as case compensation does: review remedies and referral rewards.

Before: a referral reward had no limit, no bound and no audit record (an agent credited 2,000,000,000 points or a
99,999-yuan coupon); a remedy used only the agent's own limit (50) where cases cap it by the policy's (20), and an
agent-role API token got 0 there but the policy's limit on cases."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.api.auth import Principal
from shouhou.cases import services as case_services
from shouhou.cases.choices import CaseStatus
from shouhou.commerce.models import Customer
from shouhou.core.models import AuditEvent
from shouhou.core.testing.factories import (
    CustomerFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    UserFactory,
)
from shouhou.core.testing.roles import token_with_role
from shouhou.policies.document import default_source
from shouhou.policies.selectors import approval_limit
from shouhou.policies.services import policy_publish
from shouhou.reviews import services
from shouhou.reviews.models import RecoveryTask, ReferralReward
from shouhou.reviews.services import ReviewInput, ReviewRefused

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(shop):
    policy_publish(actor=SYSTEM, shop=shop, source=default_source())  # agents may grant 20 yuan alone


def _task(shop, external_id: str = "n1") -> RecoveryTask:
    result = services.reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(
        text="衣服质量太差了，洗一次就掉色起球，非常失望", platform="douyin", external_id=external_id, rating=1)])
    return result.created[0].recovery


def _referral(shop, actor, **reward):
    friend = CustomerFactory(shop=shop)
    return services.referral_reward_record(actor=actor, shop=shop, referrer=_referrer(shop), friend=friend,
                                           order=OrderFactory(shop=shop, customer=friend), **reward)


def _referrer(shop) -> Customer:
    return Customer.objects.filter(shop=shop, name="推荐人").first() or CustomerFactory(shop=shop, name="推荐人", points=0)


# --- remedies: the policy's cap, as on cases ---------------------------------------------------------------------

def test_a_remedy_above_the_policy_limit_is_refused_to_an_agent(shop, agent, published):
    # given an agent with an own limit of 50 under a policy that lets agents grant 20
    task = _task(shop)
    # then a 45-yuan coupon is the supervisor's (was: granted), and 20 is the agent's own
    with pytest.raises(ReviewRefused, match="超过您的审批额度 20 元"):
        services.recovery_set_remedy(task=task, remedy="coupon", amount=Decimal("45"), actor=agent,
                                     override_misunderstanding=True)
    services.recovery_set_remedy(task=task, remedy="coupon", amount=Decimal("20"), actor=agent,
                                 override_misunderstanding=True)


def test_an_agent_token_gets_the_policy_limit_for_a_remedy(shop, published):
    # given an agent-role API token (no membership): the policy's 20 yuan, as for a case (was: 0)
    task = _task(shop)
    c = Client()
    url = f"/api/reviews/tasks/{task.pk}/remedy"
    body = {"remedy": "coupon", "amount": "15", "override_misunderstanding": True}
    token = token_with_role(shop, "agent")
    assert c.post(url, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=token).status_code == 200
    r = c.post(url, json.dumps({**body, "amount": "25"}), content_type="application/json", HTTP_AUTHORIZATION=token)
    assert r.status_code == 400 and "超过您的审批额度 20 元" in r.json()["detail"]


# --- one rule for cases and reviews -------------------------------------------------------------------------------

def _actors(shop):
    def member(name, role, limit):
        return MembershipFactory(shop=shop, role=role, approval_limit=limit, user=UserFactory(username=name)).user

    return {
        "agent (own 50, policy 20)": member("a50", Role.AGENT, Decimal("50")),
        "agent (own 10)": member("a10", Role.AGENT, Decimal("10")),
        "supervisor": member("sup", Role.SUPERVISOR, Decimal("0")),
        "agent token": Principal(shop=shop, role=Role.AGENT, scopes=["*"]),
        "supervisor token": Principal(shop=shop, role=Role.SUPERVISOR, scopes=["*"]),
        "system": SYSTEM,
    }


def test_cases_and_reviews_apply_the_same_limit_to_every_actor(shop, published):
    expected = {"agent (own 50, policy 20)": Decimal("20"), "agent (own 10)": Decimal("10"), "supervisor": None,
                "agent token": Decimal("20"), "supervisor token": None, "system": None}
    for name, actor in _actors(shop).items():
        limit = approval_limit(actor=actor, shop=shop)
        assert limit == expected[name], name
        for amount in (Decimal("10"), Decimal("10.01"), Decimal("20"), Decimal("20.01")):
            # a case's compensation waits for a supervisor exactly when the same remedy or reward is refused
            line = OrderLineFactory(order__shop=shop, price_paid=Decimal("999.00"))  # a purchase of its own
            case = case_services.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality",
                                             kind="compensation")
            case = case_services.case_issue_compensation(case=case, actor=actor, kind="coupon", amount=amount)
            case_waits = case.status == CaseStatus.AWAITING_SUPERVISOR
            try:
                services.recovery_set_remedy(task=_task(shop, f"{name}{amount}"), remedy="coupon", amount=amount,
                                             actor=actor, override_misunderstanding=True)
                remedy_refused = False
            except ReviewRefused:
                remedy_refused = True
            try:
                _referral(shop, actor, kind="coupon", coupon_amount=amount)
                reward_refused = False
            except ReviewRefused:
                reward_refused = True
            over = limit is not None and amount > limit
            assert (case_waits, remedy_refused, reward_refused) == (over, over, over), (name, amount)


# --- referral rewards ---------------------------------------------------------------------------------------------

def test_a_referral_reward_above_the_limit_needs_a_supervisor(shop, agent, supervisor, published):
    # an agent may grant up to the policy's 20 yuan: a coupon or points at 100 per yuan
    _referral(shop, agent, kind="coupon", coupon_amount=Decimal("20"))
    _referral(shop, agent, kind="points", points=2000)
    with pytest.raises(ReviewRefused, match="推荐奖励折合 99999.00 元，超过您的审批额度 20 元"):
        _referral(shop, agent, kind="coupon", coupon_amount=Decimal("99999.00"))
    with pytest.raises(ReviewRefused, match="推荐奖励折合 20.01 元"):
        _referral(shop, agent, kind="points", points=2001)
    # a supervisor grants more
    _referral(shop, supervisor, kind="coupon", coupon_amount=Decimal("300"))
    assert ReferralReward.objects.count() == 3
    assert _referrer(shop).points == 2000


def test_referral_points_have_a_bound_for_everyone(shop, supervisor):
    # given a supervisor and the system, who have no approval limit, then 100,000 points is the most
    with pytest.raises(ReviewRefused, match="积分过大"):
        _referral(shop, supervisor, kind="points", points=2_000_000_000)
    with pytest.raises(ReviewRefused, match="一次推荐奖励最多 100000 积分"):
        _referral(shop, SYSTEM, kind="points", points=100_001)
    with pytest.raises(ReviewRefused, match="一次推荐奖励最多 100000 积分"):
        _referral(shop, supervisor, kind="points", points=100_001)
    assert _referrer(shop).points == 0 and not ReferralReward.objects.exists()


@pytest.mark.parametrize(("reward", "error"), [
    ({"kind": "coupon", "coupon_amount": Decimal("12.345")}, "最多两位小数"),
    ({"kind": "coupon", "coupon_amount": Decimal("NaN")}, "有限的数字"),
    ({"kind": "coupon", "coupon_amount": Decimal("-5")}, "优惠券面额"),
    ({"kind": "coupon", "coupon_amount": None}, "需要填写面额"),
    ({"kind": "points", "points": -5}, "积分"),
    ({"kind": "points", "points": True}, "积分"),
    ({"kind": "points", "points": 0}, "需要填写积分数"),
])
def test_a_referral_amount_must_be_positive_money_or_whole_points(shop, supervisor, reward, error):
    with pytest.raises(ReviewRefused, match=error):
        _referral(shop, supervisor, **reward)
    assert not ReferralReward.objects.exists()


def test_every_referral_reward_is_audited(shop, agent):
    reward, _ = _referral(shop, agent, kind="points", points=500)
    event = AuditEvent.objects.get(action="referral.reward")
    assert (event.actor, event.object_id, event.shop) == (agent, str(reward.pk), shop)
    assert event.after == {"referrer": reward.referrer_id, "friend": reward.friend_id, "order": reward.order_id,
                           "kind": "points", "points": 500, "coupon_amount": ""}
    # a repeat for the same order pays nothing and records nothing
    services.referral_reward_record(actor=agent, shop=shop, referrer=reward.referrer, friend=reward.friend,
                                    order=reward.order, kind="points", points=500)
    assert AuditEvent.objects.filter(action="referral.reward").count() == 1


def test_the_referral_api_refuses_an_agent_above_the_limit(shop, agent):
    # the attacker report's request: an agent by session, a 99,999-yuan coupon and 2,000,000,000 points
    accomplice = CustomerFactory(shop=shop)
    c = Client()
    c.force_login(agent)
    for extra in ({"kind": "coupon", "coupon_amount": "99999.00"}, {"kind": "points", "points": 2000000000}):
        friend = CustomerFactory(shop=shop)
        order = OrderFactory(shop=shop, customer=friend)
        r = c.post("/api/reviews/referrals", json.dumps({"referrer_id": accomplice.pk, "friend_id": friend.pk,
                                                         "order_id": order.pk, **extra}),
                   content_type="application/json")
        assert r.status_code == 400, r.content
    accomplice.refresh_from_db()
    assert (accomplice.points, ReferralReward.objects.count()) == (0, 0)
