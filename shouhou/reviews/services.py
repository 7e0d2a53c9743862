"""Writes for reviews: ingestion (API, import, webhook, groups), recovery tasks, showcase, referrals."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils.translation import gettext

from shouhou.accounts.actors import acting_user, require_role
from shouhou.accounts.permissions import COMPENSATE, IMPORT, REPLY
from shouhou.commerce.models import Customer, Order, OrderLine
from shouhou.core.audit import audit_record
from shouhou.core.clock import now
from shouhou.core.money import MoneyError, positive_amount
from shouhou.core.numbers import new_number
from shouhou.notifications.services import notification_enqueue
from shouhou.policies.engine import compensation_value
from shouhou.policies.selectors import approval_limit
from shouhou.reviews.choices import (
    ComplaintType,
    Outcome,
    Remedy,
    ReviewKind,
    ReviewSource,
    RewardKind,
    TaskEventKind,
    TaskStatus,
)
from shouhou.reviews.classifier.whole import classify_whole, complaint_types_whole, readable
from shouhou.reviews.guards import guard_outgoing, inspect_reply
from shouhou.reviews.models import (
    BREACHED_NOTE,
    CommunityAlert,
    CommunityGroup,
    RecoveryEvent,
    RecoveryTask,
    ReferralReward,
    Review,
)
from shouhou.reviews.scripts import (
    MONEY_REMEDIES,
    allowed_remedies,
    misunderstanding_kind,
    suggest_public_reply,
)

DEFAULT_RECOVERY_HOURS = 24
# A review older than this when it reaches shouhou (an import of the shop's history, a first pull) is stored,
# classified and counted, but opens no recovery task and alerts no group admin: a task due in hours for a review
# weeks old cannot be kept, and a reach-out a month after the buyer wrote reads as out of the blue. 0 = no limit.
DEFAULT_RECOVERY_WITHIN_DAYS = 30
MAX_TEXT = 5000


class ReviewRefused(ValueError):
    """A business refusal with a Chinese message for the agent (API turns it into DomainError)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class ReviewInput:
    text: str
    platform: str = ""
    external_id: str = ""
    order_no: str = ""
    line_key: str = ""
    rating: int | None = None
    posted_at: datetime | None = None
    author_name: str = ""
    kind: str = ReviewKind.REVIEW
    group_external_id: str = ""
    group_name: str = ""


@dataclass
class IngestResult:
    created: list[Review] = field(default_factory=list)
    duplicates: int = 0
    tasks: int = 0
    alerts: int = 0
    # negative reviews (and group messages) posted longer ago than `within_days`: stored, no task or alert
    not_recent: int = 0
    within_days: int = DEFAULT_RECOVERY_WITHIN_DAYS

    def as_dict(self) -> dict[str, Any]:
        return {"created": len(self.created), "duplicates": self.duplicates, "tasks": self.tasks,
                "alerts": self.alerts, "not_recent": self.not_recent, "recovery_within_days": self.within_days,
                "review_ids": [r.pk for r in self.created]}


def recovery_hours(shop) -> int:
    try:
        return int((shop.settings or {}).get("review_recovery_hours", DEFAULT_RECOVERY_HOURS))
    except (TypeError, ValueError):
        return DEFAULT_RECOVERY_HOURS


# A platform as review exports and pushes name it → its code (a 「抖音」 row and a 「douyin」 push are one platform:
# the same review imported under both was stored twice, with two tasks).
PLATFORM_NAMES = {
    "douyin": ("douyin", "抖音", "抖店", "抖音小店", "抖音电商", "dy"),
    "kuaishou": ("kuaishou", "快手", "快手小店", "快手电商", "ks"),
    "wechat_channels": ("wechat_channels", "视频号", "视频号小店", "微信小店", "wechat_shop", "channels"),
    "youzan": ("youzan", "有赞"),
    "taobao": ("taobao", "淘宝", "天猫", "tmall"),
}
_PLATFORM_CODE = {name: code for code, names in PLATFORM_NAMES.items() for name in names}


def platform_code(name: str) -> str:
    """The platform's code for a name an export or a push gives it (「抖音」 → douyin); any other name as given."""
    cleaned = (name or "").strip()
    return _PLATFORM_CODE.get(cleaned.lower(), cleaned)


def recovery_within_days(shop) -> int:
    """How old a negative review may be and still open a task: the shop's `review_recovery_within_days`, else
    the setting SHOUHOU_REVIEW_RECOVERY_WITHIN_DAYS, else 30; 0 means any age."""
    default = getattr(settings, "SHOUHOU_REVIEW_RECOVERY_WITHIN_DAYS", DEFAULT_RECOVERY_WITHIN_DAYS)
    try:
        days = int((shop.settings or {}).get("review_recovery_within_days", default))
    except (TypeError, ValueError):
        days = int(default)
    return max(days, 0)


DEV_WEBHOOK_SECRET = "dev-webhook-secret"  # noqa: S105 - the public default, refused unless DEBUG
WEBHOOK_KEY_LABEL = "shouhou.reviews.webhook:"


def review_webhook_secret(shop) -> str:
    """The key a review push for `shop` is signed with; "" when there is none to trust.

    The shop's own `webhook_secret` when set. Otherwise a key of this shop alone, derived from the install-wide
    SHOUHOU_WEBHOOK_SECRET: hex HMAC-SHA256(install secret, "shouhou.reviews.webhook:" + shop code). Signing
    with the install-wide secret itself made one signed push good for every shop (the shop code in the URL is
    not signed), and every shop's integration held a key for all the others."""
    own = str((shop.settings or {}).get("webhook_secret") or "")
    if own:
        return "" if own == DEV_WEBHOOK_SECRET and not settings.DEBUG else own
    install = settings.SHOUHOU["WEBHOOK_SECRET"] or ""
    if not install.strip() or (install == DEV_WEBHOOK_SECRET and not settings.DEBUG):
        return ""  # the development secret is public (it is in the source): never trusted in production
    return hmac.new(install.encode(), (WEBHOOK_KEY_LABEL + shop.code).encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def reviews_ingest(*, shop, items: list[ReviewInput], actor, source: str = ReviewSource.API) -> IngestResult:
    """Store, link, classify (one batch) and open recovery tasks / alerts. Idempotent by platform+external id.
    `actor` is who hands the reviews in: a file import needs `data.import`, the API and community
    messages `reply`; a signed webhook passes SystemActor(its channel)."""
    require_role(actor, shop, IMPORT if source == ReviewSource.IMPORT else REPLY)
    result = IngestResult()
    # a review without a platform is the shop's own platform's (group messages say theirs); copies, so the
    # caller's inputs are left as given (a retry of the same list reads them again)
    items = [dataclasses.replace(item, platform=platform_code(item.platform)
                                 or (shop.platform if item.kind == ReviewKind.REVIEW else "")) for item in items]
    # Known ids and the platforms they were stored under; a review stored without a platform (before names were
    # read as codes, or by a shop without one) is the same review as one with it.
    known: dict[str, set[str]] = {}
    ids = {i.external_id for i in items if i.external_id}
    if ids:
        for platform, external_id in Review.objects.filter(shop=shop, external_id__in=ids).values_list(
                "platform", "external_id"):
            known.setdefault(external_id, set()).add(platform)
    fresh: list[ReviewInput] = []
    for item in items:
        if item.external_id:
            platforms = known.setdefault(item.external_id, set())
            if item.platform in platforms or "" in platforms or (platforms and not item.platform):
                result.duplicates += 1
                continue
            platforms.add(item.platform)
        fresh.append(item)
    if not fresh:
        return result

    orders = {o.order_no: o for o in Order.objects.filter(shop=shop, order_no__in={i.order_no for i in fresh if i.order_no})}
    lines: dict[int, list[OrderLine]] = {}
    for line in OrderLine.objects.filter(shop=shop, order__in=list(orders.values())).order_by("pk"):
        lines.setdefault(line.order_id, []).append(line)
    groups = _groups_for(shop, fresh)
    preds = classify_whole([i.text for i in fresh])  # as `reviews classify`: all of every text

    rows = []
    for item, pred in zip(fresh, preds, strict=True):
        order = orders.get(item.order_no)
        line = None
        if order is not None:
            candidates = lines.get(order.pk, [])
            line = next((c for c in candidates if item.line_key and c.line_key == item.line_key), None)
            line = line or (candidates[0] if candidates else None)
        rows.append(Review(
            shop=shop, platform=item.platform, external_id=item.external_id, kind=item.kind, source=source,
            order_no=item.order_no, author_name=item.author_name[:100], order=order, order_line=line,
            customer_id=order.customer_id if order else None, live_session_id=order.live_session_id if order else None,
            group=groups.get(item.group_external_id), rating=item.rating, text=(item.text or "")[:MAX_TEXT],
            posted_at=item.posted_at or now(), sentiment=pred.sentiment, sentiment_score=pred.sentiment_score,
            complaint_type=pred.complaint_type, complaint_others=pred.complaint_others, aspect=pred.aspect,
        ))
    # A low star rating is negative whatever the words say; its type is read as `reviews reclassify` reads it
    # (「没有质量问题，就是尺码偏小」 at one star is size_fit in the Pareto, not "other" until a reclassify).
    rated_down = [r for r in rows if r.rating is not None and r.rating <= 2 and r.sentiment == 1]
    if rated_down:
        types = _complaint_types_of([r.text for r in rated_down])
        for r, (main, others, aspect) in zip(rated_down, types, strict=True):
            r.sentiment = 0
            r.complaint_type, r.complaint_others, r.aspect = main, others, aspect
    created = Review.objects.bulk_create(rows)
    if created and created[0].pk is None:  # backends that do not return ids
        created = list(Review.objects.filter(shop=shop).order_by("-pk")[: len(rows)])[::-1]
    result.created = created
    negatives = [r for r in created if r.sentiment == 0]
    result.within_days = recovery_within_days(shop)
    if result.within_days:
        since = now() - timedelta(days=result.within_days)
        result.not_recent = sum(1 for r in negatives if r.posted_at < since)
        negatives = [r for r in negatives if r.posted_at >= since]
    result.tasks = _open_tasks(shop, [r for r in negatives if r.kind != ReviewKind.GROUP_MESSAGE])
    result.alerts = _open_alerts(shop, [r for r in negatives if r.kind == ReviewKind.GROUP_MESSAGE])
    return result


def _groups_for(shop, items: list[ReviewInput]) -> dict[str, CommunityGroup]:
    wanted = {i.group_external_id: i.group_name for i in items if i.group_external_id}
    if not wanted:
        return {}
    groups = {g.external_id: g for g in CommunityGroup.objects.filter(shop=shop, external_id__in=wanted)}
    missing = [CommunityGroup(shop=shop, external_id=k, name=(v or k)[:100]) for k, v in wanted.items() if k not in groups]
    if missing:
        CommunityGroup.objects.bulk_create(missing, ignore_conflicts=True)
        groups = {g.external_id: g for g in CommunityGroup.objects.filter(shop=shop, external_id__in=wanted)}
    return groups


def _open_tasks(shop, reviews: list[Review]) -> int:
    if not reviews:
        return 0
    due = now() + timedelta(hours=recovery_hours(shop))
    tasks = []
    for r in reviews:
        kind = misunderstanding_kind(r.text, r.complaint_type)
        tasks.append(RecoveryTask(
            shop=shop, number=new_number("HP"), review=r, due_at=due, is_misunderstanding=bool(kind),
            suggested_reply=suggest_public_reply(complaint_type=r.complaint_type, misunderstanding=kind, seed=r.pk or 0),
        ))
    RecoveryTask.objects.bulk_create(tasks)
    ids = dict(RecoveryTask.objects.filter(shop=shop, review__in=reviews).values_list("review_id", "pk"))
    RecoveryEvent.objects.bulk_create([RecoveryEvent(task_id=ids[r.pk], kind=TaskEventKind.OPENED,
                                                     to_status=TaskStatus.OPEN, note=r.complaint_type) for r in reviews])
    return len(tasks)


def _open_alerts(shop, messages: list[Review]) -> int:
    if not messages:
        return 0
    alerts = [CommunityAlert(shop=shop, group_id=m.group_id, message=m, complaint_type=m.complaint_type)
              for m in messages if m.group_id]
    CommunityAlert.objects.bulk_create(alerts)
    groups = {g.pk: g for g in CommunityGroup.objects.filter(pk__in={a.group_id for a in alerts}).select_related("admin")}
    for alert in alerts:
        group = groups[alert.group_id]
        admin = group.admin
        notification_enqueue(
            shop=shop, customer=None, trigger="community_negative", channel="wecom",
            idempotency_key=f"review:community:{alert.message_id}",
            context={"body": f"【社群预警】群「{group.name}」出现负面消息（{ComplaintType(alert.complaint_type).label if alert.complaint_type in ComplaintType.values else alert.complaint_type}）："
                             f"{alert.message.text[:80]}",
                     "group": group.name, "admin": getattr(admin, "username", "") or group.admin_contact,
                     "message_id": alert.message_id},
        )
    return len(alerts)


def review_create(*, shop, text: str, actor, source: str = ReviewSource.API, **kwargs) -> Review:
    result = reviews_ingest(shop=shop, items=[ReviewInput(text=text, **kwargs)], actor=actor, source=source)
    if result.created:
        return result.created[0]
    return Review.objects.get(shop=shop, platform=kwargs.get("platform", ""), external_id=kwargs["external_id"])


# --- recovery steps -------------------------------------------------------------------------------------

def _event(task: RecoveryTask, kind: str, actor, note: str = "", from_status: str = "") -> None:
    RecoveryEvent.objects.create(task=task, kind=kind, actor=acting_user(actor), note=note[:500], from_status=from_status,
                                 to_status=task.status)


def _start(task: RecoveryTask) -> str:
    if task.status == TaskStatus.CLOSED:
        raise ReviewRefused(gettext("该挽回任务已结束，不能再修改"))
    before = task.status
    if task.status == TaskStatus.OPEN:
        task.status = TaskStatus.IN_PROGRESS
    return before


@transaction.atomic
def recovery_reply_public(*, task: RecoveryTask, text: str, actor) -> RecoveryTask:
    require_role(actor, task.shop, REPLY)
    text = (text or "").strip()
    if not text:
        raise ReviewRefused(gettext("回复内容不能为空"), field="text")
    guard = guard_outgoing(text)
    if not guard.allowed:
        raise ReviewRefused(gettext("回复未通过合规检查：") + gettext("；").join(guard.reasons), field="text")
    defensive = [f for f in inspect_reply(text) if f.category in {"blame_shifting", "arguing", "rude"}]
    if defensive:
        said = [gettext("「{match}」{reason}").format(match=f.match, reason=f.reason) for f in defensive]
        raise ReviewRefused(gettext("公开回复不能推诿、争辩或使用不文明用语：") + gettext("；").join(said), field="text")
    task = RecoveryTask.objects.select_for_update().get(pk=task.pk)
    before = _start(task)
    task.public_reply, task.public_replied_at = text, now()
    task.save(update_fields=["public_reply", "public_replied_at", "status", "updated_at"])
    _event(task, TaskEventKind.PUBLIC_REPLY, actor, text[:200], before)
    # The review and its reply also live in the one inbox (review channel), on the customer's history;
    # the reply is that ticket's response. Same transaction: both are kept or neither.
    from shouhou.inbox.channels.review import review_reply_record

    review_reply_record(review=task.review, text=text, author=actor)
    return task


@transaction.atomic
def recovery_contact(*, task: RecoveryTask, note: str, actor) -> RecoveryTask:
    require_role(actor, task.shop, REPLY)
    guard = guard_outgoing(note or "")
    if not guard.allowed:
        raise ReviewRefused(gettext("联系记录未通过合规检查：") + gettext("；").join(guard.reasons), field="note")
    task = RecoveryTask.objects.select_for_update().get(pk=task.pk)
    before = _start(task)
    task.contacted_at, task.contact_note = now(), (note or "")[:500]
    task.save(update_fields=["contacted_at", "contact_note", "status", "updated_at"])
    _event(task, TaskEventKind.CONTACTED, actor, note, before)
    return task


@transaction.atomic
def recovery_set_remedy(*, task: RecoveryTask, remedy: str, actor, amount: Decimal | None = None,
                        note: str = "", override_misunderstanding: bool = False) -> RecoveryTask:
    require_role(actor, task.shop, COMPENSATE)
    if remedy not in Remedy.values or not remedy:
        raise ReviewRefused(gettext("未知的补救方案：%(remedy)s") % {"remedy": remedy}, field="remedy")
    task = RecoveryTask.objects.select_for_update().select_related("review").get(pk=task.pk)
    ctype = task.review.complaint_type or ComplaintType.OTHER
    if remedy != Remedy.EXPLANATION:
        if task.is_misunderstanding and not override_misunderstanding:
            raise ReviewRefused(gettext("该差评属于使用/护理误会，应发送解释话术而不是退款；如确属质量问题，请勾选“确认为质量问题”后再选择方案"),
                                field="remedy")
        allowed = allowed_remedies(ctype, task.review.complaint_others)
        if remedy not in allowed:
            names = gettext("、").join(str(Remedy(r).label) for r in allowed)
            types = [ctype, *(t for t in task.review.complaint_others.split("|") if t)]
            label = gettext("、").join(str(ComplaintType(t).label) if t in ComplaintType.values else t for t in types)
            raise ReviewRefused(gettext("按政策，这条差评（%(type)s）可选的补救方案：%(remedies)s") % {"type": label, "remedies": names},
                                field="remedy")
    if remedy in MONEY_REMEDIES:
        if amount is None or (isinstance(amount, Decimal) and amount.is_finite() and amount <= 0):
            raise ReviewRefused(gettext("该补救方案需要填写金额（元）"), field="amount")
        try:  # finite, fen-exact, within what the database holds: "NaN" or 1e30 once broke the task page
            amount = positive_amount(amount, field="金额")
        except MoneyError as exc:
            raise ReviewRefused(str(exc), field="amount") from None
        limit = approval_limit(actor=actor, shop=task.shop)  # the same rule as a case's compensation
        if limit is not None and amount > limit:
            raise ReviewRefused(gettext("金额 %(amount)s 元超过您的审批额度 %(limit)s 元，请提交主管审批") % {"amount": amount, "limit": limit},
                                field="amount")
    else:
        amount = None  # a remedy without money keeps no amount (whatever was typed)
    guard = guard_outgoing(note or "")
    if not guard.allowed:
        raise ReviewRefused(gettext("补救说明未通过合规检查：") + gettext("；").join(guard.reasons), field="note")
    before = _start(task)
    task.remedy, task.remedy_amount, task.remedy_note = remedy, amount, (note or "")[:500]
    task.save(update_fields=["remedy", "remedy_amount", "remedy_note", "status", "updated_at"])
    _event(task, TaskEventKind.REMEDY, actor, f"{remedy} {amount or ''} {note}".strip(), before)
    audit_record(action="review.remedy", obj=task, actor=actor, shop=task.shop,
                 after={"remedy": remedy, "amount": str(amount or "")})
    return task


@transaction.atomic
def recovery_close(*, task: RecoveryTask, outcome: str, actor, new_rating: int | None = None) -> RecoveryTask:
    require_role(actor, task.shop, REPLY)
    if outcome not in {Outcome.RESOLVED, Outcome.RATING_UPDATED, Outcome.NO_ANSWER}:
        raise ReviewRefused(gettext("未知的结果：%(outcome)s") % {"outcome": outcome}, field="outcome")
    if outcome == Outcome.RATING_UPDATED and not (new_rating and 1 <= new_rating <= 5):
        raise ReviewRefused(gettext("顾客已更新评价时请填写新的评分（1–5）"), field="new_rating")
    task = RecoveryTask.objects.select_for_update().get(pk=task.pk)
    if task.status == TaskStatus.CLOSED:
        raise ReviewRefused(gettext("该挽回任务已结束"))
    if outcome != Outcome.NO_ANSWER and not (task.public_replied_at or task.contacted_at):
        raise ReviewRefused(gettext("请先公开回复或私下联系顾客，再标记结果"), field="outcome")
    before = task.status
    task.status, task.outcome, task.closed_at = TaskStatus.CLOSED, outcome, now()
    task.new_rating = new_rating if outcome == Outcome.RATING_UPDATED else None
    task.save(update_fields=["status", "outcome", "closed_at", "new_rating", "updated_at"])
    _event(task, TaskEventKind.CLOSED, actor, outcome, before)
    from shouhou.inbox.channels.review import review_ticket_settle

    review_ticket_settle(review=task.review, resolved=outcome != Outcome.NO_ANSWER, actor=actor,
                         note=f"差评挽回结束：{Outcome(outcome).label}")
    return task


@transaction.atomic
def recovery_assign(*, task: RecoveryTask, assignee, actor) -> RecoveryTask:
    require_role(actor, task.shop, REPLY)
    RecoveryTask.objects.filter(pk=task.pk).update(assignee=assignee, updated_at=now())
    task.refresh_from_db()
    _event(task, TaskEventKind.ASSIGNED, actor, getattr(assignee, "username", ""), task.status)
    return task


def recovery_sweep_breaches(*, at: datetime | None = None) -> int:
    """Mark overdue open tasks as breached (conditional UPDATE claims each once) and record an event."""
    at = at or now()
    with transaction.atomic():
        ids = list(RecoveryTask.objects.filter(breached=False, due_at__lt=at)
                   .exclude(status=TaskStatus.CLOSED).order_by("pk").values_list("pk", flat=True)[:5000])
        if not ids:
            return 0
        claimed = RecoveryTask.objects.filter(pk__in=ids, breached=False).update(breached=True, updated_at=at)
        status = dict(RecoveryTask.objects.filter(pk__in=ids).values_list("pk", "status"))
        RecoveryEvent.objects.bulk_create([RecoveryEvent(task_id=i, kind=TaskEventKind.BREACHED, to_status=status[i],
                                                         note=BREACHED_NOTE) for i in ids])
    return claimed


# --- showcase and referrals --------------------------------------------------------------------------

def review_showcase_set(*, review: Review, showcased: bool, actor) -> Review:
    require_role(actor, review.shop, REPLY)
    if showcased and review.sentiment != 1:
        raise ReviewRefused(gettext("只有正面评价可以精选展示"))
    # praise with a complaint in it (「…但是杯子有裂痕，漏水」) or a platform's placeholder is no showcase
    if showcased and review.mixed:
        raise ReviewRefused(gettext("这条评价里有抱怨（%(type)s），不能精选展示") % {"type": review.get_complaint_type_display()})
    if showcased and not readable(review.text):
        raise ReviewRefused(gettext("这条评价没有顾客写的文字（平台默认评价或无中文），不能精选展示"))
    Review.objects.filter(pk=review.pk, shop=review.shop).update(is_showcased=showcased, updated_at=now())
    review.is_showcased = showcased
    audit_record(action="review.showcase", obj=review, actor=actor, shop=review.shop, after={"is_showcased": showcased})
    return review


# One referral reward's points at most (1,000 yuan at POINTS_PER_YUAN): a bound on a typo or an abuse, whoever grants.
REFERRAL_POINTS_MAX = 100_000


@transaction.atomic
def referral_reward_record(*, shop, referrer: Customer, friend: Customer, order: Order, kind: str, actor,
                           points: int = 0, coupon_amount: Decimal | None = None) -> tuple[ReferralReward, bool]:
    """Record the reward for a referred friend's purchase; one per order (a repeat returns the first). A reward is
    compensation money: above the actor's approval limit (policies.selectors.approval_limit, points at
    POINTS_PER_YUAN) it needs compensation.above_limit, and each one is audited (`referral.reward`)."""
    require_role(actor, shop, COMPENSATE)
    if referrer.shop_id != shop.pk or friend.shop_id != shop.pk or order.shop_id != shop.pk:
        raise ReviewRefused("推荐人、好友和订单必须属于同一店铺")
    if referrer.pk == friend.pk:
        raise ReviewRefused("不能推荐自己", field="friend")
    if order.customer_id != friend.pk:
        raise ReviewRefused("该订单不是被推荐好友下的", field="order")
    if kind not in RewardKind.values:
        raise ReviewRefused(f"未知的奖励类型：{kind}", field="kind")
    if kind == RewardKind.POINTS:
        if points in (None, 0, "", "0"):
            raise ReviewRefused("积分奖励需要填写积分数", field="points")
        try:
            points = int(positive_amount(points, field="积分", points=True))
        except MoneyError as exc:
            raise ReviewRefused(str(exc), field="points") from None
        if points > REFERRAL_POINTS_MAX:
            raise ReviewRefused(gettext("一次推荐奖励最多 %(max)s 积分") % {"max": REFERRAL_POINTS_MAX}, field="points")
        value, amount_field, coupon_amount = compensation_value("points", Decimal(points)), "points", None
    else:
        if coupon_amount in (None, 0, "", "0"):
            raise ReviewRefused("优惠券奖励需要填写面额", field="coupon_amount")
        try:
            coupon_amount = positive_amount(coupon_amount, field="优惠券面额")
        except MoneyError as exc:
            raise ReviewRefused(str(exc), field="coupon_amount") from None
        value, amount_field, points = coupon_amount, "coupon_amount", 0
    existing = ReferralReward.objects.filter(shop=shop, order=order).first()
    if existing:
        return existing, False
    limit = approval_limit(actor=actor, shop=shop)  # the same rule as a case's compensation
    if limit is not None and value > limit:
        raise ReviewRefused(gettext("推荐奖励折合 %(value)s 元，超过您的审批额度 %(limit)s 元，请由主管发放") % {
            "value": value.quantize(Decimal("0.01")), "limit": limit}, field=amount_field)
    reward = ReferralReward.objects.create(shop=shop, referrer=referrer, friend=friend, order=order, kind=kind,
                                           points=points, coupon_amount=coupon_amount)
    if kind == RewardKind.POINTS:
        Customer.objects.filter(pk=referrer.pk, shop=shop).update(points=F("points") + points)
    audit_record(action="referral.reward", obj=reward, actor=actor, shop=shop,
                 after={"referrer": referrer.pk, "friend": friend.pk, "order": order.pk, "kind": kind,
                        "points": points, "coupon_amount": str(coupon_amount or "")})
    return reward, True


def _complaint_types_of(texts: list[str]) -> list[tuple[str, str, str]]:
    """(main type, other types, aspect) of texts known to be negative, read as ingest and `classify` read them
    (whole.complaint_types_whole: line breaks dropped, long texts by windows; `none` → other)."""
    return complaint_types_whole(texts)


def reviews_reclassify_types(*, shop=None, batch: int = 2000) -> int:
    """Read the complaint type of stored negative reviews again with the current model (after the taxonomy
    changed or the model was retrained): main type, other types and aspect. Sentiment stays as it is; what
    was copied from the old type follows the new one: a community alert's type, and an open recovery task
    nobody has answered yet its suggested public reply and whether it is a misunderstanding (a task already
    replied to or closed keeps its history). A mixed review (positive, a complaint type named) is read again as
    ingest reads it: it keeps a type only if the model still finds a clear complaint in it (else `none`).
    Set-based: one classification and a few bulk updates per batch; returns how many reviews changed."""
    negatives = Review.objects.filter(sentiment=0).exclude(text="")
    mixed = Review.objects.filter(sentiment=1).exclude(text="").exclude(complaint_type__in=["", ComplaintType.NONE])
    if shop is not None:
        negatives, mixed = negatives.filter(shop=shop), mixed.filter(shop=shop)
    return (_reclassify(negatives, _complaint_types_of, batch)
            + _reclassify(mixed, _mixed_types_of, batch))


def _mixed_types_of(texts: list[str]) -> list[tuple[str, str, str]]:
    """(main type, other types, aspect) of texts stored positive with a type: the mixed complaint named, if any."""
    return [(p.complaint_type, p.complaint_others, p.aspect) if p.mixed or p.sentiment == 0
            else (str(ComplaintType.NONE), "", p.aspect) for p in classify_whole(texts)]


def _reclassify(qs, types_of, batch: int) -> int:
    qs = qs.order_by("pk")
    changed, last_pk = 0, 0
    while True:
        rows = list(qs.filter(pk__gt=last_pk).only("pk", "text", "complaint_type", "complaint_others", "aspect")[:batch])
        if not rows:
            return changed
        last_pk = rows[-1].pk
        dirty = []
        for r, new in zip(rows, types_of([r.text for r in rows]), strict=True):
            if new != (r.complaint_type, r.complaint_others, r.aspect):
                r.complaint_type, r.complaint_others, r.aspect = new
                dirty.append(r)
        with transaction.atomic():
            Review.objects.bulk_update(dirty, ["complaint_type", "complaint_others", "aspect"], batch_size=500)
            _follow_new_types(dirty)
        changed += len(dirty)


def _follow_new_types(reviews: list[Review]) -> None:
    """After a reclassify: the copies of the old type (alerts, unanswered open tasks) take the new one."""
    if not reviews:
        return
    by_pk = {r.pk: r for r in reviews}
    CommunityAlert.objects.filter(message_id__in=by_pk).update(
        complaint_type=Subquery(Review.objects.filter(pk=OuterRef("message_id")).values("complaint_type")[:1]))
    tasks = list(RecoveryTask.objects.filter(review_id__in=by_pk, public_replied_at__isnull=True)
                 .exclude(status=TaskStatus.CLOSED).only("pk", "review_id", "suggested_reply", "is_misunderstanding"))
    for task in tasks:
        review = by_pk[task.review_id]
        ctype = review.complaint_type
        kind = misunderstanding_kind(review.text, ctype)
        task.is_misunderstanding = bool(kind)
        task.suggested_reply = suggest_public_reply(complaint_type=ctype, misunderstanding=kind, seed=task.review_id)
    RecoveryTask.objects.bulk_update(tasks, ["suggested_reply", "is_misunderstanding"], batch_size=500)
