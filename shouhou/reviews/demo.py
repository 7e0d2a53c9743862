"""Demo data for reviews: a few hundred varied Chinese reviews on the demo orders, classified on arrival,
with recovery tasks in every state, curated good reviews, a watched group and referral rewards."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.models import Membership
from shouhou.commerce.models import Customer, Order
from shouhou.core.clock import now
from shouhou.reviews.choices import Outcome, Remedy, TaskEventKind, TaskStatus
from shouhou.reviews.models import BREACHED_NOTE, RecoveryEvent, RecoveryTask, Review
from shouhou.reviews.services import ReviewInput, referral_reward_record, reviews_ingest

OPENERS = ["宝贝收到了，", "直播间抢的，", "第二次回购了，", "给妈妈买的，", "看主播推荐买的，", "", "", "老粉了，",
           "双十一囤的，", "朋友推荐来的，"]
GOOD = [
    "面料很舒服，洗了两次也没有起球", "颜色和直播间看到的一模一样，很正", "尺码标准，按平时的码数买刚刚好",
    "电池很耐用，充一次能用两天", "味道很好，孩子抢着吃", "包装很用心，一点都没压坏", "做工精细，没有线头",
    "苹果又大又甜，水分足", "物流超快，隔天就到了", "客服小姐姐很耐心，问什么都回答", "性价比很高，比超市便宜",
    "屏幕清晰，运行流畅", "香味很淡很好闻，洗完头发很顺", "穿上显瘦，版型很好", "质量没得说，已经推荐给同事了",
]
CLOSERS = ["好评！", "推荐大家买。", "主播人很好，会继续关注。", "👍👍👍", "五星推荐～", "下次还来。", ""]
BAD = {
    "quality_defect": ["穿了一次就开线了，质量太差", "用了三天就坏了，开不了机", "洗了一次就掉色，把别的衣服都染了",
                       "锅用两次就掉漆了", "充电器发烫得厉害，不敢用了", "面膜用完脸上过敏发红"],
    "not_as_described": ["和直播间说的完全不一样，面料很薄", "色差太大了，图片是米白收到是黄色", "说是纯棉的，摸起来全是化纤",
                         "个头太小了，跟描述的大果差远了"],
    "wrong_or_missing": ["发错颜色了，我要的是黑色", "少发了一件，说好的赠品也没有", "买的是两盒只收到一盒"],
    "size_fit": ["尺码偏小，平时穿L的买了XL都紧", "裤长太短了，不合身", "鞋子偏大一码，走路掉跟"],
    "logistics": ["物流太慢了，等了八天才到", "箱子都压破了，里面的杯子碎了一个", "快递员态度很差，直接扔在门口",
                  "一直显示派送中，三天了还没到"],
    "service_attitude": ["客服态度很差，问了半天没人理", "售后一直推脱，说不归他们管", "客服回复很敷衍"],
    "price": ["刚买完第二天就降价了，也不给补差价", "直播间说是最低价，结果比超市还贵", "太贵了，不值这个价"],
    "usage_question": ["请问这个怎么连接蓝牙？说明书看不懂", "不会用，找不到设置的地方"],
    "misunderstanding": ["毛衣用热水洗了一次就缩水起球了，太差", "羊毛衫机洗后变形了，质量不行"],
}
GROUP_MESSAGES = [
    ("上次群里团的锅用两次就掉漆了，大家别买了", False), ("今天的福利好划算，已下单", True),
    ("群主，我的快递一个星期了还没到，怎么回事", False), ("谢谢群主推荐，宝宝很喜欢", True),
    ("团购的苹果一半都是烂的，太失望了", False), ("什么时候还有秒杀呀", True),
]
SCRIPTED_REPLY = "亲，非常抱歉给您带来不好的体验，客服已经私信联系您，我们会尽快为您处理。"


def _text(rng: random.Random, good: bool) -> tuple[str, int]:
    if good:
        text = rng.choice(OPENERS) + rng.choice(GOOD) + "，" + rng.choice(CLOSERS)
        rating = rng.choice([5, 5, 5, 4])
    else:
        kind = rng.choice(list(BAD))
        text = rng.choice(OPENERS) + rng.choice(BAD[kind]) + rng.choice(["。", "！", "，差评。", "😡", "，再也不买了。"])
        rating = rng.choice([1, 1, 2, 3])
    if rng.random() < 0.05:
        from opencc import OpenCC

        text = OpenCC("s2t").convert(text)  # some buyers write traditional characters
    return text, rating


def seed(*, shop, rng: random.Random) -> None:
    # A buyer reviews a parcel after it arrived: only delivered orders, posted after delivery and before now.
    orders = list(Order.objects.filter(shop=shop, delivered_at__isnull=False).order_by("pk")
                  .values_list("order_no", "delivered_at")[:2000])
    n = 300
    items = []
    at = now()
    start = at - timedelta(days=14)
    for i in range(n):
        good = rng.random() < 0.62
        text, rating = _text(rng, good)
        order_no, posted_at = "", start + timedelta(minutes=rng.randint(0, 14 * 24 * 60))
        if orders and rng.random() < 0.9:
            order_no, delivered = rng.choice(orders)
            posted_at = min(delivered + timedelta(minutes=rng.randint(60, 7 * 24 * 60)),
                            at - timedelta(minutes=rng.randint(5, 120)))
            if posted_at <= delivered:  # delivered moments ago
                posted_at = delivered + (at - delivered) / 2
        items.append(ReviewInput(
            text=text, rating=rating, platform=shop.platform or "douyin", external_id=f"demo-{i:04d}",
            order_no=order_no, posted_at=posted_at,
            author_name=rng.choice(["小***鹿", "j***8", "爱***猫", "阳***光", "匿名用户", "w***n"]),
        ))
    with transaction.atomic():
        reviews_ingest(shop=shop, items=items, actor=SYSTEM, source="import")
        _advance_tasks(shop=shop, rng=rng)
        good_ids = list(Review.objects.filter(shop=shop, sentiment=1, rating=5).order_by("pk")
                        .values_list("pk", flat=True)[:200])
        Review.objects.filter(pk__in=rng.sample(good_ids, min(12, len(good_ids)))).update(is_showcased=True)
        reviews_ingest(shop=shop, source="api", actor=SYSTEM, items=[
            ReviewInput(text=t, kind="group_message", platform="group", external_id=f"demo-g{i}",
                        group_external_id="demo-group-1", group_name="小鹿宠粉福利群")
            for i, (t, _) in enumerate(GROUP_MESSAGES)])
        _referrals(shop=shop, rng=rng)


def _advance_tasks(*, shop, rng: random.Random) -> None:
    member = Membership.objects.filter(shop=shop).select_related("user").order_by("pk").first()
    actor = member.user if member else None
    tasks = list(RecoveryTask.objects.filter(shop=shop, status=TaskStatus.OPEN).select_related("review").order_by("pk"))
    t = now()
    events = []
    for task in tasks:
        roll = rng.random()
        if roll < 0.2:
            continue  # fresh, untouched
        if roll < 0.35:
            task.due_at = t - timedelta(hours=rng.randint(1, 30))
            task.breached = True
            events.append(RecoveryEvent(task=task, kind=TaskEventKind.BREACHED, to_status=task.status, note=BREACHED_NOTE))
            continue
        task.status = TaskStatus.IN_PROGRESS
        task.public_reply = task.suggested_reply or SCRIPTED_REPLY
        task.public_replied_at = t - timedelta(hours=rng.randint(1, 20))
        events.append(RecoveryEvent(task=task, kind=TaskEventKind.PUBLIC_REPLY, actor=actor, to_status=task.status,
                                    note=task.public_reply[:200]))
        if roll < 0.5:
            continue
        task.contacted_at = task.public_replied_at + timedelta(minutes=rng.randint(5, 120))
        task.contact_note = rng.choice(["电话联系，顾客接受处理方案", "微信私聊，已发送护理说明", "短信联系，等待回复"])
        events.append(RecoveryEvent(task=task, kind=TaskEventKind.CONTACTED, actor=actor, to_status=task.status,
                                    note=task.contact_note))
        if task.is_misunderstanding:
            task.remedy = Remedy.EXPLANATION
        else:
            task.remedy = rng.choice([Remedy.EXCHANGE, Remedy.RESEND, Remedy.REFUND, Remedy.COUPON])
            if task.remedy in (Remedy.REFUND, Remedy.COUPON):
                task.remedy_amount = Decimal(rng.choice(["5.00", "10.00", "20.00"]))
        events.append(RecoveryEvent(task=task, kind=TaskEventKind.REMEDY, actor=actor, to_status=task.status,
                                    note=str(task.remedy)))
        if roll < 0.65:
            continue
        task.status = TaskStatus.CLOSED
        task.outcome = rng.choice([Outcome.RESOLVED, Outcome.RESOLVED, Outcome.RATING_UPDATED, Outcome.NO_ANSWER])
        task.new_rating = rng.choice([4, 5]) if task.outcome == Outcome.RATING_UPDATED else None
        task.closed_at = task.contacted_at + timedelta(hours=rng.randint(1, 48))
        events.append(RecoveryEvent(task=task, kind=TaskEventKind.CLOSED, actor=actor, from_status=TaskStatus.IN_PROGRESS,
                                    to_status=task.status, note=str(task.outcome)))
    RecoveryTask.objects.bulk_update(tasks, ["status", "due_at", "breached", "public_reply", "public_replied_at",
                                             "contacted_at", "contact_note", "remedy", "remedy_amount", "outcome",
                                             "new_rating", "closed_at"], batch_size=500)
    RecoveryEvent.objects.bulk_create(events, batch_size=1000)


def _referrals(*, shop, rng: random.Random) -> None:
    customers = list(Customer.objects.filter(shop=shop).order_by("pk")[:200])
    if len(customers) < 4:
        return
    orders_by_customer = {}
    for o in Order.objects.filter(shop=shop, customer__in=customers).order_by("pk"):
        orders_by_customer.setdefault(o.customer_id, o)
    friends = [c for c in customers if c.pk in orders_by_customer]
    for friend in rng.sample(friends, min(8, len(friends))):
        referrer = rng.choice([c for c in customers if c.pk != friend.pk])
        if rng.random() < 0.5:
            referral_reward_record(actor=SYSTEM, shop=shop, referrer=referrer, friend=friend, order=orders_by_customer[friend.pk],
                                   kind="points", points=rng.choice([50, 100, 200]))
        else:
            referral_reward_record(actor=SYSTEM, shop=shop, referrer=referrer, friend=friend, order=orders_by_customer[friend.pk],
                                   kind="coupon", coupon_amount=Decimal(rng.choice(["5", "10"])))
