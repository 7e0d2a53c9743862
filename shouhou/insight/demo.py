"""Demo data for insight: survey answers on resolved cases and tickets (spread over the last two weeks,
scores leaning good with a few unhappy customers), a rolled-up order-line history, and improvement
actions in every status so the weekly review list has something to discuss."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from django.db import transaction

from shouhou.accounts.models import Membership
from shouhou.cases.models import Case
from shouhou.core.clock import localnow, now
from shouhou.inbox.models import Ticket

from .choices import ActionStatus, Dimension, FixType, MetricKey
from .models import ImprovementAction, SurveyInvitation, SurveyResponse
from .services import improvement_create, rollup_refresh

COMMENTS = ["处理很快，谢谢", "客服态度很好", "退款到账了", "等了好几天才有人回", "换货还没收到", "", "", "",
            "主播说的和实物不一样", "包装再结实一点就好了", "很满意"]


def seed(*, shop, rng: random.Random) -> None:
    with transaction.atomic():
        _surveys(shop=shop, rng=rng)
        today = localnow().date()
        rollup_refresh(shop=shop, days=[today - timedelta(days=i) for i in range(1, 61)])
        _actions(shop=shop, rng=rng)


def _surveys(*, shop, rng: random.Random) -> None:
    taken_cases = SurveyInvitation.objects.filter(shop=shop, case__isnull=False).values("case")
    taken_tickets = SurveyInvitation.objects.filter(shop=shop, ticket__isnull=False).values("ticket")
    cases = list(Case.objects.filter(shop=shop, customer__isnull=False).exclude(pk__in=taken_cases)
                 .order_by("pk")[:200])
    tickets = list(Ticket.objects.filter(shop=shop, customer__isnull=False, case__isnull=True)
                   .exclude(pk__in=taken_tickets).order_by("pk")[:200])
    invitations = [SurveyInvitation(shop=shop, customer_id=c.customer_id, case=c, token=secrets.token_urlsafe(24),
                                    sent_at=now()) for c in cases]
    invitations += [SurveyInvitation(shop=shop, customer_id=t.customer_id, ticket=t,
                                     token=secrets.token_urlsafe(24), sent_at=now()) for t in tickets]
    invitations = SurveyInvitation.objects.bulk_create(invitations)
    answered = [inv for inv in invitations if rng.random() < 0.7]

    def score() -> int:
        return rng.choices([5, 4, 3, 2, 1], weights=[50, 25, 12, 8, 5])[0]

    responses = SurveyResponse.objects.bulk_create([
        SurveyResponse(invitation=inv, attitude=score(), speed=score(), outcome=score(), comment=rng.choice(COMMENTS))
        for inv in answered])
    start = now() - timedelta(days=14)
    for r in responses:
        r.created_at = start + timedelta(minutes=rng.randint(0, 14 * 24 * 60))
    SurveyResponse.objects.bulk_update(responses, ["created_at"])


def _actions(*, shop, rng: random.Random) -> None:
    if ImprovementAction.objects.filter(shop=shop).exists():
        return
    member = Membership.objects.filter(shop=shop, role__in=["supervisor", "admin"]).select_related("user") \
        .order_by("pk").first()
    owner = member.user if member else None
    today = localnow().date()
    line = Case.objects.filter(shop=shop, order_line__sku__isnull=False).select_related("order_line__sku",
                                                                                      "live_session").first()
    sku = line.order_line.sku if line else None
    session = next((c.live_session for c in Case.objects.filter(shop=shop, live_session__isnull=False)
                    .select_related("live_session")[:1]), None)
    plans = [
        dict(finding="运输破损集中在顺丰线路，外箱被压坏", dimension=Dimension.CARRIER, dimension_key="SF",
             fix_type=FixType.PACKAGING, fix_description="改用五层瓦楞箱并加气柱袋", metric=MetricKey.RETURN,
             metric_filters={"reason": "damaged_in_transit"}, due_date=today - timedelta(days=2)),
        dict(finding="该 SKU 尺码偏小，退货原因多为尺码不合适", dimension=Dimension.SKU, sku=sku,
             fix_type=FixType.DESCRIPTION, fix_description="详情页补充尺码表和真人试穿数据", metric=MetricKey.RETURN,
             due_date=today + timedelta(days=3)),
        dict(finding="直播间口播“不掉色”与实物不符，差评集中", dimension=Dimension.LIVE_SESSION,
             live_session=session, fix_type=FixType.DESCRIPTION, fix_description="更新主播话术，下架夸大卖点",
             metric=MetricKey.POSITIVE_REVIEW, due_date=today + timedelta(days=10),
             announcement="我们已更正商品介绍中关于颜色的描述，感谢您的反馈。", announce=True),
        dict(finding="晚间首响慢，22 点后排班不足", dimension=Dimension.TEAM, dimension_key="service",
             fix_type=FixType.STAFFING, fix_description="增加夜班 1 人", metric=MetricKey.FIRST_RESPONSE,
             due_date=today - timedelta(days=9)),
    ]
    created = []
    for plan in plans:
        plan = {k: v for k, v in plan.items() if v is not None}
        created.append(improvement_create(shop=shop, actor=owner, owner=owner, **plan))
    # The staffing fix was done two weeks ago: its after period is over and measured.
    done = created[-1]
    ImprovementAction.objects.filter(pk=done.pk).update(
        status=ActionStatus.DONE, done_on=today - timedelta(days=8), after_start=today - timedelta(days=8),
        after_end=today - timedelta(days=1) if done.baseline_start is None else today - timedelta(days=8)
        + (done.baseline_end - done.baseline_start))
    ImprovementAction.objects.filter(pk=created[0].pk).update(status=ActionStatus.IN_PROGRESS)
